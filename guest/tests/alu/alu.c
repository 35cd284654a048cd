// Integer instructions at 8/16/32(/64) bits over a table of edge-case operands: results
// and the *defined* flags are folded into a running checksum printed after each group
// (the first differing line names the broken instruction group), plus some known answers.
#include <sdk/sdk.h>

typedef uintptr_t ureg;
static uint32_t chk = 0x811C9DC5u;
static int failures;
static void mix(uint64_t v) {
    for (int i = 0; i < 2; i++, v >>= 32) {
        chk ^= (uint32_t)v;
        chk *= 0x01000193u;
        chk ^= chk >> 13;
    }
}
static void group(const char* name) { printf("%-14s %08x\n", name, chk); }
static void check(const char* what, uint64_t got, uint64_t want) {
    printf("%-30s %llx\n", what, (unsigned long long)got);
    if (got != want) {
        printf("FAIL: %s: expected %llx\n", what, (unsigned long long)want);
        failures++;
    }
}

static volatile uint64_t vals[] = {0,
                                   1,
                                   2,
                                   0x7F,
                                   0x80,
                                   0xFF,
                                   0x7FFF,
                                   0x8000,
                                   0xFFFF,
                                   0x7FFFFFFF,
                                   0x80000000u,
                                   0xFFFFFFFFu,
                                   0x123456789ABCDEF0ull,
                                   0xFEDCBA9876543210ull,
                                   0x8000000000000000ull,
                                   0x7FFFFFFFFFFFFFFFull,
                                   0xFFFFFFFFFFFFFFFFull,
                                   0x00000000DEADBEEFull,
                                   0x5A5A5A5AA5A5A5A5ull,
                                   0x0000000100000001ull};
#define NV (sizeof vals / sizeof vals[0])
#define ARITH (FLAGS_CF | FLAGS_PF | FLAGS_AF | FLAGS_ZF | FLAGS_SF | FLAGS_OF)
#define LOGIC (FLAGS_CF | FLAGS_PF | FLAGS_ZF | FLAGS_SF | FLAGS_OF)
#define SZPC (FLAGS_CF | FLAGS_PF | FLAGS_ZF | FLAGS_SF)

// two-operand op "insn src, dst" with flags
#define OP2(pre, insn, T, C, mask)                                                                         \
    for (unsigned i = 0; i < NV; i++)                                                                      \
        for (unsigned j = 0; j < NV; j++) {                                                                \
            T r = (T)vals[i], s = (T)vals[j];                                                              \
            ureg fl;                                                                                       \
            __asm__ volatile(pre insn " %2, %0\n pushf\n pop %1" : "+" C(r), "=&r"(fl) : C(s) : "cc");   \
            mix(r);                                                                                        \
            mix(fl & (mask));                                                                              \
        }
// one-operand op
#define OP1(insn, T, C, mask)                                                      \
    for (unsigned i = 0; i < NV; i++) {                                            \
        T r = (T)vals[i];                                                          \
        ureg fl;                                                                   \
        __asm__ volatile(insn " %0\n pushf\n pop %1" : "+" C(r), "=&r"(fl)::"cc"); \
        mix(r);                                                                    \
        mix(fl & (mask));                                                          \
    }
// shifts/rotates by CL, counts below the operand width (else CF is undefined)
static const uint8_t counts[] = {1, 3, 7, 13, 31, 63};
#define SHIFT(insn, T, C, bits, mask)                                                                    \
    for (unsigned i = 0; i < NV; i++)                                                                    \
        for (unsigned k = 0; k < sizeof counts && counts[k] < bits; k++) {                               \
            T r = (T)vals[i];                                                                            \
            ureg fl;                                                                                     \
            __asm__ volatile("clc\n" insn " %%cl, %0\n pushf\n pop %1" : "+" C(r), "=&r"(fl) : "c"(counts[k]) : "cc"); \
            mix(r);                                                                                      \
            mix(fl & ((counts[k] == 1 ? FLAGS_OF : 0) | (mask)));                                        \
        }

#define ALL_OPS(T, C, bits)                                          \
    OP2("", "add", T, C, ARITH) group("add" #bits);                  \
    OP2("clc\n", "adc", T, C, ARITH) OP2("stc\n", "adc", T, C, ARITH) group("adc" #bits); \
    OP2("", "sub", T, C, ARITH) group("sub" #bits);                  \
    OP2("clc\n", "sbb", T, C, ARITH) OP2("stc\n", "sbb", T, C, ARITH) group("sbb" #bits); \
    OP2("", "cmp", T, C, ARITH) group("cmp" #bits);                  \
    OP2("", "and", T, C, LOGIC) OP2("", "or", T, C, LOGIC) OP2("", "xor", T, C, LOGIC) OP2("", "test", T, C, LOGIC) \
    group("logic" #bits);                                            \
    OP1("neg", T, C, ARITH) OP1("not", T, C, 0) group("neg/not" #bits); \
    OP1("inc", T, C, ARITH & ~FLAGS_CF) OP1("dec", T, C, ARITH & ~FLAGS_CF) group("inc/dec" #bits); \
    SHIFT("shl", T, C, bits, SZPC) SHIFT("shr", T, C, bits, SZPC) SHIFT("sar", T, C, bits, SZPC) group("shifts" #bits); \
    SHIFT("rol", T, C, bits, FLAGS_CF) SHIFT("ror", T, C, bits, FLAGS_CF) group("rotates" #bits); \
    SHIFT("rcl", T, C, bits, FLAGS_CF) SHIFT("rcr", T, C, bits, FLAGS_CF) group("rcl/rcr" #bits); \
    OP2("", "xchg", T, C, 0) group("xchg" #bits);                     \
    muldiv_##bits();                                                   \
    bits_##bits();                                                     \
    cond_##bits();                                                     \
    atomics_##bits();

// MUL/IMUL (one operand: CF/OF only defined), IMUL r,r and r,r,imm; DIV/IDIV without faults.
#define MULDIV(bits, T, ST, C, A, D)                                                                        \
    static void muldiv_##bits(void) {                                                                       \
        for (unsigned i = 0; i < NV; i++)                                                                   \
            for (unsigned j = 0; j < NV; j++) {                                                             \
                T a = (T)vals[i], s = (T)vals[j], d = 0;                                                    \
                ureg fl;                                                                                    \
                __asm__ volatile("mul %3\n pushf\n pop %2" : "+a"(a), "=d"(d), "=&r"(fl) : C(s) : "cc");    \
                mix(a); mix(d); mix(fl & (FLAGS_CF | FLAGS_OF));                                            \
                a = (T)vals[i];                                                                             \
                __asm__ volatile("imul %3\n pushf\n pop %2" : "+a"(a), "=d"(d), "=&r"(fl) : C(s) : "cc");   \
                mix(a); mix(d); mix(fl & (FLAGS_CF | FLAGS_OF));                                            \
                if (bits > 8) {                                                                             \
                    T r = (T)vals[i];                                                                       \
                    __asm__ volatile("imul %2, %0\n pushf\n pop %1" : "+r"(r), "=&r"(fl) : "r"(s) : "cc");  \
                    mix(r); mix(fl & (FLAGS_CF | FLAGS_OF));                                                \
                    __asm__ volatile("imul $-77, %2, %0\n pushf\n pop %1" : "=r"(r), "=&r"(fl) : "r"(s) : "cc"); \
                    mix(r); mix(fl & (FLAGS_CF | FLAGS_OF));                                                \
                }                                                                                           \
                if (s != 0) {                                                                               \
                    a = (T)vals[i];                                                                         \
                    d = 0;                                                                                  \
                    __asm__ volatile("div %2" : "+a"(a), "+d"(d) : C(s) : "cc");                            \
                    mix(a); mix(d);                                                                         \
                    ST sa = (ST)vals[i], ss = (ST)s;                                                        \
                    if (!(ss == -1 && sa == (ST)((T)1 << (bits - 1)))) {                                    \
                        a = (T)sa;                                                                          \
                        d = sa < 0 ? (T)-1 : 0;                                                             \
                        __asm__ volatile("idiv %2" : "+a"(a), "+d"(d) : C(s) : "cc");                       \
                        mix(a); mix(d);                                                                     \
                    }                                                                                       \
                }                                                                                           \
            }                                                                                               \
        group("mul/div" #bits);                                                                             \
    }

// 8-bit MUL/DIV use AX: done separately
static void muldiv_8(void) {
    for (unsigned i = 0; i < NV; i++)
        for (unsigned j = 0; j < NV; j++) {
            uint16_t ax = (uint8_t)vals[i];
            uint8_t s = (uint8_t)vals[j];
            ureg fl;
            __asm__ volatile("mulb %2\n pushf\n pop %1" : "+a"(ax), "=&r"(fl) : "q"(s) : "cc");
            mix(ax); mix(fl & (FLAGS_CF | FLAGS_OF));
            ax = (uint8_t)vals[i];
            __asm__ volatile("imulb %2\n pushf\n pop %1" : "+a"(ax), "=&r"(fl) : "q"(s) : "cc");
            mix(ax); mix(fl & (FLAGS_CF | FLAGS_OF));
            if (s) {
                ax = (uint8_t)vals[i];
                __asm__ volatile("divb %1" : "+a"(ax) : "q"(s) : "cc");
                mix(ax);
                int8_t sa = (int8_t)vals[i], ss = (int8_t)s;
                if (!(ss == -1 && sa == -128)) {
                    ax = (uint16_t)(int16_t)sa;
                    __asm__ volatile("idivb %1" : "+a"(ax) : "q"(s) : "cc");
                    mix(ax);
                }
            }
        }
    group("mul/div8");
}

// BT/BTS/BTR/BTC (CF), BSF/BSR (ZF; destination only for nonzero sources), BSWAP
#define BITS(bits, T, C)                                                                                      \
    static void bits_##bits(void) {                                                                           \
        for (unsigned i = 0; i < NV; i++)                                                                     \
            for (unsigned k = 0; k < bits; k += 3) {                                                          \
                T r = (T)vals[i], n = (T)k;                                                                   \
                ureg fl;                                                                                      \
                __asm__ volatile("bt %2, %0\n pushf\n pop %1" : "+r"(r), "=&r"(fl) : "r"(n) : "cc");       \
                mix(fl & FLAGS_CF);                                                                           \
                __asm__ volatile("bts %2, %0\n pushf\n pop %1" : "+r"(r), "=&r"(fl) : "r"(n) : "cc");      \
                mix(r); mix(fl & FLAGS_CF);                                                                   \
                __asm__ volatile("btc %2, %0\n pushf\n pop %1" : "+r"(r), "=&r"(fl) : "r"((T)(n + 1)) : "cc"); \
                mix(r); mix(fl & FLAGS_CF);                                                                   \
                __asm__ volatile("btr %2, %0\n pushf\n pop %1" : "+r"(r), "=&r"(fl) : "r"((T)(n + 2)) : "cc"); \
                mix(r); mix(fl & FLAGS_CF);                                                                   \
            }                                                                                                 \
        for (unsigned i = 0; i < NV; i++) {                                                                   \
            T s = (T)vals[i], r = 0;                                                                          \
            ureg fl;                                                                                          \
            __asm__ volatile("bsf %2, %0\n pushf\n pop %1" : "+r"(r), "=&r"(fl) : "r"(s) : "cc");          \
            mix(fl & FLAGS_ZF);                                                                               \
            if (s) mix(r);                                                                                    \
            __asm__ volatile("bsr %2, %0\n pushf\n pop %1" : "+r"(r), "=&r"(fl) : "r"(s) : "cc");          \
            mix(fl & FLAGS_ZF);                                                                               \
            if (s) mix(r);                                                                                    \
            if (bits >= 32) {                                                                                 \
                r = s;                                                                                        \
                __asm__ volatile("bswap %0" : "+r"(r));                                                      \
                mix(r);                                                                                       \
            }                                                                                                 \
        }                                                                                                     \
        group("bits" #bits);                                                                                  \
    }
static void bits_8(void) {}

// SETcc and CMOVcc for all 16 conditions after CMP
#define CC(X) X(o) X(no) X(b) X(ae) X(e) X(ne) X(be) X(a) X(s) X(ns) X(p) X(np) X(l) X(ge) X(le) X(g)
#define COND(bits, T, C)                                                                                    \
    static void cond_##bits(void) {                                                                         \
        for (unsigned i = 0; i < NV; i++)                                                                   \
            for (unsigned j = 0; j < NV; j++) {                                                             \
                T a = (T)vals[i], b = (T)vals[j];                                                           \
                uint8_t set;                                                                                \
                _Pragma("GCC diagnostic push") _Pragma("GCC diagnostic ignored \"-Wunused-value\"")        \
                CC(SETCC_##bits)                                                                            \
                _Pragma("GCC diagnostic pop")                                                               \
            }                                                                                               \
        group("setcc/cmov" #bits);                                                                          \
    }
#define SETCC_BODY(cc, C)                                                                                   \
    __asm__ volatile("cmp %2, %1\n set" #cc " %0" : "=q"(set) : C(a), C(b) : "cc");                          \
    mix(set);
#define CMOV_BODY(cc, T)                                                                                    \
    { T r = (T)0x5A; __asm__ volatile("cmp %2, %1\n cmov" #cc " %2, %0" : "+r"(r) : "r"(a), "r"(b) : "cc"); mix(r); }

// XCHG with memory, CMPXCHG (equal and not equal), XADD, LOCK forms
#define ATOMICS(bits, T, C)                                                                                  \
    static void atomics_##bits(void) {                                                                       \
        for (unsigned i = 0; i < NV; i++)                                                                    \
            for (unsigned j = 0; j < NV; j++) {                                                              \
                volatile T m = (T)vals[i];                                                                   \
                T a = (T)vals[j], r = (T)(vals[j] * 3 + 1);                                                  \
                ureg fl;                                                                                     \
                __asm__ volatile("lock cmpxchg %3, %1\n pushf\n pop %2" : "+a"(a), "+m"(m), "=&r"(fl) : C(r) : "cc"); \
                mix(a); mix(m); mix(fl & ARITH);                                                             \
                a = m;                                                                                       \
                __asm__ volatile("cmpxchg %3, %1\n pushf\n pop %2" : "+a"(a), "+m"(m), "=&r"(fl) : C(r) : "cc"); \
                mix(a); mix(m); mix(fl & ARITH);                                                             \
                T x = (T)vals[j];                                                                            \
                __asm__ volatile("lock xadd %0, %1\n pushf\n pop %2" : "+" C(x), "+m"(m), "=&r"(fl)::"cc");  \
                mix(x); mix(m); mix(fl & ARITH);                                                             \
                __asm__ volatile("xchg %0, %1" : "+" C(x), "+m"(m));                                         \
                mix(x); mix(m);                                                                              \
            }                                                                                                \
        group("atomics" #bits);                                                                              \
    }

#define SETCC_8(cc) SETCC_BODY(cc, "q")
#define SETCC_16(cc) SETCC_BODY(cc, "r") CMOV_BODY(cc, uint16_t)
#define SETCC_32(cc) SETCC_BODY(cc, "r") CMOV_BODY(cc, uint32_t)
#define SETCC_64(cc) SETCC_BODY(cc, "r") CMOV_BODY(cc, uint64_t)

MULDIV(16, uint16_t, int16_t, "r", "a", "d")
MULDIV(32, uint32_t, int32_t, "r", "a", "d")
BITS(16, uint16_t, "r")
BITS(32, uint32_t, "r")
COND(8, uint8_t, "q")
COND(16, uint16_t, "r")
COND(32, uint32_t, "r")
ATOMICS(8, uint8_t, "q")
ATOMICS(16, uint16_t, "r")
ATOMICS(32, uint32_t, "r")
#ifdef __x86_64__
MULDIV(64, uint64_t, int64_t, "r", "a", "d")
BITS(64, uint64_t, "r")
COND(64, uint64_t, "r")
ATOMICS(64, uint64_t, "r")
#endif

static void extend(void) {
    for (unsigned i = 0; i < NV; i++) {
        uint8_t b = (uint8_t)vals[i];
        uint16_t w = (uint16_t)vals[i];
        uint32_t r32;
        uint16_t r16;
        __asm__ volatile("movsbl %1, %0" : "=r"(r32) : "q"(b)); mix(r32);
        __asm__ volatile("movzbl %1, %0" : "=r"(r32) : "q"(b)); mix(r32);
        __asm__ volatile("movswl %1, %0" : "=r"(r32) : "r"(w)); mix(r32);
        __asm__ volatile("movzwl %1, %0" : "=r"(r32) : "r"(w)); mix(r32);
        __asm__ volatile("movsbw %1, %0" : "=r"(r16) : "q"(b)); mix(r16);
        __asm__ volatile("movzbw %1, %0" : "=r"(r16) : "q"(b)); mix(r16);
        uint32_t ax = (uint16_t)vals[i], dx = 0;
        __asm__ volatile("cbw\n cwde\n" : "+a"(ax)); mix(ax);
        ax = (uint32_t)vals[i];
        __asm__ volatile("cltd" : "+a"(ax), "=d"(dx)); mix(dx);
#ifdef __x86_64__
        uint64_t r64, q = vals[i], d64;
        __asm__ volatile("movsbq %1, %0" : "=r"(r64) : "q"(b)); mix(r64);
        __asm__ volatile("movswq %1, %0" : "=r"(r64) : "r"(w)); mix(r64);
        __asm__ volatile("movslq %k1, %0" : "=r"(r64) : "r"(q)); mix(r64);
        __asm__ volatile("movl %k1, %k0" : "=r"(r64) : "r"(q)); mix(r64);  // zero-extends
        __asm__ volatile("cqto" : "+a"(q), "=d"(d64)); mix(d64);
#endif
    }
    group("extend");
}

static void known_answers(void) {
    uint32_t a = 0xFFFFFFFFu, d, s = 0xFFFFFFFFu;
    __asm__ volatile("mull %2" : "+a"(a), "=d"(d) : "r"(s));
    check("mul32 ffffffff*ffffffff", ((uint64_t)d << 32) | a, 0xFFFFFFFE00000001ull);
    int32_t q = -7, r = -1, dv = 2;
    __asm__ volatile("idivl %2" : "+a"(q), "+d"(r) : "r"(dv));
    check("idiv32 -7/2 quotient", (uint32_t)q, 0xFFFFFFFDu);
    check("idiv32 -7/2 remainder", (uint32_t)r, 0xFFFFFFFFu);
    uint32_t x = 0x12345678;
    __asm__ volatile("bswap %0" : "+r"(x));
    check("bswap32 12345678", x, 0x78563412);
    uint32_t bsr, v = 0x00F00000;
    __asm__ volatile("bsr %1, %0" : "=r"(bsr) : "r"(v));
    check("bsr 00f00000", bsr, 23);
    __asm__ volatile("bsf %1, %0" : "=r"(bsr) : "r"(v));
    check("bsf 00f00000", bsr, 20);
    uint8_t c8 = 0x81;
    __asm__ volatile("rolb $1, %0" : "+q"(c8));
    check("rol8 81,1", c8, 0x03);
    uint16_t w = 0x8001;
    __asm__ volatile("stc\n rcrw $1, %0" : "+r"(w)::"cc");
    check("rcr16 8001,1 with CF=1", w, 0xC000);
    uint32_t sh = 0x80000000u;
    __asm__ volatile("sarl $4, %0" : "+r"(sh)::"cc");
    check("sar32 80000000,4", sh, 0xF8000000u);
    uint32_t lo = 0xFFFFFFFFu, hi = 0;
    __asm__ volatile("addl $1, %0\n adcl $0, %1" : "+r"(lo), "+r"(hi)::"cc");
    check("add/adc carry chain", ((uint64_t)hi << 32) | lo, 0x100000000ull);
#ifdef __x86_64__
    uint64_t a64 = 0xFFFFFFFFFFFFFFFFull, d64, s64 = 3;
    __asm__ volatile("mulq %2" : "+a"(a64), "=d"(d64) : "r"(s64));
    check("mul64 ffffffffffffffff*3 high", d64, 2);
    uint64_t b64 = 0x0123456789ABCDEFull;
    __asm__ volatile("bswap %0" : "+r"(b64));
    check("bswap64", b64, 0xEFCDAB8967452301ull);
#endif
}

void kmain(uint32_t magic, struct multiboot_info* mbi) {
    printf("alu%d\n", GUEST_BITS);
    known_answers();
    ALL_OPS(uint8_t, "q", 8)
    ALL_OPS(uint16_t, "r", 16)
    ALL_OPS(uint32_t, "r", 32)
#ifdef __x86_64__
    ALL_OPS(uint64_t, "r", 64)
#endif
    extend();
    printf("checksum %08x\n", chk);
    if (failures) {
        printf("FAIL: %d known answers wrong\n", failures);
        exit_emulator(1);
    }
    printf("PASS\n");
    exit_emulator(0);
}
