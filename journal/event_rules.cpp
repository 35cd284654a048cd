#include "journal/event_rules.h"

#include <fmt/format.h>

#include "journal/debugger_write.h"
#include "journal/recording_file.h"

namespace rw::journal {

std::string EventRules::accept(const std::vector<Event>& chunk) {
  // The writer never puts more in one chunk; the bound also caps what a small, highly
  // compressible chunk can make the reader hold.
  if (chunk.empty()) return "an empty chunk";
  if (chunk.size() > RecordingWriter::kEventsPerChunk)
    return fmt::format("{} events in one chunk (at most {})", chunk.size(), RecordingWriter::kEventsPerChunk);
  uint64_t last = last_icount_, due = digest_due_;
  for (const Event& e : chunk) {
    if (e.icount < last) return fmt::format("events out of order (instruction {} after {})", e.icount, last);
    if (e.icount > due)
      return fmt::format("event at instruction {} lies past the state digest due at instruction {}", e.icount, due);
    if (e.kind == EventKind::kDebuggerWrite)
      if (std::string why = check_debugger_write(e); !why.empty()) return fmt::format("{} at instruction {}", why, e.icount);
    last = e.icount;
    // A digest is periodic (exactly at `due`) or the final one; either way the next is due
    // one interval later at the latest.
    if (e.kind == EventKind::kStateHash) due = e.icount > ~uint64_t{0} - interval_ ? ~uint64_t{0} : e.icount + interval_;
  }
  last_icount_ = last;
  digest_due_ = due;
  return {};
}

std::string EventRules::check_end(uint64_t final_icount) const {
  if (final_icount < last_icount_)
    return fmt::format("the end (instruction {}) comes before the last event (instruction {})", final_icount,
                       last_icount_);
  if (final_icount > digest_due_)
    return fmt::format("the end (instruction {}) lies past the state digest due at instruction {}", final_icount,
                       digest_due_);
  return {};
}

}  // namespace rw::journal
