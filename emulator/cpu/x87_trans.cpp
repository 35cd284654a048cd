// The x87 instructions whose results differ between Intel and AMD -- FSIN, FCOS, FSINCOS,
// FPTAN, FPATAN, F2XM1, FYL2X, FYL2XP1, and the partial remainders' reduction steps -- and
// FSCALE: computed by rewind itself (x87_math.h), identically on every host.
#include "cpu/handlers.h"
#include "cpu/x87.h"
#include "cpu/x87_math.h"

namespace rw::cpu::x87 {
namespace {

unsigned rounding(const Cpu& c) { return (c.x87.fcw >> 10) & 3; }

// A result's status: exceptions as take_status takes them, and the condition codes the
// instruction defines from the library (the others as they were).
bool apply(Cpu& c, const Result& r) {
  const uint16_t c1 = c.x87.fsw & sw::C1;
  if (!take_status(c, static_cast<uint16_t>((r.status & ~sw::C1) | c1))) return false;
  c.x87.fsw = static_cast<uint16_t>((c.x87.fsw & ~r.cc_mask) | (r.status & r.cc_mask));
  return true;
}

// FSIN, FCOS, F2XM1: ST(0) replaced. FSIN and FCOS leave an operand out of range (|x| >= 2^63)
// as it is, with C2 set.
template <Result (*F)(F80, unsigned)>
void on_st0(Cpu& c, const Insn& i) {
  begin(c, i, Begin::kNormal);
  if (empty(c, 0)) {
    if (stack_fault(c, false)) set_st(c, 0, kIndefinite);
    return;
  }
  const Result r = F(st(c, 0), rounding(c));
  if (!r.changed) {  // out of range: C2 (the library's status says so)
    c.x87.fsw = static_cast<uint16_t>((c.x87.fsw & ~r.cc_mask) | (r.status & r.cc_mask));
    return;
  }
  if (apply(c, r)) set_st(c, 0, r.value);
}

// FSINCOS, FPTAN: ST(0) replaced, then a second value pushed.
template <Result (*F)(F80, unsigned)>
void on_st0_push(Cpu& c, const Insn& i) {
  begin(c, i, Begin::kNormal);
  if (empty(c, 0)) {
    if (stack_fault(c, false)) {
      set_st(c, 0, kIndefinite);
      push(c, kIndefinite);
    }
    return;
  }
  if (!empty(c, 7)) {
    if (stack_fault(c, true)) {
      set_st(c, 0, kIndefinite);
      push(c, kIndefinite);
    }
    return;
  }
  const Result r = F(st(c, 0), rounding(c));
  if (!r.changed) {  // out of range: C2 (the library's status says so)
    c.x87.fsw = static_cast<uint16_t>((c.x87.fsw & ~r.cc_mask) | (r.status & r.cc_mask));
    return;
  }
  if (!apply(c, r)) return;
  set_st(c, 0, r.value);
  push(c, r.value2);
}

// FPATAN, FYL2X, FYL2XP1: ST(1) replaced by f(ST(0), ST(1)), then a pop.
Result fpatan_01(F80 st0, F80 st1, unsigned rc) { return fpatan(st1, st0, rc); }
template <Result (*F)(F80, F80, unsigned)>
void on_st1_pop(Cpu& c, const Insn& i) {
  begin(c, i, Begin::kNormal);
  if (empty(c, 0) || empty(c, 1)) {
    if (stack_fault(c, false)) {
      set_st(c, 1, kIndefinite);
      pop(c);
    }
    return;
  }
  const Result r = F(st(c, 0), st(c, 1), rounding(c));
  if (!apply(c, r)) return;
  set_st(c, 1, r.value);
  pop(c);
}

// FPREM, FPREM1 stopped by an invalid operand or a stack fault: complete (C2 and C1 clear),
// and no quotient bits where ST(0) holds a NaN (the masked response, or what was there).
void no_quotient(Cpu& c) {
  const F80& v = st(c, 0);
  const bool nan = (v.sign_exponent & 0x7FFF) == 0x7FFF && (v.significand << 1) != 0;
  c.x87.fsw &= static_cast<uint16_t>(~(sw::C1 | sw::C2 | (nan ? sw::C0 | sw::C3 : 0)));
}

// FSCALE's result with an unmasked overflow or underflow: x * 2^trunc(y) times 2^-24576 or
// 2^24576, which is exact once in range (the remainders never overflow or underflow).
bool scale_unbounded(const F80& x, bool overflow, const F80& y, const Cpu&, Result& out) {
  int ex = x.sign_exponent & 0x7FFF;
  uint64_t m = x.significand;
  const int ey = y.sign_exponent & 0x7FFF;
  if (ex == 0x7FFF || ey == 0x7FFF || m == 0 || ey > 16383 + 30) return false;  // y = 0 (remainders): n = 0
  if (ex == 0) {
    ex = 1 - __builtin_clzll(m);
    m <<= __builtin_clzll(m);
  } else if (!(m >> 63)) {
    return false;
  }
  // trunc(y), |y| < 2^31.
  const int shift = 16383 + 63 - ey;
  int64_t n = shift >= 64 ? 0 : static_cast<int64_t>(y.significand >> shift);
  if (y.sign_exponent & 0x8000) n = -n;
  const int64_t e = ex + n + (overflow ? -24576 : 24576);
  if (e < 1 || e > 0x7FFE) return false;
  out.value = F80{m, static_cast<uint16_t>((x.sign_exponent & 0x8000) | e)};
  out.status = overflow ? sw::OE : sw::UE;
  return true;
}

// FSCALE, FPREM, FPREM1: ST(0) replaced by f(ST(0), ST(1)); the remainders set C0 C1 C2 C3.
Result fscale_rc(F80 a, F80 b, unsigned rc) { return fscale(a, b, rc); }
Result fprem_rc(F80 a, F80 b, unsigned) { return fprem(a, b); }
Result fprem1_rc(F80 a, F80 b, unsigned) { return fprem1(a, b); }
template <Result (*F)(F80, F80, unsigned), bool Remainder>
void on_st0_with_st1(Cpu& c, const Insn& i) {
  begin(c, i, Begin::kNormal);
  if (empty(c, 0) || empty(c, 1)) {
    if (stack_fault(c, false)) set_st(c, 0, kIndefinite);
    if (Remainder) no_quotient(c);
    return;
  }
  const F80 a = st(c, 0), b = st(c, 1);
  const Result r = F(a, b, rounding(c));
  if (!r.changed) return;
  F80 value = r.value;
  const unsigned e = value.sign_exponent & 0x7FFF;
  if (e == 0 && (value.significand >> 63)) value.sign_exponent |= 1;  // a pseudo-denormal: canonical
  const uint16_t pre = r.status & ~c.x87.fcw & (sw::IE | sw::DE | sw::ZE);
  const bool tiny = (value.sign_exponent & 0x7FFF) == 0 && value.significand != 0;
  uint16_t unmasked = r.status & ~c.x87.fcw & (sw::OE | sw::UE);
  if (tiny && !(c.x87.fcw & sw::UE)) unmasked |= sw::UE;  // an exact tiny result underflows too
  if (unmasked && !pre) {
    // An unmasked overflow or underflow: the result brought into range by 2^-24576 or
    // 2^24576 (exactly; OE or UE alone, C1 clear), or, beyond that, an infinity (C1 set).
    Result scaled_r;
    const bool overflow = unmasked & sw::OE;
    const F80 x = Remainder ? value : a;
    const F80 y = Remainder ? F80{} : b;
    c.x87.fsw = static_cast<uint16_t>((c.x87.fsw & ~sw::C1) | unmasked | (r.status & sw::DE));
    if (Remainder) c.x87.fsw = static_cast<uint16_t>((c.x87.fsw & ~r.cc_mask) | (r.status & r.cc_mask));
    if (scale_unbounded(x, overflow, y, c, scaled_r)) {
      set_st(c, 0, scaled_r.value);
    } else if (overflow) {
      set_st(c, 0, F80{0x8000000000000000ull, static_cast<uint16_t>((a.sign_exponent & 0x8000) | 0x7FFF)});
      c.x87.fsw |= sw::C1 | sw::PE;
    } else if (!Remainder) {  // an underflow too deep for the bias: a zero of x's sign
      set_st(c, 0, F80{0, static_cast<uint16_t>(a.sign_exponent & 0x8000)});
      c.x87.fsw |= sw::PE;
    } else {
      set_st(c, 0, value);
    }
    update_summary(c);
    return;
  }
  const uint16_t c1 = c.x87.fsw & sw::C1;
  if (apply(c, r)) {
    set_st(c, 0, value);
  } else if (Remainder) {
    // Stopped by an unmasked exception: an invalid operand as no quotient; a denormal one
    // leaves the condition codes as they were.
    if (pre & sw::IE)
      no_quotient(c);
    else
      c.x87.fsw = static_cast<uint16_t>((c.x87.fsw & ~sw::C1) | c1);
  }
}

}  // namespace

// D9 F0-FF, the ones x87.cpp leaves to this file; nullptr for any other.
Handler select_math(uint8_t modrm) {
  switch (modrm) {
    case 0xF0: return chain<on_st0<f2xm1>>;
    case 0xF1: return chain<on_st1_pop<fyl2x>>;
    case 0xF2: return chain<on_st0_push<fptan>>;
    case 0xF3: return chain<on_st1_pop<fpatan_01>>;
    case 0xF5: return chain<on_st0_with_st1<fprem1_rc, true>>;
    case 0xF8: return chain<on_st0_with_st1<fprem_rc, true>>;
    case 0xF9: return chain<on_st1_pop<fyl2xp1>>;
    case 0xFB: return chain<on_st0_push<fsincos>>;
    case 0xFD: return chain<on_st0_with_st1<fscale_rc, false>>;
    case 0xFE: return chain<on_st0<fsin>>;
    case 0xFF: return chain<on_st0<fcos>>;
    default: return nullptr;
  }
}

}  // namespace rw::cpu::x87
