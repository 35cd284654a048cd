// The replaying half of the record/replay layer: hands each journaled event to its
// device at exactly the instruction count where the recording saw it, without asking
// the host, and checks the journaled state digests. The first difference stops the
// machine with a report instead of letting the run go on in a different world.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "journal/recording_file.h"
#include "journal/state_hash.h"
#include "machine/external_source.h"

namespace rw {
class Machine;
}

namespace rw::journal {

class Replayer : public ExternalSource {
 public:
  using Deliver = std::function<void(const Event& event)>;

  Replayer(Machine& machine, const std::vector<Event>& events);
  // Where events of one kind go (block completions to the disks, bytes to the UART).
  void on(EventKind kind, Deliver deliver) { deliverers_[static_cast<size_t>(kind)] = std::move(deliver); }

  void poll(uint64_t now) override;
  uint64_t next_deadline() const override;
  bool busy() const override { return false; }

  bool diverged() const { return !divergence_.empty(); }
  // The first difference: where, and what (one line each).
  const std::vector<std::string>& divergence() const { return divergence_; }
  uint64_t events_replayed() const { return cursor_; }
  uint64_t digests_checked() const { return digests_checked_; }
  bool finished() const { return cursor_ == events_.size(); }
  StateDigest digest_now() { return hasher_.digest(); }

 private:
  void diverge(std::vector<std::string> what);
  Machine& machine_;
  const std::vector<Event>& events_;
  size_t cursor_ = 0;
  Deliver deliverers_[kEventKinds];
  StateHasher hasher_;
  uint64_t digests_checked_ = 0;
  std::vector<std::string> divergence_;
};

}  // namespace rw::journal
