// long double (the x87's own 80-bit format) as gcc compiles it at -O2, in 64-bit code (where
// float and double are SSE's and long double alone is the x87's: add_guest(... X87) builds it
// -mno-sse) and in 32-bit code: series and sums to 64 bits of precision, Newton iterations,
// conversions to and from 64-bit integers (signed and unsigned) and to and from float and
// double bit patterns, comparisons with NaN and infinities, values beyond double's range,
// denormals, the masked exceptions with their flags, rounding and precision control; FPREM,
// FXTRACT, FSCALE; the transcendental instructions to 15 significant digits.
// Every result is printed exactly (its 80 bits and 21 significant digits, f80fmt.c).
// Compared with QEMU (tests/guests/x87_ldouble32/64.expected), checked on the host CPU by
// tests/guests/x87_host.py.
#include "x87_common.h"

static volatile int vint[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
static volatile long long vll[4] = {1, -1, 0x7FFFFFFFFFFFFFFFLL, 1000000007};

static long double ld(int n, int d) { return (long double)vint[n - 1] / vint[d - 1]; }

__attribute__((noinline)) static long double harmonic(int n) {
    long double s = 0;
    for (int k = 1; k <= n; k++) s += 1.0L / k;
    return s;
}

__attribute__((noinline)) static long double euler(void) {
    long double e = 1, term = 1;
    for (int k = 1; k < 30; k++) {
        term /= k;
        e += term;
    }
    return e;
}

__attribute__((noinline)) static long double atan_inv(int x) {
    long double x2 = (long double)x * x, term = 1.0L / x, s = 0;
    for (int k = 0; k < 50; k++) {
        s += (k & 1 ? -term : term) / (2 * k + 1);
        term /= x2;
    }
    return s;
}

__attribute__((noinline)) static long double newton_cbrt(long double a) {
    long double x = a > 1 ? a : 1;
    for (int i = 0; i < 200; i++) x = (2 * x + a / (x * x)) / 3;
    return x;
}

__attribute__((noinline)) static long double dot(const long double* a, const long double* b, int n) {
    long double s = 0;
    for (int i = 0; i < n; i++) s += a[i] * b[i];
    return s;
}

static void test_series(void) {
    printf("-- series\n");
    show_ld("harmonic(10000)", harmonic(10000 * vint[0]));
    show_ld("e", euler());
    show_ld("pi (Machin)", 16 * atan_inv(5 * vint[0]) - 4 * atan_inv(239 * vint[0]));
    show_ld("sqrtl(2)", __builtin_sqrtl(ld(2, 1)));
    show_ld("sqrtl(1e-4000)", __builtin_sqrtl(ld(1, 1) * 1e-4000L));
    show_ld("cbrt(10)", newton_cbrt(ld(10, 1)));
    long double a[8], b[8];
    for (int i = 0; i < 8; i++) {
        a[i] = ld(i + 1, 16 - i) - ld(1, 2);
        b[i] = ld(16 - 2 * i, i + 3);
    }
    show_ld("dot", dot(a, b, 8));
    show_ld("1e4000 * 1e-3000", ld(1, 1) * 1e4000L * 1e-3000L);
    show_ld("(1 + 2^-63) - 1", (ld(1, 1) + 0x1p-63L) - 1);
    show_ld("(1 + 2^-64) - 1", (ld(1, 1) + 0x1p-64L) - 1);
}

// Conversions gcc writes with FILD/FISTP and, for unsigned 64-bit, compare-and-adjust code.
__attribute__((noinline)) static unsigned long long to_u64(long double x) { return (unsigned long long)x; }
__attribute__((noinline)) static long double from_u64(unsigned long long u) { return (long double)u; }

static void test_conversions(void) {
    printf("-- conversions\n");
    const long double vals[] = {ld(5, 2), -ld(5, 2), ld(1, 1) * 9223372036854775807.0L, ld(1, 1) * 18446744073709551615.0L,
                                -ld(1, 1) * 9223372036854775808.0L, ld(1, 3) * 1e18L, ld(1, 1) * 1e30L, ld(1, 16)};
    for (unsigned i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        long double x = vals[i];
        struct f80 v = f80_of(x);
        printf("x=%04x:%08x%08x (long long) %lld (int) %d (unsigned long long) %llu\n", v.sign_exponent,
               (unsigned)(v.significand >> 32), (unsigned)v.significand, (long long)x, (int)x, x >= 0 ? to_u64(x) : 0ULL);
    }
    show_flags("conversions");
    const unsigned long long us[] = {~0ULL - (unsigned)vint[0] + 1, 1ULL << 63, (unsigned long long)vll[3] * vll[3],
                                     (unsigned long long)vll[2]};
    for (unsigned i = 0; i < sizeof us / sizeof us[0]; i++) {
        char name[48];
        snprintf(name, sizeof name, "(long double)%lluu", us[i]);
        show_ld(name, from_u64(us[i]));
        snprintf(name, sizeof name, "(long double)%lld", (long long)us[i]);
        show_ld(name, (long double)(long long)us[i]);
    }
    show_flags("integer conversions");
    // Float and double bit patterns to long double and back (FLD m32/m64, FSTP m32/m64).
    const uint64_t dbits[] = {0x3FB999999999999Aull, 0x0000000000000001ull, 0x7FEFFFFFFFFFFFFFull, 0xFFF8000000000000ull,
                              0x7FF4000000000001ull, 0x8010000000000000ull};
    for (unsigned i = 0; i < sizeof dbits / sizeof dbits[0]; i++) {
        long double x;
        uint64_t back;
        __asm__("fldl %1" : "=t"(x) : "m"(dbits[i]));
        char name[32];
        snprintf(name, sizeof name, "fld m64 %016llx", (unsigned long long)dbits[i]);
        show_ld(name, x);
        __asm__("fstpl %0" : "=m"(back) : "t"(x / 3) : "st");
        printf("  /3 as double %08x%08x\n", (unsigned)(back >> 32), (unsigned)back);
    }
    const uint32_t fbits[] = {0x3DCCCCCDu, 0x00000001u, 0x7F7FFFFFu, 0xFF800000u, 0x7FA00001u};
    for (unsigned i = 0; i < sizeof fbits / sizeof fbits[0]; i++) {
        long double x;
        uint32_t back;
        __asm__("flds %1" : "=t"(x) : "m"(fbits[i]));
        char name[32];
        snprintf(name, sizeof name, "fld m32 %08x", fbits[i]);
        show_ld(name, x);
        __asm__("fstps %0" : "=m"(back) : "t"(x * 3) : "st");
        printf("  *3 as float %08x\n", back);
    }
    show_flags("float and double conversions");
}

__attribute__((noinline)) static int cmp_bits(long double a, long double b) {
    return (a < b) | (a <= b) << 1 | (a == b) << 2 | (a != b) << 3 | (a > b) << 4 | (a >= b) << 5 |
           __builtin_isunordered(a, b) << 6;
}

__attribute__((noinline)) static long double pick_min(long double a, long double b) { return a < b ? a : b; }

static void test_specials(void) {
    printf("-- specials and comparisons\n");
    long double zero = ld(1, 1) - 1, one = ld(1, 1);
    long double inf = one / zero;
    show_flags("1/0");
    long double nan = zero / zero;
    show_flags("0/0");
    show_ld("1/0", inf);
    show_ld("0/0", nan);
    show_ld("inf - inf", inf - inf);
    show_ld("sqrtl(-2)", __builtin_sqrtl(-2 * one));
    show_flags("invalid");
    show_ld("1e4932 * 10", one * 1e4932L * 10);
    show_flags("overflow");
    show_ld("1e-4930 / 1e10 (denormal)", one * 1e-4930L / 1e10L);
    show_flags("underflow");
    show_ld("1e-4940 * 1e-10", one * 1e-4940L * 1e-10L);
    show_flags("underflow to zero");
    show_ld("denormal + denormal", one * 1e-4940L + one * 2e-4945L);
    show_flags("denormal sum");
    const long double v[] = {ld(1, 3), -zero, zero, inf, -inf, nan, one * 1e-4940L};
    for (unsigned i = 0; i < 7; i++)
        for (unsigned j = 0; j < 7; j += 2) printf("cmp %u %u: %02x\n", i, j, cmp_bits(v[i], v[j]));
    show_flags("comparisons");
    show_ld("min(nan, 1)", pick_min(nan, one));
    show_ld("min(1, nan)", pick_min(one, nan));
    show_ld("min(-0, 0)", pick_min(-zero, zero));
    show_ld("-(0)", -zero);
    show_ld("fabsl(-3)", __builtin_fabsl(-3 * one));
    fnclex();
}

static void test_control(void) {
    printf("-- rounding and precision control\n");
    static const char* const rcs[4] = {"nearest", "down", "up", "zero"};
    uint16_t saved = fnstcw();
    for (int rc = 0; rc < 4; rc++) {
        fldcw((uint16_t)((saved & ~0xC00) | rc << 10));
        printf("%s:\n", rcs[rc]);
        show_ld("  1/3", ld(1, 3));
        show_ld("  -1/3", -ld(1, 3));
        show_ld("  sqrtl(3)", __builtin_sqrtl(ld(3, 1)));
        show_ld("  e", euler());
        printf("  (long long)(7/2) %lld, frndint(-5/2) ", (long long)ld(7, 2));
        print_f80(f80_of(x87_frndint(-ld(5, 2))), 3);
        printf("\n");
        show_ld("  fldpi", x87_fldpi());
        show_ld("  fldl2t", x87_fldl2t());
    }
    for (int pc = 0; pc < 4; pc++) {
        if (pc == 1) continue;
        fldcw((uint16_t)((saved & ~0x300) | pc << 8));
        printf("precision %d:\n", pc);
        show_ld("  1/3", ld(1, 3));
        show_ld("  pi (Machin)", 16 * atan_inv(5 * vint[0]) - 4 * atan_inv(239 * vint[0]));
        show_ld("  1e300 * 1e300", ld(1, 1) * 1e300L * 1e300L);
        show_ld("  1e-300 * 1e-300", ld(1, 1) * 1e-300L * 1e-300L);
        show_flags("  precision");
    }
    fldcw(saved);
    fnclex();
}

static void test_helpers(void) {
    printf("-- FPREM FXTRACT FSCALE\n");
    unsigned q;
    show_ld("fmod(1e20, 7)", x87_fprem(ld(1, 1) * 1e20L, ld(7, 1), 0, &q));
    printf("  q %u\n", q);
    show_ld("fmod(-10, 3)", x87_fprem(-ld(10, 1), ld(3, 1), 0, &q));
    printf("  q %u\n", q);
    show_ld("remainder(10, 3)", x87_fprem(ld(10, 1), ld(3, 1), 1, &q));
    show_ld("fmod(1e4000, pi)", x87_fprem(ld(1, 1) * 1e4000L, x87_fldpi(), 0, &q));
    long double e;
    show_ld("fxtract(1000) sig", x87_fxtract(ld(1, 1) * 1000, &e));
    show_ld("fxtract(1000) exp", e);
    show_ld("fxtract(-1e-4940) sig", x87_fxtract(-ld(1, 1) * 1e-4940L, &e));
    show_ld("fxtract(-1e-4940) exp", e);
    show_ld("fscale(1.5, 100.9)", x87_fscale(ld(3, 2), 100.9L));
    show_ld("fscale(1.5, -16440)", x87_fscale(ld(3, 2), -16440.0L));
    show_flags("helpers");
}

static void test_transcendental(void) {
    printf("-- transcendental instructions (15 digits)\n");
    const long double args[] = {0.375L, 1.0L, 2.25L, -1.25L, 6.0L, 1000.0L, 1.0L / 65536};
    for (unsigned i = 0; i < sizeof args / sizeof args[0]; i++) {
        long double a = args[i] * vint[0], s, c, one;
        char name[40];
        snprintf(name, sizeof name, "sin(%u)", i);
        show15_double(name, x87_fsin(a));
        snprintf(name, sizeof name, "cos(%u)", i);
        show15_double(name, x87_fcos(a));
        x87_fsincos(a, &s, &c);
        snprintf(name, sizeof name, "sincos(%u)", i);
        show15_double(name, s);
        show15_double(name, c);
        snprintf(name, sizeof name, "tan(%u)", i);
        show15_double(name, x87_fptan(a, &one));
        snprintf(name, sizeof name, "atan2(%u, -2)", i);
        show15(name, x87_fpatan(a, -2.0L * vint[0]));
        snprintf(name, sizeof name, "exp(%u)", i);
        if (a < 100) show15(name, x87_exp(a));
        snprintf(name, sizeof name, "log(|%u|)", i);
        show15(name, x87_log(a < 0 ? -a : a));
    }
    for (int k = -4; k <= 4; k++) {
        char name[40];
        long double x = (long double)k / 8 * vint[0];
        snprintf(name, sizeof name, "f2xm1(%d/8)", k);
        show15(name, x87_f2xm1(x));
        snprintf(name, sizeof name, "fyl2xp1(1, %d/16)", k);
        show15(name, x87_fyl2xp1(1.0L, x / 2));
    }
    fnclex();
}

#ifdef HOST_CHECK
int main(void) {
    __asm__ volatile("fninit");
#else
void kmain(uint32_t magic, struct multiboot_info* mb) {
    (void)magic;
    (void)mb;
#endif
    printf("x87_ldouble%d: long double on the x87\n", (int)sizeof(void*) * 8);
    test_series();
    test_conversions();
    test_specials();
    test_control();
    test_helpers();
    test_transcendental();
    show_flags("at the end");
    printf("x87_ldouble%d done\n", (int)sizeof(void*) * 8);
#ifdef HOST_CHECK
    return 0;
#endif
}
