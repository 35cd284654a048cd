// I/O privilege from ring 3 (SDM vol. 1, 19.5 and 19.8): IN, OUT, INS, OUTS above IOPL
// raise #GP(0) unless the TSS's I/O permission bitmap clears every bit of the ports touched
// (a 2-byte access checks two bits, across a byte boundary too; a bitmap byte past the TSS
// limit counts as set); at or below IOPL they always run. CLI and STI above IOPL raise #GP(0);
// POPF there leaves IF and IOPL alone. Ring 3 code tries each and the #GP handler counts and
// skips it. The output is the same on QEMU and rewind.
#include <sdk/sdk.h>

static uint8_t kstack[16384] __attribute__((aligned(16)));
static uint8_t ustack[16384] __attribute__((aligned(16)));
#define KSTACK_TOP ((uintptr_t)(kstack + sizeof kstack))

// A TSS with a bitmap for ports 0-0x8F after it, and the 0xFF byte the SDM asks for after the
// last bitmap byte (the map covers no port above 0x8F: those read as set, past the limit).
static struct {
    struct tss tss;
    uint8_t map[0x90 / 8];
    uint8_t end;
} __attribute__((packed, aligned(16))) io_tss;

static volatile unsigned fault_len;  // the length of the instruction being tried
static volatile unsigned faults;
static volatile uint32_t last_error;

static void gp_handler(struct int_frame* f) {
    if (!fault_len || (f->cs & 3) != 3) {
        printf("FAIL: unexpected #GP error %x at %lx\n", (unsigned)f->error, (unsigned long)f->ip);
        exit_emulator(1);
    }
    faults++;
    last_error = (uint32_t)f->error;
    f->ip += fault_len;
}

static void syscall_handler(struct int_frame* f) {
    switch (f->rax_or_eax) {
    case 0: exit_emulator(0); break;
    case 1: printf("%s", (const char*)f->rbx_or_ebx); break;
    case 2: {  // set IOPL to rbx for the return to ring 3
        f->flags = (f->flags & ~0x3000ul) | ((f->rbx_or_ebx & 3) << 12);
        break;
    }
    case 3: printf("%lx", (unsigned long)f->rbx_or_ebx); break;
    }
}

static inline void sys(uintptr_t n, uintptr_t a) { __asm__ volatile("int $0x80" : "+a"(n) : "b"(a) : "memory"); }

static void report(const char* what, unsigned before) {
    sys(1, (uintptr_t)what);
    if (faults == before) {
        sys(1, (uintptr_t) ": runs\n");
    } else {
        sys(1, (uintptr_t) ": #GP(");
        sys(3, last_error);
        sys(1, (uintptr_t) ")\n");
    }
}

// Each try: the instruction's length for the handler, the instruction, what happened.
#define TRY(what, len, ...)                                  \
    do {                                                     \
        unsigned before = faults;                            \
        fault_len = (len);                                   \
        __asm__ volatile(__VA_ARGS__);                       \
        fault_len = 0;                                       \
        report(what, before);                                \
    } while (0)

static uint8_t buf[8];

__attribute__((noinline)) static void user_main(void) {
    sys(1, (uintptr_t) "ring 3, IOPL 0\n");
    TRY("in al, 0x80 (allowed)", 2, "inb $0x80, %%al" ::: "eax");
    TRY("in al, 0x81 (denied)", 2, "inb $0x81, %%al" ::: "eax");
    TRY("in ax, 0x80 (0x81 denied)", 3, "inw $0x80, %%ax" ::: "eax");
    TRY("in ax, dx=0x87 (0x87 and 0x88 allowed, across a byte)", 2, "inw %%dx, %%ax" ::"d"(0x87) : "eax");
    TRY("in eax, dx=0x86 (0x86 denied)", 1, "inl %%dx, %%eax" ::"d"(0x86) : "eax");
    TRY("out 0x80, al (allowed)", 2, "outb %%al, $0x80" ::"a"(0));
    TRY("in al, dx=0x90 (past the bitmap)", 1, "inb %%dx, %%al" ::"d"(0x90) : "eax");
    TRY("insb from 0x80 (allowed)", 1, "cld; insb" ::"d"(0x80), "D"(buf) : "memory");
    TRY("insb from 0x81 (denied)", 1, "insb" ::"d"(0x81), "D"(buf) : "memory");
    TRY("outsb to 0x81 (denied)", 1, "outsb" ::"d"(0x81), "S"(buf) : "memory");
    TRY("cli", 1, "cli");
    TRY("sti", 1, "sti");
    uintptr_t flags;
    __asm__ volatile("pushf; pop %0" : "=r"(flags));
    __asm__ volatile("push %0; popf" ::"r"(flags | 0x3000 | 0x200));  // IOPL 3, IF: ignored
    __asm__ volatile("pushf; pop %0" : "=r"(flags));
    sys(1, (uintptr_t) "after popf asking for IOPL 3: IOPL ");
    sys(3, (flags >> 12) & 3);
    sys(1, (uintptr_t) "\n");
    sys(2, 3);
    sys(1, (uintptr_t) "ring 3, IOPL 3\n");
    TRY("in al, 0x81 (denied by the bitmap)", 2, "inb $0x81, %%al" ::: "eax");
    TRY("in al, dx=0x90", 1, "inb %%dx, %%al" ::"d"(0x90) : "eax");
    TRY("cli", 1, "cli");
    TRY("sti", 1, "sti");
    sys(1, (uintptr_t) "PASS\n");
    sys(0, 0);
    for (;;) {}
}

void kmain(uint32_t magic, struct multiboot_info* mbi) {
    printf("iopl%d\n", GUEST_BITS);
    memset(&io_tss, 0, sizeof io_tss);
#ifdef __x86_64__
    io_tss.tss.rsp[0] = KSTACK_TOP;
#else
    io_tss.tss.esp0 = KSTACK_TOP;
    io_tss.tss.ss0 = GDT_KDATA;
#endif
    io_tss.tss.iomap_base = sizeof io_tss.tss;
    memset(io_tss.map, 0xFF, sizeof io_tss.map);
    io_tss.end = 0xFF;
    io_tss.map[0x80 / 8] &= ~1u;          // port 0x80
    io_tss.map[0x87 / 8] &= ~(1u << 7);   // port 0x87
    io_tss.map[0x88 / 8] &= ~1u;          // port 0x88
    tss_load(&io_tss, sizeof io_tss - 2);  // the 0xFF byte past the limit: port 0x90 is outside
    idt_set_handler(0x80, syscall_handler);
    idt_set_dpl(0x80, 3);
    idt_set_handler(13, gp_handler);
    uintptr_t usp = (uintptr_t)(ustack + sizeof ustack);
    enter_ring3(user_main, usp);
}
