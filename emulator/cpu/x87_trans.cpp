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

// FSCALE, FPREM, FPREM1: ST(0) replaced by f(ST(0), ST(1)); the remainders set C0 C1 C2 C3.
Result fscale_rc(F80 a, F80 b, unsigned rc) { return fscale(a, b, rc); }
Result fprem_rc(F80 a, F80 b, unsigned) { return fprem(a, b); }
Result fprem1_rc(F80 a, F80 b, unsigned) { return fprem1(a, b); }
template <Result (*F)(F80, F80, unsigned)>
void on_st0_with_st1(Cpu& c, const Insn& i) {
  begin(c, i, Begin::kNormal);
  if (empty(c, 0) || empty(c, 1)) {
    if (stack_fault(c, false)) set_st(c, 0, kIndefinite);
    return;
  }
  const Result r = F(st(c, 0), st(c, 1), rounding(c));
  if (!r.changed) return;
  if (apply(c, r)) set_st(c, 0, r.value);
}

}  // namespace

// D9 F0-FF, the ones x87.cpp leaves to this file; nullptr for any other.
Handler select_math(uint8_t modrm) {
  switch (modrm) {
    case 0xF0: return chain<on_st0<f2xm1>>;
    case 0xF1: return chain<on_st1_pop<fyl2x>>;
    case 0xF2: return chain<on_st0_push<fptan>>;
    case 0xF3: return chain<on_st1_pop<fpatan_01>>;
    case 0xF5: return chain<on_st0_with_st1<fprem1_rc>>;
    case 0xF8: return chain<on_st0_with_st1<fprem_rc>>;
    case 0xF9: return chain<on_st1_pop<fyl2xp1>>;
    case 0xFB: return chain<on_st0_push<fsincos>>;
    case 0xFD: return chain<on_st0_with_st1<fscale_rc>>;
    case 0xFE: return chain<on_st0<fsin>>;
    case 0xFF: return chain<on_st0<fcos>>;
    default: return nullptr;
  }
}

}  // namespace rw::cpu::x87
