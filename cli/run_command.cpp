#include "cli/run_command.h"

#include <fmt/format.h>

#include <signal.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "block/disks.h"
#include "cli/outcome.h"
#include "cli/serve.h"
#include "journal/recorder.h"
#include "session/exit_codes.h"

namespace rw::cli {

namespace {

void print_stats(const cpu::Cpu& cpu, std::chrono::duration<double> wall) {
  const double seconds = wall.count();
  const double mips = seconds > 0 ? static_cast<double>(cpu.icount) / seconds / 1e6 : 0.0;
  fmt::print(stderr, "rewind: stats: instructions retired: {}\n", cpu.icount);
  fmt::print(stderr, "rewind: stats: wall time: {:.3f} s\n", seconds);
  fmt::print(stderr, "rewind: stats: speed: {:.1f} MIPS\n", mips);
  fmt::print(stderr, "rewind: stats: unimplemented-opcode #UDs: {}\n", cpu.unimplemented_count);
}

void print_disk_stats(Machine& machine) {
  block::Disks* disks = machine.disks();
  if (!disks) return;
  const block::DiskStats& s = disks->source().stats();
  fmt::print(stderr, "rewind: stats: disk requests: {} ({} failed), sectors read: {}, written: {}\n", s.requests,
             s.failed, s.sectors_read, s.sectors_written);
  fmt::print(stderr, "rewind: stats: disk completion delay: mean {} instructions, max {}\n",
             s.requests ? s.delay_total / s.requests : 0, s.delay_max);
}

namespace {

std::atomic<bool> interrupted{false};

class InterruptWatch {
 public:
  explicit InterruptWatch(Machine& machine) {
    struct sigaction sa {};
    sa.sa_handler = [](int) { interrupted.store(true); };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int_);
    sigaction(SIGTERM, &sa, &old_term_);
    thread_ = std::thread([this, &machine] {
      std::unique_lock<std::mutex> lock(mutex_);
      while (!done_) {
        if (interrupted.load()) {
          machine.request_host_stop();
          return;
        }
        cv_.wait_for(lock, std::chrono::milliseconds(50));
      }
    });
  }
  ~InterruptWatch() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }
  InterruptWatch(const InterruptWatch&) = delete;
  InterruptWatch& operator=(const InterruptWatch&) = delete;

 private:
  struct sigaction old_int_ {}, old_term_ {};
  std::mutex mutex_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

}  // namespace

int run(const RunOptions& options, FILE* serial) {
  session::LiveSpec spec = options.live;
  spec.serial_out = serial;
  spec.disks = options.disks.spec;
  // The guest's clock starts at the host's time: the run's one read of the wall clock, an
  // input the recording stores.
  spec.host_time_unix_seconds = static_cast<int64_t>(std::time(nullptr));
  std::unique_ptr<session::Session> s;
  try {
    s = session::Session::live(spec);
  } catch (const session::SessionError& e) {
    fmt::print(stderr, "rewind: error: {}\n", e.what());
    return e.status();
  }

  const auto start = std::chrono::steady_clock::now();
  RunResult result;
  const bool served = !options.gdb.empty() || !options.web.empty();
  if (served) {
    // Until the guest ends, or until gdb detaches (the guest then runs on to its end, as
    // without a debugger); with --web, until Ctrl-C.
    ServeSpec spec;
    spec.gdb = options.gdb;
    spec.wait_gdb = options.wait_gdb;
    spec.end_stop = options.end_stop;
    spec.web = options.web;
    spec.description.mode = "live";
    spec.description.guest = options.live.guest;
    spec.description.recording = options.live.record_path;
    spec.description.disks = options.disks.spec.positions;
    const Served done = serve(*s, spec);
    switch (done.kind) {
      case Served::Kind::kCannotListen: return session::kExitGdbListen;
      case Served::Kind::kEnded: result = *done.result; break;
      case Served::Kind::kDetached: result = s->run_to_end(); break;
      case Served::Kind::kKilled:
        fmt::print(stderr, "rewind: killed by the debugger\n");
        return session::kExitKilled;
      case Served::Kind::kInterrupted:
        if (done.result) {
          result = *done.result;
        } else {
          // Interrupted before the guest ended: the run ends here as at an instruction limit,
          // so that its recording replays to exactly here.
          result.reason = cpu::StopReason::kTarget;
          // (Left in the run's past, the run ends at its frontier: Session::finish goes there.)
          const Timeline* t = s->timeline();
          result.message = fmt::format("interrupted (Ctrl-C) at instruction {}", t ? t->end() : s->machine().cpu().icount);
        }
        break;
    }
  } else {
    // Ctrl-C (or SIGTERM) ends the run where it is, as at an instruction limit: the recording
    // is finished and replays to exactly there. The handler only sets a flag; a watcher thread
    // tells the machine (its idle wait is a condition variable, no place for a handler).
    const InterruptWatch watch(s->machine());
    result = s->run_to_end();
  }
  const auto wall = std::chrono::steady_clock::now() - start;
  s->machine().flush_output();

  if (result.reason != cpu::StopReason::kExit) fmt::print(stderr, "rewind: {}\n", result.message);
  if (options.stats) {
    print_stats(s->machine().cpu(), wall);
    print_disk_stats(s->machine());
    print_device_stats(s->machine());
  }
  session::Outcome outcome = s->finish(result, /*straight=*/!served);
  // The screen at the end (finish leaves a run that was in its past at its frontier).
  if (!options.screen.empty() && !write_screen(options.screen, s->machine()) && outcome.status == 0)
    outcome.status = session::kExitUsage;
  if (!outcome.divergence.empty()) {
    fmt::print(stderr, "rewind: the replay of this run's past diverged from the run:\n");
    for (const std::string& line : outcome.divergence) fmt::print(stderr, "rewind:   {}\n", line);
  }
  for (const std::string& line : outcome.warnings) fmt::print(stderr, "rewind: warning: {}\n", line);
  for (const std::string& line : outcome.errors) fmt::print(stderr, "rewind: error: {}\n", line);
  if (options.stats) {
    if (const journal::Recorder* r = s->recorder())
      fmt::print(stderr, "rewind: stats: journal: {} events, {} state digests, {} bytes written ({} in {} stored snapshots)\n",
                 r->events().size(), r->digests(), s->recording_bytes_written(), s->recording_snapshot_bytes_written(),
                 s->timeline() ? s->timeline()->snapshots_stored() : 0);
    if (const Timeline* t = s->timeline())
      fmt::print(stderr, "rewind: stats: snapshots: {} kept ({:.1f} MiB), {} taken\n", t->snapshot_count(),
                 t->snapshot_bytes() / 1048576.0, t->snapshots_taken());
  }
  return outcome.status;
}

}  // namespace

int run_command(const RunOptions& options) {
  if (std::string problem = disk_save_problem(options.disks); !problem.empty()) {
    fmt::print(stderr, "rewind: error: {}\n", problem);
    return session::kExitUsage;
  }
  if (!options.screen.empty() && !screen_output_ok(options.screen)) return session::kExitUsage;
  OwnedFile serial_file;
  FILE* serial = open_serial_output(options.serial, serial_file);
  if (!serial) return session::kExitUsage;

  return run_guarded([&] { return run(options, serial); },
                     fmt::format("guest memory is {} MiB", options.live.memory_bytes >> 20));
}

}  // namespace rw::cli
