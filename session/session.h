// A session: one machine and its history, built the same way for `rewind run`, `record`
// and `replay`. It owns the machine, the journal (recording or replaying), the timeline
// and the outcome; the gdb stub and the web timeline are its clients, and the command
// line only turns options into a spec and prints what the session reports.
//
//   live:      the guest runs with real host I/O and is recorded as it goes (in memory, or
//              to a file for `record`), unless --no-record; forward execution takes
//              snapshots through a live timeline, which also goes back over the run and
//              forward again to where it goes on live (docs/timeline.md).
//   replaying: a recording file runs again exactly; the timeline over it travels in time.
#pragma once

#include <array>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "journal/recording_file.h"
#include "machine/machine.h"
#include "session/serial_in.h"
#include "timeline/timeline.h"

namespace rw::journal {
class RecordingSession;
class ReplaySession;
class Recorder;
class Replayer;
}  // namespace rw::journal

namespace rw::session {

// The disks of a live run: a raw image per ATA position, and what happens at the end.
struct DiskSpec {
  std::array<std::string, 4> positions;  // image path per position ("" = none)
  std::string io_faults;                 // host I/O fault injection (block/fault_spec.h), checked already
  bool writeback = false;                // write the guest's writes back into the images
  std::vector<std::string> save;         // save each disk, in position order, to these files
};

struct LiveSpec {
  std::string guest;   // the Multiboot kernel image
  std::string append;  // its command line after the path
  uint64_t memory_bytes = 128ull << 20;
  FILE* serial_out = stdout;        // COM1 output
  std::string serial_in = "stdin";  // what COM1 receives: "stdin", "none" or a file
  uint64_t max_instructions = 0;    // 0: no limit
  DiskSpec disks;
  bool record = true;        // journal the run (in memory unless record_path)
  std::string record_path;   // the recording file of `rewind record`
  // The host's clock when the run starts, its one read of the wall clock: the guest's RTC
  // starts there, and the recording says when it was made.
  int64_t host_time_unix_seconds = 0;
  TimelineOptions snapshots;
};

struct ReplaySpec {
  std::string recording;  // the file
  FILE* serial_out = stdout;
  bool force = false;  // replay even if the guest or disk images are not the recorded ones
  TimelineOptions snapshots;
};

// Why a session could not be set up: one line for the user, and the exit status
// (session/exit_codes.h).
class SessionError : public std::runtime_error {
 public:
  SessionError(int status, const std::string& message) : std::runtime_error(message), status_(status) {}
  int status() const { return status_; }

 private:
  int status_;
};

// How a session ended, for the user.
struct Outcome {
  int status = 0;                       // the process exit status
  std::vector<std::string> divergence;  // replaying: how the run differs from the recording
  std::vector<std::string> errors;      // what went wrong at the end (saving disks, the recording file)
  std::vector<std::string> warnings;    // what the user should know (an image the recording could not hash)
  std::vector<std::string> notes;       // other lines to show
};

class Session {
 public:
  // Both throw SessionError. Neither runs an instruction.
  static std::unique_ptr<Session> live(const LiveSpec& spec);
  static std::unique_ptr<Session> replay(const ReplaySpec& spec);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  Machine& machine() { return *machine_; }
  bool is64() const { return is64_; }
  bool replaying() const { return replay_ != nullptr; }
  // Set up problems that did not stop it (a damaged recording, --force): one line each.
  const std::vector<std::string>& warnings() const { return warnings_; }
  // Replaying: the recording being replayed (its header, events and end); null live.
  const journal::Recording* recording() const { return replay_ ? &recording_file_ : nullptr; }
  // The history's owner: null for a live run that is not recorded (--no-record).
  Timeline* timeline() { return timeline_ ? &*timeline_ : nullptr; }

  // Where forward execution stops if the guest does not stop first: live, the instruction
  // limit (0: none); replaying, the recorded end.
  uint64_t end_limit() const { return end_limit_; }
  // The instructions a replay runs (its recorded length); 0 live.
  uint64_t replay_length() const { return replay_length_; }
  // Forward to `icount` at most (and to end_limit()), taking snapshots on the way.
  RunResult run_to(uint64_t icount);
  // Forward until the guest stops or end_limit(); `progress` is called every few million
  // instructions.
  RunResult run_to_end(const std::function<void()>& progress = {});
  // The exit status for how forward execution ended: replaying a complete recording, the
  // recorded one.
  int exit_status(const RunResult& result) const;

  // Ends the session after `result`. Live: the recording's end record, the disks written
  // back or saved. Replaying: the checks against the recording; `straight` when the run
  // went from 0 to its end without travelling in time, so that the serial output and the
  // final state are compared too.
  Outcome finish(const RunResult& result, bool straight);

  // For --stats.
  const journal::Recorder* recorder() const;
  uint64_t recording_bytes_written() const;
  uint64_t recording_snapshot_bytes_written() const;  // of those, in stored snapshots
  journal::Replayer* replayer();

 private:
  Session();
  void build_machine(const std::string& guest, const std::string& append, uint64_t memory_bytes, FILE* serial,
                     int64_t rtc_base, const DiskSpec& disks, bool host_io, bool keyboard_and_cga = true);
  void make_timeline(const TimelineOptions& options);

  // Destroyed last: everything below refers to it.
  std::unique_ptr<Machine> machine_;
  bool is64_ = false;
  std::vector<std::string> warnings_;
  DiskSpec disks_;
  uint64_t end_limit_ = 0;
  uint64_t replay_length_ = 0;
  // live
  SerialIn serial_in_;
  std::unique_ptr<journal::RecordingSession> recording_;
  // replaying
  journal::Recording recording_file_;
  std::unique_ptr<journal::ReplaySession> replay_;
  bool ended_at_limit_ = false;  // the recording ended at its instruction limit or its window's end
  std::optional<Timeline> timeline_;
};

// The process exit status for how a live run ended (session/exit_codes.h).
int exit_status_for(const RunResult& result);

}  // namespace rw::session
