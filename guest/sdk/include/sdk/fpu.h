// SSE state and exact printing of floating-point values.
//
// The control-register bits and instructions an OS uses to own the SSE state (FXSAVE,
// FXRSTOR, CLTS, LDMXCSR, STMXCSR: inline assembly, usable from any guest), and an exact
// decimal formatter for IEEE doubles and floats written in integer arithmetic only (the SDK
// is built -mgeneral-regs-only; printf has no %f). Guests built with add_guest(... SSE)
// (SDK_SSE defined) also get print_double/print_float and the bit casts.
//
// The SIMD exception (#XM, vector 19) and device-not-available (#NM, vector 7) handlers are
// ordinary IDT handlers: idt_set_handler(IDT_VEC_XM, ...), idt_set_handler(IDT_VEC_NM, ...).
#pragma once
#include <stddef.h>
#include <stdint.h>

#define CR0_MP (1u << 1)
#define CR0_EM (1u << 2)
#define CR0_TS (1u << 3)
#define CR0_NE (1u << 5)
#define CR4_OSFXSR (1u << 9)
#define CR4_OSXMMEXCPT (1u << 10)

#define IDT_VEC_NM 7
#define IDT_VEC_XM 19

// MXCSR: exception flags (sticky), masks, rounding control, DAZ/FTZ.
#define MXCSR_IE 0x0001u  // invalid operation
#define MXCSR_DE 0x0002u  // denormal operand
#define MXCSR_ZE 0x0004u  // divide by zero
#define MXCSR_OE 0x0008u  // overflow
#define MXCSR_UE 0x0010u  // underflow
#define MXCSR_PE 0x0020u  // precision (inexact)
#define MXCSR_DAZ 0x0040u
#define MXCSR_IM 0x0080u
#define MXCSR_DM 0x0100u
#define MXCSR_ZM 0x0200u
#define MXCSR_OM 0x0400u
#define MXCSR_UM 0x0800u
#define MXCSR_PM 0x1000u
#define MXCSR_RC_MASK 0x6000u
#define MXCSR_RC_NEAREST 0x0000u
#define MXCSR_RC_DOWN 0x2000u
#define MXCSR_RC_UP 0x4000u
#define MXCSR_RC_ZERO 0x6000u
#define MXCSR_FTZ 0x8000u
#define MXCSR_DEFAULT 0x1F80u
#define MXCSR_FLAGS 0x003Fu

// The 512-byte FXSAVE area (16-byte aligned).
struct fxsave_area {
    uint16_t fcw, fsw;
    uint8_t ftw, reserved0;
    uint16_t fop;
    uint64_t fip, fdp;  // 64-bit layout; in 32-bit code FXSAVE stores IP/CS and DP/DS here
    uint32_t mxcsr, mxcsr_mask;
    uint8_t st[8][16];
    uint8_t xmm[16][16];  // xmm8-15 only in 64-bit mode
    uint8_t reserved1[96];
} __attribute__((aligned(16)));
_Static_assert(sizeof(struct fxsave_area) == 512, "FXSAVE area is 512 bytes");

static inline void fxsave(struct fxsave_area* a) { __asm__ volatile("fxsave %0" : "=m"(*a)::"memory"); }
static inline void fxrstor(const struct fxsave_area* a) { __asm__ volatile("fxrstor %0" ::"m"(*a) : "memory"); }
static inline void clts(void) { __asm__ volatile("clts" ::: "memory"); }
static inline uint32_t stmxcsr(void) {
    uint32_t v;
    __asm__ volatile("stmxcsr %0" : "=m"(v)::"memory");
    return v;
}
static inline void ldmxcsr(uint32_t v) { __asm__ volatile("ldmxcsr %0" ::"m"(v) : "memory"); }

// Correctly rounded (round half to even) decimal of the IEEE double with these bits, with
// `digits` significant digits (1-40), exactly as printf("%.*e", digits - 1, value) prints it:
// "-1.2345678901234567e+03", "0.000e+00", "-0.000e+00", "5e-324"; "inf", "-inf", "nan", "-nan".
// buf needs digits + 10 bytes. Returns buf. Reentrant (about 2 KiB of stack).
char* fmt_f64(char* buf, uint64_t bits, int digits);
// The same for an IEEE single (its value, exactly, as a double would have it).
char* fmt_f32(char* buf, uint32_t bits, int digits);
// The core of both, for any binary format: m * 2^e2 (m == 0: zero) written at p as "d.ddde+XX"
// with `digits` significant digits (clamped to 1-40), rounded half to even from the exact value; no sign.
// The caller's work space: `limbs`, 32-bit words enough for m << e2 or m * 5^-e2 (84 for a
// double), and `dec`, chars enough for that integer's decimal digits rounded up to a multiple
// of 9 (800 for a double). Returns the end of the string (its NUL).
char* fmt_exact_decimal(char* p, uint64_t m, int e2, int digits, uint32_t* limbs, char* dec);
// Print "0x3ff8000000000000 1.5000000000000000e+00": the bits, then 17 significant digits
// (enough to tell every double apart). No newline.
void print_f64(uint64_t bits);
// Print "0x3fc00000 1.50000000e+00": the bits, then 9 significant digits. No newline.
void print_f32(uint32_t bits);

#ifdef SDK_SSE
static inline uint64_t f64_bits(double d) {
    uint64_t u;
    __builtin_memcpy(&u, &d, sizeof u);
    return u;
}
static inline uint32_t f32_bits(float f) {
    uint32_t u;
    __builtin_memcpy(&u, &f, sizeof u);
    return u;
}
static inline double f64_from_bits(uint64_t u) {
    double d;
    __builtin_memcpy(&d, &u, sizeof d);
    return d;
}
static inline float f32_from_bits(uint32_t u) {
    float f;
    __builtin_memcpy(&f, &u, sizeof f);
    return f;
}
static inline void print_double(double d) { print_f64(f64_bits(d)); }
static inline void print_float(float f) { print_f32(f32_bits(f)); }
#endif
