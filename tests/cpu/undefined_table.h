// rewind's documented results where the Intel SDM leaves a result undefined or the
// vendors differ (docs/cpu.md, "Undefined and vendor-dependent results"), written
// again here, independently of the emulator, so that the tests can hold it to them.
//
// Values are zero-extended from the operand size (1, 2, 4 or 8 bytes); flags are full
// RFLAGS words whose non-arithmetic bits come from the input.
#pragma once

#include <cstdint>

namespace rw::cputest::table {

// SF ZF PF as a logic operation on `v` sets them; CF OF AF clear.
uint64_t logic_flags(uint64_t v, unsigned size);

// MUL (sign = false) and IMUL of a and b: SF ZF PF from the low half of the product,
// AF clear, CF = OF = the product does not fit the low half.
uint64_t multiply_flags(bool sign, unsigned size, uint64_t a, uint64_t b, uint64_t flags_in);

// ROL ROR RCL RCR SHL SHR SAL SAR (ModRM.reg order 0..7) of v by count (not yet masked).
uint64_t shift_flags(unsigned op, unsigned size, uint64_t v, unsigned count, uint64_t flags_in);

struct Outcome {
  uint64_t value;
  uint64_t flags;
};

// SHLD (right = false) / SHRD of dst with bits from src, count not yet masked; 16-bit
// counts above 16 shift the pattern dst:src:dst.
Outcome shift_double(bool right, unsigned size, uint64_t dst, uint64_t src, unsigned count, uint64_t flags_in);

// BSF / BSR (reverse) of src into a destination register holding dst_in (all 64 bits);
// value is the whole register afterwards.
Outcome bit_scan(bool reverse, unsigned size, uint64_t src, uint64_t dst_in, uint64_t flags_in);

// LZCNT: CF = source zero, ZF = result zero, the others clear.
uint64_t lzcnt_flags(unsigned size, uint64_t src, uint64_t flags_in);

}  // namespace rw::cputest::table
