// Record and replay wired to a whole machine: which device events are journaled, how
// they come back, and the checks at the end. The command line builds the machine;
// these attach to its seams (the disks' completion source, the serial input, the UART
// output) and to nothing else.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "cpu/registers.h"
#include "journal/checksum.h"
#include "journal/recorder.h"
#include "journal/recording_file.h"
#include "journal/replayer.h"

namespace rw {
class Machine;
class SerialInput;
struct RunResult;
namespace block {
class Disks;
struct HostJob;
}
}  // namespace rw

namespace rw::journal {

inline constexpr uint64_t kDefaultDigestInterval = 10'000'000;

// Where a replay hands the journaled events of this machine: block completions to the
// disks (through their completion source, which counts them for --stats, or straight to
// the device: a live run replaying its own past counts each request once, when the host
// did it), serial bytes to the UART, idle wakes nowhere (they only mark where the machine
// woke), a debugger's writes to the machine (a write it cannot take is a divergence). The
// one wiring of a replay, for ReplaySession and a live run's past alike.
void wire_deliveries(Replayer& replayer, Machine& machine, block::Disks* disks, bool through_completion_source);

class RecordingSession {
 public:
  // `path` empty: keep the events in memory only.
  // To a file, the images the header names are hashed beside the run (journal/image_hasher.h)
  // and their hashes written when known; the header's are not looked at.
  RecordingSession(Machine& machine, const RecordingHeader& header, const std::string& path, block::Disks* disks,
                   SerialInput* serial);
  ~RecordingSession();
  // Writes the end record: the recording is complete (waits for the image hashes).
  void finish(const RunResult& result, int exit_status);
  // After finish(): the images that could not be hashed, one line each.
  std::vector<std::string> image_hash_problems() const;
  const Recorder& recorder() const { return *recorder_; }
  uint64_t bytes_written() const { return file_ ? file_->bytes_written() : 0; }
  uint64_t snapshot_bytes_written() const { return file_ ? file_->snapshot_bytes_written() : 0; }
  // A snapshot into the recording file (RecordingWriter::append_snapshot; nothing without a
  // file). Its `cursor` counts the events journaled before it.
  void store_snapshot(uint64_t icount, uint64_t cursor, const std::string& payload) {
    if (file_) file_->append_snapshot(icount, cursor, payload);
  }

  // A debugger's write while running live (not parked): made on the machine and journaled at
  // the current instruction count (journal/debugger_write.h), after the events delivered
  // there, so that a replay makes it where a run to this instruction count has delivered
  // them. Memory is guest-virtual, journaled as the physical pages it lands in. False, and
  // nothing changed or journaled: parked; a byte not mapped to RAM; a register the CPU does
  // not take; or the machine is past a delivery at this boundary (an interrupt's or
  // exception's frame is made after a replay delivers the events here, so a write made after
  // it could not be put back in its place).
  bool debugger_write_memory(uint64_t addr, std::span<const uint8_t> bytes);
  bool debugger_write_register(cpu::Reg reg, uint64_t value);

  // Going into the run's own past (timeline/, docs/timeline.md): the machine is at the
  // frontier, the instruction count the live run has reached. park() detaches the live
  // inputs from the machine: the disks' completion source (finished host requests wait in
  // the backend), the serial input (its reader keeps queueing) and the recorder (nothing is
  // journaled in the past); stashes the disks' requests in flight (they keep running on
  // the host threads), stops new requests from reaching the host, pauses the journal's
  // observers and the serial output hash, and attaches a replayer over the recorded events,
  // at their end. The caller then restores snapshots and sets the replayer's position.
  Replayer& park();
  // Back at the frontier, in the state park() left (a replay up to it): the replayer
  // detached, the stashed requests back in place of their restored copies, host I/O, the
  // live inputs and the observers as before; the run goes on live. False when the replay
  // did not end as the run did (the replayer then says why, as a divergence): still parked.
  bool unpark();
  bool parked() const { return parked_; }
  // Running live: Machine::run returns (kRequested) at the boundary where a disk completion
  // or serial byte was delivered and journaled, before any instruction after it.
  void set_stop_at_deliveries(bool on) { stop_at_deliveries_ = on; }
  // While parked: where the live run is.
  uint64_t frontier() const { return frontier_; }
  Replayer* replayer() { return replayer_.get(); }

 private:
  Machine& machine_;
  block::Disks* disks_;
  SerialInput* serial_;
  std::unique_ptr<RecordingWriter> file_;
  std::unique_ptr<Recorder> recorder_;
  StreamHash serial_hash_;
  bool parked_ = false;
  bool stop_at_deliveries_ = false;
  uint64_t frontier_ = 0;
  std::unique_ptr<Replayer> replayer_;  // made on the first park
  std::vector<std::map<uint32_t, std::shared_ptr<block::HostJob>>> stashed_jobs_;  // per ATA position
};

class ReplaySession {
 public:
  ReplaySession(Machine& machine, const Recording& recording, block::Disks* disks);
  ~ReplaySession();
  Replayer& replayer() { return *replayer_; }
  const Recording& recording() const { return recording_; }
  // After the run: how it compares with the recorded end (empty: identical).
  std::vector<std::string> compare_end(const RunResult& result, int exit_status);

 private:
  Machine& machine_;
  const Recording& recording_;
  std::unique_ptr<Replayer> replayer_;
  StreamHash serial_hash_;  // the recording's algorithm
};

}  // namespace rw::journal
