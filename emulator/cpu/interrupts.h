// Control transfers that go through descriptors: interrupt and exception delivery
// through the IDT, far JMP/CALL/RET, IRET, SYSCALL/SYSRET.
#pragma once

#include <cstdint>

#include "cpu/cpu.h"
#include "cpu/fault.h"

namespace rw::cpu {

// Deliver one event through the IDT (the IVT in real mode), then tell Cpu::event_taken. May
// itself raise GuestFault. On return, cpu.rip and cpu.next_rip both hold the handler's address.
void deliver_event(Cpu& cpu, uint8_t vector, EventKind kind, bool has_error, uint32_t error, uint64_t return_rip);

// Deliver an exception raised at cpu.rip, escalating to #DF and to a triple fault
// (cpu.stop_reason = kShutdown) as the SDM's double-fault table says.
void deliver_exception(Cpu& cpu, const GuestFault& fault);

void far_transfer(Cpu& cpu, uint16_t selector, uint64_t offset, unsigned osize, bool call);
void far_return(Cpu& cpu, unsigned osize, uint16_t release);
void interrupt_return(Cpu& cpu, unsigned osize);

}  // namespace rw::cpu
