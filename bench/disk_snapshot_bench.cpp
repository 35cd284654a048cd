// Snapshots of a disk-writing guest: what each snapshot stores and how long taking and
// restoring one takes as the overlay grows (docs/PERFORMANCE.md, "Time travel").
//
//   disk_snapshot_bench GUEST.elf [--disk-mb N] [--interval N] [--append ARGS] [--restores N] [--verbose]
//
// Records the guest in-process with a zero-filled disk of --disk-mb MiB (default 96) at
// -hda, replays the recording taking a snapshot (snapshots::SnapshotStore, no thinning)
// every --interval instructions (default 20,000,000), then restores --restores (default 20)
// random snapshots. Meant for guest/bench/diskwrite.c (diskwrite32.elf), which fills 64 MiB
// and then rewrites a little at a time. Uses only the store's public interface, so it also
// builds against stores that copy the overlay whole (before/after figures).
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "block/disks.h"
#include "journal/recording_file.h"
#include "journal/sessions.h"
#include "loader/multiboot_loader.h"
#include "machine/machine.h"
#include "snapshots/snapshot_store.h"

using namespace rw;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

struct Options {
  std::string guest;
  std::string append;
  uint64_t disk_mb = 96;
  uint64_t interval = 20'000'000;
  int restores = 20;
  bool verbose = false;
};

std::unique_ptr<Machine> boot(const Options& o, const std::string& disk, bool host_io) {
  MachineConfig c;
  c.memory_bytes = 32ull << 20;
  c.serial_out = nullptr;
  c.rtc_base_unix_seconds = 1'700'000'000;
  auto m = std::make_unique<Machine>(c);
  block::Disks::Images images;
  images[0] = block::BaseImage::open(disk);
  m->attach_disks(std::make_unique<block::Disks>(m->host_wakeup(), std::move(images), block::parse_fault_spec(""), host_io));
  loader::BootImage b = loader::load_multiboot_file(m->memory(), o.guest, o.append);
  m->enter_multiboot(b.entry, b.multiboot_info);
  return m;
}

size_t overlay_sectors(Machine& m) { return m.disks()->device(0)->overlay().sectors(); }

struct Take {
  uint64_t icount;
  size_t overlay_sectors;
  size_t bytes;  // what the store grew by
  double ms;
};

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    auto next = [&] { return i + 1 < argc ? argv[++i] : ""; };
    if (!std::strcmp(argv[i], "--disk-mb")) o.disk_mb = std::stoull(next());
    else if (!std::strcmp(argv[i], "--interval")) o.interval = std::stoull(next());
    else if (!std::strcmp(argv[i], "--restores")) o.restores = std::stoi(next());
    else if (!std::strcmp(argv[i], "--append")) o.append = next();
    else if (!std::strcmp(argv[i], "--verbose")) o.verbose = true;
    else o.guest = argv[i];
  }
  if (o.guest.empty() || o.interval == 0) {
    fmt::print(stderr, "usage: disk_snapshot_bench GUEST.elf [--disk-mb N] [--interval N] [--append ARGS] [--restores N] [--verbose]\n");
    return 2;
  }

  // A sparse zero-filled image: the guest's writes all land in the overlay.
  const auto tmp = std::filesystem::temp_directory_path();
  const std::string disk = (tmp / fmt::format("rewind_disk_snapshot_bench_{}.img", getpid())).string();
  const std::string path = (tmp / fmt::format("rewind_disk_snapshot_bench_{}.rwr", getpid())).string();
  {
    const int fd = ::open(disk.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || ::ftruncate(fd, static_cast<off_t>(o.disk_mb << 20)) != 0)
      return fmt::print(stderr, "cannot create {}\n", disk), 1;
    ::close(fd);
  }

  // Record.
  auto t0 = Clock::now();
  {
    auto m = boot(o, disk, true);
    journal::RecordingHeader h;
    h.memory_bytes = 32ull << 20;
    h.rtc_base_unix_seconds = 1'700'000'000;
    h.state_hash_interval = journal::kDefaultDigestInterval;
    journal::RecordingSession session(*m, h, path, m->disks(), nullptr);
    RunResult r;
    do {
      r = m->run(m->cpu().icount + (uint64_t{1} << 26));
    } while (r.reason == cpu::StopReason::kTarget);
    session.finish(r, 0);
  }
  journal::Recording rec = journal::read_recording(path);
  std::filesystem::remove(path);
  const uint64_t end = rec.end->final_icount;
  fmt::print("recorded {} instructions, {} events in {:.0f} ms\n", end, rec.events.size(), ms_since(t0));

  // Replay, a snapshot at 0 and at every multiple of the interval.
  auto m = boot(o, disk, false);
  journal::ReplaySession session(*m, rec, m->disks());
  snapshots::SnapshotStore store;
  std::vector<Take> takes;
  auto take = [&] {
    const size_t before = store.bytes();
    const auto start = Clock::now();
    store.take(*m);
    takes.push_back({m->cpu().icount, overlay_sectors(*m), store.bytes() - before, ms_since(start)});
  };
  take();
  while (m->cpu().icount < end) {
    const RunResult r = m->run(std::min(end, (m->cpu().icount / o.interval + 1) * o.interval));
    if (session.replayer().diverged()) return fmt::print(stderr, "replay diverged\n"), 1;
    if (r.reason != cpu::StopReason::kTarget && m->cpu().icount < end) break;
    take();
  }
  std::filesystem::remove(disk);

  if (o.verbose)
    for (const Take& t : takes)
      fmt::print("  at {:>11}: overlay {:7.2f} MiB, snapshot {:9.1f} KiB, taken in {:7.2f} ms\n", t.icount,
                 t.overlay_sectors / 2048.0, t.bytes / 1024.0, t.ms);
  const size_t largest = takes.back().overlay_sectors;
  size_t total = 0, max_bytes = 0, n_large = 0, bytes_large = 0;
  double ms_large = 0, ms_max = 0;
  for (const Take& t : takes) {
    total += t.bytes;
    max_bytes = std::max(max_bytes, t.bytes);
    ms_max = std::max(ms_max, t.ms);
    // The snapshots with the overlay (nearly) at its largest: the guest's quiet phase.
    if (t.overlay_sectors * 10 >= largest * 9) ++n_large, ms_large += t.ms, bytes_large += t.bytes;
  }
  fmt::print("{} snapshots every {} instructions; overlay at the end {:.1f} MiB ({} sectors)\n", takes.size(),
             o.interval, largest / 2048.0, largest);
  fmt::print("stored: total {:.1f} MiB; per snapshot mean {:.1f} KiB, max {:.1f} KiB\n", total / 1048576.0,
             total / 1024.0 / takes.size(), max_bytes / 1024.0);
  if (n_large)
    fmt::print("with the overlay at >= 90% of its largest ({} snapshots): mean {:.1f} KiB stored, taken in {:.2f} ms "
               "(max of all takes {:.2f} ms)\n",
               n_large, bytes_large / 1024.0 / n_large, ms_large / n_large, ms_max);

  // Restores in random order.
  std::mt19937_64 rng(1);
  std::vector<double> restore_ms;
  for (int i = 0; i < o.restores; ++i) {
    const size_t k = rng() % store.size();
    t0 = Clock::now();
    store.restore(*m, k);
    restore_ms.push_back(ms_since(t0));
  }
  if (!restore_ms.empty()) {
    std::sort(restore_ms.begin(), restore_ms.end());
    double sum = 0;
    for (double v : restore_ms) sum += v;
    fmt::print("restore (random order) n={}: mean {:.2f} ms, median {:.2f} ms, max {:.2f} ms\n", restore_ms.size(),
               sum / restore_ms.size(), restore_ms[restore_ms.size() / 2], restore_ms.back());
  }
  return 0;
}
