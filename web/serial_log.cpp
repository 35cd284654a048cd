#include "web/serial_log.h"

#include <algorithm>

#include "devices/uart16550.h"
#include "machine/machine.h"

namespace rw::web {

SerialLog::SerialLog(Machine& machine) : machine_(machine) {
  machine_.uart().set_timed_output_observer([this](uint64_t icount, uint8_t byte) { take(icount, byte); });
}

SerialLog::~SerialLog() { machine_.uart().set_timed_output_observer(nullptr); }

size_t SerialLog::first_at_or_after(uint64_t icount) const {
  return static_cast<size_t>(
      std::lower_bound(lines_.begin(), lines_.end(), icount, [](const Line& l, uint64_t t) { return l.icount < t; }) -
      lines_.begin());
}

void SerialLog::take(uint64_t icount, uint8_t byte) {
  // Seen before (the machine went back and passes here again), or too much already.
  if ((any_ && icount <= seen_to_) || truncated_) return;
  any_ = true;
  seen_to_ = icount;
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
  bytes_ += partial_.text.size() + sizeof(Line);
  if (bytes_ > kMaxSerialLogBytes) {
    truncated_ = true;
  } else {
    lines_.push_back(std::move(partial_));
  }
  partial_ = Line{};
  have_partial_ = false;
}

}  // namespace rw::web
