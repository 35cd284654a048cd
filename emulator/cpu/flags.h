// Lazy arithmetic flags: the hot ALU instructions record their operands and result,
// and a flag is computed only when something reads it.
#pragma once

#include <cstdint>

namespace rw::cpu {

enum FlagKind : uint8_t {
  kFlagsStored,  // arithmetic flags are in rflags_stored
  kFlagsAdd,     // res = dst + src
  kFlagsSub,     // res = dst - src (also CMP and NEG with dst = 0)
  kFlagsLogic,   // AND, OR, XOR, TEST: CF = OF = 0
  kFlagsInc,     // res = dst + 1; src holds the preserved CF
  kFlagsDec,     // res = dst - 1; src holds the preserved CF
  kFlagsShl,     // res = dst << src, src = masked count (1..63)
  kFlagsShr,     // res = dst >> src (logical)
  kFlagsSar,     // res = dst >> src (arithmetic)
};

// Values are kept zero-extended from their operand size.
struct LazyFlags {
  uint64_t res = 0;
  uint64_t dst = 0;
  uint64_t src = 0;
  uint8_t kind = kFlagsStored;
  uint8_t bits = 32;
};

inline uint64_t sign_bit(unsigned bits) { return uint64_t{1} << (bits - 1); }

// PF for each low byte, already in its RFLAGS position (bit 2).
struct ParityTable {
  uint8_t pf[256];
  constexpr ParityTable() : pf() {
    for (unsigned v = 0; v < 256; ++v) {
      unsigned ones = 0;
      for (unsigned b = v; b; b >>= 1) ones += b & 1;
      pf[v] = (ones & 1) ? 0 : 4;
    }
  }
};
inline constexpr ParityTable kParity;

inline bool shift_cf(const LazyFlags& f) {
  const uint64_t count = f.src;
  if (f.kind == kFlagsShl) return count <= f.bits && ((f.dst >> (f.bits - count)) & 1);
  if (f.kind == kFlagsShr) return count <= f.bits && ((f.dst >> (count - 1)) & 1);
  const int64_t s = static_cast<int64_t>(f.dst << (64 - f.bits)) >> (64 - f.bits);  // kFlagsSar
  return (s >> (count <= f.bits ? count - 1 : f.bits - 1)) & 1;
}

inline bool lazy_cf(const LazyFlags& f, uint64_t stored) {
  switch (f.kind) {
    case kFlagsAdd: return f.res < f.dst;
    case kFlagsSub: return f.dst < f.src;
    case kFlagsLogic: return false;
    case kFlagsInc:
    case kFlagsDec: return f.src & 1;
    case kFlagsShl:
    case kFlagsShr:
    case kFlagsSar: return shift_cf(f);
    default: return stored & 1;
  }
}

inline bool lazy_zf(const LazyFlags& f, uint64_t stored) {
  return f.kind == kFlagsStored ? (stored >> 6) & 1 : f.res == 0;
}

inline bool lazy_sf(const LazyFlags& f, uint64_t stored) {
  return f.kind == kFlagsStored ? (stored >> 7) & 1 : (f.res >> (f.bits - 1)) & 1;
}

inline bool lazy_of(const LazyFlags& f, uint64_t stored) {
  switch (f.kind) {
    case kFlagsAdd: return (((f.dst ^ f.res) & (f.src ^ f.res)) >> (f.bits - 1)) & 1;
    case kFlagsSub: return (((f.dst ^ f.src) & (f.dst ^ f.res)) >> (f.bits - 1)) & 1;
    case kFlagsLogic: return false;
    case kFlagsInc: return f.res == sign_bit(f.bits);
    case kFlagsDec: return f.dst == sign_bit(f.bits);
    case kFlagsShl: return ((f.res >> (f.bits - 1)) & 1) ^ shift_cf(f);
    // The SDM defines OF for a count of 1 only; above that rewind gives 0, as QEMU 7.2
    // does (docs/cpu.md, "Undefined and vendor-dependent results").
    case kFlagsShr: return f.src == 1 && ((f.dst >> (f.bits - 1)) & 1);
    case kFlagsSar: return false;
    default: return (stored >> 11) & 1;
  }
}

inline bool lazy_af(const LazyFlags& f, uint64_t stored) {
  switch (f.kind) {
    case kFlagsAdd:
    case kFlagsSub: return ((f.res ^ f.dst ^ f.src) >> 4) & 1;
    case kFlagsLogic: return false;
    case kFlagsInc: return (f.res & 0xF) == 0;
    case kFlagsDec: return (f.res & 0xF) == 0xF;
    case kFlagsShl:
    case kFlagsShr:
    case kFlagsSar: return false;
    default: return (stored >> 4) & 1;
  }
}

inline bool lazy_pf(const LazyFlags& f, uint64_t stored) {
  return f.kind == kFlagsStored ? (stored >> 2) & 1 : kParity.pf[f.res & 0xFF] != 0;
}

// All six arithmetic flags in their RFLAGS positions, computed in one pass.
[[gnu::always_inline]] inline uint64_t lazy_arith_bits(const LazyFlags& f, uint64_t stored) {
  if (f.kind == kFlagsStored) return stored & 0x8D5;
  const unsigned top = f.bits - 1;
  const uint64_t res = f.res;
  uint64_t bits = uint64_t{kParity.pf[res & 0xFF]} | uint64_t(res == 0) << 6 | ((res >> top) & 1) << 7;
  switch (f.kind) {
    case kFlagsAdd:
      return bits | uint64_t(res < f.dst) | ((res ^ f.dst ^ f.src) & 0x10) |
             ((((f.dst ^ res) & (f.src ^ res)) >> top) & 1) << 11;
    case kFlagsSub:
      return bits | uint64_t(f.dst < f.src) | ((res ^ f.dst ^ f.src) & 0x10) |
             ((((f.dst ^ f.src) & (f.dst ^ res)) >> top) & 1) << 11;
    case kFlagsLogic: return bits;
    default: return bits | uint64_t(lazy_cf(f, stored)) | uint64_t(lazy_af(f, stored)) << 4 |
                    uint64_t(lazy_of(f, stored)) << 11;
  }
}

}  // namespace rw::cpu
