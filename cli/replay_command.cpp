#include "cli/replay_command.h"

#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <stdexcept>

#include "cli/outcome.h"
#include "cli/serve.h"
#include "journal/recording_file.h"
#include "journal/replayer.h"
#include "session/exit_codes.h"

namespace rw::cli {
namespace {

void show_progress(uint64_t now, uint64_t total, bool done) {
  const double f = total ? std::min(1.0, double(now) / double(total)) : 1.0;
  const int width = 40;
  const int filled = static_cast<int>(f * width);
  fmt::print(stderr, "\rreplaying [{:<{}}] {:>5.1f}%  {} / {} instructions{}", std::string(filled, '#'), width,
             f * 100.0, now, total, done ? "\n" : "");
  std::fflush(stderr);
}

int replay(const ReplayOptions& options, FILE* serial) {
  session::ReplaySpec spec = options.replay;
  spec.serial_out = serial;
  std::unique_ptr<session::Session> s;
  try {
    s = session::Session::replay(spec);
  } catch (const session::SessionError& e) {
    fmt::print(stderr, "rewind: error: {}\n", e.what());
    return e.status();
  }
  for (const std::string& line : s->warnings()) fmt::print(stderr, "rewind: warning: {}\n", line);

  const auto start = std::chrono::steady_clock::now();
  RunResult result;
  const bool served = !options.gdb.empty() || !options.web.empty();
  bool interrupted = false;
  if (served) {
    // Forward execution ends where the recording ends; the exit status is the recorded one.
    // With --web alone, the replay stays at instruction 0 until the page moves it.
    ServeSpec spec;
    spec.gdb = options.gdb;
    spec.wait_gdb = options.wait_gdb;
    spec.end_stop = options.end_stop;
    spec.web = options.web;
    spec.start_running = false;
    spec.description.mode = "replay";
    spec.description.recording = options.replay.recording;
    if (const journal::Recording* rec = s->recording()) {
      spec.description.guest = rec->header.guest.path;
      for (size_t i = 0; i < rec->header.disks.size() && i < spec.description.disks.size(); ++i)
        spec.description.disks[i] = rec->header.disks[i].path;
    }
    const Served done = serve(*s, spec);
    switch (done.kind) {
      case Served::Kind::kCannotListen: return session::kExitGdbListen;
      case Served::Kind::kKilled:
        fmt::print(stderr, "rewind: killed by the debugger\n");
        return session::kExitKilled;
      case Served::Kind::kEnded: result = *done.result; break;
      // The replay goes on, from wherever gdb left it, to the recorded end.
      case Served::Kind::kDetached: result = s->run_to_end(); break;
      // Ctrl-C with --web: the user is done looking (status 0 unless the replay diverged).
      case Served::Kind::kInterrupted:
        interrupted = true;
        if (done.result) result = *done.result;
        result.reason = done.result ? result.reason : cpu::StopReason::kRequested;
        break;
    }
  } else {
    const bool progress = options.progress && isatty(STDERR_FILENO);
    auto last_draw = start;
    result = s->run_to_end([&] {
      if (!progress || std::chrono::steady_clock::now() - last_draw < std::chrono::milliseconds(200)) return;
      show_progress(s->machine().cpu().icount, s->replay_length(), false);
      last_draw = std::chrono::steady_clock::now();
    });
    if (progress) show_progress(s->machine().cpu().icount, s->replay_length(), true);
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  session::Outcome outcome = s->finish(result, /*straight=*/!served);
  if (!options.screen.empty() && !write_screen(options.screen, s->machine()) && outcome.status == 0)
    outcome.status = session::kExitUsage;
  if (!outcome.divergence.empty()) {
    fmt::print(stderr, "rewind: replay diverged from the recording:\n");
    for (const std::string& line : outcome.divergence) fmt::print(stderr, "rewind:   {}\n", line);
    return outcome.status;
  }
  if (interrupted) {
    outcome.status = 0;
    outcome.notes.clear();
    result.message.clear();
  }
  if (options.stats) {
    const uint64_t n = s->machine().cpu().icount;
    const journal::Replayer& replayer = *s->replayer();
    fmt::print(stderr, "rewind: stats: instructions replayed: {}\n", n);
    fmt::print(stderr, "rewind: stats: wall time: {:.3f} s\n", seconds);
    fmt::print(stderr, "rewind: stats: speed: {:.1f} MIPS\n", seconds > 0 ? n / seconds / 1e6 : 0.0);
    fmt::print(stderr, "rewind: stats: events delivered: {}, state digests checked: {}\n", replayer.events_replayed(),
               replayer.digests_checked());
    const Timeline& t = *s->timeline();
    fmt::print(stderr, "rewind: stats: snapshots: {} kept ({:.1f} MiB), {} taken, {} loaded from the recording\n",
               t.snapshot_count(), t.snapshot_bytes() / 1048576.0, t.snapshots_taken(), t.snapshots_loaded());
    fmt::print(stderr, "rewind: stats: final state digest: {:016x}\n", s->replayer()->digest_now().combined());
    print_device_stats(s->machine());
  }
  for (const std::string& line : outcome.notes) fmt::print(stderr, "rewind: {}\n", line);
  if (outcome.notes.empty() && result.reason != cpu::StopReason::kExit && !result.message.empty())
    fmt::print(stderr, "rewind: {}\n", result.message);
  return outcome.status;
}

}  // namespace

int replay_command(const ReplayOptions& options) {
  OwnedFile serial_file;
  if (!options.screen.empty() && !screen_output_ok(options.screen)) return session::kExitUsage;
  FILE* serial = open_serial_output(options.serial, serial_file);
  if (!serial) return session::kExitUsage;
  return run_guarded([&] { return replay(options, serial); });
}

}  // namespace rw::cli
