// Time travel times (docs/PERFORMANCE.md, "Time travel").
//
//   timeline_bench GUEST.elf [--instructions N] [--interval N] [--seeks N] [--append ARGS] [--disk IMG]...
//
// Records the guest as `rewind record` does (a live session, to a file) for N instructions
// (default 300,000,000; less if it stops by itself), then replays the recording in sessions
// as `rewind replay` does (one snapshot every --interval instructions, default 50,000,000)
// and measures:
//   - forward execution with and without snapshots, live (the recording) and replaying: what
//     taking them costs;
//   - snapshot memory against the lz4-compressed size of the pages that changed between
//     snapshots (what an ideal incremental store would keep);
//   - seek() to random points, and step_back() right after (where a seek arrived);
//   - the first step_back() at random points reached without arrival snapshots (as after a
//     forward run stopped there): its distribution and the bound, one interval of replay;
//   - reverse_continue() across the whole history (a breakpoint never hit) against a straight
//     replay of the same distance, and the longest of the steps the gdb stub runs it in (how
//     long ^C can wait).
#include <fmt/format.h>
#include <lz4.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "cpu/debugger.h"
#include "machine/machine.h"
#include "session/session.h"
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

std::unique_ptr<session::Session> replay(const std::string& path, const TimelineOptions& snapshots) {
  session::ReplaySpec spec;
  spec.recording = path;
  spec.serial_out = nullptr;
  spec.snapshots = snapshots;
  return session::Session::replay(spec);
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

void report(const char* what, const std::vector<double>& ms, const std::vector<uint64_t>& distance) {
  double sum = 0;
  for (double v : ms) sum += v;
  uint64_t dsum = 0;
  for (uint64_t d : distance) dsum += d;
  fmt::print("{:<22} n={:<3} mean {:7.1f}  median {:7.1f}  p90 {:7.1f}  max {:7.1f} ms  (mean replay from snapshot "
             "{:.1f} M instructions)\n",
             what, ms.size(), sum / static_cast<double>(ms.size()), percentile(ms, 0.5), percentile(ms, 0.9),
             percentile(ms, 1.0), static_cast<double>(dsum) / 1e6 / static_cast<double>(distance.size()));
}

// Replays to the end with a snapshot every interval and none dropped, and adds up what an
// ideal incremental store keeps: every page whose content differs from the previous snapshot,
// lz4-compressed on its own.
void snapshot_memory(const std::string& path, uint64_t end, uint64_t interval) {
  auto s = replay(path, {.interval = interval, .max_snapshots = 1 << 20, .budget_bytes = ~size_t{0}, .arrival_distance = 0});
  Machine& m = s->machine();
  Timeline& tl = *s->timeline();
  const size_t page = MachineState::kPageSize;
  std::vector<uint8_t> shadow(m.memory().page_count() * page, 0);
  std::vector<char> out(LZ4_compressBound(static_cast<int>(page)));
  size_t ideal = 0, changed = 0;
  auto account = [&] {
    for (uint64_t p = 0; p < m.memory().page_count(); ++p) {
      const uint8_t* now = m.memory().host(p * page);
      uint8_t* before = shadow.data() + p * page;
      if (std::memcmp(now, before, page) == 0) continue;
      ++changed;
      ideal += static_cast<size_t>(LZ4_compress_default(reinterpret_cast<const char*>(now), out.data(),
                                                        static_cast<int>(page), static_cast<int>(out.size())));
      std::memcpy(before, now, page);
    }
  };
  account();  // the snapshot at instruction 0
  for (uint64_t t = interval; t <= end; t += interval) {
    tl.run_to(t);
    if (tl.now() != t) break;
    account();
  }
  fmt::print("snapshot memory: {} snapshots hold {:.2f} MiB; the {} changed pages lz4-compressed one by one take "
             "{:.2f} MiB: {:.2f}x\n",
             tl.snapshot_count(), tl.snapshot_bytes() / 1048576.0, changed, ideal / 1048576.0,
             static_cast<double>(tl.snapshot_bytes()) / static_cast<double>(ideal));
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
  if (o.guest.empty() || o.disks.size() > 4) {
    fmt::print(stderr, "usage: timeline_bench GUEST.elf [--instructions N] [--interval N] [--seeks N] [--append ARGS] [--disk IMG]...\n");
    return 2;
  }

  // Record, as `rewind record` does: with snapshots and without (only the one at instruction
  // 0), interleaved three times, the best of each counting; the recording kept is the last.
  const std::string path =
      (std::filesystem::temp_directory_path() / fmt::format("rewind_timeline_bench_{}.rwr", getpid())).string();
  struct Remove {
    std::string path;
    ~Remove() { std::filesystem::remove(path); }
  } remove{path};
  auto t0 = Clock::now();
  uint64_t end = 0;
  double live_plain_ms = 1e300, live_snap_ms = 1e300;
  for (int round = 0; round < 3; ++round) {
    for (bool with_snapshots : {false, true}) {
      session::LiveSpec spec;
      spec.guest = o.guest;
      spec.append = o.append;
      spec.memory_bytes = 32ull << 20;
      spec.serial_out = nullptr;
      spec.serial_in = "none";
      spec.max_instructions = o.instructions;
      spec.record_path = path;
      spec.host_time_unix_seconds = 1'700'000'000;
      spec.snapshots.interval = with_snapshots ? o.interval : ~uint64_t{0};
      for (size_t i = 0; i < o.disks.size(); ++i) spec.disks.positions[i] = o.disks[i];
      auto s = session::Session::live(spec);
      t0 = Clock::now();
      const RunResult r = s->run_to_end();
      double& best = with_snapshots ? live_snap_ms : live_plain_ms;
      best = std::min(best, ms_since(t0));
      end = s->machine().cpu().icount;
      s->finish(r, true);
    }
  }
  fmt::print("recorded {} instructions live, best of 3: {:.0f} ms without snapshots, {:.0f} ms with them every {} M "
             "({:+.1f}%)\n",
             end, live_plain_ms, live_snap_ms, o.interval / 1e6, (live_snap_ms / live_plain_ms - 1) * 100);

  // The same replay without snapshots (only the one at instruction 0), then with them: what
  // taking them costs, interleaved three times; the best of each counts.
  double plain_ms = 1e300, snap_ms = 1e300;
  for (int round = 0; round < 3; ++round) {
    for (bool with_snapshots : {false, true}) {
      auto s = replay(path, {.interval = with_snapshots ? o.interval : ~uint64_t{0}});
      const auto start = Clock::now();
      s->run_to_end();
      double& best = with_snapshots ? snap_ms : plain_ms;
      best = std::min(best, ms_since(start));
    }
  }
  fmt::print("replay to the end, best of 3: {:.0f} ms without snapshots, {:.0f} ms with them ({:+.1f}%)\n", plain_ms,
             snap_ms, (snap_ms / plain_ms - 1) * 100);
  const double mips = static_cast<double>(end) / plain_ms / 1e3;

  snapshot_memory(path, end, o.interval);

  // Seeks and reverse steps over a replay that took its snapshots on the way to the end:
  // with arrival snapshots (the default), and without (a step back where forward execution
  // stopped, far from any seek).
  for (bool arrivals : {true, false}) {
    TimelineOptions options{.interval = o.interval};
    if (!arrivals) options.arrival_distance = 0;
    auto s = replay(path, options);
    Timeline& tl = *s->timeline();
    t0 = Clock::now();
    tl.run_to(end);
    const double run_ms = ms_since(t0);
    if (arrivals)
      fmt::print("replayed to the end with snapshots in {:.0f} ms ({:.0f} MIPS); {} snapshots kept, {:.1f} MiB\n",
                 run_ms, end / run_ms / 1e3, tl.snapshot_count(), tl.snapshot_bytes() / 1048576.0);
    std::mt19937_64 rng(1);
    std::vector<double> seek_ms, back_ms;
    std::vector<uint64_t> seek_dist, back_dist;
    auto distance = [&](uint64_t t) { return t - tl.snapshot_icount(tl.snapshot_at_or_before(t)); };
    for (int i = 0; i < o.seeks; ++i) {
      const uint64_t t = 1 + rng() % end;
      seek_dist.push_back(distance(t));
      t0 = Clock::now();
      if (tl.seek(t) != Timeline::SeekResult::kOk) return fmt::print(stderr, "seek to {} failed\n", t), 1;
      seek_ms.push_back(ms_since(t0));
      back_dist.push_back(distance(t - 1));
      t0 = Clock::now();
      tl.step_back();
      back_ms.push_back(ms_since(t0));
    }
    if (arrivals) {
      report("seek", seek_ms, seek_dist);
      report("step_back after seek", back_ms, back_dist);
    } else {
      report("first step_back", back_ms, back_dist);
      fmt::print("  bound: one interval of replay, {:.0f} ms at {:.0f} MIPS\n", o.interval / mips / 1e3, mips);
    }
    if (tl.diverged()) return fmt::print(stderr, "replay diverged\n"), 1;
  }

  // A reverse search across the whole history: a breakpoint that is never hit.
  {
    auto s = replay(path, {.interval = o.interval});
    Timeline& tl = *s->timeline();
    tl.run_to(end);
    s->machine().debugger().add_breakpoint(0xFFFF'FFFF'FFFF'F000ull);
    t0 = Clock::now();
    const ReverseStop stop = tl.reverse_continue();
    const double rc_ms = ms_since(t0);
    if (stop.kind != ReverseStop::Kind::kHistoryBegin || tl.now() != 0)
      return fmt::print(stderr, "the reverse search stopped at {}\n", tl.now()), 1;
    fmt::print("reverse_continue across {} instructions: {:.0f} ms, {:.2f}x a straight replay ({:.0f} ms)\n", end, rc_ms,
               rc_ms / plain_ms, plain_ms);
    // The same search in the gdb stub's steps (2^21 instructions each): between two, the stub
    // looks at its connection, so the longest step bounds how long ^C waits.
    tl.run_to(end);
    if (tl.seek(end) != Timeline::SeekResult::kOk) return fmt::print(stderr, "seek to the end failed\n"), 1;
    std::vector<double> step_ms;
    tl.begin_reverse_continue();
    for (;;) {
      t0 = Clock::now();
      const std::optional<ReverseStop> found = tl.reverse_continue_step(uint64_t{1} << 21);
      step_ms.push_back(ms_since(t0));
      if (found) break;
    }
    fmt::print("  in steps of 2^21 instructions: {} steps, median {:.1f} ms, max {:.1f} ms (the ^C latency bound)\n",
               step_ms.size(), percentile(step_ms, 0.5), percentile(step_ms, 1.0));
  }
  return 0;
}
