// sse_fpexact's fault handler, in the SDK's integer-only build (see trap.h).
#include <sdk/sdk.h>

#include "trap.h"

volatile uintptr_t trap_fault_addr, trap_resume_addr;
volatile int trap_count;
volatile unsigned trap_vector;
volatile long trap_offset;

static void on_trap(struct int_frame* f) {
    trap_count++;
    trap_vector = (unsigned)f->vector;
    trap_offset = (long)(f->ip - trap_fault_addr);
    if (trap_count > 1 || !trap_resume_addr) {
        dump_frame(f);
        panic("unexpected fault");
    }
    f->ip = trap_resume_addr;
}

void trap_install(void) {
    idt_set_handler(6, on_trap);   // #UD
    idt_set_handler(13, on_trap);  // #GP
    idt_set_handler(19, on_trap);  // #XM
}
