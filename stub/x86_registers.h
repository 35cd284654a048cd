// The x86 register layout gdb expects from a remote i386 or x86-64 target: the order,
// names and sizes of gdb's own features/i386/{32,64}bit-{core,sse,segments}.xml, and the
// target description that lists them. Target-independent: used by MachineTarget.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace rw::stub {

enum class X86Reg : uint8_t {
  kGpr,     // index = the CPU's own register number (RAX, RCX, ... R15)
  kPc,
  kFlags,
  kSeg,     // index = ES, CS, SS, DS, FS, GS
  kSt,      // index = i of ST(i)
  kFpu,     // index = fctrl, fstat, ftag, fiseg, fioff, foseg, fooff, fop in that order
  kXmm,     // index = the register's number
  kMxcsr,
  kSegBase, // index = FS or GS
};

struct X86RegInfo {
  const char* name;
  uint8_t bytes;
  X86Reg kind;
  uint8_t index;
};

const std::vector<X86RegInfo>& x86_registers(bool is64);
// The target description gdb reads: amd64 or i386 registers; `real_mode` (a 32-bit target
// that starts in real mode, as a disk's boot sector does) names the architecture i8086, so
// that gdb disassembles 16-bit code (`set architecture i386` after the switch to protected mode).
std::string x86_target_xml(bool is64, bool real_mode = false);

}  // namespace rw::stub
