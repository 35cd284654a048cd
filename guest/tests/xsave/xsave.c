// An OS-style guest of the XSAVE feature set (kernel.c, built without SSE, switches the tasks):
//   1. enabling it as an OS does: CPUID.1:ECX.XSAVE, CR4.OSXSAVE (and CPUID's OSXSAVE after),
//      XCR0 through XGETBV and XSETBV (and the values XSETBV refuses), CPUID leaf 0xD for the
//      area's size;
//   2. two tasks and kmain switched cooperatively, each with its own MXCSR (another rounding
//      mode) and xmm registers, their state saved with XSAVE or XSAVEOPT and loaded with
//      XRSTOR on every switch; each task starts from XRSTOR's initial configuration (xmm
//      zero) with its MXCSR loaded from the area;
//   3. the components: x87 registers loaded by x87 instructions saved and loaded, saves and
//      loads of x87 only or SSE only, XSTATE_BV clear (the initial configuration), XCR0 = 1;
//   4. the faults both emulators raise: a misaligned area, XRSTOR's header checks, LOCK.
// Only what QEMU (-cpu max, whose XCR0 can have AVX and more) must agree on is printed: the
// area's size for XCR0 = 1 and 3 (576), the x87 and SSE bits of leaf 0xD, XSAVEOPT.
// Not here (rewind-only, tests/cpu/xsave_state_test.cpp): #NM with CR0.TS (QEMU 7.2 does not
// raise it for XSAVE), XRSTOR with a reserved MXCSR bit (QEMU accepts it), XGETBV with ECX = 1
// (QEMU has it), XSETBV above ring 0.
#include <sdk/fpu.h>
#include <sdk/sdk.h>

#include "kernel.h"
#include "xmm_regs.h"

#ifdef __x86_64__
#define XS "64"
#else
#define XS ""
#endif


// The registers of an XSAVE area's legacy region that differ from `s`.
static uint32_t compare_area(const uint8_t* area, const struct xmmset* s) {
    uint32_t bad = 0;
    for (int i = 0; i < NXMM; i++)
        if (memcmp(area + 160 + 16 * i, s->r[i], 16) != 0) bad |= 1u << i;
    return bad;
}

static int all_zero(const struct xmmset* s) {
    for (int i = 0; i < NXMM; i++)
        for (int l = 0; l < 4; l++)
            if (s->r[i][l]) return 0;
    return 1;
}

// Whether bytes [from, to) of an area all hold `v`.
static int untouched(const uint8_t* a, unsigned from, unsigned to, uint8_t v) {
    for (unsigned k = from; k < to; k++)
        if (a[k] != v) return 0;
    return 1;
}

static uint64_t get64(const uint8_t* p) {
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}
static uint32_t get32(const uint8_t* p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}
static uint16_t get16(const uint8_t* p) {
    uint16_t v;
    memcpy(&v, p, 2);
    return v;
}
static void put64(uint8_t* p, uint64_t v) { memcpy(p, &v, 8); }
static void put32(uint8_t* p, uint32_t v) { memcpy(p, &v, 4); }

static volatile double one = 1.0, three = 3.0;

static uint8_t scratch[2][1024] __attribute__((aligned(64)));

// ---- 1. enabling -------------------------------------------------------------------------

extern char xg_insn[], xg_resume[], xs_insn[], xs_resume[], sb_insn[], sb_resume[];

// XSETBV with `value`, ECX = `xcr`: the fault it raised, if any.
__attribute__((noinline)) static void try_xsetbv(const char* what, uint32_t xcr, uint64_t value) {
    expect_fault((uintptr_t)sb_resume);
    __asm__ volatile(LABEL(sb_insn) "xsetbv\n" LABEL(sb_resume)::"c"(xcr), "a"((uint32_t)value),
                     "d"((uint32_t)(value >> 32))
                     : "memory");
    report_fault(what, sb_insn);
}

static void phase_enable(void) {
    printf("-- 1. enabling XSAVE\n");
    uint32_t a, b, c, d;
    cpuid(1, 0, &a, &b, &c, &d);
    printf("cpuid.1: xsave %d, osxsave %d\n", !!(c & CPUID1_ECX_XSAVE), !!(c & CPUID1_ECX_OSXSAVE));
    if (!(c & CPUID1_ECX_XSAVE)) panic("no XSAVE");

    expect_fault((uintptr_t)xg_resume);
    __asm__ volatile(LABEL(xg_insn) "xgetbv\n" LABEL(xg_resume)::"c"(0) : "eax", "edx");
    report_fault("xgetbv with CR4.OSXSAVE clear", xg_insn);
    expect_fault((uintptr_t)xs_resume);
    __asm__ volatile(LABEL(xs_insn) "xsave" XS " (%0)\n" LABEL(xs_resume)::"r"(scratch[0]), "a"(3), "d"(0) : "memory");
    report_fault("xsave with CR4.OSXSAVE clear", xs_insn);

    write_cr4(read_cr4() | CR4_OSXSAVE);
    cpuid(1, 0, &a, &b, &c, &d);
    printf("CR4.OSXSAVE set: cpuid.1 osxsave %d\n", !!(c & CPUID1_ECX_OSXSAVE));
    printf("xcr0 after reset: %llx\n", (unsigned long long)xgetbv(0));
    cpuid(0xD, 0, &a, &b, &c, &d);
    printf("cpuid.0xd.0: x87 %u, sse %u, area size for xcr0 %u, for all at least that %d\n", a & 1, (a >> 1) & 1, b,
           c >= b);
    const uint64_t wanted = a & 3;
    cpuid(0xD, 1, &a, &b, &c, &d);
    printf("cpuid.0xd.1: xsaveopt %u\n", a & 1);

    try_xsetbv("xsetbv 0 (x87 clear)", 0, 0);
    try_xsetbv("xsetbv 2 (x87 clear)", 0, 2);
    try_xsetbv("xsetbv 5 (AVX without SSE)", 0, 5);
    try_xsetbv("xsetbv 0x101 (bit 8, a supervisor component)", 0, 0x101);
    try_xsetbv("xsetbv ecx 1", 1, 3);
    printf("xcr0 still %llx\n", (unsigned long long)xgetbv(0));
    try_xsetbv("xsetbv x87 and SSE", 0, wanted);
    printf("xcr0 %llx\n", (unsigned long long)xgetbv(0));
    cpuid(0xD, 0, &a, &b, &c, &d);
    xsave_size = b;
    printf("cpuid.0xd.0: area size for xcr0 %u\n", b);
    if (xsave_size > AREA_MAX) panic("XSAVE area too large");
}

// ---- 2. tasks ----------------------------------------------------------------------------

static const uint32_t modes[] = {MXCSR_DEFAULT | MXCSR_RC_DOWN, MXCSR_DEFAULT | MXCSR_RC_UP};
static const char* const names[] = {"down", "up"};

static void sse_task(int which) {
    static struct xmmset want[2], got[2];
    store_xmm(&got[which]);
    printf("%s starts: xmm0-%d %s, MXCSR %04x\n", names[which], NXMM - 1, all_zero(&got[which]) ? "zero" : "NOT ZERO",
           stmxcsr());
    for (int round = 0; round < 3; round++) {
        make_pattern(&want[which], (uint32_t)(0x10 * (which + 1) + round));
        load_xmm(&want[which]);
        yield();
        store_xmm(&got[which]);
        uint32_t bad = compare(&want[which], &got[which]);
        double third = one / three;
        printf("%s round %d: xmm0-%d %s, MXCSR %04x, 1/3 = ", names[which], round, NXMM - 1, bad ? "CHANGED" : "kept",
               stmxcsr());
        print_double(third);
        if (bad) printf(" (changed: %x)", bad);
        printf("\n");
    }
}

static void phase_tasks(void) {
    printf("-- 2. two tasks, XSAVE/XSAVEOPT and XRSTOR on every switch\n");
    static struct xmmset mine, after;
    task_create(1, "down", sse_task, 0, modes[0]);
    task_create(2, "up", sse_task, 1, modes[1]);
    for (int i = 1; i < MAX_TASKS; i++) memset(tasks[i].area + 416, 0x5A, 96);  // software's bytes
    make_pattern(&mine, 0xA5);
    load_xmm(&mine);
    ldmxcsr(MXCSR_DEFAULT | MXCSR_RC_ZERO);
    sched_run();
    store_xmm(&after);
    printf("main: xmm0-%d %s across the tasks, MXCSR %04x\n", NXMM - 1, compare(&mine, &after) ? "CHANGED" : "kept",
           stmxcsr());
    ldmxcsr(MXCSR_DEFAULT);
    printf("switches %u: xsave %u, xsaveopt %u, xrstor %u\n", switch_stats.switches, switch_stats.xsaves,
           switch_stats.xsaveopts, switch_stats.xrstors);
    for (int i = 0; i < MAX_TASKS; i++) {
        const uint8_t* a = tasks[i].area;
        uint32_t h = 2166136261u;
        for (int k = 160; k < 160 + 16 * NXMM; k++) h = (h ^ a[k]) * 16777619u;
        printf("%s's area: xstate_bv %llx, xcomp_bv %llx, MXCSR %04x, MXCSR_MASK %08x, xmm hash %08x, FCW %04x",
               tasks[i].name, (unsigned long long)get64(a + 512), (unsigned long long)get64(a + 520), get32(a + 24),
               get32(a + 28), h, get16(a));
        if (i > 0)
            printf(", bytes 416-511 %s, after %u %s", untouched(a, 416, 512, 0x5A) ? "kept" : "WRITTEN", xsave_size,
                   untouched(a, xsave_size, AREA_MAX, 0) ? "kept" : "WRITTEN");
        printf("\n");
    }
}

// ---- 3. components -----------------------------------------------------------------------

static void x87_load(void) {
    static const double v = 3.5;
    __asm__ volatile("fninit\n fld1\n fldl %0" ::"m"(v));
}
static double x87_pop(void) {
    double r;
    __asm__ volatile("fstpl %0" : "=m"(r));
    return r;
}
static uint16_t x87_fnstcw(void) {
    uint16_t v;
    __asm__ volatile("fnstcw %0" : "=m"(v));
    return v;
}
static uint16_t x87_fnstsw(void) {
    uint16_t v;
    __asm__ volatile("fnstsw %0" : "=m"(v));
    return v;
}

static void print_x87_area(const char* what, const uint8_t* a) {
    printf("%s: FCW %04x FSW %04x FTW %02x ST0 %016llx %04x ST1 %016llx %04x\n", what, get16(a), get16(a + 2), a[4],
           (unsigned long long)get64(a + 32), get16(a + 40), (unsigned long long)get64(a + 48), get16(a + 56));
}

static void phase_components(void) {
    printf("-- 3. components\n");
    uint8_t* a = scratch[0];
    static struct xmmset pat, other, got;
    make_pattern(&pat, 0x33);
    make_pattern(&other, 0x44);

    // x87 only: the x87 bytes written, MXCSR and xmm left alone; XSTATE_BV's bit 0 set.
    memset(a, 0xA4, 1024);
    x87_load();
    load_xmm(&pat);
    xsave(a, 1);
    print_x87_area("xsave 1", a);
    printf("  MXCSR bytes %s, xmm bytes %s, xstate_bv %llx, xcomp_bv %llx, bytes 528-1023 %s\n",
           untouched(a, 24, 32, 0xA4) ? "kept" : "WRITTEN", untouched(a, 160, 512, 0xA4) ? "kept" : "WRITTEN",
           (unsigned long long)get64(a + 512), (unsigned long long)get64(a + 520),
           untouched(a, 528, 1024, 0xA4) ? "kept" : "WRITTEN");
    // SSE only: MXCSR and xmm written, the x87 bytes left alone.
    memset(a, 0xA4, 1024);
    ldmxcsr(MXCSR_DEFAULT | MXCSR_RC_UP);
    load_xmm(&pat);
    xsave(a, 2);
    ldmxcsr(MXCSR_DEFAULT);
    printf("xsave 2: x87 bytes %s, MXCSR %04x MXCSR_MASK %08x, xmm0-%d %s, xstate_bv %llx\n",
           untouched(a, 0, 24, 0xA4) && untouched(a, 32, 160, 0xA4) ? "kept" : "WRITTEN", get32(a + 24), get32(a + 28),
           NXMM - 1, compare_area(a, &pat) ? "DIFFER" : "saved", (unsigned long long)get64(a + 512));
    // Nothing: XSTATE_BV written back as it was.
    memset(a, 0xA4, 1024);
    xsave(a, 0);
    printf("xsave 0: area %s\n", untouched(a, 0, 1024, 0xA4) ? "kept" : "WRITTEN");

    // A clean area of both, then the x87 state back from it.
    memset(a, 0, 1024);
    load_xmm(&pat);
    xsave(a, 3);
    printf("xsave 3: xstate_bv %llx\n", (unsigned long long)get64(a + 512));
    __asm__ volatile("fninit");
    xrstor(a, 1);
    double st0 = x87_pop(), st1 = x87_pop();
    printf("xrstor 1: st0 ");
    print_double(st0);
    printf(", st1 ");
    print_double(st1);
    printf("\n");
    // XSTATE_BV clear: the x87 state initialized, xmm zero, MXCSR loaded from the area all the same.
    x87_load();
    put64(a + 512, 0);
    put32(a + 24, MXCSR_DEFAULT | MXCSR_RC_DOWN);
    xrstor(a, 3);
    store_xmm(&got);
    printf("xrstor 3, xstate_bv 0: FCW %04x FSW %04x, xmm0-%d %s, MXCSR %04x\n", x87_fnstcw(), x87_fnstsw(), NXMM - 1,
           all_zero(&got) ? "zero" : "NOT ZERO", stmxcsr());
    xsave(scratch[1], 1);
    print_x87_area("  x87 saved again", scratch[1]);
    ldmxcsr(MXCSR_DEFAULT);
    // x87 only requested: xmm and MXCSR not loaded, whatever the area holds.
    put64(a + 512, 3);
    put32(a + 24, MXCSR_DEFAULT | MXCSR_RC_ZERO);
    load_xmm(&other);
    xrstor(a, 1);
    store_xmm(&got);
    printf("xrstor 1: xmm0-%d %s, MXCSR %04x\n", NXMM - 1, compare(&other, &got) ? "CHANGED" : "kept", stmxcsr());
    // SSE only: xmm and MXCSR loaded, the x87 state left alone.
    x87_load();
    xrstor(a, 2);
    store_xmm(&got);
    printf("xrstor 2: xmm0-%d %s, MXCSR %04x, x87 st0 ", NXMM - 1, compare(&pat, &got) ? "NOT LOADED" : "loaded",
           stmxcsr());
    print_double(x87_pop());
    printf("\n");
    __asm__ volatile("fninit");
    ldmxcsr(MXCSR_DEFAULT);

    // XCR0 = 1: XSAVE with all ones saves the x87 state only.
    xsetbv(0, 1);
    uint32_t ea, eb, ec, ed;
    cpuid(0xD, 0, &ea, &eb, &ec, &ed);
    memset(a, 0xA4, 1024);
    xsave(a, ~0ull);
    printf("xcr0 %llx: cpuid.0xd.0 size %u, xsave all: FCW %04x, MXCSR bytes %s, xstate_bv %llx\n",
           (unsigned long long)xgetbv(0), eb, get16(a), untouched(a, 24, 32, 0xA4) ? "kept" : "WRITTEN",
           (unsigned long long)get64(a + 512));
    xsetbv(0, 3);
}

// ---- 4. faults ---------------------------------------------------------------------------

extern char mis_insn[], mis_resume[], rs_insn[], rs_resume[], lk_insn[], lk_resume[];

__attribute__((noinline)) static void try_xrstor(const char* what, const uint8_t* area) {
    expect_fault((uintptr_t)rs_resume);
    __asm__ volatile(LABEL(rs_insn) "xrstor" XS " (%0)\n" LABEL(rs_resume)::"r"(area), "a"(3), "d"(0) : "memory");
    report_fault(what, rs_insn);
}

__attribute__((noinline)) static void try_misaligned(uint8_t* a, unsigned off) {
    expect_fault((uintptr_t)mis_resume);
    __asm__ volatile(LABEL(mis_insn) "xsave" XS " (%0)\n" LABEL(mis_resume)::"r"(a + off), "a"(3), "d"(0) : "memory");
    printf("area at +%u: ", off);
    report_fault("xsave", mis_insn);
}

static void phase_faults(void) {
    printf("-- 4. faults\n");
    uint8_t* a = scratch[0];
    memset(a, 0, 1024);
    a[0] = 0x7F;  // FCW 0x37F
    a[1] = 0x03;
    put32(a + 24, MXCSR_DEFAULT);
    put64(a + 512, 3);
    for (unsigned off = 8; off < 64; off *= 2) try_misaligned(a, off);
    try_xrstor("xrstor, a valid header", a);
    put64(a + 520, 1ull << 63);
    try_xrstor("xrstor, xcomp_bv bit 63 (compacted)", a);
    put64(a + 520, 0);
    put64(a + 528, 1);
    try_xrstor("xrstor, header bytes 16-23 not zero", a);
    put64(a + 528, 0);
    put64(a + 540, ~0ull);
    try_xrstor("xrstor, header bytes 28-35 not zero", a);
    put64(a + 540, 0);
    put64(a + 512, 7);
    try_xrstor("xrstor, xstate_bv bit 2 (not in xcr0)", a);
    xsetbv(0, 1);
    put64(a + 512, 3);
    try_xrstor("xrstor, xstate_bv bit 1 with xcr0 1", a);
    xsetbv(0, 3);
    expect_fault((uintptr_t)lk_resume);
    __asm__ volatile(LABEL(lk_insn) ".byte 0xf0\n xsave" XS " (%0)\n" LABEL(lk_resume)::"r"(a), "a"(3), "d"(0) : "memory");
    report_fault("lock xsave", lk_insn);
    ldmxcsr(MXCSR_DEFAULT);
}

void kmain(uint32_t magic, struct multiboot_info* mbi) {
    printf("xsave%d\n", GUEST_BITS);
    kernel_init();
    phase_enable();
    phase_tasks();
    phase_components();
    phase_faults();
    printf("xsave%d done\n", GUEST_BITS);
}
