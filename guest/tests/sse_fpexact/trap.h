// The trap catcher of sse_fpexact: the test arms it with the address of the instruction
// that may fault and where to resume; a fault records its vector and where it was taken,
// and resumes there. trap.c is the guest's (an IDT handler built without SSE, so that the
// xmm registers reach the resume point as the fault left them); host_trap.c is the host
// check's (signal handlers: SIGFPE is #XM, SIGSEGV #GP, SIGILL #UD).
#pragma once
#include <stdint.h>

extern volatile uintptr_t trap_fault_addr, trap_resume_addr;
extern volatile int trap_count;
extern volatile unsigned trap_vector;
extern volatile long trap_offset;  // where the fault was taken, from trap_fault_addr

void trap_install(void);
static inline void trap_reset(void) {
    trap_count = 0;
    trap_vector = 0;
    trap_offset = 0;
}
