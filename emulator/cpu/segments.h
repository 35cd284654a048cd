// Segment registers and descriptor tables (protected and long mode).
#pragma once

#include <cstdint>

#include "cpu/cpu.h"

namespace rw::cpu {

// Raw 8-byte descriptor for `selector` from the GDT or LDT; #GP(selector) if outside the table.
uint64_t read_descriptor(Cpu& cpu, uint16_t selector, uint8_t vector = 13);
// The upper 8 bytes of a 16-byte system descriptor in long mode.
uint64_t read_descriptor_high(Cpu& cpu, uint16_t selector);

Segment segment_from_descriptor(uint16_t selector, uint64_t descriptor);

// MOV/POP/LDS-style load of DS, ES, FS, GS or SS with the protected-mode checks.
void load_data_segment(Cpu& cpu, SegReg reg, uint16_t selector);

// Install a code segment (after the caller's checks) and switch CPL and mode.
void set_code_segment(Cpu& cpu, uint16_t selector, uint64_t descriptor, unsigned cpl);
// Recompute everything derived from CS, CR0, EFER and CPL: decode mode, address
// masks, effective segment bases, which TLB set is current.
void update_mode(Cpu& cpu);

// Set the accessed bit of a descriptor in its table, as the CPU does on a load.
void mark_descriptor_accessed(Cpu& cpu, uint16_t selector, uint64_t descriptor);

}  // namespace rw::cpu
