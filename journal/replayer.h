// The replaying half of the record/replay layer: hands each journaled event to its
// device at exactly the instruction count where the recording saw it, without asking
// the host, and checks the journaled state digests. The first difference stops the
// machine with a report instead of letting the run go on in a different world.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/external_source.h"
#include "journal/recording_file.h"
#include "journal/state_hash.h"

namespace rw {
class Machine;
}

namespace rw::journal {

class Replayer : public ExternalSource {
 public:
  using Deliver = std::function<void(const Event& event)>;

  // `algorithm`: the recording's (hash_algorithm_for its version), for the digests.
  Replayer(Machine& machine, const std::vector<Event>& events, HashAlgorithm algorithm = HashAlgorithm::kXxh3);
  // Where events of one kind go (block completions to the disks, bytes to the UART).
  void on(EventKind kind, Deliver deliver) { deliverers_[static_cast<size_t>(kind)] = std::move(deliver); }

  // A live run's history goes on after its last event up to the frontier, the guest perhaps
  // idling in HLT with nothing journaled: the replay may idle up to there too. (A recording
  // ends with an event of its own, its final digest.)
  void set_history_end(uint64_t icount) { history_end_ = icount; }

  void poll(uint64_t now) override;
  uint64_t next_deadline() const override;
  bool busy() const override { return false; }

  bool diverged() const { return !divergence_.empty(); }
  // Something above the replayer found the replay no longer follows the recording (a live
  // run's replay that does not end as the run did): reported as a divergence, and the
  // machine stops.
  void diverge(std::vector<std::string> what);
  // The first difference: where, and what (one line each).
  const std::vector<std::string>& divergence() const { return divergence_; }
  uint64_t events_replayed() const { return cursor_; }
  uint64_t digests_checked() const { return digests_checked_; }
  bool finished() const { return cursor_ == events_.size(); }
  StateDigest digest_now() { return hasher_.digest(); }

  // Where the replay is in the recording: with a MachineState, a snapshot of the replay
  // (timeline/). Restoring a position also forgets a divergence.
  //
  // The state hasher is deliberately not part of it and needs no re-baseline after
  // Machine::restore_state(): its per-page hashes describe memory as it was at the last
  // digest of this machine, and every page written since then carries a newer write epoch,
  // including each page restore_state() changes (it marks them written). So the next digest
  // rehashes exactly the pages that may differ from the hashes kept, and a restored
  // machine's digests equal those of a straight run; digest checks go on as before, from
  // the first digest point after the restored position. (Only the diagnostic list of
  // "pages written since the last digest" differs after a seek; the combined hash that is
  // compared does not depend on it.)
  struct Position {
    size_t cursor = 0;  // the next event to deliver
    uint64_t digests_checked = 0;
    bool operator==(const Position&) const = default;
  };
  Position position() const { return {cursor_, digests_checked_}; }
  void set_position(const Position& p);

 private:
  Machine& machine_;
  const std::vector<Event>& events_;
  size_t cursor_ = 0;
  Deliver deliverers_[kEventKinds];
  HashAlgorithm algorithm_;
  StateHasher hasher_;
  uint64_t digests_checked_ = 0;
  uint64_t history_end_ = ~uint64_t{0};
  std::vector<std::string> divergence_;
};

}  // namespace rw::journal
