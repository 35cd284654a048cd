// SSE and SSE2 data movement, logic, shuffles and integer SIMD on XMM registers, and SSE3's
// moves (Intel SDM vol. 2). Nothing here depends on MXCSR. The integer operations are the host's
// instructions of the same name (sse.h).
#include "cpu/handlers.h"
#include "cpu/sse.h"

namespace rw::cpu {
namespace {

// --- operations "INSN xmm/m128, xmm" on host registers ---

RW_INT_OP(Andps, "andps")
RW_INT_OP(Andnps, "andnps")
RW_INT_OP(Orps, "orps")
RW_INT_OP(Xorps, "xorps")
RW_INT_OP(Unpcklps, "unpcklps")
RW_INT_OP(Unpckhps, "unpckhps")
RW_INT_OP(Unpcklpd, "unpcklpd")
RW_INT_OP(Unpckhpd, "unpckhpd")
RW_INT_OP(Punpcklbw, "punpcklbw")
RW_INT_OP(Punpcklwd, "punpcklwd")
RW_INT_OP(Punpckldq, "punpckldq")
RW_INT_OP(Packsswb, "packsswb")
RW_INT_OP(Pcmpgtb, "pcmpgtb")
RW_INT_OP(Pcmpgtw, "pcmpgtw")
RW_INT_OP(Pcmpgtd, "pcmpgtd")
RW_INT_OP(Packuswb, "packuswb")
RW_INT_OP(Punpckhbw, "punpckhbw")
RW_INT_OP(Punpckhwd, "punpckhwd")
RW_INT_OP(Punpckhdq, "punpckhdq")
RW_INT_OP(Packssdw, "packssdw")
RW_INT_OP(Punpcklqdq, "punpcklqdq")
RW_INT_OP(Punpckhqdq, "punpckhqdq")
RW_INT_OP(Pcmpeqb, "pcmpeqb")
RW_INT_OP(Pcmpeqw, "pcmpeqw")
RW_INT_OP(Pcmpeqd, "pcmpeqd")
RW_INT_OP(Psrlw, "psrlw")
RW_INT_OP(Psrld, "psrld")
RW_INT_OP(Psrlq, "psrlq")
RW_INT_OP(Paddq, "paddq")
RW_INT_OP(Pmullw, "pmullw")
RW_INT_OP(Psubusb, "psubusb")
RW_INT_OP(Psubusw, "psubusw")
RW_INT_OP(Pminub, "pminub")
RW_INT_OP(Pand, "pand")
RW_INT_OP(Paddusb, "paddusb")
RW_INT_OP(Paddusw, "paddusw")
RW_INT_OP(Pmaxub, "pmaxub")
RW_INT_OP(Pandn, "pandn")
RW_INT_OP(Pavgb, "pavgb")
RW_INT_OP(Psraw, "psraw")
RW_INT_OP(Psrad, "psrad")
RW_INT_OP(Pavgw, "pavgw")
RW_INT_OP(Pmulhuw, "pmulhuw")
RW_INT_OP(Pmulhw, "pmulhw")
RW_INT_OP(Psubsb, "psubsb")
RW_INT_OP(Psubsw, "psubsw")
RW_INT_OP(Pminsw, "pminsw")
RW_INT_OP(Por, "por")
RW_INT_OP(Paddsb, "paddsb")
RW_INT_OP(Paddsw, "paddsw")
RW_INT_OP(Pmaxsw, "pmaxsw")
RW_INT_OP(Pxor, "pxor")
RW_INT_OP(Psllw, "psllw")
RW_INT_OP(Pslld, "pslld")
RW_INT_OP(Psllq, "psllq")
RW_INT_OP(Pmuludq, "pmuludq")
RW_INT_OP(Pmaddwd, "pmaddwd")
RW_INT_OP(Psadbw, "psadbw")
RW_INT_OP(Psubb, "psubb")
RW_INT_OP(Psubw, "psubw")
RW_INT_OP(Psubd, "psubd")
RW_INT_OP(Psubq, "psubq")
RW_INT_OP(Paddb, "paddb")
RW_INT_OP(Paddw, "paddw")
RW_INT_OP(Paddd, "paddd")
#undef RW_INT_OP

// Shifts by an immediate (66 0F 71-73 /r ib): the count-in-a-register form with the count.
template <class Op>
void shift_imm(Cpu& c, const Insn& i) {
  sse_available(c);
  __m128i d = to_host(c.xmm[i.rm]);
  Op::run(d, _mm_cvtsi32_si128(static_cast<int>(i.imm & 0xFF)));
  c.xmm[i.rm] = from_host(d);
}

// PSRLDQ, PSLLDQ: whole-register byte shifts.
template <bool Right>
void byte_shift(Cpu& c, const Insn& i) {
  sse_available(c);
  const unsigned n = i.imm & 0xFF;
  uint8_t b[16], r[16] = {};
  std::memcpy(b, c.xmm[i.rm].q, 16);
  if (n < 16) {
    if (Right)
      std::memcpy(r, b + n, 16 - n);
    else
      std::memcpy(r + n, b, 16 - n);
  }
  std::memcpy(c.xmm[i.rm].q, r, 16);
}

// --- moves ---

// Whole register: MOVUPS, MOVAPS, MOVDQA, MOVDQU and their PD twins (loads), MOVQ
// F3 0F 7E and MOVSS/MOVSD from memory (the rest of the register is zeroed).
template <Width W, bool Mem>
void load_full(Cpu& c, const Insn& i) {
  sse_available(c);
  Xmm v = xmm_source<W, Mem>(c, i);
  if constexpr (W == Width::k8) v.q[1] = 0;
  c.xmm[i.reg] = v;
}

// Stores of the whole register (MOVUPS m128, xmm and friends), or its register form
// (xmm/m <- xmm).
template <bool Aligned, bool Mem>
void store_full(Cpu& c, const Insn& i) {
  sse_available(c);
  if constexpr (Mem) {
    const uint64_t lin = linear_address(c, i);
    if constexpr (Aligned) check_aligned16(lin);
    write128(c, lin, c.xmm[i.reg]);
  } else {
    c.xmm[i.rm] = c.xmm[i.reg];
  }
}

// Between registers: MOVSS / MOVSD move the low lane and keep the rest.
template <unsigned Bytes, bool ToRm>
void move_low_lane(Cpu& c, const Insn& i) {
  sse_available(c);
  Xmm& d = c.xmm[ToRm ? i.rm : i.reg];
  const Xmm& s = c.xmm[ToRm ? i.reg : i.rm];
  std::memcpy(d.q, s.q, Bytes);
}

// A store of the low 4 or 8 bytes (MOVSS, MOVSD, MOVLPS, MOVLPD, MOVQ 66 0F D6) or of the
// high 8 bytes (MOVHPS, MOVHPD).
template <unsigned Bytes, bool High>
void store_part(Cpu& c, const Insn& i) {
  sse_available(c);
  const uint64_t lin = linear_address(c, i);
  if constexpr (Bytes == 4)
    mem_write<u32>(c, lin, static_cast<u32>(c.xmm[i.reg].q[0]));
  else
    mem_write<u64>(c, lin, c.xmm[i.reg].q[High ? 1 : 0]);
}

// MOVLPS, MOVLPD, MOVHPS, MOVHPD loads: one half from memory, the other kept.
template <bool High>
void load_half(Cpu& c, const Insn& i) {
  sse_available(c);
  c.xmm[i.reg].q[High ? 1 : 0] = mem_read<u64>(c, linear_address(c, i));
}

// MOVHLPS (high half of the source to the low half), MOVLHPS (low half to high).
template <bool HighToLow>
void move_half(Cpu& c, const Insn& i) {
  sse_available(c);
  if (HighToLow)
    c.xmm[i.reg].q[0] = c.xmm[i.rm].q[1];
  else
    c.xmm[i.reg].q[1] = c.xmm[i.rm].q[0];
}

// MOVQ 66 0F D6 between registers: the low quadword, the high one zeroed.
void movq_to_rm(Cpu& c, const Insn& i) {
  sse_available(c);
  c.xmm[i.rm] = Xmm{{c.xmm[i.reg].q[0], 0}};
}

// MOVD / MOVQ xmm, r/m32 or r/m64 (66 0F 6E): zero-extended into the register.
template <class T, bool Mem>
void movd_to_xmm(Cpu& c, const Insn& i) {
  sse_available(c);
  const T v = Mem ? mem_read<T>(c, linear_address(c, i)) : static_cast<T>(c.gpr[i.rm]);
  c.xmm[i.reg] = Xmm{{v, 0}};
}

// MOVD / MOVQ r/m32 or r/m64, xmm (66 0F 7E).
template <class T, bool Mem>
void movd_from_xmm(Cpu& c, const Insn& i) {
  sse_available(c);
  rm_write<T, Mem>(c, i, static_cast<T>(c.xmm[i.reg].q[0]));
}

// MOVNTPS, MOVNTPD, MOVNTDQ: aligned stores (the non-temporal hint means nothing here).
// MOVNTI: a general register's store; no SSE state, so no CR0/CR4 check.
template <class T>
void movnti(Cpu& c, const Insn& i) {
  mem_write<T>(c, linear_address(c, i), static_cast<T>(c.gpr[i.reg]));
}

// MASKMOVDQU xmm1, xmm2: the bytes of xmm1 whose mask byte in xmm2 has its top bit set, to
// DS:rDI (segment overridable). Checked before any byte is written.
void maskmovdqu(Cpu& c, const Insn& i) {
  sse_available(c);
  uint8_t data[16], mask[16];
  std::memcpy(data, c.xmm[i.reg].q, 16);
  std::memcpy(mask, c.xmm[i.rm].q, 16);
  const uint64_t di = c.gpr[RDI] & kAddrMask[i.asize];
  const uint64_t lin = (di + c.seg_base[i.seg]) & c.lin_mask;
  bool any = false;
  for (uint8_t m : mask) any |= (m & 0x80) != 0;
  if (!any) return;
  probe_write(c, lin, 16);
  for (unsigned b = 0; b < 16; ++b)
    if (mask[b] & 0x80) mem_write<u8>(c, (lin + b) & c.lin_mask, data[b]);
}

// --- shuffles and lane extraction ---

void pshufd(Cpu& c, const Insn& i, const Xmm& s) {
  uint32_t in[4], out[4];
  std::memcpy(in, s.q, 16);
  for (unsigned k = 0; k < 4; ++k) out[k] = in[(i.imm >> (2 * k)) & 3];
  std::memcpy(c.xmm[i.reg].q, out, 16);
}

// PSHUFHW (High) or PSHUFLW: four words of one half shuffled, the other half copied.
template <bool High>
void pshufw_half(Cpu& c, const Insn& i, const Xmm& s) {
  uint16_t in[8], out[8];
  std::memcpy(in, s.q, 16);
  std::memcpy(out, in, 16);
  const unsigned base = High ? 4 : 0;
  for (unsigned k = 0; k < 4; ++k) out[base + k] = in[base + ((i.imm >> (2 * k)) & 3)];
  std::memcpy(c.xmm[i.reg].q, out, 16);
}

void shufps(Cpu& c, const Insn& i, const Xmm& s) {
  uint32_t d[4], src[4], out[4];
  std::memcpy(d, c.xmm[i.reg].q, 16);
  std::memcpy(src, s.q, 16);
  out[0] = d[i.imm & 3];
  out[1] = d[(i.imm >> 2) & 3];
  out[2] = src[(i.imm >> 4) & 3];
  out[3] = src[(i.imm >> 6) & 3];
  std::memcpy(c.xmm[i.reg].q, out, 16);
}

void shufpd(Cpu& c, const Insn& i, const Xmm& s) {
  const Xmm d = c.xmm[i.reg];
  c.xmm[i.reg] = Xmm{{d.q[i.imm & 1], s.q[(i.imm >> 1) & 1]}};
}

template <void (*F)(Cpu&, const Insn&, const Xmm&), bool Mem>
void with_source(Cpu& c, const Insn& i) {
  sse_available(c);
  F(c, i, xmm_source<Width::k16Aligned, Mem>(c, i));
}

template <void (*F)(Cpu&, const Insn&, const Xmm&)>
Handler shuffle_form(bool mem) {
  return mem ? chain<with_source<F, true>> : chain<with_source<F, false>>;
}

// SSE3: MOVSLDUP (the even single-precision lanes twice), MOVSHDUP (the odd ones),
// MOVDDUP (the low quadword twice, from an m64).
template <unsigned First>
void move_dup32(Cpu& c, const Insn& i, const Xmm& s) {
  uint32_t in[4], out[4];
  std::memcpy(in, s.q, 16);
  for (unsigned k = 0; k < 4; ++k) out[k] = in[(k & ~1u) + First];
  std::memcpy(c.xmm[i.reg].q, out, 16);
}

template <bool Mem>
void movddup(Cpu& c, const Insn& i) {
  sse_available(c);
  const uint64_t v = xmm_source<Width::k8, Mem>(c, i).q[0];
  c.xmm[i.reg] = Xmm{{v, v}};
}

// PINSRW xmm, r32/m16, imm8.
template <bool Mem>
void pinsrw(Cpu& c, const Insn& i) {
  sse_available(c);
  const uint16_t v = Mem ? mem_read<u16>(c, linear_address(c, i)) : static_cast<uint16_t>(c.gpr[i.rm]);
  std::memcpy(reinterpret_cast<uint8_t*>(c.xmm[i.reg].q) + 2 * (i.imm & 7), &v, 2);
}

// PEXTRW r32, xmm, imm8 (the word zero-extended).
void pextrw(Cpu& c, const Insn& i) {
  sse_available(c);
  uint16_t v;
  std::memcpy(&v, reinterpret_cast<const uint8_t*>(c.xmm[i.rm].q) + 2 * (i.imm & 7), 2);
  c.gpr[i.reg] = v;
}

// MOVMSKPS, MOVMSKPD, PMOVMSKB: the sign bit of each lane of 4, 8 or 1 bytes.
template <unsigned LaneBytes>
void movmsk(Cpu& c, const Insn& i) {
  sse_available(c);
  uint8_t b[16];
  std::memcpy(b, c.xmm[i.rm].q, 16);
  uint32_t m = 0;
  for (unsigned k = 0; k < 16 / LaneBytes; ++k) m |= static_cast<uint32_t>(b[LaneBytes * k + LaneBytes - 1] >> 7) << k;
  c.gpr[i.reg] = m;
}

// CLFLUSH: no cache to flush, but the address is checked as a read would be (#PF, #GP),
// without touching a device.
void clflush(Cpu& c, const Insn& i) { (void)translate(c, linear_address(c, i), kRead, user_mode(c)); }

template <Width W>
Handler load_form(bool mem) {
  return mem ? chain<load_full<W, true>> : chain<load_full<W, false>>;
}

template <bool Aligned>
Handler store_form(bool mem) {
  return mem ? chain<store_full<Aligned, true>> : chain<store_full<Aligned, false>>;
}

}  // namespace

Handler select_clflush() { return chain<clflush>; }

// prefix: 0 none, 1 66, 2 F3, 3 F2. `group`: ModRM.reg for the shift groups. nullptr: not an
// SSE, SSE2 or SSE3 form (MMX: not implemented).
Handler select_sse_int(uint8_t op, unsigned prefix, bool mem, bool wide, unsigned group) {
  const bool none = prefix == 0, p66 = prefix == 1, f3 = prefix == 2, f2 = prefix == 3;
  switch (op) {
    case 0x10:
      if (prefix < 2) return load_form<Width::k16>(mem);
      if (mem) return f3 ? chain<load_full<Width::k4, true>> : chain<load_full<Width::k8, true>>;
      return f3 ? chain<move_low_lane<4, false>> : chain<move_low_lane<8, false>>;
    case 0x11:
      if (prefix < 2) return store_form<false>(mem);
      if (mem) return f3 ? chain<store_part<4, false>> : chain<store_part<8, false>>;
      return f3 ? chain<move_low_lane<4, true>> : chain<move_low_lane<8, true>>;
    case 0x12:
      if (f3) return shuffle_form<move_dup32<0>>(mem);  // MOVSLDUP
      if (f2) return mem ? chain<movddup<true>> : chain<movddup<false>>;
      if (mem) return chain<load_half<false>>;
      return none ? chain<move_half<true>> : op_invalid;
    case 0x13:
      if (prefix > 1) return op_invalid;
      return mem ? chain<store_part<8, false>> : op_invalid;
    case 0x14: return prefix > 1 ? op_invalid : none ? int_form<Unpcklps>(mem) : int_form<Unpcklpd>(mem);
    case 0x15: return prefix > 1 ? op_invalid : none ? int_form<Unpckhps>(mem) : int_form<Unpckhpd>(mem);
    case 0x16:
      if (f3) return shuffle_form<move_dup32<1>>(mem);  // MOVSHDUP
      if (f2) return op_invalid;
      if (mem) return chain<load_half<true>>;
      return none ? chain<move_half<false>> : op_invalid;
    case 0x17:
      if (prefix > 1) return op_invalid;
      return mem ? chain<store_part<8, true>> : op_invalid;
    case 0x28: return prefix > 1 ? op_invalid : load_form<Width::k16Aligned>(mem);
    case 0x29: return prefix > 1 ? op_invalid : store_form<true>(mem);
    case 0x2B:  // MOVNTPS, MOVNTPD
      return prefix > 1 || !mem ? op_invalid : store_form<true>(true);
    case 0x50:
      if (prefix > 1 || mem) return op_invalid;
      return none ? chain<movmsk<4>> : chain<movmsk<8>>;
    case 0x54: return prefix > 1 ? op_invalid : int_form<Andps>(mem);  // ANDPS / ANDPD: the same bits
    case 0x55: return prefix > 1 ? op_invalid : int_form<Andnps>(mem);
    case 0x56: return prefix > 1 ? op_invalid : int_form<Orps>(mem);
    case 0x57: return prefix > 1 ? op_invalid : int_form<Xorps>(mem);
    case 0x6E:
      if (!p66) return nullptr;  // MMX
      return wide ? (mem ? chain<movd_to_xmm<u64, true>> : chain<movd_to_xmm<u64, false>>)
                  : (mem ? chain<movd_to_xmm<u32, true>> : chain<movd_to_xmm<u32, false>>);
    case 0x6F:
      if (p66) return load_form<Width::k16Aligned>(mem);
      if (f3) return load_form<Width::k16>(mem);
      return none ? nullptr : op_invalid;
    case 0x70:
      if (p66) return shuffle_form<pshufd>(mem);
      if (f3) return shuffle_form<pshufw_half<true>>(mem);
      if (f2) return shuffle_form<pshufw_half<false>>(mem);
      return nullptr;  // PSHUFW (MMX)
    case 0x71: case 0x72: case 0x73: {
      if (!p66) return none ? nullptr : op_invalid;
      if (mem) return op_invalid;
      const unsigned key = (op - 0x71) * 8 + group;
      switch (key) {
        case 0 * 8 + 2: return chain<shift_imm<Psrlw>>;
        case 0 * 8 + 4: return chain<shift_imm<Psraw>>;
        case 0 * 8 + 6: return chain<shift_imm<Psllw>>;
        case 1 * 8 + 2: return chain<shift_imm<Psrld>>;
        case 1 * 8 + 4: return chain<shift_imm<Psrad>>;
        case 1 * 8 + 6: return chain<shift_imm<Pslld>>;
        case 2 * 8 + 2: return chain<shift_imm<Psrlq>>;
        case 2 * 8 + 3: return chain<byte_shift<true>>;
        case 2 * 8 + 6: return chain<shift_imm<Psllq>>;
        case 2 * 8 + 7: return chain<byte_shift<false>>;
        default: return op_invalid;
      }
    }
    case 0x7E:
      if (p66)
        return wide ? (mem ? chain<movd_from_xmm<u64, true>> : chain<movd_from_xmm<u64, false>>)
                    : (mem ? chain<movd_from_xmm<u32, true>> : chain<movd_from_xmm<u32, false>>);
      if (f3) return load_form<Width::k8>(mem);  // MOVQ xmm, xmm/m64
      return none ? nullptr : op_invalid;
    case 0x7F:
      if (p66) return store_form<true>(mem);
      if (f3) return store_form<false>(mem);
      return none ? nullptr : op_invalid;
    case 0xC3:
      if (!none || !mem) return op_invalid;
      return wide ? chain<movnti<u64>> : chain<movnti<u32>>;
    case 0xC4:
      if (!p66) return none ? nullptr : op_invalid;
      return mem ? chain<pinsrw<true>> : chain<pinsrw<false>>;
    case 0xC5:
      if (!p66) return none ? nullptr : op_invalid;
      return mem ? op_invalid : chain<pextrw>;
    case 0xC6:
      if (prefix > 1) return op_invalid;
      return none ? shuffle_form<shufps>(mem) : shuffle_form<shufpd>(mem);
    case 0xD6:
      if (!p66) return nullptr;  // MOVQ2DQ, MOVDQ2Q (MMX)
      return mem ? chain<store_part<8, false>> : chain<movq_to_rm>;
    case 0xD7:
      if (!p66) return none ? nullptr : op_invalid;
      return mem ? op_invalid : chain<movmsk<1>>;
    case 0xE7:
      if (!p66) return none ? nullptr : op_invalid;
      return mem ? store_form<true>(true) : op_invalid;
    case 0xF7:
      if (!p66) return none ? nullptr : op_invalid;
      return mem ? op_invalid : chain<maskmovdqu>;
    case 0xF0:  // LDDQU (SSE3): any alignment, memory only
      if (!f2) return op_invalid;
      return mem ? chain<load_full<Width::k16, true>> : op_invalid;
    default: break;
  }
  // The rest: 66 0F op, xmm, xmm/m128 (without 66: MMX, not implemented).
  if (!p66) return none ? nullptr : op_invalid;
  switch (op) {
    case 0x60: return int_form<Punpcklbw>(mem);
    case 0x61: return int_form<Punpcklwd>(mem);
    case 0x62: return int_form<Punpckldq>(mem);
    case 0x63: return int_form<Packsswb>(mem);
    case 0x64: return int_form<Pcmpgtb>(mem);
    case 0x65: return int_form<Pcmpgtw>(mem);
    case 0x66: return int_form<Pcmpgtd>(mem);
    case 0x67: return int_form<Packuswb>(mem);
    case 0x68: return int_form<Punpckhbw>(mem);
    case 0x69: return int_form<Punpckhwd>(mem);
    case 0x6A: return int_form<Punpckhdq>(mem);
    case 0x6B: return int_form<Packssdw>(mem);
    case 0x6C: return int_form<Punpcklqdq>(mem);
    case 0x6D: return int_form<Punpckhqdq>(mem);
    case 0x74: return int_form<Pcmpeqb>(mem);
    case 0x75: return int_form<Pcmpeqw>(mem);
    case 0x76: return int_form<Pcmpeqd>(mem);
    case 0xD1: return int_form<Psrlw>(mem);
    case 0xD2: return int_form<Psrld>(mem);
    case 0xD3: return int_form<Psrlq>(mem);
    case 0xD4: return int_form<Paddq>(mem);
    case 0xD5: return int_form<Pmullw>(mem);
    case 0xD8: return int_form<Psubusb>(mem);
    case 0xD9: return int_form<Psubusw>(mem);
    case 0xDA: return int_form<Pminub>(mem);
    case 0xDB: return int_form<Pand>(mem);
    case 0xDC: return int_form<Paddusb>(mem);
    case 0xDD: return int_form<Paddusw>(mem);
    case 0xDE: return int_form<Pmaxub>(mem);
    case 0xDF: return int_form<Pandn>(mem);
    case 0xE0: return int_form<Pavgb>(mem);
    case 0xE1: return int_form<Psraw>(mem);
    case 0xE2: return int_form<Psrad>(mem);
    case 0xE3: return int_form<Pavgw>(mem);
    case 0xE4: return int_form<Pmulhuw>(mem);
    case 0xE5: return int_form<Pmulhw>(mem);
    case 0xE8: return int_form<Psubsb>(mem);
    case 0xE9: return int_form<Psubsw>(mem);
    case 0xEA: return int_form<Pminsw>(mem);
    case 0xEB: return int_form<Por>(mem);
    case 0xEC: return int_form<Paddsb>(mem);
    case 0xED: return int_form<Paddsw>(mem);
    case 0xEE: return int_form<Pmaxsw>(mem);
    case 0xEF: return int_form<Pxor>(mem);
    case 0xF1: return int_form<Psllw>(mem);
    case 0xF2: return int_form<Pslld>(mem);
    case 0xF3: return int_form<Psllq>(mem);
    case 0xF4: return int_form<Pmuludq>(mem);
    case 0xF5: return int_form<Pmaddwd>(mem);
    case 0xF6: return int_form<Psadbw>(mem);
    case 0xF8: return int_form<Psubb>(mem);
    case 0xF9: return int_form<Psubw>(mem);
    case 0xFA: return int_form<Psubd>(mem);
    case 0xFB: return int_form<Psubq>(mem);
    case 0xFC: return int_form<Paddb>(mem);
    case 0xFD: return int_form<Paddw>(mem);
    case 0xFE: return int_form<Paddd>(mem);
    default: return nullptr;
  }
}

}  // namespace rw::cpu
