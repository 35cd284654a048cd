// The host check's fault catcher (see trap.h): a fault becomes a signal; the x87 state at the
// fault is in the signal frame (the FNSAVE layout for 32-bit processes, FXSAVE's for 64-bit
// ones), and what the handler leaves there is what the process resumes with.
#define _GNU_SOURCE
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

#include "trap.h"

volatile uintptr_t trap_fault_addr, trap_resume_addr;
volatile int trap_count;
volatile unsigned trap_vector;
volatile long trap_offset;
volatile uint16_t trap_fsw;
volatile long trap_fip;
volatile uint16_t trap_fop;

static void on_signal(int sig, siginfo_t* si, void* ctx) {
    ucontext_t* uc = ctx;
    (void)si;
#ifdef __x86_64__
    greg_t* ip = &uc->uc_mcontext.gregs[REG_RIP];
    trap_vector = (unsigned)uc->uc_mcontext.gregs[REG_TRAPNO];
#else
    greg_t* ip = &uc->uc_mcontext.gregs[REG_EIP];
    trap_vector = (unsigned)uc->uc_mcontext.gregs[REG_TRAPNO];
#endif
    trap_count++;
    trap_offset = (long)((uintptr_t)*ip - trap_fault_addr);
    if (trap_count > 1 || !trap_resume_addr) abort();
    if (sig == SIGFPE && trap_vector == 16) {
#ifdef __x86_64__
        trap_fsw = uc->uc_mcontext.fpregs->swd;
        trap_fip = (long)(uc->uc_mcontext.fpregs->rip - trap_fault_addr);
        trap_fop = uc->uc_mcontext.fpregs->fop & 0x7FF;
        uc->uc_mcontext.fpregs->swd &= ~0x80FF;
#else
        trap_fsw = (uint16_t)uc->uc_mcontext.fpregs->sw;
        trap_fip = (long)(uc->uc_mcontext.fpregs->ipoff - trap_fault_addr);
        // The FNSAVE-format header has no FOP from a 64-bit kernel: the FXSAVE image the
        // kernel puts after it (magic 0 at byte 110) has (bytes 112-135, FOP at 118).
        const uint8_t* frame = (const uint8_t*)uc->uc_mcontext.fpregs;
        uint16_t magic, fop;
        memcpy(&magic, frame + 110, 2);
        memcpy(&fop, frame + 118, 2);
        trap_fop = magic == 0 ? (uint16_t)(fop & 0x7FF) : 0xFFFF;
        uc->uc_mcontext.fpregs->sw &= ~0x80FFul;
#endif
    }
    *ip = (greg_t)trap_resume_addr;
}

void trap_install(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_signal;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigaction(SIGFPE, &sa, 0);
    sigaction(SIGSEGV, &sa, 0);
    sigaction(SIGILL, &sa, 0);
}
