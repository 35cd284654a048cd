#pragma once
// The x87 transcendental and partial-remainder instructions in software (docs/cpu.md,
// "x87 transcendentals"): FSIN FCOS FSINCOS FPTAN FPATAN F2XM1 FYL2X FYL2XP1 FSCALE FPREM
// FPREM1. Integer arithmetic only (a 128-bit-significand software float inside), so every
// host gives the same bits: the host's FSIN and friends differ between Intel and AMD.
// Results are within 1 ulp and nearly always correctly rounded under the rounding control
// (tests/cpu/x87_math_test.cpp and bench/x87_math_accuracy.cpp compare them with MPFR).
//
// Each function is the whole instruction apart from the register stack: it takes the
// operands' values and returns the new value(s), the exceptions raised and the condition
// codes. Stack faults (an empty or full register) are the caller's business, and so is
// the response to unmasked exceptions: the values returned are the masked responses.
#include <cstdint>

#include "cpu/cpu.h"

namespace rw::cpu::x87 {

// Status bits as the x87 status word has them.
constexpr uint16_t kIE = 1, kDE = 2, kZE = 4, kOE = 8, kUE = 0x10, kPE = 0x20,
                   kC0 = 0x100, kC1 = 0x200, kC2 = 0x400, kC3 = 0x4000;
constexpr uint16_t kExceptions = kIE | kDE | kZE | kOE | kUE | kPE;
constexpr uint16_t kConditionCodes = kC0 | kC1 | kC2 | kC3;

struct Result {
  F80 value;        // ST(0)'s new value (FPATAN, FYL2X, FYL2XP1: the value that replaces ST(1) before the pop)
  F80 value2;       // FSINCOS: the cosine (pushed after the sine is stored in ST(0)); FPTAN: 1.0 (pushed)
  uint16_t status;  // exceptions raised (kIE..kPE, as if all were masked), and C0..C3 as the instruction sets them
  bool changed = true;  // false: the operands are left as they were (FSIN etc. with |x| >= 2^63: C2 set)
  // The condition codes the instruction defines (the others are undefined in the SDM:
  // rewind leaves them as they were, as QEMU does). status has 0 in the bits outside it.
  // FSW's new condition codes: (fsw & ~cc_mask) | (status & cc_mask).
  uint16_t cc_mask = kConditionCodes;
};

// rc: FCW.RC (0 nearest even, 1 down, 2 up, 3 toward zero). Precision control does not apply
// to these instructions (64-bit significands). `daz` is not an x87 notion: there is none.
Result fsin(F80 x, unsigned rc);
Result fcos(F80 x, unsigned rc);
Result fsincos(F80 x, unsigned rc);
Result fptan(F80 x, unsigned rc);
Result fpatan(F80 y /*ST(1)*/, F80 x /*ST(0)*/, unsigned rc);   // arctan(y / x) with the quadrant of (x, y)
Result f2xm1(F80 x, unsigned rc);                                // 2^x - 1, for -1 <= x <= 1 (outside: IE, as QEMU)
Result fyl2x(F80 x /*ST(0)*/, F80 y /*ST(1)*/, unsigned rc);     // y * log2(x)
Result fyl2xp1(F80 x /*ST(0)*/, F80 y /*ST(1)*/, unsigned rc);   // y * log2(x + 1), 1 - sqrt(2)/2 <= -x, x <= sqrt(2) - 1 (outside: IE, as QEMU)
Result fscale(F80 x /*ST(0)*/, F80 y /*ST(1)*/, unsigned rc);    // x * 2^trunc(y)
Result fprem(F80 x /*ST(0)*/, F80 y /*ST(1)*/);                  // partial remainder, truncating quotient; C0 C3 C1 = quotient bits 2 1 0, C2 = incomplete
Result fprem1(F80 x /*ST(0)*/, F80 y /*ST(1)*/);                 // IEEE remainder (nearest quotient)

// The real indefinite (the default QNaN), what invalid operations give.
constexpr F80 kIndefinite{0xC000000000000000ull, 0xFFFF};

namespace detail {
// The library's constant tables, for the test that checks them against MPFR. A 128-bit
// value: significand hi:lo with bit 127 set (or zero), value = significand * 2^(exp - 127).
struct XConst {
  uint64_t hi, lo;
  int32_t exp;
  bool negative;
};
struct Tables {
  const uint64_t* two_over_pi;  // floor(2/pi * 2^384), 6 words, most significant first
  XConst pi_over_2, ln2, log2e;
  const XConst* atan;           // arctan(j/16), j = 0..16
  const XConst* exp2m1;         // 2^(j/16) - 1, j = -16..16 (index j + 16)
  const XConst* inv_factorial;  // 1/n!, n = 0..40
  const XConst* inv_odd;        // 1/(2k + 1), k = 0..40
};
Tables tables();
}  // namespace detail

}  // namespace rw::cpu::x87
