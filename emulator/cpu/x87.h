// What the x87 handlers share (x87.cpp, x87_env.cpp): the register stack, the tag word, the
// status word's exception logic, and running a host x87 instruction under the guest's
// precision and rounding control (Intel SDM vol. 1 ch. 8).
//
// Results of the basic operations come from the host's own x87 instructions (loads, stores,
// conversions, arithmetic, square root, comparisons, rounding to an integer): what they compute
// is defined by the architecture and identical on every x86-64 processor. Each runs on the
// host with the guest's precision and rounding control and every exception masked; the guest's
// own masks are applied here (x87_status). The transcendental instructions, whose results
// differ between Intel and AMD, are computed in software (x87_math.h).
#pragma once

#include "cpu/operands.h"
#include "cpu/registers.h"
#include "cpu/x87_math.h"

namespace rw::cpu::x87 {

namespace sw {
constexpr uint16_t IE = 1, DE = 2, ZE = 4, OE = 8, UE = 0x10, PE = 0x20, SF = 0x40, ES = 0x80, C0 = 0x100,
                   C1 = 0x200, C2 = 0x400, C3 = 0x4000, B = 0x8000, kTop = 0x3800, kExceptions = 0x3F,
                   kConditions = C0 | C1 | C2 | C3;
}


inline unsigned top(const Cpu& c) { return (c.x87.fsw >> 11) & 7; }
inline unsigned phys(const Cpu& c, unsigned i) { return x87_physical(c, i); }
inline F80& st(Cpu& c, unsigned i) { return c.x87.regs[phys(c, i)]; }
inline bool empty(const Cpu& c, unsigned i) { return !((c.x87.ftw >> phys(c, i)) & 1); }
inline void set_top(Cpu& c, unsigned t) { c.x87.fsw = static_cast<uint16_t>((c.x87.fsw & ~sw::kTop) | (t & 7) << 11); }
inline void set_st(Cpu& c, unsigned i, const F80& v) {
  st(c, i) = v;
  c.x87.ftw |= static_cast<uint8_t>(1u << phys(c, i));
}
inline void push(Cpu& c, const F80& v) {
  set_top(c, top(c) - 1);
  set_st(c, 0, v);
}
inline void pop(Cpu& c) {
  c.x87.ftw &= static_cast<uint8_t>(~(1u << top(c)));
  set_top(c, top(c) + 1);
}

// FSW.ES and B: set while an exception flag is set whose mask is clear.
inline void update_summary(Cpu& c) {
  const bool pending = c.x87.fsw & ~c.x87.fcw & sw::kExceptions;
  c.x87.fsw = pending ? (c.x87.fsw | sw::ES | sw::B) : (c.x87.fsw & ~(sw::ES | sw::B));
}

// How an instruction starts (SDM vol. 1, 8.1.8 and 8.6): #NM for CR0.EM or TS; a waiting
// instruction first reports a pending unmasked exception (#MF with CR0.NE, else FERR: IRQ 13,
// and the instruction goes on); a non-control instruction records its opcode and address
// (and its memory operand's) in FOP, FIP/FCS and FDP/FDS.
enum class Begin : uint8_t { kNoWait, kControl, kNormal, kNormalMemory };
[[noreturn]] void device_not_available();
void pending_exception(Cpu& c);
void record_pointers(Cpu& c, const Insn& i, bool memory);
inline void begin(Cpu& c, const Insn& i, Begin kind) {
  if (c.cr0 & (cr0::EM | cr0::TS)) [[unlikely]]
    device_not_available();
  if (kind != Begin::kNoWait && (c.x87.fsw & sw::ES)) [[unlikely]]
    pending_exception(c);
  if (kind >= Begin::kNormal) record_pointers(c, i, kind == Begin::kNormalMemory);
}

// The host's control word for an operation: the guest's precision and rounding control, every
// exception masked.
inline uint16_t host_cw(const Cpu& c) { return static_cast<uint16_t>((c.x87.fcw & 0x0F00) | 0x7F); }

// The guest's response to the exceptions an operation raised on the host (`status`: its
// exception flags and C1). Flags accumulate; C1 takes the host's (the round-up indicator).
// Returns false when an unmasked invalid-operation, denormal or divide-by-zero exception
// occurred: the destination is then left alone (SDM vol. 1, 8.5).
bool take_status(Cpu& c, uint16_t status);

// A stack overflow or underflow: IE and SF, C1 = `overflow`. Returns true when IE is masked
// (the masked response, the real indefinite, is then to be written).
bool stack_fault(Cpu& c, bool overflow);

// Runs BODY on the host x87 with the guest's control word `cw` (exceptions masked) and an
// empty stack before and after; returns the host's status word as RW_FNSTSW, placed in BODY
// right after the instruction that computes, read it (its exception flags and condition
// codes: a later FSTP would clear C1). OUTPUTS and INPUTS as RW_X87_OPERANDS(...) lists.
#define RW_X87_OPERANDS(...) __VA_ARGS__
#define RW_FNSTSW "\n\tfnstsw %[rw_status]\n\t"
#define RW_UNDER_FCW(cw, BODY, OUTPUTS, INPUTS)                                                        \
  ([&] {                                                                                              \
    uint16_t rw_save = 0, rw_status = 0;                                                              \
    const uint16_t rw_cw = (cw);                                                                      \
    asm volatile("fnstcw %[rw_save]\n\tfldcw %[rw_cw]\n\tfnclex\n\t" BODY                              \
                 "\n\tfnclex\n\tfldcw %[rw_save]"                                                        \
                 : [rw_save] "+m"(rw_save), [rw_status] "=m"(rw_status), OUTPUTS                       \
                 : [rw_cw] "m"(rw_cw), INPUTS                                                          \
                 : "st", "st(1)", "cc");                                                              \
    return rw_status;                                                                                 \
  }())

}  // namespace rw::cpu::x87
