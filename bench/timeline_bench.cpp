// Time travel times (docs/PERFORMANCE.md, "Time travel").
//
//   timeline_bench GUEST.elf [--instructions N] [--interval N] [--seeks N] [--append ARGS] [--disk IMG]...
//
// Records the guest in-process for N instructions (default 300,000,000; less if it stops by
// itself), replays the recording under a Timeline (one snapshot every --interval
// instructions, default 50,000,000), then times seek() to random points of the history and
// step_back() from random points, and prints the snapshots kept.
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
#include "session/exit_codes.h"
#include "journal/recording_file.h"
#include "journal/sessions.h"
#include "loader/multiboot_loader.h"
#include "machine/machine.h"
#include "timeline/timeline.h"

using namespace rw;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

struct Options {
  std::string guest;
  std::vector<std::string> disks;
  std::string append;
  uint64_t instructions = 300'000'000;
  uint64_t interval = 50'000'000;
  int seeks = 20;
};

std::unique_ptr<Machine> boot(const Options& o, bool host_io) {
  MachineConfig c;
  c.memory_bytes = 32ull << 20;
  c.serial_out = nullptr;
  c.rtc_base_unix_seconds = 1'700'000'000;
  auto m = std::make_unique<Machine>(c);
  if (!o.disks.empty()) {
    block::Disks::Images images;
    for (size_t i = 0; i < o.disks.size() && i < images.size(); ++i) images[i] = block::BaseImage::open(o.disks[i]);
    m->attach_disks(
        std::make_unique<block::Disks>(m->host_wakeup(), std::move(images), block::parse_fault_spec(""), host_io));
  }
  loader::BootImage b = loader::load_multiboot_file(m->memory(), o.guest, o.append);
  m->enter_multiboot(b.entry, b.multiboot_info);
  return m;
}

void report(const char* what, std::vector<double> ms, const std::vector<uint64_t>& distance) {
  std::sort(ms.begin(), ms.end());
  double sum = 0;
  for (double v : ms) sum += v;
  uint64_t dsum = 0;
  for (uint64_t d : distance) dsum += d;
  fmt::print("{:<10} n={:<3} mean {:8.1f} ms  median {:8.1f} ms  max {:8.1f} ms  (mean replay from snapshot {:.1f} M "
             "instructions)\n",
             what, ms.size(), sum / ms.size(), ms[ms.size() / 2], ms.back(), dsum / 1e6 / distance.size());
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    auto next = [&] { return i + 1 < argc ? argv[++i] : ""; };
    if (!std::strcmp(argv[i], "--instructions")) o.instructions = std::stoull(next());
    else if (!std::strcmp(argv[i], "--interval")) o.interval = std::stoull(next());
    else if (!std::strcmp(argv[i], "--seeks")) o.seeks = std::stoi(next());
    else if (!std::strcmp(argv[i], "--disk")) o.disks.push_back(next());
    else if (!std::strcmp(argv[i], "--append")) o.append = next();
    else o.guest = argv[i];
  }
  if (o.guest.empty()) {
    fmt::print(stderr, "usage: timeline_bench GUEST.elf [--instructions N] [--interval N] [--seeks N] [--append ARGS] [--disk IMG]...\n");
    return 2;
  }

  // Record.
  const std::string path =
      (std::filesystem::temp_directory_path() / fmt::format("rewind_timeline_bench_{}.rwr", getpid())).string();
  auto t0 = Clock::now();
  {
    auto m = boot(o, true);
    journal::RecordingHeader h;
    h.memory_bytes = 32ull << 20;
    h.rtc_base_unix_seconds = 1'700'000'000;
    h.state_hash_interval = journal::kDefaultDigestInterval;
    journal::RecordingSession session(*m, h, path, m->disks(), nullptr);
    RunResult r;
    do {
      r = m->run(std::min(o.instructions, m->cpu().icount + (uint64_t{1} << 26)));
    } while (r.reason == cpu::StopReason::kTarget && m->cpu().icount < o.instructions);
    session.finish(r, r.reason == cpu::StopReason::kTarget ? session::kExitInstructionLimit : 1);
  }
  const double record_ms = ms_since(t0);
  journal::Recording rec = journal::read_recording(path);
  std::filesystem::remove(path);
  const uint64_t end = rec.end->final_icount;
  fmt::print("recorded {} instructions, {} events in {:.0f} ms\n", end, rec.events.size(), record_ms);

  // The same replay without snapshots (only the one at instruction 0), then with them: what
  // taking them costs, interleaved three times; the best of each counts.
  double plain_ms = 1e300, snap_ms = 1e300;
  for (int round = 0; round < 3; ++round) {
    for (bool with_snapshots : {false, true}) {
      auto mm = boot(o, false);
      journal::ReplaySession ss(*mm, rec, mm->disks());
      Timeline t(*mm, ss, {.interval = with_snapshots ? o.interval : ~uint64_t{0}});
      const auto start = Clock::now();
      t.run_to(end);
      (with_snapshots ? snap_ms : plain_ms) = std::min(with_snapshots ? snap_ms : plain_ms, ms_since(start));
    }
  }
  fmt::print("replay to the end, best of 3: {:.0f} ms without snapshots, {:.0f} ms with them ({:+.1f}%)\n", plain_ms,
             snap_ms, (snap_ms / plain_ms - 1) * 100);

  // Replay under a timeline, taking snapshots.
  auto m = boot(o, false);
  journal::ReplaySession session(*m, rec, m->disks());
  Timeline tl(*m, session, {.interval = o.interval});
  t0 = Clock::now();
  tl.run_to(end);
  const double run_ms = ms_since(t0);
  fmt::print("replayed to the end with snapshots in {:.0f} ms ({:.0f} MIPS); {} snapshots kept, {:.1f} MiB\n", run_ms,
             end / run_ms / 1e3, tl.snapshot_count(), tl.snapshot_bytes() / 1048576.0);

  std::mt19937_64 rng(1);
  std::vector<double> seek_ms, back_ms;
  std::vector<uint64_t> seek_dist, back_dist;
  auto distance = [&](uint64_t t) {
    return t - tl.snapshot_icount(tl.snapshot_at_or_before(t));
  };
  for (int i = 0; i < o.seeks; ++i) {
    const uint64_t t = rng() % (end + 1);
    seek_dist.push_back(distance(t));
    t0 = Clock::now();
    if (tl.seek(t) != Timeline::SeekResult::kOk) return fmt::print(stderr, "seek to {} failed\n", t), 1;
    seek_ms.push_back(ms_since(t0));
    back_dist.push_back(t ? distance(t - 1) : 0);
    t0 = Clock::now();
    tl.step_back();
    back_ms.push_back(ms_since(t0));
  }
  report("seek", seek_ms, seek_dist);
  report("step_back", back_ms, back_dist);
  if (session.replayer().diverged()) return fmt::print(stderr, "replay diverged\n"), 1;
  return 0;
}
