// A debugger's write at a live run's frontier (gdb's `set var x = 5`, `set $rax = 1`): an
// input the guest's own instructions did not determine, journaled like a device's so that a
// replay makes it again at the same instruction boundary. Memory is journaled as the
// physical bytes the write changed, a page at a time, and registers at the CPU's level
// (cpu::Reg): a replay depends neither on the stub's register numbering nor on the page
// tables.
//
//   memory:   device = 0, id = physical address, status = byte count (1 to 4096, all within
//             one 4 KiB page), data = the bytes, eight to a word, little-endian, zero-padded
//   register: device = 1, id = cpu::Reg (one cpu::write_register takes), status = 0,
//             data = {value}
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "cpu/registers.h"
#include "journal/recording_format.h"

namespace rw {
class Machine;
}

namespace rw::journal {

enum class DebuggerWriteTarget : uint8_t { kMemory = 0, kRegister = 1 };
inline constexpr size_t kMaxDebuggerWriteBytes = 4096;

// The events, without their instruction count (the recorder sets it). `bytes` at most
// kMaxDebuggerWriteBytes, within one page.
Event memory_write_event(uint64_t phys, std::span<const uint8_t> bytes);
Event register_write_event(cpu::Reg reg, uint64_t value);

// Empty if `e`, of kind kDebuggerWrite, is well formed; else why not (the reader refuses a
// chunk holding a malformed one, so a replay never applies it).
std::string check_debugger_write(const Event& e);

// Makes the write on `machine`; false, and nothing changed, if this machine cannot take it
// (memory beyond its RAM).
bool apply_debugger_write(Machine& machine, const Event& e);

}  // namespace rw::journal
