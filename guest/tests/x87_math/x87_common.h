// What the x87 guests share: their output (exact, through f80fmt, and hex bits), the status
// word's sticky flags, and the x87 instructions gcc never emits by itself (the
// transcendentals, FXTRACT, FSCALE, FPREM) as inline assembly on long double.
//
// Built for the guest (SDK printf) or, with HOST_CHECK, for the host CPU (tests/guests/
// x87_host.py runs them there and compares with the expected output).
#pragma once
#ifdef HOST_CHECK
#include <stdio.h>
#else
#include <sdk/sdk.h>
#endif
#include <stdint.h>

#include "f80fmt.h"

static inline struct f80 f80_of(long double x) {
    struct f80 v;
    __builtin_memcpy(&v.significand, &x, 8);
    __builtin_memcpy(&v.sign_exponent, (const char*)&x + 8, 2);
    return v;
}

static inline long double ld_of(uint16_t se, uint64_t m) {
    long double x = 0;
    __builtin_memcpy(&x, &m, 8);
    __builtin_memcpy((char*)&x + 8, &se, 2);
    return x;
}

// "name 3fff:8000000000000000 1.00000000000000000000e+00": the bits and 21 significant digits
// (enough to tell every 64-bit significand apart).
static inline void show_ld(const char* name, long double x) {
    printf("%s ", name);
    print_f80(f80_of(x), 21);
    printf("\n");
}

// 15 significant digits only: for the transcendental instructions, whose last bits QEMU and
// the hardware compute differently. show15_double for FSIN FCOS FSINCOS FPTAN, which QEMU
// computes through the host's double-precision libm (on the host, HOST_CHECK, it says when
// that rounding would change the 15 digits).
static inline void show15_at(const char* name, long double x, int through_double) {
    char buf[64];
    printf("%s %s\n", name, fmt_f80(buf, f80_of(x), 15));
#ifdef HOST_CHECK
    // QEMU rounds FSIN FCOS FSINCOS FPTAN's results to double precision: a value whose 15
    // digits that rounding changes is no test (x87_host.py fails on such a line).
    uint64_t d;
    long double rounded;
    __asm__("fstl %0" : "=m"(d) : "t"(x));
    __asm__("fldl %1" : "=t"(rounded) : "m"(d));
    char other[64];
    if (through_double && __builtin_strcmp(fmt_f80(other, f80_of(rounded), 15), buf) != 0)
        fprintf(stderr, "%s: 15 digits not safe (%s in double precision)\n", name, other);
#else
    (void)through_double;
#endif
}
static inline void show15(const char* name, long double x) { show15_at(name, x, 0); }
static inline void show15_double(const char* name, long double x) { show15_at(name, x, 1); }

static inline uint16_t fnstsw(void) {
    uint16_t sw;
    __asm__ volatile("fnstsw %0" : "=m"(sw));
    return sw;
}

static inline void fnclex(void) { __asm__ volatile("fnclex"); }

static inline uint16_t fnstcw(void) {
    uint16_t cw;
    __asm__ volatile("fnstcw %0" : "=m"(cw));
    return cw;
}

static inline void fldcw(uint16_t cw) { __asm__ volatile("fldcw %0" ::"m"(cw)); }

// The sticky exception flags and SF, by name ("[IE SF]"), then cleared. Not DE (the
// denormal-operand flag, which QEMU 7.2 never sets: x87_fpexact shows it) unless `with_de`.
static inline void show_flags_de(const char* what, int with_de) {
    static const char* const n[7] = {"IE", "DE", "ZE", "OE", "UE", "PE", "SF"};
    uint16_t sw = fnstsw();
    printf("%s flags [", what);
    int any = 0;
    for (int i = 0; i < 7; i++)
        if ((sw & (1u << i)) && (i != 1 || with_de)) printf(any++ ? " %s" : "%s", n[i]);
    printf("]\n");
    fnclex();
}
static inline void show_flags(const char* what) { show_flags_de(what, 0); }

// --- the instructions gcc does not emit (inline assembly on ST(0) and ST(1)) ---

static inline long double x87_fsin(long double x) {
    __asm__("fsin" : "+t"(x));
    return x;
}
static inline long double x87_fcos(long double x) {
    __asm__("fcos" : "+t"(x));
    return x;
}
// FSINCOS: ST(0) = cos, ST(1) = sin.
static inline void x87_fsincos(long double x, long double* s, long double* c) {
    long double cv, sv;
    __asm__("fsincos" : "=t"(cv), "=u"(sv) : "0"(x));
    *s = sv;
    *c = cv;
}
// FPTAN: tan(x), then pushes 1.0.
static inline long double x87_fptan(long double x, long double* one) {
    long double t, o;
    __asm__("fptan" : "=t"(o), "=u"(t) : "0"(x));
    *one = o;
    return t;
}
// FPATAN: atan(y / x), popped.
static inline long double x87_fpatan(long double y, long double x) {
    long double r;
    __asm__("fpatan" : "=t"(r) : "0"(x), "u"(y) : "st(1)");
    return r;
}
// F2XM1: 2^x - 1 for |x| <= 1.
static inline long double x87_f2xm1(long double x) {
    __asm__("f2xm1" : "+t"(x));
    return x;
}
// FYL2X: y * log2(x), popped.
static inline long double x87_fyl2x(long double y, long double x) {
    long double r;
    __asm__("fyl2x" : "=t"(r) : "0"(x), "u"(y) : "st(1)");
    return r;
}
// FYL2XP1: y * log2(x + 1), popped.
static inline long double x87_fyl2xp1(long double y, long double x) {
    long double r;
    __asm__("fyl2xp1" : "=t"(r) : "0"(x), "u"(y) : "st(1)");
    return r;
}
// FSCALE: x * 2^trunc(n).
static inline long double x87_fscale(long double x, long double n) {
    __asm__("fscale" : "+t"(x) : "u"(n));
    return x;
}
// FXTRACT: the significand (ST(0)) and the exponent (ST(1)).
static inline long double x87_fxtract(long double x, long double* exponent) {
    long double sig, e;
    __asm__("fxtract" : "=t"(sig), "=u"(e) : "0"(x));
    *exponent = e;
    return sig;
}
// FPREM / FPREM1 until complete (C2 clear): the remainder of x / y; the low quotient bits
// (C0 C3 C1 = Q2 Q1 Q0) in *q.
static inline long double x87_fprem(long double x, long double y, int ieee, unsigned* q) {
    uint16_t sw;
    do {
        if (ieee)
            __asm__("fprem1\n fnstsw %1" : "+t"(x), "=am"(sw) : "u"(y));
        else
            __asm__("fprem\n fnstsw %1" : "+t"(x), "=am"(sw) : "u"(y));
    } while (sw & 0x400);
    *q = ((sw >> 8) & 1) << 2 | ((sw >> 14) & 1) << 1 | ((sw >> 9) & 1);
    return x;
}
// FRNDINT under the current rounding control.
static inline long double x87_frndint(long double x) {
    __asm__("frndint" : "+t"(x));
    return x;
}
// FXAM: C3 C2 C0 (the class), C1 (the sign).
static inline unsigned x87_fxam(long double x) {
    uint16_t sw;
    __asm__("fxam\n fnstsw %0" : "=am"(sw) : "t"(x));
    return ((sw >> 14) & 1) << 3 | ((sw >> 10) & 1) << 2 | ((sw >> 9) & 1) << 1 | ((sw >> 8) & 1);
}
// The constants.
#define X87_CONST(name, insn)                 \
    static inline long double name(void) {    \
        long double r;                        \
        __asm__(insn : "=t"(r));              \
        return r;                             \
    }
X87_CONST(x87_fldpi, "fldpi")
X87_CONST(x87_fldl2e, "fldl2e")
X87_CONST(x87_fldl2t, "fldl2t")
X87_CONST(x87_fldlg2, "fldlg2")
X87_CONST(x87_fldln2, "fldln2")

// e^x through the x87: 2^(x log2 e) = 2^i * 2^f, f = x log2 e - i in [-1, 1].
static inline long double x87_exp(long double x) {
    long double t = x * x87_fldl2e();
    long double i = x87_frndint(t);
    return x87_fscale(x87_f2xm1(t - i) + 1.0L, i);
}
// ln x = ln 2 * log2 x.
static inline long double x87_log(long double x) { return x87_fyl2x(x87_fldln2(), x); }
