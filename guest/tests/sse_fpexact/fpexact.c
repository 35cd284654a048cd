// SSE floating point as the hardware does it where QEMU 7.2 does not (so rewind alone is
// compared with the expected output, tests/guests/sse_fpexact*.rewind.expected; the host
// check, tests/guests/sse_fpexact_host.py, runs this file on the host CPU and compares it
// with the same file):
//   A. masked exceptions: the denormal-operand flag (DE), which NaN an operation on NaNs
//      returns (the first source operand, quieted; MINSD/MAXSD: the second, as it is),
//      NaN conversions, tininess detected after rounding, COMISD/UCOMISD on NaNs;
//   B. unmasked exceptions raise #XM (vector 19) at the instruction, before anything is
//      written: the destination keeps its value, MXCSR gets the flag (with an unmasked
//      overflow or underflow, PE only if the result with an unbounded exponent would have
//      been inexact); a flag already set
//      in MXCSR raises nothing by itself; LDMXCSR and FXRSTOR with a reserved MXCSR bit
//      raise #GP(0);
//   C. (not on the host: ring 0) with CR4.OSXMMEXCPT clear, an unmasked exception raises
//      #UD instead.
// QEMU 7.2 never raises #XM (it sets the flag and writes the masked result), never sets DE,
// returns the SNaN operand's NaN and detects tininess before rounding.
// Each case runs one instruction in inline assembly on xmm0 (destination) and xmm1 with
// a given MXCSR, and prints xmm0, EAX (a destination for conversions), ZF PF CF (for
// compares), MXCSR and the fault taken, if any.
#ifdef HOST_CHECK
#include <stdio.h>
#define GUEST_BITS_STR (sizeof(void*) == 8 ? 64 : 32)
#else
#include <sdk/sdk.h>
#define GUEST_BITS_STR GUEST_BITS
#endif
#include <sdk/fpu.h>
#include <stdint.h>

#include "trap.h"

#ifdef __x86_64__
#define ARM_TRAP "lea 1f(%%rip), %%rdx\n mov %%rdx, trap_fault_addr(%%rip)\n" \
                 "lea 2f(%%rip), %%rdx\n mov %%rdx, trap_resume_addr(%%rip)\n"
#define DX "rdx"
#else
#define ARM_TRAP "movl $1f, trap_fault_addr\n movl $2f, trap_resume_addr\n"
#define DX "edx"
#endif

struct result {
    uint64_t xmm[2];
    uint32_t eax, mxcsr;
    uint8_t zf, pf, cf;
};

static void show(const char* name, const struct result* r) {
    static const char* const n[6] = {"IE", "DE", "ZE", "OE", "UE", "PE"};
    printf("%-28s %016llx %016llx eax %08x zpc %d%d%d mxcsr %04x [", name, (unsigned long long)r->xmm[1],
           (unsigned long long)r->xmm[0], r->eax, r->zf, r->pf, r->cf, r->mxcsr);
    int any = 0;
    for (int i = 0; i < 6; i++)
        if (r->mxcsr & (1u << i)) printf(any++ ? " %s" : "%s", n[i]);
    printf("]");
    if (trap_count) printf(" fault %u at +%ld", trap_vector, trap_offset);
    printf("\n");
}

// What one case's assembly reads and writes (offsets used in CASE's assembly).
struct io {
    uint64_t in[4];   //  0: xmm0, 16: xmm1
    uint64_t out[2];  // 32: xmm0 after
    uint32_t mxin;    // 48
    uint32_t mxout;   // 52
    uint32_t bad;     // 56: an MXCSR value with reserved bit 16 set
    uint32_t dflt;    // 60: MXCSR_DEFAULT
} __attribute__((aligned(16)));

// One case: xmm0 = {alo, ahi}, xmm1 = {blo, bhi}, EAX = 0xDEADBEEF, ZF = PF = CF = 0,
// MXCSR = mx, then `insn`
// (which names the struct io as %[io]).
#define CASE(name, insn, alo, ahi, blo, bhi, mx)                                                          \
    do {                                                                                                  \
        static struct io io = {{alo, ahi, blo, bhi}, {0, 0}, 0, 0, 0x00010000u | MXCSR_DEFAULT, MXCSR_DEFAULT}; \
        struct result r;                                                                                  \
        uint32_t eax;                                                                                     \
        io.mxin = (mx);                                                                                   \
        trap_reset();                                                                                     \
        __asm__ volatile(ARM_TRAP "movdqa 0(%[io]), %%xmm0\n movdqa 16(%[io]), %%xmm1\n"                 \
                         "mov $0xDEADBEEF, %%eax\n test %%eax, %%eax\n ldmxcsr 48(%[io])\n"                               \
                         "1: " insn "\n"                                                                  \
                         "2: setz %[zf]\n setp %[pf]\n setc %[cf]\n"                                     \
                         "stmxcsr 52(%[io])\n movdqa %%xmm0, 32(%[io])\n ldmxcsr 60(%[io])\n"          \
                         : "=&a"(eax), [zf] "=m"(r.zf), [pf] "=m"(r.pf), [cf] "=m"(r.cf)                  \
                         : [io] "r"(&io)                                                                  \
                         : DX, "xmm0", "xmm1", "memory", "cc");                                          \
        r.xmm[0] = io.out[0];                                                                             \
        r.xmm[1] = io.out[1];                                                                             \
        r.eax = eax;                                                                                      \
        r.mxcsr = io.mxout;                                                                               \
        show(name, &r);                                                                                   \
    } while (0)


// Doubles.
#define ONE 0x3FF0000000000000ull
#define MONE 0xBFF0000000000000ull
#define THREE 0x4008000000000000ull
#define DEN 0x0000000000000001ull          // the smallest subnormal
#define MAXD 0x7FEFFFFFFFFFFFFFull
#define TINY 0x0010000000000000ull         // the smallest normal
#define BELOW1 0x3FEFFFFFFFFFFFFFull       // 1 - 2^-53
#define TINYUP 0x0010000000000001ull       // 2^-1022 * (1 + 2^-52)
#define BELOW1B 0x3FEFFFFFFFFFFFFEull      // 1 - 2^-52: TINYUP * BELOW1B = 2^-1022 * (1 - 2^-104)
#define E10 0x4202A05F20000000ull          // 1e10
#define SNAN1 0x7FF0000000000001ull
#define SNAN4 0xFFF0000000000004ull
#define QNAN2 0x7FF8000000000002ull
#define QNAN3 0xFFF8000000000003ull
#define SNANP 0x7FF4000012345678ull        // signalling, with a payload a float keeps part of
// Floats, two to a quadword (lane 0 in the low half).
#define F2(lo, hi) (((uint64_t)(hi) << 32) | (lo))
#define FONE 0x3F800000u
#define FDEN 0x00000001u
#define FSNAN 0x7F800001u
#define FSNAN2 0xFFA00002u
#define FQNAN 0x7FC00003u
#define FQNAN2 0xFFC00004u

static const uint32_t D = MXCSR_DEFAULT;

static void part_a(void) {
    printf("-- A. masked: the denormal flag\n");
    CASE("addsd den + 0", "addsd %%xmm1, %%xmm0", DEN, 0, 0, 0, D);
    CASE("mulsd den * 3", "mulsd %%xmm1, %%xmm0", DEN, 0, THREE, 0, D);
    CASE("sqrtsd den", "sqrtsd %%xmm1, %%xmm0", 0, 0, DEN, 0, D);
    CASE("comisd den, 0", "comisd %%xmm1, %%xmm0", 0, 0, DEN, 0, D);
    CASE("minsd den, 1", "minsd %%xmm1, %%xmm0", DEN, 0, ONE, 0, D);
    CASE("cvtss2sd den", "cvtss2sd %%xmm1, %%xmm0", 0, 0, FDEN, 0, D);
    CASE("cvtsd2ss den", "cvtsd2ss %%xmm1, %%xmm0", 0, 0, DEN, 0, D);
    CASE("addpd {den,1} + {0,1}", "addpd %%xmm1, %%xmm0", DEN, ONE, 0, ONE, D);
    CASE("addps den lane 3", "addps %%xmm1, %%xmm0", F2(FONE, FONE), F2(FONE, FDEN), 0, 0, D);
    CASE("addsd den + 0 DAZ", "addsd %%xmm1, %%xmm0", DEN, 0, 0, 0, D | MXCSR_DAZ);
    CASE("mulsd den * 3 DAZ", "mulsd %%xmm1, %%xmm0", DEN, 0, THREE, 0, D | MXCSR_DAZ);
    CASE("cvtsd2si den", "cvtsd2si %%xmm0, %%eax", DEN, 0, 0, 0, D);

    printf("-- A. masked: NaN operands\n");
    CASE("addsd snan + qnan", "addsd %%xmm1, %%xmm0", SNAN1, 0, QNAN2, 0, D);
    CASE("addsd qnan + snan", "addsd %%xmm1, %%xmm0", QNAN2, 0, SNAN1, 0, D);
    CASE("addsd qnan + qnan", "addsd %%xmm1, %%xmm0", QNAN2, 0, QNAN3, 0, D);
    CASE("addsd qnan3 + qnan2", "addsd %%xmm1, %%xmm0", QNAN3, 0, QNAN2, 0, D);
    CASE("addsd snan + snan", "addsd %%xmm1, %%xmm0", SNAN4, 0, SNAN1, 0, D);
    CASE("mulsd 1 * snan", "mulsd %%xmm1, %%xmm0", ONE, 0, SNAN4, 0, D);
    CASE("subpd lanes", "subpd %%xmm1, %%xmm0", QNAN3, SNAN1, SNAN4, QNAN2, D);
    CASE("addps lanes", "addps %%xmm1, %%xmm0", F2(FSNAN, FQNAN), F2(FONE, FQNAN2), F2(FQNAN2, FSNAN2),
         F2(FSNAN2, FONE), D);
    CASE("minsd 1, snan", "minsd %%xmm1, %%xmm0", ONE, 0, SNAN1, 0, D);
    CASE("minsd snan, 1", "minsd %%xmm1, %%xmm0", SNAN1, 0, ONE, 0, D);
    CASE("maxsd qnan, 1", "maxsd %%xmm1, %%xmm0", QNAN2, 0, ONE, 0, D);
    CASE("maxsd 1, qnan", "maxsd %%xmm1, %%xmm0", ONE, 0, QNAN2, 0, D);
    CASE("maxpd lanes", "maxpd %%xmm1, %%xmm0", QNAN2, ONE, SNAN1, QNAN3, D);
    CASE("sqrtsd snan", "sqrtsd %%xmm1, %%xmm0", 0, 0, SNAN4, 0, D);
    CASE("cvtsd2ss snan", "cvtsd2ss %%xmm1, %%xmm0", 0, 0, SNANP, 0, D);
    CASE("cvtss2sd snan", "cvtss2sd %%xmm1, %%xmm0", 0, 0, FSNAN2, 0, D);
    CASE("cvtps2pd lanes", "cvtps2pd %%xmm1, %%xmm0", 0, 0, F2(FQNAN, FSNAN), 0, D);
    CASE("cvttsd2si qnan", "cvttsd2si %%xmm0, %%eax", QNAN2, 0, 0, 0, D);
    CASE("cvtsd2si 1e10", "cvtsd2si %%xmm0, %%eax", E10, 0, 0, 0, D);
    CASE("ucomisd qnan, 1", "ucomisd %%xmm1, %%xmm0", QNAN2, 0, ONE, 0, D);
    CASE("comisd qnan, 1", "comisd %%xmm1, %%xmm0", QNAN2, 0, ONE, 0, D);
    CASE("ucomisd snan, 1", "ucomisd %%xmm1, %%xmm0", SNAN1, 0, ONE, 0, D);
    CASE("cmpltsd qnan, 1", "cmpltsd %%xmm1, %%xmm0", QNAN2, 0, ONE, 0, D);
    CASE("cmpeqsd qnan, 1", "cmpeqsd %%xmm1, %%xmm0", QNAN2, 0, ONE, 0, D);
    CASE("cmpeqsd snan, 1", "cmpeqsd %%xmm1, %%xmm0", SNAN1, 0, ONE, 0, D);

    printf("-- A. masked: underflow\n");
    // 2^-1022 * (1 - 2^-53) is exact (and tiny) with an unbounded exponent: tiny either way.
    CASE("mulsd tiny * (1-2^-53)", "mulsd %%xmm1, %%xmm0", TINY, 0, BELOW1, 0, D);
    CASE("mulsd same, round down", "mulsd %%xmm1, %%xmm0", TINY, 0, BELOW1, 0, D | MXCSR_RC_DOWN);
    CASE("mulsd same, FTZ", "mulsd %%xmm1, %%xmm0", TINY, 0, BELOW1, 0, D | MXCSR_FTZ);
    // 2^-1022 * (1 - 2^-104) rounds to 2^-1022 with 53 bits: tiny before rounding, not after.
    CASE("mulsd 2^-1022*(1-2^-104)", "mulsd %%xmm1, %%xmm0", TINYUP, 0, BELOW1B, 0, D);
    CASE("mulsd same, round down", "mulsd %%xmm1, %%xmm0", TINYUP, 0, BELOW1B, 0, D | MXCSR_RC_DOWN);
    CASE("mulsd same, FTZ", "mulsd %%xmm1, %%xmm0", TINYUP, 0, BELOW1B, 0, D | MXCSR_FTZ);
}

// FXRSTOR of an image whose MXCSR has a reserved bit set: #GP(0), nothing loaded.
static void fxrstor_case(void) {
    static struct fxsave_area fx;
    static volatile uint32_t before, after;
    __asm__ volatile("fxsave %0" : "=m"(fx));
    fx.mxcsr = 0x00010000u | MXCSR_DEFAULT | MXCSR_RC_UP;
    trap_reset();
    __asm__ volatile(ARM_TRAP "stmxcsr %[b]\n 1: fxrstor %[fx]\n 2: stmxcsr %[a]\n"
                     : [b] "=m"(before), [a] "=m"(after)
                     : [fx] "m"(fx)
                     : DX, "memory");
    printf("%-28s mxcsr %04x -> %04x", "fxrstor, MXCSR bit 16 set", before, after);
    if (trap_count) printf(" fault %u at +%ld", trap_vector, trap_offset);
    printf("\n");
}

static void part_b(void) {
    printf("-- B. unmasked: #XM\n");
    CASE("divsd 1 / 0, ZM clear", "divsd %%xmm1, %%xmm0", ONE, 0, 0, 0, D & ~MXCSR_ZM);
    CASE("divsd 1 / 0, IM clear", "divsd %%xmm1, %%xmm0", ONE, 0, 0, 0, D & ~MXCSR_IM);
    CASE("divpd {1,1} / {3,0}", "divpd %%xmm1, %%xmm0", ONE, ONE, THREE, 0, D & ~MXCSR_ZM);
    CASE("divpd same, PM clear", "divpd %%xmm1, %%xmm0", ONE, ONE, THREE, 0, D & ~MXCSR_PM);
    CASE("sqrtsd -1, IM clear", "sqrtsd %%xmm1, %%xmm0", ONE, 0, MONE, 0, D & ~MXCSR_IM);
    CASE("addsd max + max, OM clear", "addsd %%xmm1, %%xmm0", MAXD, 0, MAXD, 0, D & ~MXCSR_OM);
    CASE("mulsd max * 3, OM clear", "mulsd %%xmm1, %%xmm0", MAXD, 0, THREE, 0, D & ~MXCSR_OM);
    CASE("addsd max + max, PM clear", "addsd %%xmm1, %%xmm0", MAXD, 0, MAXD, 0, D & ~MXCSR_PM);
    CASE("mulsd tiny * tiny, UM clear", "mulsd %%xmm1, %%xmm0", TINY, 0, TINY, 0, D & ~MXCSR_UM);
    CASE("mulsd tiny*(1-2^-53), UM", "mulsd %%xmm1, %%xmm0", TINY, 0, BELOW1, 0, D & ~MXCSR_UM);
    CASE("mulsd 2^-1022*(1-2^-104), UM", "mulsd %%xmm1, %%xmm0", TINYUP, 0, BELOW1B, 0, D & ~MXCSR_UM);
    CASE("divsd tiny / 3, UM clear", "divsd %%xmm1, %%xmm0", TINY, 0, THREE, 0, D & ~MXCSR_UM);
    CASE("divsd 1 / 3, PM clear", "divsd %%xmm1, %%xmm0", ONE, 0, THREE, 0, D & ~MXCSR_PM);
    CASE("addsd den + 0, DM clear", "addsd %%xmm1, %%xmm0", DEN, 0, 0, 0, D & ~MXCSR_DM);
    CASE("addsd snan + 1, IM clear", "addsd %%xmm1, %%xmm0", SNAN1, 0, ONE, 0, D & ~MXCSR_IM);
    CASE("comisd qnan, 1, IM clear", "comisd %%xmm1, %%xmm0", QNAN2, 0, ONE, 0, D & ~MXCSR_IM);
    CASE("ucomisd qnan, 1, IM clear", "ucomisd %%xmm1, %%xmm0", QNAN2, 0, ONE, 0, D & ~MXCSR_IM);
    CASE("cvttsd2si 1e10, IM clear", "cvttsd2si %%xmm0, %%eax", E10, 0, 0, 0, D & ~MXCSR_IM);
    CASE("addsd 1 + 1, ZE set, ZM clr", "addsd %%xmm1, %%xmm0", ONE, 0, ONE, 0, (D & ~MXCSR_ZM) | MXCSR_ZE);
    CASE("ldmxcsr reserved bit 16", "ldmxcsr 56(%[io])", ONE, 0, 0, 0, D);
    fxrstor_case();
}

#ifndef HOST_CHECK
static void part_c(void) {
    printf("-- C. CR4.OSXMMEXCPT clear: #UD\n");
    write_cr4(read_cr4() & ~CR4_OSXMMEXCPT);
    CASE("divsd 1 / 0, ZM clear", "divsd %%xmm1, %%xmm0", ONE, 0, 0, 0, D & ~MXCSR_ZM);
    CASE("sqrtsd -1, IM clear", "sqrtsd %%xmm1, %%xmm0", ONE, 0, MONE, 0, D & ~MXCSR_IM);
    CASE("divsd 1 / 0, masked", "divsd %%xmm1, %%xmm0", ONE, 0, 0, 0, D);
    write_cr4(read_cr4() | CR4_OSXMMEXCPT);
    CASE("divsd 1 / 0, ZM clear again", "divsd %%xmm1, %%xmm0", ONE, 0, 0, 0, D & ~MXCSR_ZM);
}
#endif

#ifdef HOST_CHECK
int main(void)
#else
void kmain(uint32_t magic, struct multiboot_info* mbi)
#endif
{
    printf("sse_fpexact%d\n", (int)GUEST_BITS_STR);
    trap_install();
    part_a();
    part_b();
#ifndef HOST_CHECK
    part_c();
#endif
    printf("sse_fpexact%d done\n", (int)GUEST_BITS_STR);
#ifdef HOST_CHECK
    return 0;
#endif
}
