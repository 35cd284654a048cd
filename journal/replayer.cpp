#include "journal/replayer.h"

#include <fmt/format.h>

#include <algorithm>

#include "machine/machine.h"

namespace rw::journal {

Replayer::Replayer(Machine& machine, const std::vector<Event>& events, HashAlgorithm algorithm)
    : machine_(machine), events_(events), algorithm_(algorithm), hasher_(machine, algorithm) {
  hasher_.digest();  // the same baseline the recorder took
}

uint64_t Replayer::next_deadline() const {
  if (diverged()) return ~uint64_t{0};
  // Past a live run's frontier (a reverse search looks at the instruction there), there is
  // nothing more to wait for.
  if (cursor_ == events_.size()) return machine_.cpu().icount < history_end_ ? history_end_ : ~uint64_t{0};
  return events_[cursor_].icount;
}

void Replayer::set_position(const Position& p) {
  cursor_ = std::min(p.cursor, events_.size());
  digests_checked_ = p.digests_checked;
  divergence_.clear();
}

void Replayer::diverge(std::vector<std::string> what) {
  divergence_ = std::move(what);
  machine_.cpu().stop_requested = true;
}

void Replayer::poll(uint64_t now) {
  while (!diverged() && cursor_ < events_.size()) {
    const Event& e = events_[cursor_];
    if (e.icount > now) return;
    if (e.icount < now) {
      diverge({fmt::format("replay passed instruction {} without delivering the recorded event there (now at {})",
                           e.icount, now)});
      return;
    }
    ++cursor_;
    if (e.kind == EventKind::kStateHash) {
      StateDigest recorded, replayed = hasher_.digest();
      ++digests_checked_;
      if (!StateDigest::from_event(e, algorithm_, recorded)) {
        diverge({fmt::format("the recording's state digest at instruction {} is malformed", e.icount)});
        return;
      }
      if (recorded.combined() != replayed.combined()) {
        std::vector<std::string> what = {fmt::format("machine state differs at instruction {}", e.icount)};
        for (std::string& line : describe_differences(recorded, replayed)) what.push_back(std::move(line));
        diverge(std::move(what));
      }
      continue;
    }
    const size_t kind = static_cast<size_t>(e.kind);
    if (kind >= kEventKinds || !deliverers_[kind]) {
      diverge({fmt::format("the recording has an event of kind {} at instruction {} that this machine cannot take",
                           kind, e.icount)});
      return;
    }
    deliverers_[kind](e);
  }
}

}  // namespace rw::journal
