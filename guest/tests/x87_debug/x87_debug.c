// The guest gdb-tests/x87.py debugs (built -O0 -g with X87: every line and local where the
// source says). Functions returning long double (in st0, in both widths) and, in 32-bit code,
// double (in st0 too: the i386 ABI), so that `finish` prints the value returned in st0 and
// reverse-finish / reverse-step can go back over them; then a known x87 stack at `x87_ready`
// (for `info float`, `p $st0`, `p $fctrl`, `p $fstat`, `p $ftag` and a write to st0, which
// the guest stores and prints afterwards).
#include <sdk/sdk.h>

long double g_third;
long double g_sum;
#ifndef __x86_64__
double g_half;
#endif
volatile uint8_t g_st0_after[10];

long double third(long double x) {
    long double r = x / 3;
    return r;
}

long double lsum(long double a, long double b) {
    long double s = a + b;
    return s;
}

#ifndef __x86_64__
double half(double x) {
    double h = x / 2;
    return h;
}
#endif

// After FNINIT and FLDCW 0x77F (round down), pushes 1, 0, +inf, -2.5 and then 1/3 (rounded
// down, which raises PE): TOP 3, ST(0) = 1/3, ST(1) = -2.5, ST(2) = +inf, ST(3) = 0, ST(4) = 1,
// R0-R2 empty. gdb stops at x87_ready; the guest then stores ST(0) to g_st0_after.
static const uint16_t control = 0x77F;
static const uint8_t values[2][10] = {
    {0, 0, 0, 0, 0, 0, 0, 0x80, 0xFF, 0x7F},        // +inf
    {0, 0, 0, 0, 0, 0, 0, 0xA0, 0x00, 0xC0},        // -2.5
};

void load_stack(void) {
    __asm__ volatile("fninit\n fldcw %0\n fld1\n fldz\n fldt %1\n fldt %2\n"
                     "fld1\n fld1\n fadd %%st(0), %%st\n fadd %%st(1), %%st\n fdivrp %%st, %%st(1)\n"
                     ".globl x87_ready\n x87_ready: nop\n"
                     "fstpt %3\n fninit\n"
                     ::"m"(control), "m"(values[0]), "m"(values[1]), "m"(*(volatile uint8_t(*)[10])g_st0_after)
                     : "memory", "st", "st(1)", "st(2)", "st(3)", "st(4)", "st(5)", "st(6)", "st(7)");
}

static void show80(const char* what, const volatile uint8_t* p) {
    printf("%s %02x%02x:", what, p[9], p[8]);
    for (int i = 7; i >= 0; i--) printf("%02x", p[i]);
    printf("\n");
}

void kmain(uint32_t magic, struct multiboot_info* mbi) {
    g_third = third(1.0L);
    g_sum = lsum(g_third, 2.0L);
#ifndef __x86_64__
    g_half = half(5.0);
#endif
    show80("third", (const uint8_t*)&g_third);
    show80("sum", (const uint8_t*)&g_sum);
    load_stack();
    show80("st0 after x87_ready:", g_st0_after);
}
