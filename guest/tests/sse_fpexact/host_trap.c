// The host check's trap catcher (see trap.h): a fault becomes a signal, recorded under the
// vector it came from, and the signal returns to the resume address. Linux saves the SSE
// state in the signal frame and restores it on return, so the xmm registers and MXCSR at
// the resume point are those the fault left.
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

#include "trap.h"

volatile uintptr_t trap_fault_addr, trap_resume_addr;
volatile int trap_count;
volatile unsigned trap_vector;
volatile long trap_offset;

static void on_signal(int sig, siginfo_t* si, void* ctx) {
    ucontext_t* uc = ctx;
#ifdef __x86_64__
    greg_t* ip = &uc->uc_mcontext.gregs[REG_RIP];
#else
    greg_t* ip = &uc->uc_mcontext.gregs[REG_EIP];
#endif
    trap_count++;
    trap_vector = sig == SIGFPE ? 19 : sig == SIGSEGV ? 13 : sig == SIGILL ? 6 : 255;
    trap_offset = (long)((uintptr_t)*ip - trap_fault_addr);
    if (trap_count > 1 || !trap_resume_addr) abort();
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
