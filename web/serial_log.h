// The guest's serial output placed on the timeline: each line with the instruction count at
// which it was written, for /api/serial. Output is deterministic, so a line written once is
// written again at the same instruction whenever the machine passes there: only bytes beyond
// the furthest point already seen are taken in, and the log covers the history as far as the
// machine has ever run (a replay's lines appear as it is run, or sought through).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace rw {
class Machine;
}

namespace rw::web {

// The log stops taking lines beyond these (a guest that prints without end must not use up
// the host's memory); `truncated()` then says so.
inline constexpr size_t kMaxSerialLogBytes = size_t{16} << 20;
inline constexpr size_t kMaxSerialLineBytes = 4096;  // a longer line is cut into pieces

class SerialLog {
 public:
  struct Line {
    uint64_t start = 0;   // the instruction count of its first byte
    uint64_t icount = 0;  // of its last byte (the newline, or where it was cut)
    std::string text;     // without the newline
  };

  // Observes `machine`'s UART from now on; stops when destroyed.
  explicit SerialLog(Machine& machine);
  ~SerialLog();
  SerialLog(const SerialLog&) = delete;
  SerialLog& operator=(const SerialLog&) = delete;

  const std::vector<Line>& lines() const { return lines_; }
  // The first line whose icount is at or after `icount` (lines().size() if none).
  size_t first_at_or_after(uint64_t icount) const;
  // The furthest instruction count whose output has been seen.
  uint64_t seen_to() const { return seen_to_; }
  bool truncated() const { return truncated_; }
  // Takes one byte written at `icount`; the UART's observer calls it (public for tests).
  void take(uint64_t icount, uint8_t byte);

 private:
  void end_line(uint64_t icount);

  Machine& machine_;
  std::vector<Line> lines_;
  Line partial_;
  bool have_partial_ = false;
  bool any_ = false;
  uint64_t seen_to_ = 0;
  size_t bytes_ = 0;
  bool truncated_ = false;
};

}  // namespace rw::web
