#include "web/serial_log.h"

#include <algorithm>

namespace rw::web {

void SerialLog::update(const journal::OutputIndex& index) {
  for (; taken_ < index.serial.size(); ++taken_) take(index.serial[taken_].icount, index.serial[taken_].byte);
  full_from_ = index.serial_full_from;
}

size_t SerialLog::first_at_or_after(uint64_t icount) const {
  return static_cast<size_t>(
      std::lower_bound(lines_.begin(), lines_.end(), icount, [](const Line& l, uint64_t t) { return l.icount < t; }) -
      lines_.begin());
}

void SerialLog::take(uint64_t icount, uint8_t byte) {
  if (!have_partial_) {
    partial_ = Line{icount, icount, {}};
    have_partial_ = true;
  }
  partial_.icount = icount;
  if (byte == '\n') return end_line(icount);
  if (byte != '\r') partial_.text.push_back(static_cast<char>(byte));
  if (partial_.text.size() >= kMaxSerialLineBytes) end_line(icount);
}

void SerialLog::end_line(uint64_t icount) {
  partial_.icount = icount;
  lines_.push_back(std::move(partial_));
  partial_ = Line{};
  have_partial_ = false;
}

}  // namespace rw::web
