// Record and replay wired to a whole machine: which device events are journaled, how
// they come back, and the checks at the end. The command line builds the machine;
// these attach to its seams (the disks' completion source, the serial input, the UART
// output) and to nothing else.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

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
}
}  // namespace rw

namespace rw::journal {

inline constexpr uint64_t kDefaultDigestInterval = 10'000'000;

class RecordingSession {
 public:
  // `path` empty: keep the events in memory only.
  RecordingSession(Machine& machine, const RecordingHeader& header, const std::string& path, block::Disks* disks,
                   SerialInput* serial);
  ~RecordingSession();
  // Writes the end record: the recording is complete.
  void finish(const RunResult& result, int exit_status);
  const Recorder& recorder() const { return *recorder_; }
  uint64_t bytes_written() const { return file_ ? file_->bytes_written() : 0; }

 private:
  Machine& machine_;
  std::unique_ptr<RecordingWriter> file_;
  std::unique_ptr<Recorder> recorder_;
  ContentHash serial_hash_;
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
  ContentHash serial_hash_;
};

}  // namespace rw::journal
