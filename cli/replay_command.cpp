#include "cli/replay_command.h"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <stdexcept>

#include "block/base_image.h"
#include "cli/disk_options.h"
#include "cli/exit_codes.h"
#include "cli/outcome.h"
#include "journal/checksum.h"
#include "journal/recording_error.h"
#include "journal/recording_file.h"
#include "journal/sessions.h"
#include "loader/load_error.h"
#include "loader/multiboot_loader.h"
#include "machine/machine.h"
#include "stub/replay_target.h"
#include "stub/server.h"
#include "timeline/timeline.h"

namespace rw::cli {
namespace {

// Refuses images that cannot be read (kExitBadImage, as `run` would) or are not the
// recorded ones (kExitReplayMismatch, unless forced). Returns 0 if the image will do,
// else the exit status after printing why.
int check_image(const journal::ImageInfo& recorded, const char* what, bool force) {
  if (recorded.path.empty() || recorded.hash == 0) return 0;
  uint64_t hash;
  try {
    hash = journal::hash_file(recorded.path);
  } catch (const journal::RecordingError& e) {
    fmt::print(stderr, "rewind: error: cannot read the recorded {} image for replay: {}\n", what, e.what());
    return kExitBadImage;
  }
  if (hash == recorded.hash) return 0;
  if (force) {
    fmt::print(stderr, "rewind: warning: {} {} differs from the recorded one; replaying anyway (--force)\n", what,
               recorded.path);
    return 0;
  }
  fmt::print(stderr, "rewind: error: {} {} is not the one recorded (content hash {:016x}, recorded {:016x}); "
                     "use --force to replay anyway\n",
             what, recorded.path, hash, recorded.hash);
  return kExitReplayMismatch;
}

void show_progress(uint64_t now, uint64_t total, bool done) {
  const double f = total ? std::min(1.0, double(now) / double(total)) : 1.0;
  const int width = 40;
  const int filled = static_cast<int>(f * width);
  fmt::print(stderr, "\rreplaying [{:<{}}] {:>5.1f}%  {} / {} instructions{}", std::string(filled, '#'), width,
             f * 100.0, now, total, done ? "\n" : "");
  std::fflush(stderr);
}

}  // namespace

int replay_command(const ReplayOptions& options) {
  journal::Recording rec;
  try {
    rec = journal::read_recording(options.recording);
  } catch (const journal::RecordingError& e) {
    fmt::print(stderr, "rewind: error: {}\n", e.what());
    return kExitBadRecording;
  }
  if (!rec.end) {
    fmt::print(stderr, "rewind: warning: {}: the recording was cut short; {} events recovered{}\n", options.recording,
               rec.events.size(), rec.damage.empty() ? "" : " (" + rec.damage + ")");
  } else if (!rec.damage.empty()) {
    fmt::print(stderr, "rewind: warning: {}: {}\n", options.recording, rec.damage);
  }
  const journal::RecordingHeader& h = rec.header;
  if (h.memory_bytes < (2u << 20) || h.memory_bytes > (3ull << 30) || h.disks.size() > 4) {
    fmt::print(stderr, "rewind: error: {}: implausible machine configuration in the header\n", options.recording);
    return kExitBadRecording;
  }
  if (int status = check_image(h.guest, "guest", options.force)) return status;
  DiskOptions disks;
  for (size_t i = 0; i < h.disks.size(); ++i) {
    if (int status = check_image(h.disks[i], "disk", options.force)) return status;
    disks.positions[i] = h.disks[i].path;
  }

  OwnedFile serial_file;
  FILE* serial = open_serial_output(options.serial, serial_file);
  if (!serial) return kExitUsage;

  MachineConfig config;
  config.memory_bytes = h.memory_bytes;
  config.serial_out = serial;
  config.rtc_base_unix_seconds = h.rtc_base_unix_seconds;
  Machine machine(config);
  bool is64 = false;
  try {
    loader::BootImage boot = loader::load_multiboot_file(machine.memory(), h.guest.path, h.append);
    machine.enter_multiboot(boot.entry, boot.multiboot_info);
    is64 = boot.format == loader::ImageFormat::kElf64;
    attach_disks(machine, disks, /*host_io=*/false);
  } catch (const LoadError& e) {
    fmt::print(stderr, "rewind: error: {}\n", e.what());
    return kExitBadImage;
  } catch (const block::ImageError& e) {
    fmt::print(stderr, "rewind: error: {}\n", e.what());
    return kExitBadImage;
  }

  journal::ReplaySession session(machine, rec, machine.disks());
  const uint64_t last_event = rec.events.empty() ? 0 : rec.events.back().icount;
  const uint64_t total = rec.end ? rec.end->final_icount : last_event;
  // A complete recording ends by itself (or at the instruction limit it was recorded with:
  // status 14, which no guest exit can have); one cut short ends where its events end.
  const bool ended_at_limit = rec.end && rec.end->exit_status == kExitInstructionLimit;
  const uint64_t stop_at = rec.end ? (ended_at_limit ? total : total + 1) : last_event;
  if (!options.gdb.empty()) {
    // gdb over the replay, through a timeline (reverse execution). Forward execution ends
    // where the recording ends; the exit status is the recorded one.
    TimelineOptions timeline_options;
    timeline_options.interval = options.snapshot_interval ? options.snapshot_interval : ~uint64_t{0};
    timeline_options.budget_bytes = options.snapshot_memory;
    std::optional<Timeline> made;
    try {
      made.emplace(machine, session, timeline_options);
    } catch (const std::invalid_argument& e) {
      fmt::print(stderr, "rewind: error: --snapshot-memory: {}\n", e.what());
      return kExitUsage;
    }
    Timeline& timeline = *made;
    const int recorded_status = rec.end ? rec.end->exit_status : kExitRecordingCutShort;
    stub::ReplayTarget target(machine, timeline, is64, stop_at,
                              [&](const RunResult& r) { return rec.end ? recorded_status : exit_status_for(r); });
    stub::ServeResult served;
    if (!serve_gdb(target, options.gdb, options.wait_gdb, served)) return kExitGdbListen;
    RunResult result;
    switch (served.kind) {
      case stub::ServeResult::Kind::kKilled:
        fmt::print(stderr, "rewind: killed by the debugger\n");
        return kExitKilled;
      case stub::ServeResult::Kind::kEnded: result = target.final_result(); break;
      case stub::ServeResult::Kind::kDetached:
        // The replay goes on, from wherever gdb left it, to the recorded end.
        result.reason = cpu::StopReason::kTarget;
        while (machine.cpu().icount < stop_at) {
          result = machine.run(stop_at);
          if (result.reason != cpu::StopReason::kTarget) break;
        }
        break;
    }
    machine.flush_output();
    if (session.replayer().diverged()) {
      fmt::print(stderr, "rewind: replay diverged from the recording:\n");
      for (const std::string& line : session.replayer().divergence()) fmt::print(stderr, "rewind:   {}\n", line);
      return kExitDivergence;
    }
    if (result.reason != cpu::StopReason::kExit && !result.message.empty())
      fmt::print(stderr, "rewind: {}\n", result.message);
    return rec.end ? recorded_status : kExitRecordingCutShort;
  }
  const bool progress = options.progress && isatty(STDERR_FILENO);
  const auto start = std::chrono::steady_clock::now();
  auto last_draw = start;
  RunResult result;
  for (;;) {
    const uint64_t now = machine.cpu().icount;
    if (now >= stop_at) {
      result.reason = cpu::StopReason::kTarget;
      result.message = fmt::format("instruction limit reached ({} instructions)", now);
      break;
    }
    result = machine.run(std::min(stop_at, now + (uint64_t{1} << 26)));
    if (progress && std::chrono::steady_clock::now() - last_draw > std::chrono::milliseconds(200)) {
      show_progress(machine.cpu().icount, total, false);
      last_draw = std::chrono::steady_clock::now();
    }
    if (result.reason != cpu::StopReason::kTarget) break;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (progress) show_progress(machine.cpu().icount, total, true);
  machine.flush_output();

  journal::Replayer& replayer = session.replayer();
  if (replayer.diverged()) {
    fmt::print(stderr, "rewind: replay diverged from the recording:\n");
    for (const std::string& line : replayer.divergence()) fmt::print(stderr, "rewind:   {}\n", line);
    return kExitDivergence;
  }
  if (options.stats) {
    fmt::print(stderr, "rewind: stats: instructions replayed: {}\n", machine.cpu().icount);
    fmt::print(stderr, "rewind: stats: wall time: {:.3f} s\n", seconds);
    fmt::print(stderr, "rewind: stats: speed: {:.1f} MIPS\n", seconds > 0 ? machine.cpu().icount / seconds / 1e6 : 0.0);
    fmt::print(stderr, "rewind: stats: events delivered: {}, state digests checked: {}\n", replayer.events_replayed(),
               replayer.digests_checked());
  }
  if (!rec.end) {
    fmt::print(stderr, "rewind: replayed the recovered part of a recording that was cut short: {} of {} events, up "
                       "to instruction {}\n",
               replayer.events_replayed(), rec.events.size(), machine.cpu().icount);
    return kExitRecordingCutShort;
  }
  const int status = exit_status_for(result);
  const bool overran = result.reason == cpu::StopReason::kTarget && !ended_at_limit;
  if (!replayer.finished() || overran) {
    fmt::print(stderr, "rewind: replay diverged from the recording:\n");
    if (!replayer.finished())
      fmt::print(stderr, "rewind:   the run ended with {} recorded events not delivered\n",
                 rec.events.size() - replayer.events_replayed());
    if (overran)
      fmt::print(stderr, "rewind:   the guest did not stop at instruction {} as recorded\n", total);
    return kExitDivergence;
  }
  std::vector<std::string> diffs = session.compare_end(result, status);
  if (!diffs.empty()) {
    fmt::print(stderr, "rewind: replay diverged from the recording:\n");
    for (const std::string& line : diffs) fmt::print(stderr, "rewind:   {}\n", line);
    return kExitDivergence;
  }
  if (result.reason != cpu::StopReason::kExit) fmt::print(stderr, "rewind: {}\n", result.message);
  return status;
}

}  // namespace rw::cli
