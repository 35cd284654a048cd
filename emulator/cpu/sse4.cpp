// SSSE3, SSE4.1 and SSE4.2 on XMM registers: the 66 0F 38 and 66 0F 3A maps (Intel SDM vol. 2),
// and CRC32. As for SSE and SSE2 (sse.h), results come from the host's own instructions, which
// every host rewind runs on has (x86-64-v2 and later): integer SIMD directly, ROUNDxx under the
// guest's MXCSR, the string compares with their immediate as a template parameter (a table of
// instances, one per meaningful immediate). DPPS and DPPD are their defined steps (multiplies,
// then additions, each rounded) done by MULPS and ADDPS, so that what they compute and the flags
// they raise follow the SDM's description on any host. Blends, inserts, extracts, PALIGNR and
// PTEST only move or test bits and are written out here.
#include <utility>

#include "cpu/handlers.h"
#include "cpu/sse.h"

namespace rw::cpu {
namespace {

// --- integer operations "INSN xmm/m, xmm" on host registers ---

// SSSE3
RW_INT_OP(Pshufb, "pshufb")
RW_INT_OP(Phaddw, "phaddw")
RW_INT_OP(Phaddd, "phaddd")
RW_INT_OP(Phaddsw, "phaddsw")
RW_INT_OP(Pmaddubsw, "pmaddubsw")
RW_INT_OP(Phsubw, "phsubw")
RW_INT_OP(Phsubd, "phsubd")
RW_INT_OP(Phsubsw, "phsubsw")
RW_INT_OP(Psignb, "psignb")
RW_INT_OP(Psignw, "psignw")
RW_INT_OP(Psignd, "psignd")
RW_INT_OP(Pmulhrsw, "pmulhrsw")
RW_INT_OP(Pabsb, "pabsb")
RW_INT_OP(Pabsw, "pabsw")
RW_INT_OP(Pabsd, "pabsd")
// SSE4.1
RW_INT_OP(Pmovsxbw, "pmovsxbw")
RW_INT_OP(Pmovsxbd, "pmovsxbd")
RW_INT_OP(Pmovsxbq, "pmovsxbq")
RW_INT_OP(Pmovsxwd, "pmovsxwd")
RW_INT_OP(Pmovsxwq, "pmovsxwq")
RW_INT_OP(Pmovsxdq, "pmovsxdq")
RW_INT_OP(Pmovzxbw, "pmovzxbw")
RW_INT_OP(Pmovzxbd, "pmovzxbd")
RW_INT_OP(Pmovzxbq, "pmovzxbq")
RW_INT_OP(Pmovzxwd, "pmovzxwd")
RW_INT_OP(Pmovzxwq, "pmovzxwq")
RW_INT_OP(Pmovzxdq, "pmovzxdq")
RW_INT_OP(Pmuldq, "pmuldq")
RW_INT_OP(Pcmpeqq, "pcmpeqq")
RW_INT_OP(Packusdw, "packusdw")
RW_INT_OP(Pminsb, "pminsb")
RW_INT_OP(Pminsd, "pminsd")
RW_INT_OP(Pminuw, "pminuw")
RW_INT_OP(Pminud, "pminud")
RW_INT_OP(Pmaxsb, "pmaxsb")
RW_INT_OP(Pmaxsd, "pmaxsd")
RW_INT_OP(Pmaxuw, "pmaxuw")
RW_INT_OP(Pmaxud, "pmaxud")
RW_INT_OP(Pmulld, "pmulld")
RW_INT_OP(Phminposuw, "phminposuw")
// SSE4.2
RW_INT_OP(Pcmpgtq, "pcmpgtq")
#undef RW_INT_OP

// The instances F<0>::run ... F<N-1>::run of a template taking the immediate as its
// parameter (an "i" asm operand must be a constant), as a table: Table<F, N>::run[imm].
template <template <unsigned> class F, class Sequence>
struct Instances;
template <template <unsigned> class F, size_t... I>
struct Instances<F, std::index_sequence<I...>> {
  static constexpr decltype(&F<0>::run) run[] = {&F<I>::run...};
};
template <template <unsigned> class F, size_t N>
using Table = Instances<F, std::make_index_sequence<N>>;

// Handlers that take the source operand (register or memory of width W) and work on it.
using WithSource = void (*)(Cpu&, const Insn&, const Xmm&);

template <WithSource F, Width W, bool Mem>
void with_source(Cpu& c, const Insn& i) {
  sse_available(c);
  F(c, i, xmm_source<W, Mem>(c, i));
}

template <WithSource F, Width W = Width::k16Aligned>
Handler source_form(bool mem) {
  return mem ? chain<with_source<F, W, true>> : chain<with_source<F, W, false>>;
}

// --- MPSADBW: eight sums of absolute differences, the blocks chosen by imm8[2:0] ---

template <unsigned Imm>
struct Mpsadbw {
  static void run(__m128i& d, __m128i s) { asm("mpsadbw %[imm], %[s], %[d]" : [d] "+x"(d) : [s] "x"(s), [imm] "i"(Imm)); }
};

void mpsadbw(Cpu& c, const Insn& i, const Xmm& s) {
  __m128i d = to_host(c.xmm[i.reg]);
  Table<Mpsadbw, 8>::run[i.imm & 7](d, to_host(s));
  c.xmm[i.reg] = from_host(d);
}

// --- blends, PALIGNR, PTEST, MOVNTDQA ---

// BLENDPS, BLENDPD, PBLENDW: lane k of `Bytes` from the source where imm8 bit k is set.
template <unsigned Bytes>
void blend_imm(Cpu& c, const Insn& i, const Xmm& s) {
  uint8_t* d = reinterpret_cast<uint8_t*>(c.xmm[i.reg].q);
  const uint8_t* src = reinterpret_cast<const uint8_t*>(s.q);
  for (unsigned k = 0; k < 16 / Bytes; ++k)
    if ((i.imm >> k) & 1) std::memcpy(d + k * Bytes, src + k * Bytes, Bytes);
}

// BLENDVPS, BLENDVPD, PBLENDVB: lane k from the source where lane k of XMM0 has its top bit set.
template <unsigned Bytes>
void blend_xmm0(Cpu& c, const Insn& i, const Xmm& s) {
  uint8_t mask[16];
  std::memcpy(mask, c.xmm[0].q, 16);
  uint8_t* d = reinterpret_cast<uint8_t*>(c.xmm[i.reg].q);
  const uint8_t* src = reinterpret_cast<const uint8_t*>(s.q);
  for (unsigned k = 0; k < 16 / Bytes; ++k)
    if (mask[k * Bytes + Bytes - 1] & 0x80) std::memcpy(d + k * Bytes, src + k * Bytes, Bytes);
}

// PALIGNR: the destination above the source, 32 bytes shifted right by imm8 bytes, the low 16.
void palignr(Cpu& c, const Insn& i, const Xmm& s) {
  uint8_t both[32], out[16] = {};
  std::memcpy(both, s.q, 16);
  std::memcpy(both + 16, c.xmm[i.reg].q, 16);
  const unsigned n = i.imm & 0xFF;
  for (unsigned k = 0; k < 16 && n + k < 32; ++k) out[k] = both[n + k];
  std::memcpy(c.xmm[i.reg].q, out, 16);
}

// PTEST: ZF if destination AND source is zero, CF if (NOT destination) AND source is; the
// other arithmetic flags cleared.
void ptest(Cpu& c, const Insn& i, const Xmm& s) {
  const Xmm& d = c.xmm[i.reg];
  const bool zf = ((d.q[0] & s.q[0]) | (d.q[1] & s.q[1])) == 0;
  const bool cf = ((~d.q[0] & s.q[0]) | (~d.q[1] & s.q[1])) == 0;
  set_arith_flags(c, uint64_t{cf} | uint64_t{zf} << 6);
}

// MOVNTDQA: an aligned load (the non-temporal hint means nothing here).
void movntdqa(Cpu& c, const Insn& i, const Xmm& s) { c.xmm[i.reg] = s; }

// --- inserts and extracts ---

// INSERTPS: a single-precision value (source lane imm8[7:6], or the m32) into lane imm8[5:4],
// then the lanes of imm8[3:0] zeroed.
template <bool Mem>
void insertps(Cpu& c, const Insn& i) {
  sse_available(c);
  uint32_t v;
  if constexpr (Mem)
    v = mem_read<u32>(c, linear_address(c, i));
  else
    v = static_cast<uint32_t>(c.xmm[i.rm].q[(i.imm >> 7) & 1] >> (32 * ((i.imm >> 6) & 1)));
  uint32_t d[4];
  std::memcpy(d, c.xmm[i.reg].q, 16);
  d[(i.imm >> 4) & 3] = v;
  for (unsigned k = 0; k < 4; ++k)
    if ((i.imm >> k) & 1) d[k] = 0;
  std::memcpy(c.xmm[i.reg].q, d, 16);
}

// PINSRB, PINSRD, PINSRQ: the low byte, dword or qword of a general register (or memory) into
// lane imm8 (modulo the lane count).
template <class T, bool Mem>
void pinsr(Cpu& c, const Insn& i) {
  sse_available(c);
  const T v = Mem ? mem_read<T>(c, linear_address(c, i)) : static_cast<T>(c.gpr[i.rm]);
  const unsigned lane = i.imm & (16 / sizeof(T) - 1);
  std::memcpy(reinterpret_cast<uint8_t*>(c.xmm[i.reg].q) + lane * sizeof(T), &v, sizeof(T));
}

// PEXTRB, PEXTRW, PEXTRD, PEXTRQ, EXTRACTPS: lane imm8 (modulo the lane count) to memory, or
// zero-extended into the whole general register.
template <class T, bool Mem>
void pextr(Cpu& c, const Insn& i) {
  sse_available(c);
  const unsigned lane = i.imm & (16 / sizeof(T) - 1);
  T v;
  std::memcpy(&v, reinterpret_cast<const uint8_t*>(c.xmm[i.reg].q) + lane * sizeof(T), sizeof(T));
  if constexpr (Mem)
    mem_write<T>(c, linear_address(c, i), v);
  else
    c.gpr[i.rm] = v;
}

template <class T>
Handler insert_form(bool mem) {
  return mem ? chain<pinsr<T, true>> : chain<pinsr<T, false>>;
}
template <class T>
Handler extract_form(bool mem) {
  return mem ? chain<pextr<T, true>> : chain<pextr<T, false>>;
}

// --- ROUNDPS, ROUNDPD, ROUNDSS, ROUNDSD under the guest's MXCSR ---
// imm8[1:0] a rounding mode, imm8[2] MXCSR.RC instead, imm8[3] no precision exception
// (imm8[7:4] are reserved: ignored).

#define RW_ROUND(NAME, INSN)                                                                          \
  template <unsigned Imm>                                                                             \
  struct NAME {                                                                                       \
    static uint32_t run(uint32_t csr, __m128i& d, __m128i s) {                                        \
      return RW_UNDER_MXCSR(csr, INSN " %[imm], %[s], %[d]", RW_OPERANDS([d] "+x"(d)),               \
                            RW_OPERANDS([s] "x"(s), [imm] "i"(Imm)));                                \
    }                                                                                                 \
  };
RW_ROUND(Roundps, "roundps")
RW_ROUND(Roundpd, "roundpd")
RW_ROUND(Roundss, "roundss")
RW_ROUND(Roundsd, "roundsd")
#undef RW_ROUND

template <template <unsigned> class Op, Width W, bool Mem>
void round_op(Cpu& c, const Insn& i) {
  sse_available(c);
  const Xmm s = xmm_source<W, Mem>(c, i);
  const __m128i before = to_host(c.xmm[i.reg]), source = to_host(s);
  __m128i d = before;
  const HostOp run = Table<Op, 16>::run[i.imm & 15];
  const uint32_t raised = run(host_mxcsr(c.mxcsr), d, source);
  fp_flags(c, raised, before, source, d, run);
  c.xmm[i.reg] = from_host(d);
}

template <template <unsigned> class Op, Width W>
Handler round_form(bool mem) {
  return mem ? chain<round_op<Op, W, true>> : chain<round_op<Op, W, false>>;
}

// --- DPPS, DPPD: the SDM's steps, each an SSE operation of its own ---

#define RW_FP(NAME, INSN)                                                                             \
  struct NAME {                                                                                       \
    static uint32_t run(uint32_t csr, __m128i& d, __m128i s) { return RW_HOST_FP(INSN, csr, d, s); } \
  };
RW_FP(MulPs, "mulps")
RW_FP(AddPs, "addps")
RW_FP(AddSs, "addss")
RW_FP(MulPd, "mulpd")
RW_FP(AddSd, "addsd")
#undef RW_FP

// One step: its flags join MXCSR's, or an unmasked one raises #XM (fp_flags), which leaves the
// destination as it was and MXCSR with the flags of the steps before.
template <class Op, Tiny T, Kind K>
__m128i dp_step(Cpu& c, __m128i a, __m128i b) {
  __m128i r = a;
  const uint32_t raised = Op::run(host_mxcsr(c.mxcsr), r, b);
  fp_flags<T, K>(c, raised, a, b, r, &Op::run);
  return r;
}

// All ones in the 32-bit (Bytes 4) or 64-bit lanes whose bit is set in `bits`.
template <unsigned Bytes>
__m128i lane_mask(unsigned bits) {
  if constexpr (Bytes == 4)
    return _mm_set_epi32(-((bits >> 3) & 1), -((bits >> 2) & 1), -((bits >> 1) & 1), -(bits & 1));
  else
    return _mm_set_epi64x(-static_cast<int64_t>((bits >> 1) & 1), -static_cast<int64_t>(bits & 1));
}

// DPPS: the products of the lanes imm8[7:4] selects (+0.0 for the others), their sums pair by
// pair, the sum of those, written to the lanes imm8[3:0] selects (+0.0 in the others).
void dpps(Cpu& c, const Insn& i, const Xmm& s) {
  const unsigned imm = i.imm & 0xFF;
  const __m128i take = lane_mask<4>(imm >> 4), low_two = _mm_set_epi32(0, 0, -1, -1);
  const __m128i products = dp_step<MulPs, Tiny::kPs, Kind::kMul>(c, _mm_and_si128(to_host(c.xmm[i.reg]), take),
                                                                 _mm_and_si128(to_host(s), take));
  const __m128 p = _mm_castsi128_ps(products);
  const __m128i even = _mm_and_si128(_mm_castps_si128(_mm_shuffle_ps(p, p, 0x08)), low_two);  // p0 p2 0 0
  const __m128i odd = _mm_and_si128(_mm_castps_si128(_mm_shuffle_ps(p, p, 0x0D)), low_two);   // p1 p3 0 0
  const __m128i pairs = dp_step<AddPs, Tiny::kPs, Kind::kAdd>(c, even, odd);
  const __m128i sum = dp_step<AddSs, Tiny::kSs, Kind::kAdd>(c, pairs, _mm_srli_si128(pairs, 4));
  c.xmm[i.reg] = from_host(_mm_and_si128(_mm_shuffle_epi32(sum, 0), lane_mask<4>(imm)));
}

// DPPD: the same with two lanes (imm8[5:4] and imm8[1:0]; the other bits are ignored).
void dppd(Cpu& c, const Insn& i, const Xmm& s) {
  const unsigned imm = i.imm & 0xFF;
  const __m128i take = lane_mask<8>(imm >> 4);
  const __m128i products = dp_step<MulPd, Tiny::kPd, Kind::kMul>(c, _mm_and_si128(to_host(c.xmm[i.reg]), take),
                                                                 _mm_and_si128(to_host(s), take));
  const __m128i sum = dp_step<AddSd, Tiny::kSd, Kind::kAdd>(c, products, _mm_srli_si128(products, 8));
  c.xmm[i.reg] = from_host(_mm_and_si128(_mm_unpacklo_epi64(sum, sum), lane_mask<8>(imm)));
}

// --- PCMPESTRI, PCMPESTRM, PCMPISTRI, PCMPISTRM ---
// The host's instruction with the immediate as a constant (imm8[6:0]; bit 7 is reserved and
// ignored). Results: the index (ECX) or the mask (XMM0), and CF ZF SF OF (AF PF cleared).

inline uint64_t string_flags(uint8_t cf, uint8_t zf, uint8_t sf, uint8_t of) {
  return uint64_t{cf} | uint64_t{zf} << 6 | uint64_t{sf} << 7 | uint64_t{of} << 11;
}

#define RW_SETFLAGS "\n\tsetc %[cf]\n\tsetz %[zf]\n\tsets %[sf]\n\tseto %[of]"
#define RW_FLAG_OUTPUTS [cf] "=q"(cf), [zf] "=q"(zf), [sf] "=q"(sf), [of] "=q"(of)

template <unsigned Imm>
struct Pcmpistri {
  static uint64_t run(__m128i d, __m128i s, uint32_t, uint32_t, __m128i&, uint32_t& index) {
    uint8_t cf, zf, sf, of;
    asm("pcmpistri %[imm], %[s], %[d]" RW_SETFLAGS
        : "=c"(index), RW_FLAG_OUTPUTS
        : [d] "x"(d), [s] "x"(s), [imm] "i"(Imm)
        : "cc");
    return string_flags(cf, zf, sf, of);
  }
};

template <unsigned Imm>
struct Pcmpistrm {
  static uint64_t run(__m128i d, __m128i s, uint32_t, uint32_t, __m128i& mask, uint32_t&) {
    uint8_t cf, zf, sf, of;
    asm("pcmpistrm %[imm], %[s], %[d]" RW_SETFLAGS
        : "=Yz"(mask), RW_FLAG_OUTPUTS
        : [d] "x"(d), [s] "x"(s), [imm] "i"(Imm)
        : "cc");
    return string_flags(cf, zf, sf, of);
  }
};

template <unsigned Imm>
struct Pcmpestri {
  static uint64_t run(__m128i d, __m128i s, uint32_t la, uint32_t ld, __m128i&, uint32_t& index) {
    uint8_t cf, zf, sf, of;
    asm("pcmpestri %[imm], %[s], %[d]" RW_SETFLAGS
        : "=c"(index), RW_FLAG_OUTPUTS
        : [d] "x"(d), [s] "x"(s), "a"(la), "d"(ld), [imm] "i"(Imm)
        : "cc");
    return string_flags(cf, zf, sf, of);
  }
};

template <unsigned Imm>
struct Pcmpestrm {
  static uint64_t run(__m128i d, __m128i s, uint32_t la, uint32_t ld, __m128i& mask, uint32_t&) {
    uint8_t cf, zf, sf, of;
    asm("pcmpestrm %[imm], %[s], %[d]" RW_SETFLAGS
        : "=Yz"(mask), RW_FLAG_OUTPUTS
        : [d] "x"(d), [s] "x"(s), "a"(la), "d"(ld), [imm] "i"(Imm)
        : "cc");
    return string_flags(cf, zf, sf, of);
  }
};
#undef RW_SETFLAGS
#undef RW_FLAG_OUTPUTS

// An explicit length (EAX or EDX; RAX or RDX with REX.W), signed: its absolute value, 16 when
// that is above 16 (the host's instruction then saturates to 8 or 16 by element size).
inline uint32_t explicit_length(uint64_t r, bool wide) {
  const int64_t v = wide ? static_cast<int64_t>(r) : static_cast<int32_t>(r);
  return v > 16 || v < -16 ? 16 : static_cast<uint32_t>(v < 0 ? -v : v);
}

template <template <unsigned> class Op, bool Explicit, bool Mask, bool Wide, bool Mem>
void string_compare(Cpu& c, const Insn& i) {
  sse_available(c);
  const Xmm s = xmm_source<Width::k16, Mem>(c, i);  // no alignment needed
  uint32_t la = 0, ld = 0;
  if constexpr (Explicit) {
    la = explicit_length(c.gpr[RAX], Wide);
    ld = explicit_length(c.gpr[RDX], Wide);
  }
  __m128i mask = _mm_setzero_si128();
  uint32_t index = 0;
  const uint64_t flags = Table<Op, 128>::run[i.imm & 0x7F](to_host(c.xmm[i.reg]), to_host(s), la, ld, mask, index);
  if constexpr (Mask)
    c.xmm[0] = from_host(mask);
  else
    c.gpr[RCX] = index;
  set_arith_flags(c, flags);
}

template <template <unsigned> class Op, bool Explicit, bool Mask>
Handler string_form(bool mem, bool wide) {
  if (wide) return mem ? chain<string_compare<Op, Explicit, Mask, true, true>> : chain<string_compare<Op, Explicit, Mask, true, false>>;
  return mem ? chain<string_compare<Op, Explicit, Mask, false, true>> : chain<string_compare<Op, Explicit, Mask, false, false>>;
}

// --- CRC32: general registers only, no SSE state ---

// CRC32 r32/r64, r/m: the CRC-32C of the source's bytes continued from the destination's low
// 32 bits, zero-extended into the destination.
template <class T, bool Mem>
void crc32(Cpu& c, const Insn& i) {
  const T v = rm_read<T, Mem>(c, i);
  if constexpr (sizeof(T) == 8) {
    uint64_t crc = static_cast<uint32_t>(c.gpr[i.reg]);
    asm("crc32q %[v], %[crc]" : [crc] "+r"(crc) : [v] "r"(v));
    c.gpr[i.reg] = crc;
  } else {
    uint32_t crc = static_cast<uint32_t>(c.gpr[i.reg]);
    if constexpr (sizeof(T) == 1)
      asm("crc32b %[v], %[crc]" : [crc] "+r"(crc) : [v] "q"(v));
    else if constexpr (sizeof(T) == 2)
      asm("crc32w %[v], %[crc]" : [crc] "+r"(crc) : [v] "r"(v));
    else
      asm("crc32l %[v], %[crc]" : [crc] "+r"(crc) : [v] "r"(v));
    c.gpr[i.reg] = crc;
  }
}

}  // namespace

Handler select_crc32(unsigned size, bool mem) {
  return by_size_mem(size, mem, []<class T, bool Mem>() -> Handler { return chain<crc32<T, Mem>>; });
}

Handler select_sse4(uint8_t map, uint8_t op, unsigned prefix, bool mem, bool wide) {
  if (prefix != 1) return nullptr;  // the MMX forms of SSSE3, and what rewind does not have
  if (map == 0x38) {
    switch (op) {
      case 0x00: return int_form<Pshufb>(mem);
      case 0x01: return int_form<Phaddw>(mem);
      case 0x02: return int_form<Phaddd>(mem);
      case 0x03: return int_form<Phaddsw>(mem);
      case 0x04: return int_form<Pmaddubsw>(mem);
      case 0x05: return int_form<Phsubw>(mem);
      case 0x06: return int_form<Phsubd>(mem);
      case 0x07: return int_form<Phsubsw>(mem);
      case 0x08: return int_form<Psignb>(mem);
      case 0x09: return int_form<Psignw>(mem);
      case 0x0A: return int_form<Psignd>(mem);
      case 0x0B: return int_form<Pmulhrsw>(mem);
      case 0x10: return source_form<blend_xmm0<1>>(mem);  // PBLENDVB
      case 0x14: return source_form<blend_xmm0<4>>(mem);  // BLENDVPS
      case 0x15: return source_form<blend_xmm0<8>>(mem);  // BLENDVPD
      case 0x17: return source_form<ptest>(mem);
      case 0x1C: return int_form<Pabsb>(mem);
      case 0x1D: return int_form<Pabsw>(mem);
      case 0x1E: return int_form<Pabsd>(mem);
      case 0x20: return int_form<Pmovsxbw, Width::k8>(mem);
      case 0x21: return int_form<Pmovsxbd, Width::k4>(mem);
      case 0x22: return int_form<Pmovsxbq, Width::k2>(mem);
      case 0x23: return int_form<Pmovsxwd, Width::k8>(mem);
      case 0x24: return int_form<Pmovsxwq, Width::k4>(mem);
      case 0x25: return int_form<Pmovsxdq, Width::k8>(mem);
      case 0x28: return int_form<Pmuldq>(mem);
      case 0x29: return int_form<Pcmpeqq>(mem);
      case 0x2A: return mem ? source_form<movntdqa>(true) : op_invalid;
      case 0x2B: return int_form<Packusdw>(mem);
      case 0x30: return int_form<Pmovzxbw, Width::k8>(mem);
      case 0x31: return int_form<Pmovzxbd, Width::k4>(mem);
      case 0x32: return int_form<Pmovzxbq, Width::k2>(mem);
      case 0x33: return int_form<Pmovzxwd, Width::k8>(mem);
      case 0x34: return int_form<Pmovzxwq, Width::k4>(mem);
      case 0x35: return int_form<Pmovzxdq, Width::k8>(mem);
      case 0x37: return int_form<Pcmpgtq>(mem);
      case 0x38: return int_form<Pminsb>(mem);
      case 0x39: return int_form<Pminsd>(mem);
      case 0x3A: return int_form<Pminuw>(mem);
      case 0x3B: return int_form<Pminud>(mem);
      case 0x3C: return int_form<Pmaxsb>(mem);
      case 0x3D: return int_form<Pmaxsd>(mem);
      case 0x3E: return int_form<Pmaxuw>(mem);
      case 0x3F: return int_form<Pmaxud>(mem);
      case 0x40: return int_form<Pmulld>(mem);
      case 0x41: return int_form<Phminposuw>(mem);
      default: return nullptr;
    }
  }
  switch (op) {
    case 0x08: return round_form<Roundps, Width::k16Aligned>(mem);
    case 0x09: return round_form<Roundpd, Width::k16Aligned>(mem);
    case 0x0A: return round_form<Roundss, Width::k4>(mem);
    case 0x0B: return round_form<Roundsd, Width::k8>(mem);
    case 0x0C: return source_form<blend_imm<4>>(mem);  // BLENDPS
    case 0x0D: return source_form<blend_imm<8>>(mem);  // BLENDPD
    case 0x0E: return source_form<blend_imm<2>>(mem);  // PBLENDW
    case 0x0F: return source_form<palignr>(mem);
    case 0x14: return extract_form<u8>(mem);  // PEXTRB
    case 0x15: return extract_form<u16>(mem);  // PEXTRW r/m16
    case 0x16: return wide ? extract_form<u64>(mem) : extract_form<u32>(mem);  // PEXTRQ, PEXTRD
    case 0x17: return extract_form<u32>(mem);  // EXTRACTPS
    case 0x20: return insert_form<u8>(mem);  // PINSRB
    case 0x21: return mem ? chain<insertps<true>> : chain<insertps<false>>;
    case 0x22: return wide ? insert_form<u64>(mem) : insert_form<u32>(mem);  // PINSRQ, PINSRD
    case 0x40: return source_form<dpps>(mem);
    case 0x41: return source_form<dppd>(mem);
    case 0x42: return source_form<mpsadbw>(mem);
    case 0x60: return string_form<Pcmpestrm, true, true>(mem, wide);
    case 0x61: return string_form<Pcmpestri, true, false>(mem, wide);
    case 0x62: return string_form<Pcmpistrm, false, true>(mem, false);
    case 0x63: return string_form<Pcmpistri, false, false>(mem, false);
    default: return nullptr;
  }
}

}  // namespace rw::cpu
