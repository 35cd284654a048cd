// What every instruction handler uses: register and memory operands, effective
// addresses, flags, the stack, and size-dispatch helpers for the decoder.
#pragma once

#include <cstdint>
#include <cstring>
#include <type_traits>

#include "cpu/cpu.h"
#include "cpu/fault.h"
#include "cpu/insn.h"
#include "cpu/mmu.h"
#include "cpu/registers.h"

namespace rw::cpu {

using u8 = uint8_t;
using u16 = uint16_t;
using u32 = uint32_t;
using u64 = uint64_t;

template <class T> constexpr unsigned kBits = sizeof(T) * 8;
template <class T> using Signed = std::make_signed_t<T>;

// --- registers ---

// Byte registers are addressed by byte offset into gpr[] (AH is offset 1).
template <class T>
inline T reg_get(const Cpu& c, unsigned r) {
  if constexpr (sizeof(T) == 1)
    return reinterpret_cast<const uint8_t*>(c.gpr)[r];
  else
    return static_cast<T>(c.gpr[r]);
}

// 32-bit writes zero-extend to 64 bits; 8- and 16-bit writes merge.
template <class T>
inline void reg_set(Cpu& c, unsigned r, T v) {
  if constexpr (sizeof(T) == 1)
    reinterpret_cast<uint8_t*>(c.gpr)[r] = v;
  else if constexpr (sizeof(T) == 2)
    std::memcpy(&c.gpr[r], &v, 2);
  else
    c.gpr[r] = v;
}

// --- memory operands ---

inline uint64_t effective_address(const Cpu& c, const Insn& i) {
  uint64_t a = c.gpr[i.base] + (c.gpr[i.index] << i.scale) + static_cast<uint64_t>(i.disp);
  return a & kAddrMask[i.asize];
}

inline uint64_t linear_address(const Cpu& c, const Insn& i) {
  return (effective_address(c, i) + c.seg_base[i.seg]) & c.lin_mask;
}

// The r/m operand, register or memory by template parameter.
template <class T, bool Mem>
inline T rm_read(Cpu& c, const Insn& i) {
  if constexpr (Mem)
    return mem_read<T>(c, linear_address(c, i));
  else
    return reg_get<T>(c, i.rm);
}

template <class T, bool Mem>
inline void rm_write(Cpu& c, const Insn& i, T v) {
  if constexpr (Mem)
    mem_write<T>(c, linear_address(c, i), v);
  else
    reg_set<T>(c, i.rm, v);
}

// --- flags ---

// Replace the six arithmetic flags.
inline void set_arith_flags(Cpu& c, uint64_t bits) {
  c.rflags_stored = (c.rflags_stored & ~rflags::kArith) | (bits & rflags::kArith);
  c.lf.kind = kFlagsStored;
}

template <class T>
inline void set_lazy(Cpu& c, FlagKind kind, T res, T dst, T src) {
  c.lf.res = res;
  c.lf.dst = dst;
  c.lf.src = src;
  c.lf.kind = kind;
  c.lf.bits = kBits<T>;
}

inline bool get_cf(const Cpu& c) { return lazy_cf(c.lf, c.rflags_stored); }
inline bool get_zf(const Cpu& c) { return lazy_zf(c.lf, c.rflags_stored); }
inline bool get_sf(const Cpu& c) { return lazy_sf(c.lf, c.rflags_stored); }
inline bool get_of(const Cpu& c) { return lazy_of(c.lf, c.rflags_stored); }
inline bool get_pf(const Cpu& c) { return lazy_pf(c.lf, c.rflags_stored); }

inline int64_t sign_extend(uint64_t v, unsigned bits) {
  return static_cast<int64_t>(v << (64 - bits)) >> (64 - bits);
}

// Condition codes in Jcc/SETcc/CMOVcc order. Compares after CMP/SUB are evaluated
// from the operands directly, without building flags.
inline bool condition(const Cpu& c, unsigned cc) {
  const LazyFlags& f = c.lf;
  if (f.kind == kFlagsSub) {
    bool r;
    switch (cc >> 1) {
      case 1: r = f.dst < f.src; break;
      case 2: r = f.res == 0; break;
      case 3: r = f.dst <= f.src; break;
      case 6: r = sign_extend(f.dst, f.bits) < sign_extend(f.src, f.bits); break;
      case 7: r = sign_extend(f.dst, f.bits) <= sign_extend(f.src, f.bits); break;
      case 4: r = (f.res >> (f.bits - 1)) & 1; break;
      case 0: r = get_of(c); break;
      default: r = get_pf(c); break;
    }
    return r != (cc & 1);
  }
  bool r;
  switch (cc >> 1) {
    case 0: r = get_of(c); break;
    case 1: r = get_cf(c); break;
    case 2: r = get_zf(c); break;
    case 3: r = get_cf(c) || get_zf(c); break;
    case 4: r = get_sf(c); break;
    case 5: r = get_pf(c); break;
    case 6: r = get_sf(c) != get_of(c); break;
    default: r = get_zf(c) || (get_sf(c) != get_of(c)); break;
  }
  return r != (cc & 1);
}

// --- stack ---

// Stack pointer width follows the mode: 64 in long mode, else SS.B (32 or 16).
inline uint64_t stack_mask(const Cpu& c) {
  if (c.code_size == CodeSize::k64) return ~uint64_t{0};
  return c.seg[SS].default_big() ? 0xFFFFFFFF : 0xFFFF;
}

inline void set_sp(Cpu& c, uint64_t sp) {
  uint64_t m = stack_mask(c);
  c.gpr[RSP] = (c.gpr[RSP] & ~m) | (sp & m);
}

template <class T>
inline void push(Cpu& c, T v) {
  uint64_t m = stack_mask(c);
  uint64_t sp = (c.gpr[RSP] - sizeof(T)) & m;
  mem_write<T>(c, (sp + c.seg_base[SS]) & c.lin_mask, v);
  c.gpr[RSP] = (c.gpr[RSP] & ~m) | sp;
}

template <class T>
inline T pop(Cpu& c) {
  uint64_t m = stack_mask(c);
  uint64_t sp = c.gpr[RSP] & m;
  T v = mem_read<T>(c, (sp + c.seg_base[SS]) & c.lin_mask);
  c.gpr[RSP] = (c.gpr[RSP] & ~m) | ((sp + sizeof(T)) & m);
  return v;
}

// Read the value `offset` bytes above the stack pointer without popping.
template <class T>
inline T stack_peek(Cpu& c, uint64_t offset) {
  uint64_t m = stack_mask(c);
  return mem_read<T>(c, (((c.gpr[RSP] + offset) & m) + c.seg_base[SS]) & c.lin_mask);
}

// --- threaded dispatch ---

// Every handler the decoder hands out runs its instruction and then jumps straight to
// the next instruction of the trace (a sibling call the compiler turns into a jump).
// A trace ends with a sentinel whose handler returns to the loop. Conditional branches
// leave early when taken (control.cpp), which lets a trace continue past them.
template <Handler H>
void chain(Cpu& c, const Insn& i) {
  c.current = &i;
  H(c, i);
  const Insn& next = (&i)[1];
  return next.fn(c, next);
}

// --- decoder helpers: pick a template instance by operand size ---

template <class F>
inline Handler by_size(unsigned size, F f) {
  switch (size) {
    case 1: return f.template operator()<u8>();
    case 2: return f.template operator()<u16>();
    case 4: return f.template operator()<u32>();
    default: return f.template operator()<u64>();
  }
}

template <class F>
inline Handler by_size_mem(unsigned size, bool mem, F f) {
  return by_size(size, [&]<class T>() -> Handler {
    return mem ? f.template operator()<T, true>() : f.template operator()<T, false>();
  });
}

}  // namespace rw::cpu

namespace rw::cpu {

// Arithmetic flags from a result plus explicit CF and OF (AF cleared): for the
// instructions whose flags are computed eagerly (shifts, multiplies, bit ops).
template <class T>
inline void set_result_flags(Cpu& c, T res, bool cf, bool of) {
  uint64_t zf = res == 0;
  uint64_t sf = (res >> (kBits<T> - 1)) & 1;
  set_arith_flags(c, uint64_t(cf) | kParity.pf[res & 0xFF] | zf << 6 | sf << 7 | uint64_t(of) << 11);
}

}  // namespace rw::cpu
