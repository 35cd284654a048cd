// The instructions at the CPU's position, for the web page's registers panel (GET
// /api/state, docs/web.md): decoded with Zydis in the CPU's current mode and printed in
// AT&T syntax, gdb's default. Guest memory is read as the gdb stub reads it
// (Machine::read_virtual): through the guest's page tables, with no effect on the guest.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace rw {
class Machine;
}

namespace rw::web {

struct DisassembledInstruction {
  // The offset in the code segment, as rip counts it (what gdb shows as $pc); the bytes
  // come from CS's base plus this.
  uint64_t address = 0;
  std::vector<uint8_t> bytes;
  std::string text;  // "(bad)" for a byte that starts no valid instruction
};

struct Disassembly {
  std::vector<DisassembledInstruction> instructions;  // the current one first
  // Why the listing ends before `count` instructions ("cannot read memory at 0x..."), or "".
  std::string note;
};

inline constexpr size_t kDisassemblyInstructions = 12;

// Up to `count` instructions from CS:RIP on. Stops at the first byte that cannot be read
// (not mapped, or not RAM), saying so in `note`.
Disassembly disassemble_at_pc(Machine& machine, size_t count = kDisassemblyInstructions);

}  // namespace rw::web
