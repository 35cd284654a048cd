// An OS-style guest switching tasks with lazy SSE state switching (kernel.c, built without
// SSE: on a switch CR0.TS is set; the #NM handler does CLTS, FXSAVE to the owner's area,
// FXRSTOR from the new task's). Each SSE task has its own MXCSR (another rounding mode)
// and its own values in the xmm registers, and checks that they survive:
//   1. cooperative switching (yield): deterministic, so the order of the #NMs and the
//      counters of the lazy switching are printed;
//   2. timer-driven preemption (the PIT at 2 kHz): each task runs an assembly loop that
//      keeps everything in xmm registers until it has been preempted at least 4 times;
//      the results do not depend on where the preemptions fell (they are printed),
//      only on each task having its own registers and MXCSR;
//   3. the faults an OS meets: #NM (CR0.TS), #UD (CR0.EM, CR4.OSFXSR clear), #GP
//      (misaligned MOVAPS and memory operands), and FXSAVE/FXRSTOR by hand.
// Unmasked SIMD exceptions (#XM) and their #UD with CR4.OSXMMEXCPT clear are in sse_fpexact:
// QEMU 7.2, which this guest is compared with, does not raise them (nor the #GP of LDMXCSR or
// FXRSTOR with a reserved MXCSR bit set).
#include <sdk/fpu.h>
#include <sdk/sdk.h>

#include "kernel.h"
#include "xmm_regs.h"

static const uint32_t modes[] = {MXCSR_DEFAULT | MXCSR_RC_DOWN, MXCSR_DEFAULT | MXCSR_RC_UP,
                                 MXCSR_DEFAULT | MXCSR_RC_ZERO, MXCSR_DEFAULT | MXCSR_RC_NEAREST};
static const char* const mode_names[] = {"down", "up", "zero", "nearest"};
static volatile double one = 1.0, three = 3.0;

// ---- 1. cooperative ----------------------------------------------------------------------

static void coop_sse_task(int which) {
    ldmxcsr(modes[which]);
    for (int round = 0; round < 3; round++) {
        static struct xmmset want[4], got[4];  // static: 16 tasks' worth of stack is plenty, but keep them small
        make_pattern(&want[which], (uint32_t)(0x10 * (which + 1) + round));
        load_xmm(&want[which]);
        yield();
        store_xmm(&got[which]);
        uint32_t bad = compare(&want[which], &got[which]);
        uint32_t m = stmxcsr();
        double third = one / three;
        printf("%s round %d: xmm0-%d %s, MXCSR %04x, 1/3 = ", mode_names[which], round, NXMM - 1,
               bad ? "CHANGED" : "kept", m);
        print_double(third);
        if (bad) printf(" (changed: %x)", bad);
        printf("\n");
        yield();
    }
}

static void coop_int_task(int arg) {
    uint32_t h = 2166136261u;
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 1000; i++) h = (h ^ (uint32_t)i) * 16777619u;
        printf("integer round %d: %08x\n", round, h);
        yield();
    }
}

static void phase_cooperative(void) {
    printf("-- 1. cooperative switching\n");
    static struct xmmset mine, after;
    make_pattern(&mine, 0xA5);
    task_create(1, "down", coop_sse_task, 0);
    task_create(2, "integer", coop_int_task, 0);
    task_create(3, "up", coop_sse_task, 1);
    task_create(4, "zero", coop_sse_task, 2);
    load_xmm(&mine);
    sched_run(0);
    store_xmm(&after);  // main's first SSE instruction since: #NM, its state comes back
    uint32_t bad = compare(&mine, &after);
    printf("main: xmm0-%d %s across the tasks, MXCSR %04x\n", NXMM - 1, bad ? "CHANGED" : "kept", stmxcsr());
    for (int i = 0; i < nm_log_len; i++) {
        int o = nm_log_prev_owner[i];
        printf("#NM in %s, registers held by %s\n", tasks[nm_log_task[i]].name, o < 0 ? "nobody" : tasks[o].name);
    }
    printf("switches %u, TS set %u, #NM %u, FXSAVE %u, FXRSTOR %u\n", fpu_stats.switches, fpu_stats.ts_set,
           fpu_stats.nm, fpu_stats.saves, fpu_stats.restores);
    for (int i = 1; i <= 4; i++) {
        const struct fxsave_area* fx = &tasks[i].fx;
        // What FXSAVE stored for the task at its last switch out (xmm and MXCSR only: the x87
        // pointers are not compared).
        uint32_t h = 2166136261u;
        for (int r = 0; r < NXMM; r++)
            for (int b = 0; b < 16; b++) h = (h ^ fx->xmm[r][b]) * 16777619u;
        printf("%s: saved MXCSR %04x, saved xmm hash %08x, #NM %u\n", tasks[i].name, fx->mxcsr, h, tasks[i].nm);
    }
}

// ---- 2. preemptive -----------------------------------------------------------------------

// One loop's registers: xmm0 = xmm0 * xmm1 + xmm2 (double), xmm3 += xmm4 (4 floats),
// xmm5 += xmm6 (4 dwords), xmm7 (and xmm8-15) untouched.
__attribute__((noinline)) static void spin_loop(const struct xmmset* in, struct xmmset* out, uint32_t n) {
    load_xmm(in);
    __asm__ volatile("1: mulsd %%xmm1, %%xmm0\n addsd %%xmm2, %%xmm0\n addps %%xmm4, %%xmm3\n"
                     " paddd %%xmm6, %%xmm5\n dec %0\n jnz 1b\n"
                     : "+r"(n)
                     :
                     : "xmm0", "xmm3", "xmm5", "cc");
    store_xmm(out);
}

struct spin_result {
    struct xmmset first;
    uint32_t mismatches, reps, preempted, mxcsr;
};
static struct spin_result spin_results[4];
#define SPIN_ITERATIONS 100000
#define SPIN_MIN_PREEMPTIONS 4
#define SPIN_MAX_REPS 400

static void spin_in(struct xmmset* in, int which) {
    make_pattern(in, (uint32_t)(0x40 + which));
    uint64_t x = 0x3FF0000000000000ull, m = 0x3FF00001AD7F29ABull /* 1.0000001 */,
             c = 0x3F50624DD2F1A9FCull /* 0.001 */;
    memcpy(in->r[0], &x, 8);
    memcpy(in->r[1], &m, 8);
    memcpy(in->r[2], &c, 8);
    static const uint32_t finc[4] = {0x3DCCCCCDu /* 0.1 */, 0x3A83126Fu /* 0.001 */, 0x40533333u /* 3.3 */,
                                     0x33D6BF95u /* 1e-7 */};
    memset(in->r[3], 0, 16);
    memcpy(in->r[4], finc, 16);
    memset(in->r[5], 0, 16);
    static const uint32_t iinc[4] = {1, 3, 0x10001, 0xFFFFFFFFu};
    memcpy(in->r[6], iinc, 16);
}

static void spin_task(int which) {
    struct spin_result* r = &spin_results[which];
    static struct xmmset in[4], out[4];
    ldmxcsr(modes[which]);
    spin_in(&in[which], which);
    uint32_t start = tasks[current_task].preempted;
    do {
        spin_loop(&in[which], r->reps ? &out[which] : &r->first, SPIN_ITERATIONS);
        if (r->reps && memcmp(&out[which], &r->first, sizeof out[which]) != 0) r->mismatches++;
        r->reps++;
    } while ((tasks[current_task].preempted - start < SPIN_MIN_PREEMPTIONS || r->reps < 2) &&
             r->reps < SPIN_MAX_REPS);
    r->preempted = tasks[current_task].preempted - start;
    r->mxcsr = stmxcsr();
}

static volatile uint32_t int_task_hash;
static void spin_int_task(int arg) {
    uint32_t h = 2166136261u;
    for (uint32_t i = 0; i < 2000000; i++) h = (h ^ i) * 16777619u;
    int_task_hash = h;
}

static void phase_preemptive(void) {
    printf("-- 2. preemptive switching (timer)\n");
    static struct xmmset mine, after;
    make_pattern(&mine, 0x5A);
    for (int i = 1; i < MAX_TASKS; i++) tasks[i].state = 0;
    task_create(1, "down", spin_task, 0);
    task_create(2, "up", spin_task, 1);
    task_create(3, "integer", spin_int_task, 0);
    task_create(4, "nearest", spin_task, 3);
    load_xmm(&mine);
    sched_run(2000);
    store_xmm(&after);
    uint32_t bad = compare(&mine, &after);
    printf("main: xmm0-%d %s across the tasks, MXCSR %04x\n", NXMM - 1, bad ? "CHANGED" : "kept", stmxcsr());
    static const int which_of[] = {0, 1, 3};
    for (int k = 0; k < 3; k++) {
        int which = which_of[k];
        const struct spin_result* r = &spin_results[which];
        struct xmmset in;
        spin_in(&in, which);
        uint64_t x;
        memcpy(&x, r->first.r[0], 8);
        printf("%s: x = ", mode_names[which]);
        print_double(f64_from_bits(x));
        printf("\n  floats");
        for (int l = 0; l < 4; l++) {
            printf(" ");
            print_float(f32_from_bits(r->first.r[3][l]));
        }
        printf("\n  dwords %08x %08x %08x %08x\n", r->first.r[5][0], r->first.r[5][1], r->first.r[5][2],
               r->first.r[5][3]);
        // xmm1, 2, 4, 6 (the loop's constants), 7 and 8-15 must come out as they went in.
        uint32_t changed = 0;
        for (int i = 0; i < NXMM; i++)
            if (i != 0 && i != 3 && i != 5 && memcmp(in.r[i], r->first.r[i], 16) != 0) changed |= 1u << i;
        printf("  constants and untouched registers %s, MXCSR %04x (flags aside), ", changed ? "CHANGED" : "kept",
               r->mxcsr & ~MXCSR_FLAGS);
        if (r->preempted < SPIN_MIN_PREEMPTIONS)
            printf("preempted only %u times in %u runs\n", r->preempted, r->reps);
        else if (r->mismatches)
            printf("%u of %u runs gave other results\n", r->mismatches, r->reps);
        else
            printf("every run gave the same results\n");
    }
    printf("integer: hash %08x, #NM %u\n", int_task_hash, tasks[3].nm);
}

// ---- 3. faults ---------------------------------------------------------------------------

extern char nm_insn[], nm_resume[], em_insn[], em_resume[], fx_insn[], fx_resume[], al_insn[], al_resume[],
    mem_insn[], mem_resume[];

static void phase_faults(void) {
    printf("-- 3. faults\n");
    static double d[4] __attribute__((aligned(16))) = {1.0, 2.0, 3.0, 4.0};
    static struct fxsave_area fx;
    uintptr_t cr0 = read_cr0(), cr4 = read_cr4();

    expect_fault((uintptr_t)nm_resume);
    write_cr0(cr0 | CR0_TS);
    __asm__ volatile(LABEL(nm_insn) "addsd %%xmm1, %%xmm0\n" LABEL(nm_resume)::: "xmm0");
    report_fault("CR0.TS set, addsd", nm_insn);
    printf("  CR0.TS after the #NM handler's CLTS: %d\n", !!(read_cr0() & CR0_TS));

    expect_fault((uintptr_t)em_resume);
    __asm__ volatile("mov %0, %%cr0\n" LABEL(em_insn) "mulpd %%xmm1, %%xmm0\n" LABEL(em_resume) "mov %1, %%cr0\n"
                     ::"r"(cr0 | CR0_EM), "r"(cr0) : "xmm0");
    report_fault("CR0.EM set, mulpd", em_insn);

    expect_fault((uintptr_t)fx_resume);
    __asm__ volatile("mov %0, %%cr4\n" LABEL(fx_insn) "xorps %%xmm1, %%xmm0\n" LABEL(fx_resume) "mov %1, %%cr4\n"
                     ::"r"(cr4 & ~(uintptr_t)CR4_OSFXSR), "r"(cr4) : "xmm0");
    report_fault("CR4.OSFXSR clear, xorps", fx_insn);

    expect_fault((uintptr_t)al_resume);
    __asm__ volatile(LABEL(al_insn) "movaps 8(%0), %%xmm0\n" LABEL(al_resume)::"r"(d) : "xmm0", "memory");
    report_fault("movaps from an address 8 mod 16", al_insn);

    expect_fault((uintptr_t)mem_resume);
    __asm__ volatile(LABEL(mem_insn) "addpd 8(%0), %%xmm0\n" LABEL(mem_resume)::"r"(d) : "xmm0", "memory");
    report_fault("addpd with a memory operand 8 mod 16", mem_insn);

    expect_fault(0);
    __asm__ volatile("movupd 8(%0), %%xmm0\n movsd 8(%0), %%xmm1\n addsd 8(%0), %%xmm1\n"
                     ::"r"(d) : "xmm0", "xmm1", "memory");
    printf("movupd, movsd, addsd from an address 8 mod 16: %s\n", fault_count ? "fault" : "no fault");

    // FXSAVE, other values, FXRSTOR: the saved ones are back.
    static struct xmmset saved, other, back;
    make_pattern(&saved, 0x77);
    make_pattern(&other, 0x99);
    load_xmm(&saved);
    ldmxcsr(MXCSR_DEFAULT | MXCSR_RC_UP | MXCSR_FTZ);
    fxsave(&fx);
    load_xmm(&other);
    ldmxcsr(MXCSR_DEFAULT);
    fxrstor(&fx);
    uint32_t m = stmxcsr();
    store_xmm(&back);
    ldmxcsr(MXCSR_DEFAULT);
    printf("fxsave, fxrstor: xmm0-%d %s, MXCSR %04x\n", NXMM - 1, compare(&saved, &back) ? "CHANGED" : "restored", m);
}

void kmain(uint32_t magic, struct multiboot_info* mbi) {
    printf("sse_tasks%d\n", GUEST_BITS);
    kernel_init();
    phase_cooperative();
    phase_preemptive();
    phase_faults();
    printf("sse_tasks%d done\n", GUEST_BITS);
}
