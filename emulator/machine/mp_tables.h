// The MultiProcessor Specification 1.4 tables a PC BIOS leaves in memory, written when the
// machine is built, as SeaBIOS writes them on QEMU for one CPU (without QEMU's PCI bus):
// the floating pointer and the configuration table in the BIOS area (0xF0000-0xFFFFF, the
// last place the specification says to look), one processor (local APIC 0, the LAPIC's
// version, enabled, bootstrap), bus 0 "ISA   ", the I/O APIC (ID 0, version 0x11, at
// 0xFEC00000), I/O interrupt entries for the ISA IRQs SeaBIOS lists (IRQ 0 on pin 2, the
// others on their own pin; not IRQ 2, the cascade, nor 5, 9, 10 and 11, which SeaBIOS keeps
// for PCI) and local interrupt entries (ExtINT on LINT0, NMI on every LINT1). The BIOS data
// area says what SeaBIOS's does: 639 KiB of base memory (0x413) and the EBDA at 0x9FC00
// (0x40E), whose first byte gives its size in KiB. The multiboot memory map marks both
// areas reserved.
#pragma once

#include <cstdint>

namespace rw {

class PhysicalMemory;

inline constexpr uint8_t kMpIoApicId = 0;
inline constexpr uint64_t kMpFloatingPointer = 0xF5B00;  // 16-byte aligned, in the BIOS area
inline constexpr uint64_t kMpConfigTable = 0xF5B10;

void write_mp_tables(PhysicalMemory& memory, uint32_t cpu_signature, uint32_t cpu_features);

}  // namespace rw
