// The x87 FPU's instructions (Intel SDM vol. 1 ch. 8, vol. 2 for each instruction; the opcode
// map D8-DF in vol. 2 appendix A.4). See x87.h for how results are computed.
#include "cpu/x87.h"

#include <limits>
#include <type_traits>

#include "cpu/handlers.h"

namespace rw::cpu::x87 {

[[noreturn]] void device_not_available() { raise_fault(vec::NM); }

void pending_exception(Cpu& c) {
  if (c.cr0 & cr0::NE) raise_fault(vec::MF);
  // The PC's way (CR0.NE clear): FERR# raises IRQ 13 and the instruction goes on.
  if (c.raise_ferr) c.raise_ferr(c.ferr_context);
}

void record_pointers(Cpu& c, const Insn& i, bool memory) {
  X87State& x = c.x87;
  x.fop = i.imm2 & 0x7FF;
  x.fip = c.rip + i.off;
  if (c.code_size != CodeSize::k64) x.fip &= 0xFFFFFFFF;
  x.fcs = c.seg[CS].selector;
  if (memory) {
    x.fdp = effective_address(c, i);
    x.fds = i.seg < 6 ? c.seg[i.seg].selector : 0;
  }
}

bool take_status(Cpu& c, uint16_t status) {
  X87State& x = c.x87;
  const uint16_t raised = status & sw::kExceptions;
  constexpr uint16_t kPre = sw::IE | sw::DE | sw::ZE;
  if (const uint16_t unmasked = raised & ~x.fcw & kPre) {
    // Found before the operation, which does not happen: only that exception's flag, C1 clear.
    x.fsw = static_cast<uint16_t>((x.fsw & ~sw::C1) | unmasked);
    update_summary(c);
    return false;
  }
  x.fsw = static_cast<uint16_t>((x.fsw & ~sw::C1) | (status & sw::C1) | raised);
  update_summary(c);
  return true;
}

bool stack_fault(Cpu& c, bool overflow) {
  X87State& x = c.x87;
  x.fsw = static_cast<uint16_t>((x.fsw & ~sw::C1) | sw::IE | sw::SF | (overflow ? sw::C1 : 0));
  update_summary(c);
  return x.fcw & sw::IE;
}

namespace {

using u16 = uint16_t;

// --- host operations ---

// ST(0) = a OP b on the host, for each operand type of the memory forms and for two
// registers. The register form loads b, then a: host ST(0) = a, ST(1) = b.
#define RW_X87_ARITH(NAME, MNEM, IMNEM)                                                                   \
  struct NAME {                                                                                      \
    static u16 run(u16 cw, const F80& a, const F80& b, F80& r) {                                     \
      return RW_UNDER_FCW(cw, "fldt %[b]\n\tfldt %[a]\n\t" MNEM " %%st(1), %%st" RW_FNSTSW "fstpt %[r]\n\tfstp %%st(0)", \
                          RW_X87_OPERANDS([r] "=m"(r)), RW_X87_OPERANDS([a] "m"(a), [b] "m"(b)));   \
    }                                                                                                \
    static u16 run(u16 cw, const F80& a, uint32_t m, F80& r) {                                       \
      return RW_UNDER_FCW(cw, "fldt %[a]\n\t" MNEM "s %[m]" RW_FNSTSW "fstpt %[r]", RW_X87_OPERANDS([r] "=m"(r)), \
                          RW_X87_OPERANDS([a] "m"(a), [m] "m"(m)));                                  \
    }                                                                                                \
    static u16 run(u16 cw, const F80& a, uint64_t m, F80& r) {                                       \
      return RW_UNDER_FCW(cw, "fldt %[a]\n\t" MNEM "l %[m]" RW_FNSTSW "fstpt %[r]", RW_X87_OPERANDS([r] "=m"(r)), \
                          RW_X87_OPERANDS([a] "m"(a), [m] "m"(m)));                                  \
    }                                                                                                \
    static u16 run(u16 cw, const F80& a, int16_t m, F80& r) {                                        \
      return RW_UNDER_FCW(cw, "fldt %[a]\n\t" IMNEM "s %[m]" RW_FNSTSW "fstpt %[r]", RW_X87_OPERANDS([r] "=m"(r)), \
                          RW_X87_OPERANDS([a] "m"(a), [m] "m"(m)));                                  \
    }                                                                                                \
    static u16 run(u16 cw, const F80& a, int32_t m, F80& r) {                                        \
      return RW_UNDER_FCW(cw, "fldt %[a]\n\t" IMNEM "l %[m]" RW_FNSTSW "fstpt %[r]", RW_X87_OPERANDS([r] "=m"(r)), \
                          RW_X87_OPERANDS([a] "m"(a), [m] "m"(m)));                                  \
    }                                                                                                \
  };
// The AT&T mnemonics: "fsub %st(1), %st" is ST(0) = ST(0) - ST(1); fsubr the reverse.
RW_X87_ARITH(Add, "fadd", "fiadd")
RW_X87_ARITH(Mul, "fmul", "fimul")
RW_X87_ARITH(Sub, "fsub", "fisub")
RW_X87_ARITH(Subr, "fsubr", "fisubr")
RW_X87_ARITH(Div, "fdiv", "fidiv")
RW_X87_ARITH(Divr, "fdivr", "fidivr")
#undef RW_X87_ARITH

// Memory operands as the host instruction takes them: single, double, 16- and 32-bit integer.
enum class MemType : uint8_t { kF32, kF64, kI16, kI32 };
template <MemType M> struct MemOf;
template <> struct MemOf<MemType::kF32> { using T = uint32_t; };
template <> struct MemOf<MemType::kF64> { using T = uint64_t; };
template <> struct MemOf<MemType::kI16> { using T = int16_t; };
template <> struct MemOf<MemType::kI32> { using T = int32_t; };

template <MemType M>
typename MemOf<M>::T read_operand(Cpu& c, const Insn& i) {
  using T = typename MemOf<M>::T;
  using U = std::make_unsigned_t<T>;
  return static_cast<T>(mem_read<U>(c, linear_address(c, i)));
}

// FLD m32/m64, FILD m16/m32/m64: the operand as an extended-precision value (exact).
template <class T>
u16 host_load(u16 cw, T m, F80& r);
#define RW_X87_LOAD(T, MNEM)                                                                          \
  template <>                                                                                         \
  u16 host_load<T>(u16 cw, T m, F80& r) {                                                             \
    return RW_UNDER_FCW(cw, MNEM " %[m]" RW_FNSTSW "fstpt %[r]", RW_X87_OPERANDS([r] "=m"(r)), RW_X87_OPERANDS([m] "m"(m))); \
  }
RW_X87_LOAD(uint32_t, "flds")
RW_X87_LOAD(uint64_t, "fldl")
RW_X87_LOAD(int16_t, "filds")
RW_X87_LOAD(int32_t, "fildl")
RW_X87_LOAD(int64_t, "fildll")
#undef RW_X87_LOAD

// A memory operand as an extended-precision value, for the scaled computation below.
template <class T>
u16 load_exact(u16 cw, T m, F80& r) {
  return host_load<T>(cw, m, r);
}
u16 load_exact(u16, const F80& m, F80& r) {
  r = m;
  return 0;
}

// v * 2^by, exactly, normalized (denormals and pseudo-denormals too); false when v is zero,
// not finite, unsupported, or the result would be out of the format's normal range.
bool scaled(const F80& v, int by, F80& r) {
  int e = v.sign_exponent & 0x7FFF;
  uint64_t m = v.significand;
  if (e == 0x7FFF) return false;
  if (m == 0 || by == 0) {  // zero stays zero; an operand not scaled stays as it is
    r = v;
    return true;
  }
  if (e == 0) {
    e = 1;  // a denormal's (and a pseudo-denormal's) exponent
    const int shift = __builtin_clzll(m);
    m <<= shift;
    e -= shift;
  } else if (!(m >> 63)) {
    return false;  // unnormal: unsupported
  }
  e += by;
  if (e < 1 || e > 0x7FFE) return false;
  r.significand = m;
  r.sign_exponent = static_cast<uint16_t>((v.sign_exponent & 0x8000) | e);
  return true;
}

int exponent_of(const F80& v) {
  const int e = v.sign_exponent & 0x7FFF;
  return e == 0 ? 1 - __builtin_clzll(v.significand | 1) : e;
}

// An unmasked overflow or underflow (SDM vol. 1, 8.5.4-5): the result stored is the rounded
// result with its exponent brought into range by 2^-24576 or 2^24576. Computed from operands
// scaled by that factor, where no overflow or underflow happens (so its PE and C1 are the
// unbounded result's).
constexpr int kBias = 24576;
template <class Op, class M>
bool unmasked_range(u16 cw, const F80& a, const M& b, F80& r, u16& status, bool overflow) {
  F80 bx;
  load_exact(cw, b, bx);
  const int s = overflow ? -kBias : kBias;
  F80 as, bs;
  bool ok;
  if constexpr (std::is_same_v<Op, Add> || std::is_same_v<Op, Sub> || std::is_same_v<Op, Subr>) {
    // An operand too small to scale is far below the other's last bit: any tiny value of its
    // sign rounds the same (it only makes the sum inexact).
    const F80 kTiny{0x8000000000000000ull, 1};
    auto scale_or_tiny = [&](const F80& v, F80& out) {
      if (scaled(v, s, out)) return true;
      if ((v.sign_exponent & 0x7FFF) == 0x7FFF) return false;
      out = F80{kTiny.significand, static_cast<uint16_t>((v.sign_exponent & 0x8000) | 1)};
      return true;
    };
    ok = scale_or_tiny(a, as) && scale_or_tiny(bx, bs);
  } else if constexpr (std::is_same_v<Op, Mul>) {
    // The factor goes to the operand it keeps in range: the larger one for an overflow.
    const bool on_a = (exponent_of(a) >= exponent_of(bx)) == overflow;
    ok = on_a ? scaled(a, s, as) && scaled(bx, 0, bs) : scaled(a, 0, as) && scaled(bx, s, bs);
  } else {
    // A quotient: the dividend times the factor, or the divisor over it.
    const F80& dividend = std::is_same_v<Op, Div> ? a : bx;
    const F80& divisor = std::is_same_v<Op, Div> ? bx : a;
    F80 n, d;
    ok = (scaled(dividend, s, n) && scaled(divisor, 0, d)) || (scaled(dividend, 0, n) && scaled(divisor, -s, d));
    if (std::is_same_v<Op, Div>) {
      as = n;
      bs = d;
    } else {
      as = d;
      bs = n;
    }
  }
  if (!ok) return false;
  status = Op::run(cw, as, bs, r);
  return true;
}

// dest = a OP b with the x87's exception responses; false: nothing is to be written.
template <class Op, class M>
bool arith(Cpu& c, const F80& a, const M& b, F80& out) {
  const u16 cw = host_cw(c);
  u16 status = Op::run(cw, a, b, out);
  const u16 unmasked = status & ~c.x87.fcw;
  if (unmasked & (sw::OE | sw::UE)) [[unlikely]] {
    F80 r;
    u16 s;
    if (unmasked_range<Op>(cw, a, b, r, s, unmasked & sw::OE)) {
      out = r;
      status = static_cast<u16>((status & ~(sw::PE | sw::C1)) | (s & (sw::PE | sw::C1)));
    }
  } else if (!(c.x87.fcw & sw::UE) && !(status & sw::UE) && (out.sign_exponent & 0x7FFF) == 0 &&
             out.significand != 0) [[unlikely]] {
    // An exact tiny result: no flag while underflow is masked, an underflow when it is not.
    F80 r;
    u16 s;
    if (unmasked_range<Op>(cw, a, b, r, s, false)) {
      out = r;
      status = static_cast<u16>((status & ~(sw::PE | sw::C1)) | (s & (sw::PE | sw::C1)) | sw::UE);
    }
  }
  return take_status(c, status);
}

// --- the register stack's operands ---

// ST(i), or the stack underflow's masked response (the real indefinite) when it is empty:
// false when ST(i) is empty and IE unmasked (nothing changes).
bool operand(Cpu& c, unsigned i, F80& v) {
  if (!empty(c, i)) {
    v = st(c, i);
    return true;
  }
  v = kIndefinite;
  return false;
}

// Two registers for a binary operation; on an empty one, the stack fault, and the masked
// response is written to `dest` (a register index) when IE is masked.
bool two_operands(Cpu& c, unsigned i, unsigned j, F80& a, F80& b, unsigned dest) {
  if (!empty(c, i) && !empty(c, j)) {
    a = st(c, i);
    b = st(c, j);
    return true;
  }
  if (stack_fault(c, false)) set_st(c, dest, kIndefinite);
  return false;
}

template <class Op, MemType M>
void arith_mem(Cpu& c, const Insn& i) {  // ST(0) = ST(0) op m
  begin(c, i, Begin::kNormalMemory);
  const auto m = read_operand<M>(c, i);
  if (empty(c, 0)) {
    if (stack_fault(c, false)) set_st(c, 0, kIndefinite);
    return;
  }
  F80 r;
  if (arith<Op>(c, st(c, 0), m, r)) set_st(c, 0, r);
}

template <class Op>
void arith_st0_sti(Cpu& c, const Insn& i) {  // ST(0) = ST(0) op ST(i)
  begin(c, i, Begin::kNormal);
  F80 a, b, r;
  if (!two_operands(c, 0, i.rm, a, b, 0)) return;
  if (arith<Op>(c, a, b, r)) set_st(c, 0, r);
}

template <class Op, bool Pop>
void arith_sti_st0(Cpu& c, const Insn& i) {  // ST(i) = ST(i) op ST(0), then pop
  begin(c, i, Begin::kNormal);
  F80 a, b, r;
  if (!two_operands(c, i.rm, 0, a, b, i.rm)) {
    if (Pop && (c.x87.fcw & sw::IE)) pop(c);
    return;
  }
  if (!arith<Op>(c, a, b, r)) return;
  set_st(c, i.rm, r);
  if (Pop) pop(c);
}

// --- comparisons ---

u16 host_compare(u16 cw, const F80& a, const F80& b, bool unordered_quiet) {
  uint16_t dummy = 0;
  if (unordered_quiet)
    return RW_UNDER_FCW(cw, "fldt %[b]\n\tfldt %[a]\n\tfucompp" RW_FNSTSW, RW_X87_OPERANDS([d] "+m"(dummy)),
                        RW_X87_OPERANDS([a] "m"(a), [b] "m"(b)));
  return RW_UNDER_FCW(cw, "fldt %[b]\n\tfldt %[a]\n\tfcompp" RW_FNSTSW, RW_X87_OPERANDS([d] "+m"(dummy)),
                      RW_X87_OPERANDS([a] "m"(a), [b] "m"(b)));
}
template <class T>
u16 host_compare_mem(u16 cw, const F80& a, T m);
#define RW_X87_COMPARE_MEM(T, MNEM)                                                                   \
  template <>                                                                                         \
  u16 host_compare_mem<T>(u16 cw, const F80& a, T m) {                                                \
    uint16_t dummy = 0;                                                                               \
    return RW_UNDER_FCW(cw, "fldt %[a]\n\t" MNEM " %[m]" RW_FNSTSW, RW_X87_OPERANDS([d] "+m"(dummy)),           \
                        RW_X87_OPERANDS([a] "m"(a), [m] "m"(m)));                                     \
  }
RW_X87_COMPARE_MEM(uint32_t, "fcomps")
RW_X87_COMPARE_MEM(uint64_t, "fcompl")
RW_X87_COMPARE_MEM(int16_t, "ficomps")
RW_X87_COMPARE_MEM(int32_t, "ficompl")
#undef RW_X87_COMPARE_MEM

// C3 C2 C0 from a comparison (C1 cleared); unordered when a register was empty and IE masked.
void set_compare(Cpu& c, u16 status) {
  X87State& x = c.x87;
  x.fsw = static_cast<u16>((x.fsw & ~(sw::C0 | sw::C1 | sw::C2 | sw::C3)) | (status & (sw::C0 | sw::C2 | sw::C3)));
}

// Pops: 0, 1 or 2.
template <bool Quiet, unsigned Pops>
void compare_sti(Cpu& c, const Insn& i) {  // FCOM, FCOMP, FCOMPP, FUCOM, FUCOMP, FUCOMPP
  begin(c, i, Begin::kNormal);
  if (empty(c, 0) || empty(c, i.rm)) {
    if (!stack_fault(c, false)) return;
    set_compare(c, sw::C0 | sw::C2 | sw::C3);
    c.x87.fsw &= ~sw::C1;
  } else {
    const u16 status = host_compare(host_cw(c), st(c, 0), st(c, i.rm), Quiet);
    if (!take_status(c, status & sw::kExceptions)) return;
    set_compare(c, status);
  }
  for (unsigned k = 0; k < Pops; ++k) pop(c);
}

template <MemType M, bool Pop>
void compare_mem(Cpu& c, const Insn& i) {  // FCOM m32/m64, FICOM m16/m32 (and P forms)
  begin(c, i, Begin::kNormalMemory);
  const auto m = read_operand<M>(c, i);
  if (empty(c, 0)) {
    if (!stack_fault(c, false)) return;
    set_compare(c, sw::C0 | sw::C2 | sw::C3);
    c.x87.fsw &= ~sw::C1;
  } else {
    const u16 status = host_compare_mem(host_cw(c), st(c, 0), m);
    if (!take_status(c, status & sw::kExceptions)) return;
    set_compare(c, status);
  }
  if (Pop) pop(c);
}

// FCOMI, FCOMIP, FUCOMI, FUCOMIP: ZF PF CF (OF SF AF cleared).
template <bool Quiet, bool Pop>
void compare_eflags(Cpu& c, const Insn& i) {
  begin(c, i, Begin::kNormal);
  uint8_t zf = 1, pf = 1, cf = 1;
  if (empty(c, 0) || empty(c, i.rm)) {
    if (!stack_fault(c, false)) return;
  } else {
    const F80 a = st(c, 0), b = st(c, i.rm);
    u16 status;
    if (Quiet)
      status = RW_UNDER_FCW(host_cw(c), "fldt %[b]\n\tfldt %[a]\n\tfucomip %%st(1), %%st" RW_FNSTSW "fstp %%st(0)\n\tsetz %[zf]\n\tsetp %[pf]\n\tsetc %[cf]",
                            RW_X87_OPERANDS([zf] "=q"(zf), [pf] "=q"(pf), [cf] "=q"(cf)),
                            RW_X87_OPERANDS([a] "m"(a), [b] "m"(b)));
    else
      status = RW_UNDER_FCW(host_cw(c), "fldt %[b]\n\tfldt %[a]\n\tfcomip %%st(1), %%st" RW_FNSTSW "fstp %%st(0)\n\tsetz %[zf]\n\tsetp %[pf]\n\tsetc %[cf]",
                            RW_X87_OPERANDS([zf] "=q"(zf), [pf] "=q"(pf), [cf] "=q"(cf)),
                            RW_X87_OPERANDS([a] "m"(a), [b] "m"(b)));
    c.x87.fsw &= ~sw::C1;
    if (!take_status(c, status & sw::kExceptions)) return;
  }
  set_arith_flags(c, uint64_t{cf} | uint64_t{pf} << 2 | uint64_t{zf} << 6);
  if (Pop) pop(c);
}

void ftst(Cpu& c, const Insn& i) {
  begin(c, i, Begin::kNormal);
  if (empty(c, 0)) {
    if (!stack_fault(c, false)) return;
    set_compare(c, sw::C0 | sw::C2 | sw::C3);
    c.x87.fsw &= ~sw::C1;
    return;
  }
  const F80 a = st(c, 0);
  uint16_t dummy = 0;
  const u16 status = RW_UNDER_FCW(host_cw(c), "fldt %[a]\n\tftst" RW_FNSTSW "fstp %%st(0)", RW_X87_OPERANDS([d] "+m"(dummy)),
                                  RW_X87_OPERANDS([a] "m"(a)));
  if (!take_status(c, status & sw::kExceptions)) return;
  set_compare(c, status);
}

// FXAM: the class of ST(0) in C3 C2 C0, its sign in C1 (empty: C3 C0 = 1).
void fxam(Cpu& c, const Insn& i) {
  begin(c, i, Begin::kNormal);
  const F80 v = st(c, 0);
  const unsigned e = v.sign_exponent & 0x7FFF;
  const bool integer_bit = v.significand >> 63;
  const uint64_t fraction = v.significand << 1;
  u16 cc;
  if (empty(c, 0))
    cc = sw::C3 | sw::C0;
  else if (e == 0x7FFF)
    cc = !integer_bit ? 0 : fraction ? sw::C0 : sw::C2 | sw::C0;  // unsupported, NaN, infinity
  else if (e == 0)
    cc = v.significand == 0 ? sw::C3 : sw::C3 | sw::C2;  // zero, denormal (or pseudo-denormal)
  else
    cc = integer_bit ? sw::C2 : 0;  // normal, or unnormal (unsupported)
  if (v.sign_exponent & 0x8000) cc |= sw::C1;
  c.x87.fsw = static_cast<u16>((c.x87.fsw & ~sw::kConditions) | cc);
}

// --- loads ---

// A push, or the stack overflow: the masked response pushes the real indefinite.
bool push_checked(Cpu& c, const F80& v) {
  if (!empty(c, 7)) {
    if (stack_fault(c, true)) push(c, kIndefinite);
    return false;
  }
  c.x87.fsw &= ~sw::C1;
  push(c, v);
  return true;
}


template <class T, class U>
void load_mem(Cpu& c, const Insn& i) {  // FLD m32/m64, FILD m16/m32/m64
  begin(c, i, Begin::kNormalMemory);
  const T m = static_cast<T>(mem_read<U>(c, linear_address(c, i)));
  F80 v;
  const u16 status = host_load<T>(host_cw(c), m, v);
  if (!empty(c, 7)) {
    if (stack_fault(c, true)) push(c, kIndefinite);
    return;
  }
  if (!take_status(c, status & sw::kExceptions)) return;
  c.x87.fsw &= ~sw::C1;
  push(c, v);
}

F80 read_f80(Cpu& c, uint64_t lin) {
  F80 v;
  v.significand = mem_read<u64>(c, lin);
  v.sign_exponent = mem_read<u16>(c, (lin + 8) & c.lin_mask);
  return v;
}

void write_f80(Cpu& c, uint64_t lin, const F80& v) {
  probe_write(c, lin, 10);
  mem_write<u64>(c, lin, v.significand);
  mem_write<u16>(c, (lin + 8) & c.lin_mask, v.sign_exponent);
}

void fld_m80(Cpu& c, const Insn& i) {
  begin(c, i, Begin::kNormalMemory);
  push_checked(c, read_f80(c, linear_address(c, i)));
}

// FBLD: 18 BCD digits and a sign. Digits above 9 are undefined: rewind takes their value
// (as QEMU does).
void fbld(Cpu& c, const Insn& i) {
  begin(c, i, Begin::kNormalMemory);
  const uint64_t lin = linear_address(c, i);
  const uint64_t low = mem_read<u64>(c, lin);
  const uint16_t high = mem_read<u16>(c, (lin + 8) & c.lin_mask);
  int64_t value = 0;
  for (int b = 8; b >= 0; --b) {
    const unsigned byte = b == 8 ? (high & 0xFF) : (low >> (8 * b)) & 0xFF;
    value = value * 100 + (byte >> 4) * 10 + (byte & 15);
  }
  if (high & 0x8000) value = -value;
  F80 v;
  host_load<int64_t>(host_cw(c), value, v);
  if ((high & 0x8000) && value == 0) v.sign_exponent = 0x8000;  // -0
  push_checked(c, v);
}

void fld_sti(Cpu& c, const Insn& i) {
  begin(c, i, Begin::kNormal);
  F80 v;
  if (!operand(c, i.rm, v)) {  // an empty source is the fault reported, full stack or not
    if (stack_fault(c, false)) push(c, kIndefinite);
    return;
  }
  push_checked(c, v);
}

// FLD1, FLDL2T, FLDL2E, FLDPI, FLDLG2, FLDLN2, FLDZ: the constant rounded to 64 bits by FCW.RC
// (rounding to nearest gives the 8087's values). Each is its 64-bit significand truncated and
// whether the exact constant lies above it (`more`: so round up and nearest-up go up).
struct Constant {
  uint64_t significand;
  uint16_t exponent;
  bool nearest_up;  // the bits after the 64 are above one half
  bool inexact;
};
constexpr Constant kConstants[7] = {
    {0x8000000000000000ull, 0x3FFF, false, false},  // 1
    {0xD49A784BCD1B8AFEull, 0x4000, false, true},   // log2(10) = 3.3219... (next bits 0x49..)
    {0xB8AA3B295C17F0BBull, 0x3FFF, true, true},    // log2(e) = 1.4426... (next bits 0xBE..)
    {0xC90FDAA22168C234ull, 0x4000, true, true},    // pi (next bits 0xC4C6..)
    {0x9A209A84FBCFF798ull, 0x3FFD, true, true},    // log10(2) (next bits 0x8F..)
    {0xB17217F7D1CF79ABull, 0x3FFE, true, true},    // ln(2) (next bits 0xC9E3..)
    {0, 0, false, false},                           // +0
};

template <unsigned K>
void load_constant(Cpu& c, const Insn& i) {
  begin(c, i, Begin::kNormal);
  const Constant& k = kConstants[K];
  const unsigned rc = (c.x87.fcw >> 10) & 3;
  const bool up = k.inexact && (rc == 0 ? k.nearest_up : rc == 2);
  push_checked(c, F80{k.significand + (up ? 1 : 0), k.exponent});
}

// --- stores ---

// FST(P) m32/m64 and FIST(P) m16/m32/m64 round by RC; FISTTP (Truncate) truncates.
template <class T, bool Truncate>
u16 host_store(u16 cw, const F80& a, T& m);
#define RW_X87_STORE(T, TRUNCATE, MNEM)                                                               \
  template <>                                                                                         \
  u16 host_store<T, TRUNCATE>(u16 cw, const F80& a, T& m) {                                           \
    return RW_UNDER_FCW(cw, "fldt %[a]\n\t" MNEM " %[m]" RW_FNSTSW, RW_X87_OPERANDS([m] "=m"(m)), RW_X87_OPERANDS([a] "m"(a))); \
  }
RW_X87_STORE(uint32_t, false, "fstps")
RW_X87_STORE(uint64_t, false, "fstpl")
RW_X87_STORE(int16_t, false, "fistps")
RW_X87_STORE(int32_t, false, "fistpl")
RW_X87_STORE(int64_t, false, "fistpll")
RW_X87_STORE(int16_t, true, "fisttps")
RW_X87_STORE(int32_t, true, "fisttpl")
RW_X87_STORE(int64_t, true, "fisttpll")
#undef RW_X87_STORE

// The value an empty ST(0) stores when IE is masked: the indefinite of the format.
template <class T>
T indefinite_of() {
  if constexpr (std::is_same_v<T, uint32_t>) return 0xFFC00000u;
  else if constexpr (std::is_same_v<T, uint64_t>) return 0xFFF8000000000000ull;
  else return std::numeric_limits<T>::min();  // the integer indefinite: 1 followed by zeros
}

// FST, FSTP m32/m64, FIST, FISTP m16/m32/m64, FISTTP. An unmasked exception stores nothing.
template <class T, bool Pop, bool Truncate = false>
void store_mem(Cpu& c, const Insn& i) {
  begin(c, i, Begin::kNormalMemory);
  using U = std::make_unsigned_t<T>;
  const uint64_t lin = linear_address(c, i);
  T m;
  if (empty(c, 0)) {
    if (!stack_fault(c, false)) return;
    m = indefinite_of<T>();
  } else {
    const u16 status = host_store<T, Truncate>(host_cw(c), st(c, 0), m);
    if constexpr (std::is_same_v<T, uint32_t> || std::is_same_v<T, uint64_t>) {
      // Out of the format's range with the exception unmasked: nothing stored, only OE or UE
      // (an exact tiny result underflows too), C1 clear.
      constexpr int kMantBits = std::is_same_v<T, uint32_t> ? 23 : 52;
      const uint64_t bits = static_cast<uint64_t>(m);
      const bool tiny = ((bits >> kMantBits) & (std::is_same_v<T, uint32_t> ? 0xFF : 0x7FF)) == 0 &&
                        (bits & ((uint64_t{1} << kMantBits) - 1)) != 0;
      const u16 range = (status & (sw::OE | sw::UE)) | (tiny ? sw::UE : 0);
      if (range & ~c.x87.fcw & (sw::OE | sw::UE) && !(status & ~c.x87.fcw & (sw::IE | sw::DE | sw::ZE))) {
        c.x87.fsw = static_cast<u16>((c.x87.fsw & ~sw::C1) | (range & ~c.x87.fcw & (sw::OE | sw::UE)));
        update_summary(c);
        return;
      }
    }
    if (!take_status(c, status)) return;
  }
  mem_write<U>(c, lin, static_cast<U>(m));
  if (Pop) pop(c);
}

void fstp_m80(Cpu& c, const Insn& i) {
  begin(c, i, Begin::kNormalMemory);
  const uint64_t lin = linear_address(c, i);
  F80 v;
  if (!operand(c, 0, v)) {
    if (!stack_fault(c, false)) return;
  } else {
    c.x87.fsw &= ~sw::C1;
  }
  write_f80(c, lin, v);
  pop(c);
}

void fbstp(Cpu& c, const Insn& i) {
  begin(c, i, Begin::kNormalMemory);
  const uint64_t lin = linear_address(c, i);
  uint8_t bcd[10];
  if (empty(c, 0)) {
    if (!stack_fault(c, false)) return;
    const uint8_t indefinite[10] = {0, 0, 0, 0, 0, 0, 0, 0xC0, 0xFF, 0xFF};
    std::memcpy(bcd, indefinite, 10);
  } else {
    const F80 a = st(c, 0);
    const u16 status = RW_UNDER_FCW(host_cw(c), "fldt %[a]\n\tfbstp %[m]" RW_FNSTSW, RW_X87_OPERANDS([m] "=m"(bcd)),
                                    RW_X87_OPERANDS([a] "m"(a)));
    if (!take_status(c, status)) return;
  }
  probe_write(c, lin, 10);
  for (unsigned k = 0; k < 10; ++k) mem_write<u8>(c, (lin + k) & c.lin_mask, bcd[k]);
  pop(c);
}

template <bool Pop>
void fst_sti(Cpu& c, const Insn& i) {  // FST ST(i), FSTP ST(i)
  begin(c, i, Begin::kNormal);
  F80 v;
  if (!operand(c, 0, v)) {
    if (!stack_fault(c, false)) return;
  } else {
    c.x87.fsw &= ~sw::C1;
  }
  set_st(c, i.rm, v);
  if (Pop) pop(c);
}

// --- one-operand operations on ST(0) ---

void fchs_fabs(Cpu& c, const Insn& i, bool abs) {
  begin(c, i, Begin::kNormal);
  if (empty(c, 0)) {
    if (stack_fault(c, false)) set_st(c, 0, kIndefinite);
    return;
  }
  c.x87.fsw &= ~sw::C1;
  F80& v = st(c, 0);
  v.sign_exponent = abs ? (v.sign_exponent & 0x7FFF) : (v.sign_exponent ^ 0x8000);
}
void fchs(Cpu& c, const Insn& i) { fchs_fabs(c, i, false); }
void fabs(Cpu& c, const Insn& i) { fchs_fabs(c, i, true); }

#define RW_X87_UNARY(NAME, MNEM)                                                                     \
  u16 NAME(u16 cw, const F80& a, F80& r) {                                                            \
    return RW_UNDER_FCW(cw, "fldt %[a]\n\t" MNEM RW_FNSTSW "fstpt %[r]", RW_X87_OPERANDS([r] "=m"(r)),     \
                        RW_X87_OPERANDS([a] "m"(a)));                                                 \
  }
RW_X87_UNARY(host_fsqrt, "fsqrt")
RW_X87_UNARY(host_frndint, "frndint")
#undef RW_X87_UNARY

template <u16 (*F)(u16, const F80&, F80&)>
void unary(Cpu& c, const Insn& i) {  // FSQRT, FRNDINT
  begin(c, i, Begin::kNormal);
  if (empty(c, 0)) {
    if (stack_fault(c, false)) set_st(c, 0, kIndefinite);
    return;
  }
  F80 r;
  const u16 status = F(host_cw(c), st(c, 0), r);
  if (take_status(c, status)) set_st(c, 0, r);
}

// FXTRACT: ST(0) = exponent, then the significand pushed.
void fxtract(Cpu& c, const Insn& i) {
  begin(c, i, Begin::kNormal);
  if (empty(c, 0)) {  // the underflow is what is reported, full stack or not
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
  F80 exponent, significand;
  const F80 a = st(c, 0);
  const u16 status = RW_UNDER_FCW(host_cw(c), "fldt %[a]\n\tfxtract" RW_FNSTSW "fstpt %[s]\n\tfstpt %[e]",
                                  RW_X87_OPERANDS([s] "=m"(significand), [e] "=m"(exponent)),
                                  RW_X87_OPERANDS([a] "m"(a)));
  if (!take_status(c, status)) return;
  set_st(c, 0, exponent);
  push(c, significand);
}

// --- register housekeeping ---

void fxch(Cpu& c, const Insn& i) {
  begin(c, i, Begin::kNormal);
  F80 a, b;
  const bool full = !empty(c, 0) && !empty(c, i.rm);
  if (!full) {
    if (!stack_fault(c, false)) return;
    a = empty(c, 0) ? kIndefinite : st(c, 0);
    b = empty(c, i.rm) ? kIndefinite : st(c, i.rm);
  } else {
    a = st(c, 0);
    b = st(c, i.rm);
    c.x87.fsw &= ~sw::C1;
  }
  set_st(c, 0, b);
  set_st(c, i.rm, a);
}

void fincstp(Cpu& c, const Insn& i) {
  begin(c, i, Begin::kNormal);
  c.x87.fsw &= ~sw::C1;
  set_top(c, top(c) + 1);
}

void fdecstp(Cpu& c, const Insn& i) {
  begin(c, i, Begin::kNormal);
  c.x87.fsw &= ~sw::C1;
  set_top(c, top(c) - 1);
}

template <bool Pop>
void ffree(Cpu& c, const Insn& i) {  // FFREE, FFREEP (undocumented: also pops)
  begin(c, i, Begin::kNormal);
  c.x87.ftw &= static_cast<uint8_t>(~(1u << phys(c, i.rm)));
  if (Pop) pop(c);
}

void fnop(Cpu& c, const Insn& i) { begin(c, i, Begin::kNormal); }

// FCMOVcc: B, E, BE, U and their negations (ext: the condition, bit 3 negates).
void fcmov(Cpu& c, const Insn& i) {
  begin(c, i, Begin::kNormal);
  if (empty(c, 0) || empty(c, i.rm)) {
    if (stack_fault(c, false)) set_st(c, 0, kIndefinite);  // whatever the condition
    return;
  }
  c.x87.fsw &= ~sw::C1;
  bool take;
  switch (i.ext & 3) {
    case 0: take = get_cf(c); break;
    case 1: take = get_zf(c); break;
    case 2: take = get_cf(c) || get_zf(c); break;
    default: take = get_pf(c); break;
  }
  if (i.ext & 8) take = !take;
  if (take) set_st(c, 0, st(c, i.rm));
}

// --- control ---

void fninit(Cpu& c, const Insn& i) {
  begin(c, i, Begin::kNoWait);
  X87State& x = c.x87;
  x.fcw = 0x37F;
  x.fsw = 0;
  x.ftw = 0;
  x.fop = 0;
  x.fip = x.fdp = 0;
  x.fcs = x.fds = 0;
}

void fnclex(Cpu& c, const Insn& i) {
  begin(c, i, Begin::kNoWait);
  c.x87.fsw &= ~(sw::kExceptions | sw::SF | sw::ES | sw::B);
}

void fldcw(Cpu& c, const Insn& i) {
  begin(c, i, Begin::kControl);
  c.x87.fcw = mem_read<u16>(c, linear_address(c, i)) | 0x40;  // bit 6 reads as one
  update_summary(c);
}

void fnstcw(Cpu& c, const Insn& i) {
  begin(c, i, Begin::kNoWait);
  mem_write<u16>(c, linear_address(c, i), c.x87.fcw);
}

void fnstsw_mem(Cpu& c, const Insn& i) {
  begin(c, i, Begin::kNoWait);
  mem_write<u16>(c, linear_address(c, i), c.x87.fsw);
}

void fnstsw_ax(Cpu& c, const Insn& i) {
  begin(c, i, Begin::kNoWait);
  reg_set<u16>(c, RAX, c.x87.fsw);
}

// FWAIT: reports a pending unmasked exception (#NM only with CR0.MP and TS).
void fwait(Cpu& c, const Insn&) {
  if ((c.cr0 & (cr0::MP | cr0::TS)) == (cr0::MP | cr0::TS)) raise_fault(vec::NM);
  if (c.x87.fsw & sw::ES) pending_exception(c);
}

void fnop_control(Cpu& c, const Insn& i) { begin(c, i, Begin::kNoWait); }  // FENI, FDISI, FSETPM

template <class Op>
Handler arith_mem_form(unsigned type) {
  switch (type) {
    case 0: return chain<arith_mem<Op, MemType::kF32>>;
    case 1: return chain<arith_mem<Op, MemType::kI32>>;
    case 2: return chain<arith_mem<Op, MemType::kF64>>;
    default: return chain<arith_mem<Op, MemType::kI16>>;
  }
}

// D8 (m32), DA (m32int), DC (m64), DE (m16int) /0-/7: FADD FMUL FCOM FCOMP FSUB FSUBR FDIV FDIVR.
Handler arith_mem_op(unsigned type, unsigned op) {
  switch (op) {
    case 0: return arith_mem_form<Add>(type);
    case 1: return arith_mem_form<Mul>(type);
    case 4: return arith_mem_form<Sub>(type);
    case 5: return arith_mem_form<Subr>(type);
    case 6: return arith_mem_form<Div>(type);
    case 7: return arith_mem_form<Divr>(type);
    default: {
      const bool pop = op == 3;
      switch (type) {
        case 0: return pop ? chain<compare_mem<MemType::kF32, true>> : chain<compare_mem<MemType::kF32, false>>;
        case 1: return pop ? chain<compare_mem<MemType::kI32, true>> : chain<compare_mem<MemType::kI32, false>>;
        case 2: return pop ? chain<compare_mem<MemType::kF64, true>> : chain<compare_mem<MemType::kF64, false>>;
        default: return pop ? chain<compare_mem<MemType::kI16, true>> : chain<compare_mem<MemType::kI16, false>>;
      }
    }
  }
}

template <bool Pop>
Handler sti_st0_op(unsigned op) {  // DC/DE C0-FF: the destination is ST(i)
  switch (op) {
    case 0: return chain<arith_sti_st0<Add, Pop>>;
    case 1: return chain<arith_sti_st0<Mul, Pop>>;
    case 4: return chain<arith_sti_st0<Subr, Pop>>;  // FSUBR ST(i), ST(0): ST(i) = ST(0) - ST(i)
    case 5: return chain<arith_sti_st0<Sub, Pop>>;
    case 6: return chain<arith_sti_st0<Divr, Pop>>;
    default: return chain<arith_sti_st0<Div, Pop>>;
  }
}

}  // namespace

// The environment and save images (x87_env.cpp); the instructions computed in software
// (x87_trans.cpp).
Handler select_env(bool save, bool whole, unsigned osize);
Handler select_math(uint8_t modrm);

// D8-DF. `modrm`: the whole ModRM byte; memory forms by ModRM.reg, register forms by the
// byte (ST(i) in Insn::rm, set by the decoder).
Handler select(uint8_t op, uint8_t modrm, bool mem, unsigned osize) {
  const unsigned reg = (modrm >> 3) & 7;
  if (mem) {
    switch (op) {
      case 0xD8: return arith_mem_op(0, reg);
      case 0xDA: return arith_mem_op(1, reg);
      case 0xDC: return arith_mem_op(2, reg);
      case 0xDE: return arith_mem_op(3, reg);
      case 0xD9:
        switch (reg) {
          case 0: return chain<load_mem<uint32_t, uint32_t>>;
          case 2: return chain<store_mem<uint32_t, false>>;
          case 3: return chain<store_mem<uint32_t, true>>;
          case 4: return select_env(false, false, osize);  // FLDENV
          case 5: return chain<fldcw>;
          case 6: return select_env(true, false, osize);  // FNSTENV
          case 7: return chain<fnstcw>;
          default: return op_invalid;
        }
      case 0xDB:
        switch (reg) {
          case 0: return chain<load_mem<int32_t, uint32_t>>;
          case 1: return chain<store_mem<int32_t, true, true>>;
          case 2: return chain<store_mem<int32_t, false>>;
          case 3: return chain<store_mem<int32_t, true>>;
          case 5: return chain<fld_m80>;
          case 7: return chain<fstp_m80>;
          default: return op_invalid;
        }
      case 0xDD:
        switch (reg) {
          case 0: return chain<load_mem<uint64_t, uint64_t>>;
          case 1: return chain<store_mem<int64_t, true, true>>;
          case 2: return chain<store_mem<uint64_t, false>>;
          case 3: return chain<store_mem<uint64_t, true>>;
          case 4: return select_env(false, true, osize);  // FRSTOR
          case 6: return select_env(true, true, osize);   // FNSAVE
          case 7: return chain<fnstsw_mem>;
          default: return op_invalid;
        }
      default:  // DF
        switch (reg) {
          case 0: return chain<load_mem<int16_t, uint16_t>>;
          case 1: return chain<store_mem<int16_t, true, true>>;
          case 2: return chain<store_mem<int16_t, false>>;
          case 3: return chain<store_mem<int16_t, true>>;
          case 4: return chain<fbld>;
          case 5: return chain<load_mem<int64_t, uint64_t>>;
          case 6: return chain<fbstp>;
          default: return chain<store_mem<int64_t, true>>;
        }
    }
  }
  switch (op) {
    case 0xD8:
      switch (reg) {
        case 0: return chain<arith_st0_sti<Add>>;
        case 1: return chain<arith_st0_sti<Mul>>;
        case 2: return chain<compare_sti<false, 0>>;
        case 3: return chain<compare_sti<false, 1>>;
        case 4: return chain<arith_st0_sti<Sub>>;
        case 5: return chain<arith_st0_sti<Subr>>;
        case 6: return chain<arith_st0_sti<Div>>;
        default: return chain<arith_st0_sti<Divr>>;
      }
    case 0xD9:
      switch (reg) {
        case 0: return chain<fld_sti>;
        case 1: return chain<fxch>;
        case 2: return modrm == 0xD0 ? chain<fnop> : op_invalid;
        case 3: return chain<fst_sti<true>>;  // FSTP1 (undocumented alias)
        default: break;
      }
      switch (modrm) {
        case 0xE0: return chain<fchs>;
        case 0xE1: return chain<fabs>;
        case 0xE4: return chain<ftst>;
        case 0xE5: return chain<fxam>;
        case 0xE8: return chain<load_constant<0>>;
        case 0xE9: return chain<load_constant<1>>;
        case 0xEA: return chain<load_constant<2>>;
        case 0xEB: return chain<load_constant<3>>;
        case 0xEC: return chain<load_constant<4>>;
        case 0xED: return chain<load_constant<5>>;
        case 0xEE: return chain<load_constant<6>>;
        case 0xF4: return chain<fxtract>;
        case 0xF6: return chain<fdecstp>;
        case 0xF7: return chain<fincstp>;
        case 0xFA: return chain<unary<host_fsqrt>>;
        case 0xFC: return chain<unary<host_frndint>>;
        case 0xF0: case 0xF1: case 0xF2: case 0xF3: case 0xF5: case 0xF8: case 0xF9: case 0xFB: case 0xFD:
        case 0xFE: case 0xFF:
          return select_math(modrm);  // x87_trans.cpp: computed in software
        default: return op_invalid;
      }
    case 0xDA:
      if (reg < 4) return chain<fcmov>;
      return modrm == 0xE9 ? chain<compare_sti<true, 2>> : op_invalid;  // FUCOMPP
    case 0xDB:
      if (reg < 4) return chain<fcmov>;
      switch (modrm) {
        case 0xE0: case 0xE1: case 0xE4: return chain<fnop_control>;  // FENI FDISI FSETPM
        case 0xE2: return chain<fnclex>;
        case 0xE3: return chain<fninit>;
        default: break;
      }
      if (reg == 5) return chain<compare_eflags<true, false>>;   // FUCOMI
      if (reg == 6) return chain<compare_eflags<false, false>>;  // FCOMI
      return op_invalid;
    case 0xDC:
      if (reg == 2) return chain<compare_sti<false, 0>>;  // aliases of FCOM, FCOMP
      if (reg == 3) return chain<compare_sti<false, 1>>;
      return sti_st0_op<false>(reg);
    case 0xDD:
      switch (reg) {
        case 0: return chain<ffree<false>>;
        case 1: return chain<fxch>;
        case 2: return chain<fst_sti<false>>;
        case 3: return chain<fst_sti<true>>;
        case 4: return chain<compare_sti<true, 0>>;  // FUCOM
        case 5: return chain<compare_sti<true, 1>>;  // FUCOMP
        default: return op_invalid;
      }
    case 0xDE:
      if (reg == 2) return chain<compare_sti<false, 1>>;  // alias of FCOMP
      if (reg == 3) return modrm == 0xD9 ? chain<compare_sti<false, 2>> : op_invalid;  // FCOMPP
      return sti_st0_op<true>(reg);
    default:  // DF
      switch (reg) {
        case 0: return chain<ffree<true>>;   // FFREEP
        case 1: return chain<fxch>;
        case 2: case 3: return chain<fst_sti<true>>;
        case 4: return modrm == 0xE0 ? chain<fnstsw_ax> : op_invalid;
        case 5: return chain<compare_eflags<true, true>>;   // FUCOMIP
        case 6: return chain<compare_eflags<false, true>>;  // FCOMIP
        default: return op_invalid;
      }
  }
}

const Handler op_fwait = chain<fwait>;

}  // namespace rw::cpu::x87
