// What the events of a readable recording obey (docs/recording-format.md, "Damage"): they
// come in instruction order, and none lies past the state digest that was due before it, so
// a replay never runs longer than one digest interval past what the file holds; a debugger's
// write is well formed (journal/debugger_write.h). The reader
// checks each chunk as a whole before it keeps any of it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "journal/recording_format.h"

namespace rw::journal {

// The periodic digest interval a recording may have: rewind writes 10,000,000. The upper
// bound keeps a crafted header from switching the interval check off.
inline constexpr uint64_t kMaxDigestInterval = uint64_t{1} << 32;

class EventRules {
 public:
  // `start`: where the recorded history starts (a trimmed window's start; else 0). Events
  // lie at or after it, and the first digest is due at most one interval after it.
  explicit EventRules(uint64_t digest_interval, uint64_t start = 0)
      : interval_(digest_interval),
        last_icount_(start),
        digest_due_(start > ~uint64_t{0} - digest_interval ? ~uint64_t{0} : start + digest_interval) {}

  // Empty if `chunk` may follow the events accepted so far, which it then extends; else
  // why not (one line), and nothing changes.
  std::string accept(const std::vector<Event>& chunk);
  // Empty if a run that ended at `final_icount` could have recorded the events accepted so
  // far; else why not.
  std::string check_end(uint64_t final_icount) const;

  uint64_t last_icount() const { return last_icount_; }

 private:
  uint64_t interval_;
  uint64_t last_icount_;
  uint64_t digest_due_;  // the next periodic digest: at most one interval after the last one
};

}  // namespace rw::journal
