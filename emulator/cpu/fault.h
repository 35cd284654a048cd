// Guest exceptions raised by instruction handlers. A handler throws; the CPU loop
// catches, rolls the instruction count back to the faulting instruction and delivers
// the exception through the IDT. Nothing is thrown on the fast path.
#pragma once

#include <cstdint>

namespace rw::cpu {

namespace vec {
constexpr uint8_t DE = 0, DB = 1, NMI = 2, BP = 3, OF = 4, BR = 5, UD = 6, NM = 7, DF = 8, TS = 10, NP = 11,
                  SS = 12, GP = 13, PF = 14, MF = 16, AC = 17, XM = 19;
}

struct GuestFault {
  uint8_t vector;
  bool has_error;
  uint32_t error;
};

// Thrown by the pseudo-instruction that ends a trace whose code was overwritten.
struct TraceStop {};

[[noreturn]] inline void raise_fault(uint8_t vector) { throw GuestFault{vector, false, 0}; }
[[noreturn]] inline void raise_fault(uint8_t vector, uint32_t error) { throw GuestFault{vector, true, error}; }

}  // namespace rw::cpu
