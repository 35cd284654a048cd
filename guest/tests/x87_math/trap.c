// x87_fpexact's fault handler, in the SDK's integer-only build (see trap.h). The x87 state is
// live (the SDK's interrupt stubs do not save it): FNSTENV reads it without waiting, FNCLEX
// drops the pending exception, FLDENV puts the control word back (FNSTENV masked everything).
#include <sdk/sdk.h>

#include "trap.h"

volatile uintptr_t trap_fault_addr, trap_resume_addr;
volatile int trap_count;
volatile unsigned trap_vector;
volatile long trap_offset;
volatile uint16_t trap_fsw;
volatile long trap_fip;
volatile uint16_t trap_fop;

static void on_trap(struct int_frame* f) {
    trap_count++;
    trap_vector = (unsigned)f->vector;
    trap_offset = (long)(f->ip - trap_fault_addr);
    if (trap_count > 1 || !trap_resume_addr) {
        dump_frame(f);
        panic("unexpected fault");
    }
    if (f->vector == 16) {
        uint32_t env[7];
        __asm__ volatile("fnstenv %0" : "=m"(env));
        trap_fsw = (uint16_t)env[1];
        trap_fip = (long)(env[3] - (uint32_t)trap_fault_addr);
        trap_fop = (uint16_t)((env[4] >> 16) & 0x7FF);
        env[1] &= ~0x80FFu;  // flags, SF, ES, B
        __asm__ volatile("fnclex\n fldenv %0" ::"m"(env));
    }
    f->ip = trap_resume_addr;
}

void trap_install(void) {
    idt_set_handler(6, on_trap);   // #UD
    idt_set_handler(7, on_trap);   // #NM
    idt_set_handler(13, on_trap);  // #GP
    idt_set_handler(16, on_trap);  // #MF
}
