// The CPU's registers as the layers above the emulator see them (a debugger, reports):
// read and write by name, RFLAGS with the lazy arithmetic flags computed, and writes that
// keep what the CPU derives from a register right. The instruction handlers' own helpers
// (operands.h) stay private to the CPU; they use the two RFLAGS functions below too.
#pragma once

#include <cstdint>

#include "cpu/cpu.h"

namespace rw::cpu {

// RFLAGS as the guest reads it (PUSHF): the lazy arithmetic flags computed.
[[gnu::always_inline]] inline uint64_t get_rflags(const Cpu& c) {
  return (c.rflags_stored & ~rflags::kArith) | lazy_arith_bits(c.lf, c.rflags_stored);
}

// Replace the whole register, without POPF's privilege checks: reserved bits are cleared,
// bit 1 is set.
[[gnu::always_inline]] inline void set_rflags(Cpu& c, uint64_t value) {
  c.rflags_stored = (value & 0x3F7FD5) | 2;
  c.lf.kind = kFlagsStored;
}

// Registers by name. The general registers and the segment registers follow the CPU's
// own numbering (Gpr, SegReg): Reg(RAX + n) and kEs + SegReg work.
enum class Reg : uint8_t {
  kRax, kRcx, kRdx, kRbx, kRsp, kRbp, kRsi, kRdi, kR8, kR9, kR10, kR11, kR12, kR13, kR14, kR15,
  kRip,
  kRflags,
  kEs, kCs, kSs, kDs, kFs, kGs,                          // selectors
  kEsBase, kCsBase, kSsBase, kDsBase, kFsBase, kGsBase,  // the segments' bases
  kCr0, kCr2, kCr3, kCr4, kEfer,
  kMxcsr,
  kXmm0Lo,                    // xmm0-15 as two quadwords each: xmm(n) low half is kXmm0Lo + 2n
  kXmm15Hi = kXmm0Lo + 31,
  // The x87: control, status (with TOP), the tag word (full form, as FSTENV stores it),
  // FOP, FIP, FCS, FDP, FDS, and the physical registers R0-R7 as significand and
  // sign:exponent (R(n)'s significand is kFpr0Significand + 2n).
  kFcw, kFsw, kFtw, kFop, kFip, kFcs, kFdp, kFds,
  kFpr0Significand,
  kFpr7SignExponent = kFpr0Significand + 15,
  kCount
};
inline Reg gpr_reg(unsigned n) { return static_cast<Reg>(static_cast<unsigned>(Reg::kRax) + n); }
inline Reg selector_reg(unsigned seg) { return static_cast<Reg>(static_cast<unsigned>(Reg::kEs) + seg); }
inline Reg segment_base_reg(unsigned seg) { return static_cast<Reg>(static_cast<unsigned>(Reg::kEsBase) + seg); }
inline Reg xmm_reg(unsigned n, bool high) { return static_cast<Reg>(static_cast<unsigned>(Reg::kXmm0Lo) + 2 * n + high); }
inline Reg fpr_reg(unsigned physical, bool sign_exponent) {
  return static_cast<Reg>(static_cast<unsigned>(Reg::kFpr0Significand) + 2 * physical + sign_exponent);
}

uint64_t read_register(const Cpu& c, Reg r);

// The x87 tag word as FSTENV stores it (two bits per physical register: 00 valid, 01 zero,
// 10 special, 11 empty), from the abridged tags the CPU keeps and the registers' contents;
// and back (the abridged form: not empty).
uint16_t x87_tag_word(const Cpu& c);
// The physical register ST(i) is now (TOP + i).
inline unsigned x87_physical(const Cpu& c, unsigned i) { return (((c.x87.fsw >> 11) & 7) + i) & 7; }
uint8_t x87_abridged_tags(uint16_t tag_word);

// A debugger's write, between runs. General registers, RIP, RFLAGS (as set_rflags), the
// XMM halves and the x87's registers take the value (FSW's exception summary and the tags
// follow); MXCSR takes one with no reserved bit set (else false, as LDMXCSR
// would fault); a segment base is loaded as a debugger sets FS or GS base, and the CPU's mode
// and effective bases follow it. Selectors and control registers would need a descriptor
// load or a mode switch with the guest's own checks: false, and nothing changes.
bool write_register(Cpu& c, Reg r, uint64_t value);
// The registers write_register may take (whatever the value).
bool writable_register(Reg r);

}  // namespace rw::cpu
