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

inline bool lazy_cf(const LazyFlags& f, uint64_t stored) {
  switch (f.kind) {
    case kFlagsAdd: return f.res < f.dst;
    case kFlagsSub: return f.dst < f.src;
    case kFlagsLogic: return false;
    case kFlagsInc:
    case kFlagsDec: return f.src & 1;
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
    default: return (stored >> 4) & 1;
  }
}

inline bool lazy_pf(const LazyFlags& f, uint64_t stored) {
  return f.kind == kFlagsStored ? (stored >> 2) & 1 : !__builtin_parity(static_cast<unsigned>(f.res & 0xFF));
}

// All six arithmetic flags in their RFLAGS positions.
inline uint64_t lazy_arith_bits(const LazyFlags& f, uint64_t stored) {
  if (f.kind == kFlagsStored) return stored & 0x8D5;
  return uint64_t(lazy_cf(f, stored)) | uint64_t(lazy_pf(f, stored)) << 2 | uint64_t(lazy_af(f, stored)) << 4 |
         uint64_t(lazy_zf(f, stored)) << 6 | uint64_t(lazy_sf(f, stored)) << 7 | uint64_t(lazy_of(f, stored)) << 11;
}

}  // namespace rw::cpu
