// Ring 3: enter user mode with iret, make INT 0x80 system calls (the CPU switches to
// the TSS ring-0 stack: the frame must sit right below its top), return to ring 3,
// then a privileged instruction (hlt) in ring 3 raises #GP, which the kernel catches.
#include <sdk/sdk.h>

#define LABEL(name) ".globl " #name "\n" #name ":\n"
extern char user_hlt[];

static uint8_t kstack[16384] __attribute__((aligned(16)));
static uint8_t ustack[16384] __attribute__((aligned(16)));
#define KSTACK_TOP ((uintptr_t)(kstack + sizeof kstack))
static int failures;

static void check(const char* what, int cond) {
    if (!cond) {
        printf("FAIL: %s\n", what);
        failures++;
    }
}

static void syscall_handler(struct int_frame* f) {
    uintptr_t n = f->rax_or_eax;
    check("syscall from ring 3", (f->cs & 3) == 3);
    switch (n) {
    case 0:
        printf("sys_exit: %d checks failed\n", failures);
        if (failures) {
            printf("FAIL\n");
            exit_emulator(1);
        }
        printf("PASS\n");
        exit_emulator(0);
    case 1: printf("sys_write: %s\n", (const char*)f->rbx_or_ebx); break;
    case 2: f->rax_or_eax = f->rbx_or_ebx * 2; return;
    case 3: {
        uintptr_t depth = KSTACK_TOP - (uintptr_t)f;
        printf("sys_stack: frame %lu bytes below the TSS stack top (expected %lu)\n", (unsigned long)depth,
               (unsigned long)sizeof *f);
        check("frame on the TSS ring-0 stack", depth == sizeof *f);
        printf("sys_stack: user cs %lx ss %lx\n", (unsigned long)f->cs, (unsigned long)f->ss);
        uintptr_t usp = f->sp;
        check("user sp inside the user stack", usp > (uintptr_t)ustack && usp <= (uintptr_t)ustack + sizeof ustack);
        break;
    }
    case 4: printf("sys_print: %lx\n", (unsigned long)f->rbx_or_ebx); break;
    default: printf("FAIL: bad syscall %lu\n", (unsigned long)n); failures++;
    }
    f->rax_or_eax = 0;
}

static void gp_handler(struct int_frame* f) {
    printf("#GP: error %x from ring %u at user_hlt+%ld\n", (unsigned)f->error, (unsigned)(f->cs & 3),
           (long)(f->ip - (uintptr_t)user_hlt));
    check("#GP from ring 3 at hlt", (f->cs & 3) == 3 && f->ip == (uintptr_t)user_hlt);
    f->ip += 1;  // skip hlt
}

static inline uintptr_t sys(uintptr_t n, uintptr_t a) {
    __asm__ volatile("int $0x80" : "+a"(n) : "b"(a) : "memory");
    return n;
}

__attribute__((noinline)) static void user_main(void) {
    sys(1, (uintptr_t) "hello from ring 3");
    uintptr_t r = sys(2, 21);
    sys(4, r);
    sys(3, 0);
    uint16_t cs, ss;
    __asm__ volatile("mov %%cs, %0; mov %%ss, %1" : "=r"(cs), "=r"(ss));
    sys(4, cs);
    sys(4, ss);
    __asm__ volatile(LABEL(user_hlt) "hlt");
    sys(1, (uintptr_t) "back in ring 3 after #GP");
    uintptr_t sum = 0;
    for (uintptr_t i = 0; i < 100; i++) sum += sys(2, i);
    sys(4, sum);
    sys(0, 0);
    for (;;) {}
}

void kmain(uint32_t magic, struct multiboot_info* mbi) {
    printf("ring3_%d\n", GUEST_BITS);
    tss_init(KSTACK_TOP);
    idt_set_handler(0x80, syscall_handler);
    idt_set_dpl(0x80, 3);
    idt_set_handler(13, gp_handler);
    uintptr_t usp = (uintptr_t)(ustack + sizeof ustack);
#ifdef __x86_64__
    printf("entering ring 3 (iretq)\n");
#else
    printf("entering ring 3 (iret)\n");
#endif
    enter_ring3(user_main, usp);
}
