// Guest time is the instruction count. Clocks a guest can read (PIT, RTC, TSC) run
// at fixed rates relative to it, so the same instructions always see the same times.
#pragma once

#include <cstdint>

namespace rw {

// The virtual CPU retires one instruction per nanosecond.
inline constexpr uint64_t kInstructionsPerSecond = 1'000'000'000;

// Ticks of a clock running at `hz` after `icount` instructions (exact, no drift).
inline uint64_t ticks_at(uint64_t icount, uint64_t hz) {
  return static_cast<uint64_t>(static_cast<unsigned __int128>(icount) * hz / kInstructionsPerSecond);
}

// The first instruction count at which a clock at `hz` has reached `ticks`.
inline uint64_t icount_of_tick(uint64_t ticks, uint64_t hz) {
  return static_cast<uint64_t>((static_cast<unsigned __int128>(ticks) * kInstructionsPerSecond + hz - 1) / hz);
}

}  // namespace rw
