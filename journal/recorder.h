// The recording half of the record/replay layer. The delivery observers that
// RecordingSession (sessions.cpp) sets on the disks' completion source and on the serial
// input call record() for every event delivered to the guest, and the recorder journals
// an idle wake-up itself; it also journals a state digest every `digest_interval`
// instructions. Events stay in memory (time travel replays from them) and, when a
// file is given, are appended to it as the run goes.
#pragma once

#include <cstdint>
#include <vector>

#include "core/external_source.h"
#include "journal/recording_file.h"
#include "journal/state_hash.h"

namespace rw {
class Machine;
}

namespace rw::journal {

class Recorder : public ExternalSource {
 public:
  // `algorithm` makes the digests: a recording file's is its version's (a live run's,
  // always the current one; tests write older versions).
  Recorder(Machine& machine, uint64_t digest_interval, RecordingWriter* file,
           HashAlgorithm algorithm = HashAlgorithm::kXxh3);

  void record(EventKind kind, uint8_t device, uint64_t id, int32_t status);
  // An event made whole elsewhere (a debugger's write), at the current instruction count.
  void record(Event e);
  // A disk request's start, at `icount` (the instruction that issued it): the request index.
  void record_request(const RequestStart& request);
  // The output index (recording_format.h): a byte the guest wrote to the serial port, an
  // exception or interrupt its CPU took. Past the index's bounds, marks it full instead.
  void record_serial(uint64_t icount, uint8_t byte);
  void record_cpu_event(const CpuEvent& event);
  const OutputIndex& outputs() const { return outputs_; }
  const std::vector<Event>& events() const { return events_; }
  const std::vector<RequestStart>& requests() const { return requests_; }
  uint64_t digests() const { return digests_; }
  // Journals a full digest of the machine now (at the end of a run: replay checks it
  // where the run ended, so a difference found there is reported in detail) and returns it.
  StateDigest record_digest();

  // ExternalSource: state digests land on exact instruction counts.
  void poll(uint64_t now) override;
  uint64_t next_deadline() const override { return next_digest_; }
  bool busy() const override { return false; }
  void idle_advanced(uint64_t now) override { record(EventKind::kIdleWake, 0, 0, 0); }

 private:
  void append(Event e);
  Machine& machine_;
  uint64_t interval_;
  uint64_t next_digest_;
  RecordingWriter* file_;
  StateHasher hasher_;
  std::vector<Event> events_;
  std::vector<RequestStart> requests_;
  OutputIndex outputs_;
  uint64_t digests_ = 0;
};

}  // namespace rw::journal
