// The guest's serial output as lines placed on the timeline, for /api/serial: built from the
// output index (journal/recording_format.h, Timeline::outputs()), each line at the
// instruction count of its newline. The index grows as a live run goes on; update() takes in
// what it gained since.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "journal/recording_format.h"

namespace rw::web {

inline constexpr size_t kMaxSerialLineBytes = 4096;  // a longer line is cut into pieces

class SerialLog {
 public:
  struct Line {
    uint64_t start = 0;   // the instruction count of its first byte
    uint64_t icount = 0;  // of its last byte (the newline, or where it was cut)
    std::string text;     // without the newline
  };

  // Takes in the bytes `index` holds beyond those taken before (an index only grows).
  void update(const journal::OutputIndex& index);

  const std::vector<Line>& lines() const { return lines_; }
  // The first line whose icount is at or after `icount` (lines().size() if none).
  size_t first_at_or_after(uint64_t icount) const;
  // The index stopped listing output from this instruction count on (journal::kNotFull: it
  // did not).
  uint64_t full_from() const { return full_from_; }

 private:
  void take(uint64_t icount, uint8_t byte);
  void end_line(uint64_t icount);

  std::vector<Line> lines_;
  Line partial_;
  bool have_partial_ = false;
  size_t taken_ = 0;  // bytes of the index taken in
  uint64_t full_from_ = journal::kNotFull;
};

}  // namespace rw::web
