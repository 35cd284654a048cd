// The x87's exceptions as the hardware raises them (Intel SDM vol. 1, 8.5 and 8.6; CR0.NE
// set, as add_guest(... X87) leaves it):
//   A. an unmasked exception does not fault at its instruction: it sets its flag, ES and B,
//      and the next waiting x87 instruction (FWAIT here) raises #MF, vector 16; the x87
//      keeps the raising instruction's FIP and FOP; the masked response is not written where
//      the SDM says so (invalid operation, zero divide, stack faults, stores that overflow)
//      and the result is scaled by 2^-24576 or 2^24576 for an unmasked overflow or underflow
//      of an arithmetic instruction; FLDCW unmasking a flag already set makes it pending;
//      FNSTSW and FNCLEX do not wait;
//   B. the waiting instruction that faults may be any x87 instruction but the FN ones: it
//      faults before doing anything;
//   C. the denormal-operand flag (DE), masked and unmasked;
//   D. FPREM1's quotient bits;
//   E. operands the x87 refuses (unnormals, pseudo-infinities, pseudo-NaNs: invalid), and
//      pseudo-denormals, which it takes.
// The whole is compared with tests/guests/x87_fpexact*.rewind.expected, which
// tests/guests/x87_host.py checks on the host CPU. The cases of parts A and B marked QCASE,
// printed without what QEMU 7.2 gets wrong, are the guest x87_mf (this file with
// X87_MF_ONLY), compared with QEMU. QEMU 7.2 raises #MF only at FWAIT (not at the other
// waiting instructions), and not for stack faults; writes the masked response of an unmasked
// invalid-operation or zero-divide exception to the destination; does not recompute ES when
// FLDCW unmasks or FNSTENV masks a flag already set; keeps no FOP; sets no C1 for a result
// rounded up; never sets DE; gets FPREM1's quotient bits wrong; does not scale the result of
// an unmasked overflow or underflow (nor keeps a store's operand on the stack).
//
// Each case loads ST(1) = b and ST(0) = a after FNINIT and FLDCW, runs its instructions
// (label 1: the one that raises the exception, 2: where the fault is expected), and prints
// the fault (vector, offset from label 1), the status word, FIP (offset from label 1) and FOP
// at the fault; then the status word and tag word after, ST(0) (popped), and the memory
// operand.
#ifdef HOST_CHECK
#include <stdio.h>
#else
#include <sdk/sdk.h>
#endif
#include <stddef.h>
#include <stdint.h>

#include "f80fmt.h"
#include "trap.h"

#ifdef __x86_64__
#define ARM_TRAP                                             \
    "lea 1f(%%rip), %%rdx\n mov %%rdx, trap_fault_addr(%%rip)\n" \
    "lea 3f(%%rip), %%rdx\n mov %%rdx, trap_resume_addr(%%rip)\n"
#else
#define ARM_TRAP "movl $1f, trap_fault_addr\n movl $3f, trap_resume_addr\n"
#endif

struct io {
    uint8_t a[16];    //  0: ST(0)
    uint8_t b[16];    // 16: ST(1)
    uint8_t mem[16];  // 32: a memory operand, in and out
    uint8_t out[16];  // 48: ST(0) afterwards
    uint32_t env[7];  // 64: FNSTENV afterwards
    uint16_t fcw;     // 92
    uint16_t fsw;     // 94: FNSTSW afterwards
    uint16_t fcw2;    // 96: a second control word (FLDCW in the case)
    uint16_t mid;     // 98: FNSTSW inside the case
} __attribute__((aligned(16)));
_Static_assert(offsetof(struct io, env) == 64 && offsetof(struct io, fcw) == 92 && offsetof(struct io, mid) == 98,
               "offsets used in the assembly");

static struct io io;

static void put80(uint8_t* p, uint16_t se, uint64_t m) {
    __builtin_memcpy(p, &m, 8);
    __builtin_memcpy(p + 8, &se, 2);
    __builtin_memset(p + 10, 0, 6);
}

__attribute__((unused)) static struct f80 get80(const uint8_t* p) {
    struct f80 v;
    __builtin_memcpy(&v.significand, p, 8);
    __builtin_memcpy(&v.sign_exponent, p + 8, 2);
    return v;
}

static void fsw_names(uint16_t sw) {
    static const char* const n[8] = {"IE", "DE", "ZE", "OE", "UE", "PE", "SF", "ES"};
    printf("%04x [", sw);
    int any = 0;
    for (int i = 0; i < 8; i++)
        if (sw & (1u << i)) printf(any++ ? " %s" : "%s", n[i]);
    if (sw & 0x8000) printf(any++ ? " B" : "B");
    printf("] C3210 %d%d%d%d TOP %d", (sw >> 14) & 1, (sw >> 10) & 1, (sw >> 9) & 1, (sw >> 8) & 1, (sw >> 11) & 7);
}

#ifdef X87_MF_ONLY
// What QEMU 7.2 does as the hardware does: where the fault is, the exception flags, ES and B
// and FIP at the fault, the flags and TOP afterwards; not FOP (QEMU keeps none), C1 (QEMU does
// not set it for a result rounded up), the destination (QEMU writes the masked response of
// an unmasked exception), the tag word.
static void show(const char* name, int with_mem) {
    printf("%s:\n  ", name);
    if (trap_count) {
        printf("fault %u at +%ld", trap_vector, trap_offset);
        if (trap_vector == 16) {
            printf(" fsw ");
            fsw_names(trap_fsw & 0x80FF);
            printf(" fip %+ld", trap_fip);
        }
    } else {
        printf("no fault");
    }
    printf("\n  after: fsw ");
    fsw_names(io.fsw & 0x38FF);
    if (with_mem) {
        uint32_t lo, hi;
        __builtin_memcpy(&lo, io.mem, 4);
        __builtin_memcpy(&hi, io.mem + 4, 4);
        printf(" mem %08x%08x", hi, lo);
    }
    printf("\n");
}
#else
static void show(const char* name, int with_mem) {
    printf("%s:\n  ", name);
    if (trap_count) {
        printf("fault %u at +%ld", trap_vector, trap_offset);
        if (trap_vector == 16) {
            printf(" fsw ");
            fsw_names(trap_fsw);
            printf(" fip %+ld fop %03x", trap_fip, trap_fop);
        }
    } else {
        printf("no fault");
    }
    printf("\n  after: fsw ");
    fsw_names(io.fsw);
    printf(" ftw %04x st0 ", io.env[2] & 0xFFFF);
    print_f80(get80(io.out), 21);
    if (with_mem) {
        uint32_t lo, hi;
        __builtin_memcpy(&lo, io.mem, 4);
        __builtin_memcpy(&hi, io.mem + 4, 4);
        printf(" mem %08x%08x", hi, lo);
    }
    printf("\n");
}
#endif

// One case: FNINIT, FLDCW fcw, ST(1) = b, ST(0) = a, the memory operand 0x5555...,
// then `body` (which has labels 1 and 2), then (label 3, where a fault resumes) the state.
#define CASE(...) CASE_(__VA_ARGS__)  // the operands (ONE...) expand to two arguments each
#define CASE_(name, fcw_value, a_se, a_m, b_se, b_m, with_mem, body)                                      \
    do {                                                                                                 \
        put80(io.a, a_se, a_m);                                                                          \
        put80(io.b, b_se, b_m);                                                                          \
        __builtin_memset(io.mem, 0x55, 16);                                                              \
        io.fcw = (fcw_value);                                                                            \
        trap_reset();                                                                                    \
        __asm__ volatile(ARM_TRAP "fninit\n fldcw 92(%[p])\n fldt 16(%[p])\n fldt 0(%[p])\n" body         \
                         "\n3:\n fnstsw 94(%[p])\n fnstenv 64(%[p])\n fnclex\n fstpt 48(%[p])\n fninit\n" \
                         :                                                                               \
                         : [p] "r"(&io)                                                                  \
                         : "memory", "cc", "ax", "dx", "st", "st(1)", "st(2)", "st(3)", "st(4)", "st(5)",  \
                           "st(6)", "st(7)");                                                            \
        show(name, with_mem);                                                                            \
    } while (0)

// QCASE: a case QEMU 7.2 gets right as far as show() prints it in the x87_mf build; CASE:
// one for rewind and the hardware only (left out of x87_mf).
#define QCASE(...) CASE_(__VA_ARGS__)
#ifdef X87_MF_ONLY
#undef CASE
#define CASE(...) \
    do {          \
    } while (0)
#endif

// Control words: all masked but one.
#define ALL 0x37F
#define NO_IM (ALL & ~0x01)
#define NO_DM (ALL & ~0x02)
#define NO_ZM (ALL & ~0x04)
#define NO_OM (ALL & ~0x08)
#define NO_UM (ALL & ~0x10)
#define NO_PM (ALL & ~0x20)

#define ONE 0x3FFF, 0x8000000000000000ull
#define THREE 0x4000, 0xC000000000000000ull
#define ZERO 0x0000, 0x0000000000000000ull
#define HUGE_ 0x7F00, 0x8000000000000001ull
#define TINY 0x00F0, 0x8000000000000001ull
#define E10 0x4020, 0x9502F90000000000ull      /* 1e10 */
#define DENORMAL 0x0000, 0x0000000000012345ull /* an 80-bit denormal */
#define PSEUDO_DENORMAL 0x0000, 0x8000000000000000ull
#define UNNORMAL 0x3FFF, 0x4000000000000000ull
#define PSEUDO_INF 0x7FFF, 0x0000000000000000ull
#define PSEUDO_NAN 0x7FFF, 0x4000000000000001ull

static void part_a(void) {
    printf("-- A. unmasked exceptions: #MF at the next FWAIT\n");
    QCASE("fdiv 1/0, ZM clear", NO_ZM, ONE, ZERO, 0, "1: fdiv %%st(1), %%st\n 2: fwait");
    QCASE("fdiv 0/0, IM clear", NO_IM, ZERO, ZERO, 0, "1: fdiv %%st(1), %%st\n 2: fwait");
    CASE("fadd st(2) empty (stack underflow), IM clear", NO_IM, ONE, THREE, 0, "1: fadd %%st(2), %%st\n 2: fwait");
    CASE("fld1 onto a full stack (stack overflow), IM clear", NO_IM, ONE, THREE, 0,
         "fld1\n fld1\n fld1\n fld1\n fld1\n fld1\n 1: fld1\n 2: fwait");
    QCASE("fsqrt(-3), IM clear", NO_IM, 0xC000, 0xC000000000000000ull, ONE, 0, "1: fsqrt\n 2: fwait");
    CASE("fistl 1e10, IM clear (memory unchanged)", NO_IM, E10, ONE, 1, "1: fistl 32(%[p])\n 2: fwait");
    QCASE("fistl 1e10, masked (integer indefinite)", ALL, E10, ONE, 1, "1: fistl 32(%[p])\n 2: fwait");
    QCASE("fdiv 1/3, PM clear", NO_PM, ONE, THREE, 0, "1: fdiv %%st(1), %%st\n 2: fwait");
    CASE("fldcw unmasking PE already set", ALL, ONE, THREE, 0,
         "1: fdiv %%st(1), %%st\n movw $0x35F, 96(%[p])\n fldcw 96(%[p])\n 2: fwait");
    QCASE("fnstsw and fnclex do not wait", NO_ZM, ONE, ZERO, 0,
          "1: fdiv %%st(1), %%st\n fnstsw 98(%[p])\n fnclex\n 2: fwait");
    printf("  fnstsw in the case: %04x\n", io.mid & 0x80FF);
    CASE("fnstenv masks a pending exception", NO_ZM, ONE, ZERO, 0,
         "1: fdiv %%st(1), %%st\n fnstenv 64(%[p])\n 2: fwait");
    QCASE("fstenv (waiting) after 1/0, ZM clear", NO_ZM, ONE, ZERO, 0, "1: fdiv %%st(1), %%st\n 2: fstenv 64(%[p])");
}

static void part_b(void) {
    printf("-- B. #MF at the next waiting x87 instruction (not FWAIT)\n");
    CASE("fdiv 1/0 then fld1", NO_ZM, ONE, ZERO, 0, "1: fdiv %%st(1), %%st\n 2: fld1");
    CASE("fdiv 1/0 then fadd", NO_ZM, ONE, ZERO, 0, "1: fdiv %%st(1), %%st\n 2: fadd %%st(0), %%st");
    QCASE("fdiv 1/0 then fstsw ax (9B DF E0)", NO_ZM, ONE, ZERO, 0, "1: fdiv %%st(1), %%st\n 2: fstsw %%ax");
    QCASE("fdiv 1/0 then fnclex, fld1", NO_ZM, ONE, ZERO, 0, "1: fdiv %%st(1), %%st\n fnclex\n 2: fld1");
    CASE("fdiv 1/3 PM clear then fxch", NO_PM, ONE, THREE, 0, "1: fdiv %%st(1), %%st\n 2: fxch %%st(1)");
    CASE("fdiv 1/3 PM clear then fldcw", NO_PM, ONE, THREE, 0, "1: fdiv %%st(1), %%st\n 2: fldcw 92(%[p])");
}

static void part_hardware(void) {
#ifndef X87_MF_ONLY
    printf("-- rewind and the hardware only\n");
    CASE("fmul overflow, OM clear (result scaled by 2^-24576)", NO_OM, HUGE_, HUGE_, 0, "1: fmul %%st(1), %%st\n 2: fwait");
    CASE("fmul underflow, UM clear (result scaled by 2^24576)", NO_UM, TINY, TINY, 0, "1: fmul %%st(1), %%st\n 2: fwait");
    CASE("fmul overflow, masked", ALL, HUGE_, HUGE_, 0, "1: fmul %%st(1), %%st\n 2: fwait");
    CASE("fstpl overflow, OM clear (not stored, not popped)", NO_OM, HUGE_, ONE, 1, "1: fstpl 32(%[p])\n 2: fwait");
    CASE("fstpl underflow, UM clear", NO_UM, TINY, ONE, 1, "1: fstpl 32(%[p])\n 2: fwait");
    CASE("fstps 1/3, PM clear", NO_PM, 0x3FFD, 0xAAAAAAAAAAAAAAABull, ONE, 1, "1: fstps 32(%[p])\n 2: fwait");
    CASE("fstpl 1e-4000, masked (underflow to zero)", ALL, TINY, ONE, 1, "1: fstpl 32(%[p])\n 2: fwait");
    printf("-- C. the denormal-operand flag\n");
    CASE("fadd a denormal, masked", ALL, ONE, DENORMAL, 0, "1: fadd %%st(1), %%st\n 2: fwait");
    CASE("fadd a denormal, DM clear", NO_DM, ONE, DENORMAL, 0, "1: fadd %%st(1), %%st\n 2: fwait");
    CASE("fmul a pseudo-denormal, masked", ALL, THREE, PSEUDO_DENORMAL, 0, "1: fmul %%st(1), %%st\n 2: fwait");
    CASE("fcom a denormal, masked", ALL, ONE, DENORMAL, 0, "1: fcom %%st(1)\n 2: fwait");
    CASE("fld m64 denormal, masked", ALL, ONE, ONE, 0, "movl $1, 32(%[p])\n movl $0, 36(%[p])\n 1: fldl 32(%[p])\n 2: fwait");
    CASE("fld m80 denormal, masked (no DE)", ALL, ONE, DENORMAL, 0, "1: fld %%st(1)\n 2: fwait");
    CASE("fsqrt of a denormal, masked", ALL, DENORMAL, ONE, 0, "1: fsqrt\n 2: fwait");
    printf("-- D. FPREM1 and FPREM quotient bits\n");
    CASE("fprem1 100 rem 3", ALL, 0x4005, 0xC800000000000000ull, THREE, 0, "1: fprem1\n 2: fwait");
    CASE("fprem1 -100 rem 3", ALL, 0xC005, 0xC800000000000000ull, THREE, 0, "1: fprem1\n 2: fwait");
    CASE("fprem1 5.5 rem 2", ALL, 0x4001, 0xB000000000000000ull, 0x4000, 0x8000000000000000ull, 0, "1: fprem1\n 2: fwait");
    CASE("fprem1 7 rem -2", ALL, 0x4001, 0xE000000000000000ull, 0xC000, 0x8000000000000000ull, 0, "1: fprem1\n 2: fwait");
    CASE("fprem 7 rem -2", ALL, 0x4001, 0xE000000000000000ull, 0xC000, 0x8000000000000000ull, 0, "1: fprem\n 2: fwait");
    CASE("fprem 1e10 rem 3", ALL, E10, THREE, 0, "1: fprem\n 2: fwait");
    printf("-- E. operands the x87 refuses\n");
    CASE("fadd an unnormal, masked", ALL, UNNORMAL, ONE, 0, "1: fadd %%st(1), %%st\n 2: fwait");
    CASE("fadd a pseudo-infinity, masked", ALL, PSEUDO_INF, ONE, 0, "1: fadd %%st(1), %%st\n 2: fwait");
    CASE("fmul a pseudo-NaN, IM clear", NO_IM, PSEUDO_NAN, ONE, 0, "1: fmul %%st(1), %%st\n 2: fwait");
    CASE("fadd a pseudo-denormal, masked", ALL, PSEUDO_DENORMAL, ONE, 0, "1: fadd %%st(1), %%st\n 2: fwait");
    CASE("fxam an unnormal", ALL, UNNORMAL, ONE, 0, "1: fxam\n 2: fwait");
    CASE("fxam a pseudo-denormal", ALL, PSEUDO_DENORMAL, ONE, 0, "1: fxam\n 2: fwait");
    CASE("fstpl an unnormal, masked", ALL, UNNORMAL, ONE, 1, "1: fstpl 32(%[p])\n 2: fwait");
    CASE("fistpl a pseudo-infinity, masked", ALL, PSEUDO_INF, ONE, 1, "1: fistpl 32(%[p])\n 2: fwait");
#endif
}

#ifdef X87_MF_ONLY
#define NAME "x87_mf"
#else
#define NAME "x87_fpexact"
#endif

#ifdef HOST_CHECK
int main(void) {
#else
void kmain(uint32_t magic, struct multiboot_info* mb) {
    (void)magic;
    (void)mb;
#endif
    trap_install();
    printf(NAME "%d: x87 exceptions\n", (int)sizeof(void*) * 8);
    part_a();
    part_b();
    part_hardware();
    printf(NAME "%d done\n", (int)sizeof(void*) * 8);
#ifdef HOST_CHECK
    return 0;
#endif
}
