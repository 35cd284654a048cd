// The CPU loop's interface to the machine.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "cpu/cpu.h"
#include "cpu/engine.h"

namespace rw::cpu {

// Decoded-instruction cache; one per CPU (defined in cpu/code_cache.h), its traces run by
// `engine`.
std::unique_ptr<CodeCache> make_code_cache(Engine engine);

// Execute until cpu.icount == target, or until something stops the CPU
// (cpu.stop_requested set by a device, HLT that can never wake, triple fault).
// Returns why it stopped; for kShutdown, cpu.shutdown_reason says what happened.
StopReason run(Cpu& cpu, uint64_t target);

// Multiboot v1 entry state: 32-bit protected mode, flat 4 GiB code and data segments,
// paging off, interrupts off, EAX = 0x2BADB002, EBX = multiboot info address.
void enter_multiboot_state(Cpu& cpu, uint32_t entry, uint32_t multiboot_info);

// A PC's state when its BIOS jumps to a disk's boot sector: real mode, CS:IP = 0000:`ip`,
// every segment 0 with 64 KiB limits, DL = the boot drive, SP = `sp`, interrupts off, the
// IVT at 0 (256 entries).
void enter_boot_sector_state(Cpu& cpu, uint16_t ip, uint8_t drive, uint16_t sp);

// Human-readable description of the last triple fault (address and exception chain).
std::string shutdown_description(const Cpu& cpu);

}  // namespace rw::cpu
