// Exceptions and software interrupts, caught and resumed: #DE (zero and overflow),
// #UD, #BP, INT n (with a register changed by the handler), #GP (bad selector; in
// 64-bit also a non-canonical address), #OF (32-bit), #DB single step, #PF (64-bit).
// Each handler prints vector, error code and the faulting ip relative to a label.
#include <sdk/sdk.h>

#define LABEL(name) ".globl " #name "\n" #name ":\n"
extern char de_insn[], de_resume[], de2_insn[], de2_resume[], ud_insn[], ud_resume[], bp_insn[], intn_insn[],
    gp_insn[], gp_resume[], db_insn[], of_insn[], nc_insn[], nc_resume[], pf_insn[], pf_resume[];

static const char* label_name;
static uintptr_t label_addr, resume_addr;
static volatile int hits;
static int failures;

static void expect(const char* name, char* label, char* resume) {
    label_name = name;
    label_addr = (uintptr_t)label;
    resume_addr = (uintptr_t)resume;
    hits = 0;
}

static void handler(struct int_frame* f) {
    hits++;
    long off = (long)(f->ip - label_addr);
    printf("  vector %u %s error %x ip %s%c%ld", (unsigned)f->vector, exception_name((int)f->vector),
           (unsigned)f->error, label_name, off < 0 ? '-' : '+', off < 0 ? -off : off);
    if (f->vector == 14) printf(" cr2 %lx", (unsigned long)read_cr2());
    printf("\n");
    if (f->vector == 1) f->flags &= ~(uintptr_t)FLAGS_TF;
    if (f->vector == 0x41) f->rax_or_eax = 0x2222;
    if (resume_addr) f->ip = resume_addr;
}

static void check(const char* what, int cond) {
    if (!cond) {
        printf("FAIL: %s\n", what);
        failures++;
    }
}

__attribute__((noinline)) static void test_de(void) {
    printf("#DE divide by zero\n");
    expect("de_insn", de_insn, de_resume);
    uint32_t a = 100, d = 0, z = 0;
    __asm__ volatile(LABEL(de_insn) "divl %2\n" LABEL(de_resume) : "+a"(a), "+d"(d) : "c"(z));
    check("#DE taken once", hits == 1);

    printf("#DE idiv overflow\n");
    expect("de2_insn", de2_insn, de2_resume);
    a = 0x80000000u;
    d = 0xFFFFFFFFu;
    uint32_t m1 = 0xFFFFFFFFu;
    __asm__ volatile(LABEL(de2_insn) "idivl %2\n" LABEL(de2_resume) : "+a"(a), "+d"(d) : "c"(m1));
    check("#DE overflow taken once", hits == 1);
}

__attribute__((noinline)) static void test_ud(void) {
    printf("#UD ud2\n");
    expect("ud_insn", ud_insn, ud_resume);
    __asm__ volatile(LABEL(ud_insn) "ud2\n" LABEL(ud_resume));
    check("#UD taken once", hits == 1);
}

__attribute__((noinline)) static void test_bp(void) {
    printf("#BP int3\n");
    expect("bp_insn", bp_insn, 0);
    __asm__ volatile(LABEL(bp_insn) "int3\n");
    check("#BP taken once", hits == 1);
}

__attribute__((noinline)) static void test_intn(void) {
    printf("INT 0x41\n");
    expect("intn_insn", intn_insn, 0);
    uintptr_t v = 0x1111;
    __asm__ volatile(LABEL(intn_insn) "int $0x41\n" : "+a"(v));
    check("INT 0x41 taken once", hits == 1);
    printf("  eax after handler %lx\n", (unsigned long)v);
    check("handler changed eax", v == 0x2222);
}

__attribute__((noinline)) static void test_gp(void) {
    printf("#GP bad selector\n");
    expect("gp_insn", gp_insn, gp_resume);
    uint16_t sel = 0x1230;
    __asm__ volatile(LABEL(gp_insn) "mov %0, %%ds\n" LABEL(gp_resume) ::"r"(sel));
    check("#GP taken once", hits == 1);
    uint16_t ds;
    __asm__ volatile("mov %%ds, %0" : "=r"(ds));
    printf("  ds %x\n", ds);
    check("ds unchanged", ds == GDT_KDATA);
}

__attribute__((noinline)) static void test_db(void) {
    printf("#DB single step\n");
    expect("db_insn", db_insn, 0);
    __asm__ volatile("pushf\n"
#ifdef __x86_64__
                     "orq $0x100, (%%rsp)\n"
#else
                     "orl $0x100, (%%esp)\n"
#endif
                     "popf\n" LABEL(db_insn) "nop\n"
                     "nop\n" ::: "memory", "cc");
    check("#DB taken once", hits == 1);
}

#ifdef __x86_64__
__attribute__((noinline)) static void test_noncanonical(void) {
    printf("#GP non-canonical address\n");
    expect("nc_insn", nc_insn, nc_resume);
    uint64_t p = 0x8000000000000000ull;
    __asm__ volatile(LABEL(nc_insn) "movq $1, (%0)\n" LABEL(nc_resume) ::"r"(p) : "memory");
    check("#GP taken once", hits == 1);
}

__attribute__((noinline)) static void test_pf(void) {
    printf("#PF unmapped address\n");
    expect("pf_insn", pf_insn, pf_resume);
    uint64_t p = 0x40000000ull, v = 0;
    __asm__ volatile(LABEL(pf_insn) "movq (%1), %0\n" LABEL(pf_resume) : "+r"(v) : "r"(p) : "memory");
    check("#PF taken once", hits == 1);
}
#else
__attribute__((noinline)) static void test_of(void) {
    printf("#OF into\n");
    expect("of_insn", of_insn, 0);
    uint32_t v = 0x7FFFFFFF;
    __asm__ volatile("addl $1, %0\n" LABEL(of_insn) "into\n" : "+r"(v)::"cc");
    check("#OF taken once", hits == 1);
}
#endif

void kmain(uint32_t magic, struct multiboot_info* mbi) {
    printf("exceptions%d\n", GUEST_BITS);
    int vecs[] = {0, 1, 3, 4, 6, 13, 14, 0x41};
    for (unsigned i = 0; i < sizeof vecs / sizeof vecs[0]; i++) idt_set_handler(vecs[i], handler);
    test_de();
    test_ud();
    test_bp();
    test_intn();
    test_gp();
    test_db();
#ifdef __x86_64__
    test_noncanonical();
    test_pf();
#else
    test_of();
#endif
    if (failures) {
        printf("FAIL: %d checks failed\n", failures);
        exit_emulator(1);
    }
    printf("PASS\n");
    exit_emulator(0);
}
