// How a device reads guest time (the instruction count) at the moment it is accessed:
// during an IN or OUT that is the count of that instruction, not of its trace's start.
// The machine provides a clock over the CPU; unit tests one over a plain counter.
#pragma once

#include <cstdint>

namespace rw {

struct GuestClock {
  uint64_t (*read)(const void* source) = nullptr;
  const void* source = nullptr;

  uint64_t now() const { return read(source); }

  static GuestClock of(const uint64_t& counter) {
    return {[](const void* p) { return *static_cast<const uint64_t*>(p); }, &counter};
  }
};

}  // namespace rw
