// SSE, SSE2 and SSE3 floating point: arithmetic, comparisons, conversions, MXCSR, and the
// FXSAVE/FXRSTOR image (Intel SDM vol. 1 ch. 10-11, vol. 2 for each instruction).
#include <algorithm>

#include "cpu/handlers.h"
#include "cpu/sse.h"

namespace rw::cpu {

[[noreturn]] void sse_unavailable(const Cpu& c) {
  if ((c.cr0 & cr0::EM) || !(c.cr4 & cr4::OSFXSR)) raise_fault(vec::UD);
  raise_fault(vec::NM);
}

namespace {

// --- the slow path: unmasked exceptions ---

// A finite binary floating-point value as an exact rational: odd * 2^exponent (odd = 0 for
// zero), so that the exactness of a result can be decided without rounding anything.
struct Exact {
  bool negative = false;
  uint64_t odd = 0;
  int exponent = 0;
};

Exact exact_of(uint64_t bits, bool is_double, bool daz) {
  const unsigned mant_bits = is_double ? 52 : 23;
  const unsigned exp_bits = is_double ? 11 : 8;
  const int bias = is_double ? 1023 : 127;
  Exact e;
  e.negative = (bits >> (mant_bits + exp_bits)) & 1;
  const uint64_t biased = (bits >> mant_bits) & ((uint64_t{1} << exp_bits) - 1);
  uint64_t m = bits & ((uint64_t{1} << mant_bits) - 1);
  int exponent = 1 - bias - static_cast<int>(mant_bits);
  if (biased != 0) {
    m |= uint64_t{1} << mant_bits;
    exponent = static_cast<int>(biased) - bias - static_cast<int>(mant_bits);
  } else if (daz) {
    m = 0;
  }
  if (m == 0) return e;
  const int tz = __builtin_ctzll(m);
  e.odd = m >> tz;
  e.exponent = exponent + tz;
  return e;
}

unsigned bit_length(unsigned __int128 v) {
  const uint64_t hi = static_cast<uint64_t>(v >> 64);
  return hi ? 128 - __builtin_clzll(hi) : (v ? 64 - __builtin_clzll(static_cast<uint64_t>(v)) : 0);
}

// Whether `odd` (odd, or zero) fits a significand of `precision` bits.
bool fits(unsigned __int128 odd, unsigned precision) { return bit_length(odd) <= precision; }

// Is the operation's result inexact when rounded to `precision` bits with an unbounded
// exponent? What an unmasked overflow or underflow sets PE by (SDM vol. 1, 4.9.1.4-5): the
// masked response's flags say it about the result squeezed into the format's range instead.
bool inexact_unbounded(Kind kind, const Exact& a, const Exact& b, unsigned precision) {
  using U = unsigned __int128;
  switch (kind) {
    case Kind::kNarrow: return !fits(a.odd, precision);
    case Kind::kMul: return !fits(U{a.odd} * b.odd, precision);
    case Kind::kDiv:
      if (b.odd == 0 || a.odd == 0) return false;
      return a.odd % b.odd != 0 || !fits(a.odd / b.odd, precision);
    case Kind::kAdd:
    case Kind::kSub: {
      if (a.odd == 0 || b.odd == 0) return false;  // the other operand, exactly
      const bool b_negative = b.negative != (kind == Kind::kSub);
      const int low = std::min(a.exponent, b.exponent);
      const int shift_a = a.exponent - low, shift_b = b.exponent - low;
      // Beyond this the sum spans more bits than any precision: it cannot cancel to fit.
      if (shift_a > 70 || shift_b > 70) return true;
      const U ma = U{a.odd} << shift_a, mb = U{b.odd} << shift_b;
      U sum;
      if (a.negative == b_negative)
        sum = ma + mb;
      else
        sum = ma > mb ? ma - mb : mb - ma;
      if (sum == 0) return false;
      while (!(sum & 1)) sum >>= 1;
      return !fits(sum, precision);
    }
    case Kind::kNone: break;
  }
  return false;
}

bool lane_tiny(uint64_t bits, bool is_double) {
  return is_double ? (bits & 0x7FF0000000000000ull) == 0 && (bits & 0x000FFFFFFFFFFFFFull) != 0
                   : (bits & 0x7F800000) == 0 && (bits & 0x007FFFFF) != 0;
}

uint64_t lane_bits(__m128i v, unsigned lane, bool is_double) {
  const Xmm x = from_host(v);
  if (is_double) return x.q[lane];
  uint32_t w[4];
  std::memcpy(w, x.q, 16);
  return w[lane];
}

// Every lane but `lane` set to 1.0, which no operation here raises a flag for.
__m128i only_lane(__m128i v, unsigned lane, bool is_double) {
  Xmm x = from_host(v);
  if (is_double) {
    x.q[1 - lane] = 0x3FF0000000000000ull;
  } else {
    uint32_t w[4];
    std::memcpy(w, x.q, 16);
    for (unsigned k = 0; k < 4; ++k)
      if (k != lane) w[k] = 0x3F800000;
    std::memcpy(x.q, w, 16);
  }
  return to_host(x);
}

// The flags of one operation with an unmasked overflow or underflow in view, lane by lane: a
// lane that overflows or underflows (an exact tiny result underflows too, when unmasked) sets
// PE only if its result is inexact with an unbounded exponent.
uint32_t unbounded_flags(const Cpu& c, Tiny tiny, Kind kind, const FpOperands& ops, HostOp run) {
  const bool um = !(c.mxcsr & mxcsr::UM), om = !(c.mxcsr & mxcsr::OM);
  const bool daz = c.mxcsr & mxcsr::DAZ;
  // Result lanes, and whether sources and results are doubles.
  const bool packed = tiny == Tiny::kPs || tiny == Tiny::kPd || tiny == Tiny::kPdToPs;
  const unsigned lanes = tiny == Tiny::kPs ? 4 : tiny == Tiny::kPd || tiny == Tiny::kPdToPs ? 2 : 1;
  const bool source_double = tiny == Tiny::kPd || tiny == Tiny::kSd || tiny == Tiny::kPdToPs ||
                             (tiny == Tiny::kSs && kind == Kind::kNarrow);
  const bool result_double = tiny == Tiny::kPd || tiny == Tiny::kSd;
  const unsigned precision = result_double ? 53 : 24;
  uint32_t total = 0;
  for (unsigned lane = 0; lane < lanes; ++lane) {
    __m128i d = ops.d, s = ops.s;
    if (packed) {
      d = only_lane(d, lane, source_double);
      s = only_lane(s, lane, source_double);
    }
    __m128i r = d;
    uint32_t f = run(host_mxcsr(c.mxcsr), r, s);
    const bool exact_tiny = um && lane_tiny(lane_bits(r, lane, result_double), result_double);
    if ((um && ((f & mxcsr::UE) || exact_tiny)) || (om && (f & mxcsr::OE))) {
      if (exact_tiny) f |= mxcsr::UE;
      const Exact a = exact_of(lane_bits(kind == Kind::kNarrow ? s : d, lane, source_double), source_double, daz);
      const Exact b = exact_of(lane_bits(s, lane, source_double), source_double, daz);
      f = (f & ~mxcsr::PE) | (inexact_unbounded(kind, a, b, precision) ? mxcsr::PE : 0);
    }
    total |= f;
  }
  return total;
}

}  // namespace

void fp_exception(Cpu& c, uint32_t raised, Tiny tiny, Kind kind, const FpOperands& ops, HostOp run) {
  const uint32_t masked = (c.mxcsr >> 7) & mxcsr::kFlags;
  constexpr uint32_t kPre = mxcsr::IE | mxcsr::DE | mxcsr::ZE;
  // An unmasked invalid-operation, denormal or divide-by-zero exception is found before the
  // computation, which then does not happen: only those flags are set (SDM vol. 1, 11.5.2.1).
  if (raised & kPre & ~masked) {
    c.mxcsr |= raised & kPre;
    raise_fault((c.cr4 & cr4::OSXMMEXCPT) ? vec::XM : vec::UD);
  }
  if (tiny != Tiny::kNone && (masked & (mxcsr::OE | mxcsr::UE)) != (mxcsr::OE | mxcsr::UE))
    raised = (raised & kPre) | unbounded_flags(c, tiny, kind, ops, run);
  c.mxcsr |= raised;
  if (raised & ~masked) raise_fault((c.cr4 & cr4::OSXMMEXCPT) ? vec::XM : vec::UD);
}

namespace {

// --- operations between XMM registers: arithmetic, square root, min/max, compares,
// conversions. Each is the host instruction of the same name. ---

#define RW_FP_OP(NAME, INSN, TINY, KIND)                                                         \
  struct NAME {                                                                                  \
    static constexpr Tiny kTiny = TINY;                                                          \
    static constexpr Kind kKind = KIND;                                                          \
    static uint32_t run(uint32_t csr, __m128i& d, __m128i s) { return RW_HOST_FP(INSN, csr, d, s); } \
  };

// The packed and scalar forms of one operation; KIND: the arithmetic whose result can
// overflow or underflow (Kind::kNone: it cannot).
#define RW_FP_FOUR(NAME, INSN, KIND)                                                    \
  RW_FP_OP(NAME##Ps, INSN "ps", KIND == Kind::kNone ? Tiny::kNone : Tiny::kPs, KIND)   \
  RW_FP_OP(NAME##Pd, INSN "pd", KIND == Kind::kNone ? Tiny::kNone : Tiny::kPd, KIND)   \
  RW_FP_OP(NAME##Ss, INSN "ss", KIND == Kind::kNone ? Tiny::kNone : Tiny::kSs, KIND)   \
  RW_FP_OP(NAME##Sd, INSN "sd", KIND == Kind::kNone ? Tiny::kNone : Tiny::kSd, KIND)

RW_FP_FOUR(Add, "add", Kind::kAdd)
RW_FP_FOUR(Sub, "sub", Kind::kSub)
RW_FP_FOUR(Mul, "mul", Kind::kMul)
RW_FP_FOUR(Div, "div", Kind::kDiv)
RW_FP_FOUR(Min, "min", Kind::kNone)
RW_FP_FOUR(Max, "max", Kind::kNone)
RW_FP_FOUR(Sqrt, "sqrt", Kind::kNone)

// CMPccPS and friends: the predicate is imm8[2:0] (the legacy encoding has no more).
RW_FP_FOUR(CmpEq, "cmpeq", Kind::kNone)
RW_FP_FOUR(CmpLt, "cmplt", Kind::kNone)
RW_FP_FOUR(CmpLe, "cmple", Kind::kNone)
RW_FP_FOUR(CmpUnord, "cmpunord", Kind::kNone)
RW_FP_FOUR(CmpNeq, "cmpneq", Kind::kNone)
RW_FP_FOUR(CmpNlt, "cmpnlt", Kind::kNone)
RW_FP_FOUR(CmpNle, "cmpnle", Kind::kNone)
RW_FP_FOUR(CmpOrd, "cmpord", Kind::kNone)

RW_FP_OP(CvtPs2Pd, "cvtps2pd", Tiny::kNone, Kind::kNone)
RW_FP_OP(CvtPd2Ps, "cvtpd2ps", Tiny::kPdToPs, Kind::kNarrow)
RW_FP_OP(CvtSs2Sd, "cvtss2sd", Tiny::kNone, Kind::kNone)
RW_FP_OP(CvtSd2Ss, "cvtsd2ss", Tiny::kSs, Kind::kNarrow)
RW_FP_OP(CvtDq2Ps, "cvtdq2ps", Tiny::kNone, Kind::kNone)
RW_FP_OP(CvtPs2Dq, "cvtps2dq", Tiny::kNone, Kind::kNone)
RW_FP_OP(CvttPs2Dq, "cvttps2dq", Tiny::kNone, Kind::kNone)
RW_FP_OP(CvtDq2Pd, "cvtdq2pd", Tiny::kNone, Kind::kNone)
RW_FP_OP(CvtPd2Dq, "cvtpd2dq", Tiny::kNone, Kind::kNone)
RW_FP_OP(CvttPd2Dq, "cvttpd2dq", Tiny::kNone, Kind::kNone)

#undef RW_FP_FOUR
#undef RW_FP_OP

template <class Op, Width W, bool Mem>
void fp_op(Cpu& c, const Insn& i) {
  sse_available(c);
  const Xmm s = xmm_source<W, Mem>(c, i);
  const __m128i before = to_host(c.xmm[i.reg]), source = to_host(s);
  __m128i d = before;
  const uint32_t raised = Op::run(host_mxcsr(c.mxcsr), d, source);
  fp_flags<Op::kTiny, Op::kKind>(c, raised, before, source, d, &Op::run);
  c.xmm[i.reg] = from_host(d);
}

template <class Op>
Handler fp(Width w, bool mem) {
  if (!mem) return chain<fp_op<Op, Width::k16, false>>;
  switch (w) {
    case Width::k16Aligned: return chain<fp_op<Op, Width::k16Aligned, true>>;
    case Width::k16: return chain<fp_op<Op, Width::k16, true>>;
    case Width::k8: return chain<fp_op<Op, Width::k8, true>>;
    default: return chain<fp_op<Op, Width::k4, true>>;
  }
}

// Packed single, packed double, scalar single, scalar double: by mandatory prefix (none,
// 66, F3, F2).
template <class Ps, class Pd, class Ss, class Sd>
Handler fp_four(unsigned prefix, bool mem) {
  switch (prefix) {
    case 0: return fp<Ps>(Width::k16Aligned, mem);
    case 1: return fp<Pd>(Width::k16Aligned, mem);
    case 2: return fp<Ss>(Width::k4, mem);
    default: return fp<Sd>(Width::k8, mem);
  }
}

#define RW_FOUR(NAME) NAME##Ps, NAME##Pd, NAME##Ss, NAME##Sd

Handler compare(unsigned prefix, bool mem, unsigned predicate) {
  switch (predicate & 7) {
    case 0: return fp_four<RW_FOUR(CmpEq)>(prefix, mem);
    case 1: return fp_four<RW_FOUR(CmpLt)>(prefix, mem);
    case 2: return fp_four<RW_FOUR(CmpLe)>(prefix, mem);
    case 3: return fp_four<RW_FOUR(CmpUnord)>(prefix, mem);
    case 4: return fp_four<RW_FOUR(CmpNeq)>(prefix, mem);
    case 5: return fp_four<RW_FOUR(CmpNlt)>(prefix, mem);
    case 6: return fp_four<RW_FOUR(CmpNle)>(prefix, mem);
    default: return fp_four<RW_FOUR(CmpOrd)>(prefix, mem);
  }
}

// --- SSE3: ADDSUBPS/PD, HADDPS/PD, HSUBPS/PD ---
// Each result lane is one addition or subtraction of two lanes, as ADDPS or SUBPS computes
// it; only which lanes pair up differs. The slow path of an unmasked exception (fp_flags)
// goes lane by lane, so it is handed the operands rearranged for that plain operation
// (`lanes`): the same lane values, the same flags. ADDSUB's subtracting lanes become
// additions of the negated source, which computes the same (x - y is x + -y) but for the
// sign of a NaN, which the slow path does not look at.

__m128 ps(__m128i v) { return _mm_castsi128_ps(v); }
__m128i bits(__m128 v) { return _mm_castps_si128(v); }

#define RW_FP_PAIRS(NAME, INSN, PLAIN, TINY, LANES)                                                   \
  struct NAME {                                                                                      \
    using Plain = PLAIN;                                                                             \
    static constexpr Tiny kTiny = TINY;                                                              \
    static uint32_t run(uint32_t csr, __m128i& d, __m128i s) { return RW_HOST_FP(INSN, csr, d, s); } \
    static void lanes(__m128i d, __m128i s, __m128i& a, __m128i& b) { LANES; }                       \
  };

// HADDPS: (d0+d1, d2+d3, s0+s1, s2+s3); HADDPD: (d0+d1, s0+s1); HSUB alike.
RW_FP_PAIRS(HaddPs, "haddps", AddPs, Tiny::kPs,
            (a = bits(_mm_shuffle_ps(ps(d), ps(s), 0x88)), b = bits(_mm_shuffle_ps(ps(d), ps(s), 0xDD))))
RW_FP_PAIRS(HsubPs, "hsubps", SubPs, Tiny::kPs,
            (a = bits(_mm_shuffle_ps(ps(d), ps(s), 0x88)), b = bits(_mm_shuffle_ps(ps(d), ps(s), 0xDD))))
RW_FP_PAIRS(HaddPd, "haddpd", AddPd, Tiny::kPd, (a = _mm_unpacklo_epi64(d, s), b = _mm_unpackhi_epi64(d, s)))
RW_FP_PAIRS(HsubPd, "hsubpd", SubPd, Tiny::kPd, (a = _mm_unpacklo_epi64(d, s), b = _mm_unpackhi_epi64(d, s)))
// ADDSUBPS: (d0-s0, d1+s1, d2-s2, d3+s3); ADDSUBPD: (d0-s0, d1+s1).
RW_FP_PAIRS(AddsubPs, "addsubps", AddPs, Tiny::kPs,
            (a = d, b = _mm_xor_si128(s, _mm_set_epi32(0, INT32_MIN, 0, INT32_MIN))))
RW_FP_PAIRS(AddsubPd, "addsubpd", AddPd, Tiny::kPd, (a = d, b = _mm_xor_si128(s, _mm_set_epi64x(0, INT64_MIN))))
#undef RW_FP_PAIRS

template <class Op, bool Mem>
void fp_pairs(Cpu& c, const Insn& i) {
  sse_available(c);
  const Xmm s = xmm_source<Width::k16Aligned, Mem>(c, i);
  const __m128i before = to_host(c.xmm[i.reg]), source = to_host(s);
  __m128i d = before;
  const uint32_t raised = Op::run(host_mxcsr(c.mxcsr), d, source);
  __m128i a, b;
  Op::lanes(before, source, a, b);
  fp_flags<Op::kTiny, Op::Plain::kKind>(c, raised, a, b, d, &Op::Plain::run);
  c.xmm[i.reg] = from_host(d);
}

// By mandatory prefix: 66 the PD form, F2 the PS form; no other.
template <class Ps, class Pd>
Handler fp_pairs_form(unsigned prefix, bool mem) {
  if (prefix == 1) return mem ? chain<fp_pairs<Pd, true>> : chain<fp_pairs<Pd, false>>;
  if (prefix == 3) return mem ? chain<fp_pairs<Ps, true>> : chain<fp_pairs<Ps, false>>;
  return op_invalid;
}

// --- COMISS, UCOMISS, COMISD, UCOMISD: ZF PF CF from the comparison, OF SF AF cleared ---

#define RW_COMI(NAME, INSN)                                                                          \
  struct NAME {                                                                                      \
    static uint32_t run(uint32_t csr, __m128i d, __m128i s, uint8_t& zf, uint8_t& pf, uint8_t& cf) { \
      return RW_UNDER_MXCSR(csr, INSN " %[s], %[d]\n\tsetz %[zf]\n\tsetp %[pf]\n\tsetc %[cf]",          \
                            RW_OPERANDS([zf] "=q"(zf), [pf] "=q"(pf), [cf] "=q"(cf)),                 \
                            RW_OPERANDS([d] "x"(d), [s] "x"(s)));                                    \
    }                                                                                                \
  };
RW_COMI(Comiss, "comiss")
RW_COMI(Ucomiss, "ucomiss")
RW_COMI(Comisd, "comisd")
RW_COMI(Ucomisd, "ucomisd")
#undef RW_COMI

template <class Op, Width W, bool Mem>
void comi(Cpu& c, const Insn& i) {
  sse_available(c);
  const Xmm s = xmm_source<W, Mem>(c, i);
  const __m128i d = to_host(c.xmm[i.reg]);
  uint8_t zf, pf, cf;
  const uint32_t raised = Op::run(host_mxcsr(c.mxcsr), d, to_host(s), zf, pf, cf);
  fp_flags(c, raised, d, d, d);
  set_arith_flags(c, uint64_t{cf} | uint64_t{pf} << 2 | uint64_t{zf} << 6);
}

template <class Op, Width W>
Handler comi_form(bool mem) {
  return mem ? chain<comi<Op, W, true>> : chain<comi<Op, W, false>>;
}

// --- conversions between XMM and general registers ---

// CVTSI2SS, CVTSI2SD: a 32- or 64-bit integer into the low lane.
#define RW_CVT_FROM_INT(NAME, INSN)                                                                \
  struct NAME {                                                                                    \
    template <class T>                                                                             \
    static uint32_t run(uint32_t csr, __m128i& d, T v) {                                           \
      if constexpr (sizeof(T) == 8)                                                                \
        return RW_UNDER_MXCSR(csr, INSN "q %[v], %[d]", RW_OPERANDS([d] "+x"(d)), RW_OPERANDS([v] "r"(v))); \
      else                                                                                         \
        return RW_UNDER_MXCSR(csr, INSN "l %[v], %[d]", RW_OPERANDS([d] "+x"(d)), RW_OPERANDS([v] "r"(v))); \
    }                                                                                              \
  };
RW_CVT_FROM_INT(CvtSi2Ss, "cvtsi2ss")
RW_CVT_FROM_INT(CvtSi2Sd, "cvtsi2sd")
#undef RW_CVT_FROM_INT

template <class Op, class T, bool Mem>
void cvt_from_int(Cpu& c, const Insn& i) {
  sse_available(c);
  const T v = Mem ? mem_read<T>(c, linear_address(c, i)) : static_cast<T>(c.gpr[i.rm]);
  __m128i d = to_host(c.xmm[i.reg]);
  const uint32_t raised = Op::run(host_mxcsr(c.mxcsr), d, static_cast<std::make_signed_t<T>>(v));
  fp_flags(c, raised, d, d, d);
  c.xmm[i.reg] = from_host(d);
}

// CVTSS2SI, CVTTSS2SI, CVTSD2SI, CVTTSD2SI: the low lane into a 32- or 64-bit register
// (out of range or NaN: the integer indefinite, 1 followed by zeros, and IE).
#define RW_CVT_TO_INT(NAME, INSN)                                                                  \
  struct NAME {                                                                                    \
    template <class T>                                                                             \
    static uint32_t run(uint32_t csr, __m128i s, T& r) {                                           \
      return RW_UNDER_MXCSR(csr, INSN " %[s], %[r]", RW_OPERANDS([r] "=r"(r)), RW_OPERANDS([s] "x"(s))); \
    }                                                                                              \
  };
RW_CVT_TO_INT(CvtSs2Si, "cvtss2si")
RW_CVT_TO_INT(CvttSs2Si, "cvttss2si")
RW_CVT_TO_INT(CvtSd2Si, "cvtsd2si")
RW_CVT_TO_INT(CvttSd2Si, "cvttsd2si")
#undef RW_CVT_TO_INT

template <class Op, Width W, class T, bool Mem>
void cvt_to_int(Cpu& c, const Insn& i) {
  sse_available(c);
  const Xmm s = xmm_source<W, Mem>(c, i);
  T r;
  const uint32_t raised = Op::run(host_mxcsr(c.mxcsr), to_host(s), r);
  const __m128i none = _mm_setzero_si128();
  fp_flags(c, raised, none, none, none);
  reg_set<T>(c, i.reg, r);
}

template <class Op, Width W>
Handler cvt_to_int_form(bool wide, bool mem) {
  if (wide) return mem ? chain<cvt_to_int<Op, W, u64, true>> : chain<cvt_to_int<Op, W, u64, false>>;
  return mem ? chain<cvt_to_int<Op, W, u32, true>> : chain<cvt_to_int<Op, W, u32, false>>;
}

// --- RCPPS, RCPSS, RSQRTPS, RSQRTSS ---
// The manual bounds their error (1.5 * 2^-12) and Intel and AMD return different
// approximations, so a recording would replay differently on the other vendor. rewind
// computes 1/x and 1/sqrt(x) (the square root rounded first) correctly rounded to single
// precision under MXCSR's rounding, FTZ and DAZ, as QEMU does, and leaves MXCSR's flags
// alone (docs/cpu.md).

template <bool Sqrt, bool Scalar, bool Mem>
void reciprocal(Cpu& c, const Insn& i) {
  sse_available(c);
  const Xmm s = xmm_source<Scalar ? Width::k4 : Width::k16Aligned, Mem>(c, i);
  const uint32_t csr = (c.mxcsr & ~mxcsr::kFlags) | mxcsr::kMasks;
  __m128i x = to_host(s);
  if constexpr (Sqrt) (void)RW_HOST_FP("sqrtps", csr, x, x);
  __m128i r = _mm_castps_si128(_mm_set1_ps(1.0f));
  (void)RW_HOST_FP("divps", csr, r, x);
  if constexpr (Scalar) {
    Xmm d = c.xmm[i.reg];
    const Xmm lanes = from_host(r);
    d.q[0] = (d.q[0] & ~uint64_t{0xFFFFFFFF}) | (lanes.q[0] & 0xFFFFFFFF);
    c.xmm[i.reg] = d;
  } else {
    c.xmm[i.reg] = from_host(r);
  }
}

template <bool Sqrt>
Handler reciprocal_form(unsigned prefix, bool mem) {
  if (prefix == 0) return mem ? chain<reciprocal<Sqrt, false, true>> : chain<reciprocal<Sqrt, false, false>>;
  if (prefix == 2) return mem ? chain<reciprocal<Sqrt, true, true>> : chain<reciprocal<Sqrt, true, false>>;
  return op_invalid;
}

// --- MXCSR ---

void ldmxcsr(Cpu& c, const Insn& i) {
  sse_available(c);
  const uint32_t v = mem_read<u32>(c, linear_address(c, i));
  if (v & ~mxcsr::kWritable) raise_fault(vec::GP, 0);
  c.mxcsr = v;
}

void stmxcsr(Cpu& c, const Insn& i) {
  sse_available(c);
  mem_write<u32>(c, linear_address(c, i), c.mxcsr);
}

}  // namespace

Handler select_mxcsr(bool store) { return store ? chain<stmxcsr> : chain<ldmxcsr>; }

Handler select_sse_fp(uint8_t op, unsigned prefix, bool mem, bool wide, uint8_t imm) {
  switch (op) {
    case 0x2A:  // CVTSI2SS, CVTSI2SD (no prefix, 66: the MMX forms)
      if (prefix < 2) return nullptr;
      if (prefix == 2)
        return wide ? (mem ? chain<cvt_from_int<CvtSi2Ss, u64, true>> : chain<cvt_from_int<CvtSi2Ss, u64, false>>)
                    : (mem ? chain<cvt_from_int<CvtSi2Ss, u32, true>> : chain<cvt_from_int<CvtSi2Ss, u32, false>>);
      return wide ? (mem ? chain<cvt_from_int<CvtSi2Sd, u64, true>> : chain<cvt_from_int<CvtSi2Sd, u64, false>>)
                  : (mem ? chain<cvt_from_int<CvtSi2Sd, u32, true>> : chain<cvt_from_int<CvtSi2Sd, u32, false>>);
    case 0x2C:
      if (prefix < 2) return nullptr;
      return prefix == 2 ? cvt_to_int_form<CvttSs2Si, Width::k4>(wide, mem)
                         : cvt_to_int_form<CvttSd2Si, Width::k8>(wide, mem);
    case 0x2D:
      if (prefix < 2) return nullptr;
      return prefix == 2 ? cvt_to_int_form<CvtSs2Si, Width::k4>(wide, mem)
                         : cvt_to_int_form<CvtSd2Si, Width::k8>(wide, mem);
    case 0x2E:
      if (prefix > 1) return op_invalid;
      return prefix == 0 ? comi_form<Ucomiss, Width::k4>(mem) : comi_form<Ucomisd, Width::k8>(mem);
    case 0x2F:
      if (prefix > 1) return op_invalid;
      return prefix == 0 ? comi_form<Comiss, Width::k4>(mem) : comi_form<Comisd, Width::k8>(mem);
    case 0x51: return fp_four<RW_FOUR(Sqrt)>(prefix, mem);
    case 0x52: return reciprocal_form<true>(prefix, mem);
    case 0x53: return reciprocal_form<false>(prefix, mem);
    case 0x58: return fp_four<RW_FOUR(Add)>(prefix, mem);
    case 0x59: return fp_four<RW_FOUR(Mul)>(prefix, mem);
    case 0x5A:
      switch (prefix) {
        case 0: return fp<CvtPs2Pd>(Width::k8, mem);
        case 1: return fp<CvtPd2Ps>(Width::k16Aligned, mem);
        case 2: return fp<CvtSs2Sd>(Width::k4, mem);
        default: return fp<CvtSd2Ss>(Width::k8, mem);
      }
    case 0x5B:
      switch (prefix) {
        case 0: return fp<CvtDq2Ps>(Width::k16Aligned, mem);
        case 1: return fp<CvtPs2Dq>(Width::k16Aligned, mem);
        case 2: return fp<CvttPs2Dq>(Width::k16Aligned, mem);
        default: return op_invalid;
      }
    case 0x5C: return fp_four<RW_FOUR(Sub)>(prefix, mem);
    case 0x5D: return fp_four<RW_FOUR(Min)>(prefix, mem);
    case 0x5E: return fp_four<RW_FOUR(Div)>(prefix, mem);
    case 0x5F: return fp_four<RW_FOUR(Max)>(prefix, mem);
    case 0x7C: return fp_pairs_form<HaddPs, HaddPd>(prefix, mem);
    case 0x7D: return fp_pairs_form<HsubPs, HsubPd>(prefix, mem);
    case 0xC2: return compare(prefix, mem, imm);
    case 0xD0: return fp_pairs_form<AddsubPs, AddsubPd>(prefix, mem);
    case 0xE6:
      switch (prefix) {
        case 1: return fp<CvttPd2Dq>(Width::k16Aligned, mem);
        case 2: return fp<CvtDq2Pd>(Width::k8, mem);
        case 3: return fp<CvtPd2Dq>(Width::k16Aligned, mem);
        default: return op_invalid;
      }
    default: return nullptr;
  }
}

}  // namespace rw::cpu
