// Snapshots stored in recordings, and trim (docs/PERFORMANCE.md, "Snapshots in recordings and trim").
//
//   stored_snapshots_bench GUEST.elf [--append ARGS] [--instructions N] [--interval N] [--seeks N]
//                          [--window N] [--trims N] [--output FILE]
//
// Records the guest as `rewind record --snapshots --snapshot-interval N` does (a live session
// to a file, default 10,000,000,000 instructions, a snapshot stored every --interval, default
// 20,000,000), then, as `rewind replay FILE --gdb` starts:
//   - the file's size, and what its stored snapshots take;
//   - the session's start (reading the file, loading its snapshots);
//   - seek() to random points of the whole recording, each from a fresh session (nothing run
//     before: the situation of a user who starts the replay and seeks) and in one session
//     one after the other: mean, median, p90 and max;
//   - trim_recording() of random windows of --window instructions (default 100,000,000):
//     time and output size.
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

#include "session/session.h"
#include "session/trim.h"
#include "timeline/timeline.h"

using namespace rw;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

struct Options {
  std::string guest;
  std::string append;
  std::string output;
  uint64_t instructions = 10'000'000'000;
  uint64_t interval = 20'000'000;
  uint64_t window = 100'000'000;
  int seeks = 30;
  int trims = 5;
};

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

void report(const char* what, const std::vector<double>& ms) {
  double sum = 0;
  for (double v : ms) sum += v;
  fmt::print("{:<34} n={:<3} mean {:7.1f}  median {:7.1f}  p90 {:7.1f}  max {:7.1f} ms\n", what, ms.size(),
             sum / static_cast<double>(ms.size()), percentile(ms, 0.5), percentile(ms, 0.9), percentile(ms, 1.0));
}

std::unique_ptr<session::Session> replay(const std::string& path) {
  session::ReplaySpec spec;
  spec.recording = path;
  spec.serial_out = nullptr;
  return session::Session::replay(spec);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--append") o.append = next();
    else if (a == "--instructions") o.instructions = std::stoull(next());
    else if (a == "--interval") o.interval = std::stoull(next());
    else if (a == "--seeks") o.seeks = std::stoi(next());
    else if (a == "--window") o.window = std::stoull(next());
    else if (a == "--trims") o.trims = std::stoi(next());
    else if (a == "--output") o.output = next();
    else o.guest = a;
  }
  if (o.guest.empty()) {
    fmt::print(stderr, "usage: stored_snapshots_bench GUEST.elf [--append ARGS] [--instructions N] [--interval N] "
                       "[--seeks N] [--window N] [--trims N] [--output FILE]\n");
    return 2;
  }
  const std::string dir = std::filesystem::temp_directory_path() / ("rewind-stored-bench-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = o.output.empty() ? dir + "/long.rwd" : o.output;

  // Record, storing a snapshot every interval.
  uint64_t end = 0;
  {
    session::LiveSpec spec;
    spec.guest = o.guest;
    spec.append = o.append;
    spec.memory_bytes = 32ull << 20;
    spec.serial_out = nullptr;
    spec.serial_in = "none";
    spec.max_instructions = o.instructions;
    spec.record_path = path;
    spec.host_time_unix_seconds = 1'700'000'000;
    spec.snapshots.interval = o.interval;
    spec.snapshots.store_in_recording = true;
    auto s = session::Session::live(spec);
    const auto t0 = Clock::now();
    const RunResult r = s->run_to_end();
    const double ms = ms_since(t0);
    end = s->machine().cpu().icount;
    s->finish(r, true);
    fmt::print("recorded {} instructions in {:.1f} s ({:.0f} MIPS), a snapshot stored every {} M: {} stored, file {:.2f} "
               "MiB ({:.2f} MiB of it snapshots)\n",
               end, ms / 1e3, end / ms / 1e3, o.interval / 1e6, s->timeline()->snapshots_stored(),
               std::filesystem::file_size(path) / 1048576.0, s->recording_snapshot_bytes_written() / 1048576.0);
  }

  // Starting a replay: reading the file and loading its snapshots.
  std::vector<double> start_ms;
  for (int i = 0; i < 3; ++i) {
    const auto t0 = Clock::now();
    auto s = replay(path);
    start_ms.push_back(ms_since(t0));
    if (i == 0)
      fmt::print("replay session: {} snapshots loaded, {:.1f} MiB in memory\n", s->timeline()->snapshots_loaded(),
                 s->timeline()->snapshot_bytes() / 1048576.0);
  }
  report("replay start (read + load)", start_ms);

  // Seeks to random points: each from a fresh session, then one after the other in one.
  std::mt19937_64 rng(11);
  std::vector<double> fresh_ms, chained_ms;
  for (int i = 0; i < o.seeks; ++i) {
    auto s = replay(path);
    const uint64_t target = rng() % (end + 1);
    const auto t0 = Clock::now();
    if (s->timeline()->seek(target) != Timeline::SeekResult::kOk) {
      fmt::print(stderr, "seek to {} failed\n", target);
      return 1;
    }
    fresh_ms.push_back(ms_since(t0));
  }
  report("seek, fresh session", fresh_ms);
  {
    auto s = replay(path);
    for (int i = 0; i < o.seeks; ++i) {
      const uint64_t target = rng() % (end + 1);
      const auto t0 = Clock::now();
      if (s->timeline()->seek(target) != Timeline::SeekResult::kOk) return 1;
      chained_ms.push_back(ms_since(t0));
    }
  }
  report("seek, one session", chained_ms);

  // Trim: random windows.
  std::vector<double> trim_ms;
  uint64_t trim_bytes = 0;
  for (int i = 0; i < o.trims && o.window < end; ++i) {
    session::TrimSpec spec;
    spec.recording = path;
    spec.output = dir + "/window.rwd";
    spec.from = rng() % (end - o.window);
    spec.to = spec.from + o.window;
    const auto t0 = Clock::now();
    const session::TrimResult r = session::trim_recording(spec);
    trim_ms.push_back(ms_since(t0));
    trim_bytes += r.bytes;
  }
  if (!trim_ms.empty()) {
    report("trim of a window", trim_ms);
    fmt::print("trimmed windows of {} M instructions: {:.1f} KiB each on average (the start snapshot and the "
               "window's events)\n",
               o.window / 1e6, trim_bytes / 1024.0 / static_cast<double>(trim_ms.size()));
  }
  if (o.output.empty()) std::filesystem::remove_all(dir);
  return 0;
}
