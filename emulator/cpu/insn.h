// A decoded instruction: the handler is chosen at decode time for the exact operand
// form and size, so handlers never re-examine the encoding.
#pragma once

#include <cstdint>

namespace rw::cpu {

struct Cpu;
struct Insn;
struct TraceEntry;
using Handler = void (*)(Cpu&, const Insn&);

enum AddrSize : uint8_t { kAddr16 = 0, kAddr32 = 1, kAddr64 = 2 };

namespace prefix {
constexpr uint8_t kRep = 1, kRepne = 2, kLock = 4, kOpsize = 8, kRex = 16, kRexW = 32;
}

struct Insn {
  Handler fn;     // runs this instruction, then jumps to the next one's (see chain<> in operands.h)
  int64_t disp;   // memory displacement; RIP-relative forms hold the absolute offset
  uint64_t imm;   // immediate, absolute branch target, or far-pointer offset
  uint8_t len;
  uint8_t reg;    // ModRM.reg or opcode register; for byte operands a byte offset into Cpu::gpr
  uint8_t rm;     // ModRM.rm register form; for byte operands a byte offset into Cpu::gpr
  uint8_t base;   // memory base register, kZeroReg if none
  uint8_t index;  // memory index register, kZeroReg if none
  uint8_t scale;  // index shift 0..3
  uint8_t seg;    // segment of the memory operand
  uint8_t asize;  // AddrSize
  uint8_t osize;  // operand size in bytes
  uint8_t idx;    // position in its trace: icount of this instruction = cpu.icount + idx
  uint8_t off;    // byte offset from the trace's first instruction: its RIP = cpu.rip + off
  uint8_t prefixes;
  uint8_t ext;    // handler-specific: condition code, group operation, second operand size
  uint16_t imm2;  // ENTER nesting level, far-pointer selector, RET imm16
  // Where execution went the last time the trace was left here (a taken branch, the
  // trace's end, an indirect jump): the next trace, trusted while Tlb::generation is
  // link_generation and its RIP matches. Written by the loop, not by handlers.
  uint32_t link_generation;
  TraceEntry* link;
};

static_assert(sizeof(Insn) <= 56, "keep decoded instructions compact");

inline constexpr uint64_t kAddrMask[3] = {0xFFFF, 0xFFFFFFFF, ~uint64_t{0}};

}  // namespace rw::cpu
