// x87_fpexact's fault catcher: in the guest an IDT handler (trap.c, built integer-only), on
// the host (HOST_CHECK) a signal handler (host_trap.c: #MF is SIGFPE). Both record the
// vector, where the fault was (from trap_fault_addr, the instruction that raised the
// exception), the x87 status word at the fault and the pointers the x87 kept (FIP as an
// offset from trap_fault_addr, FOP), clear the pending exception (flags, ES and B; the
// control word stays) and resume at trap_resume_addr.
#pragma once
#include <stdint.h>

extern volatile uintptr_t trap_fault_addr, trap_resume_addr;
extern volatile int trap_count;
extern volatile unsigned trap_vector;
extern volatile long trap_offset;    // of the faulting instruction
extern volatile uint16_t trap_fsw;    // at the fault
extern volatile long trap_fip;        // FIP - trap_fault_addr
extern volatile uint16_t trap_fop;

void trap_install(void);

static inline void trap_reset(void) {
    trap_count = 0;
    trap_vector = 0;
    trap_offset = 0;
    trap_fsw = 0;
    trap_fip = 0;
    trap_fop = 0;
}
