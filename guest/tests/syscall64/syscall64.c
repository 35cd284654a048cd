// SYSCALL/SYSRET: STAR/LSTAR/SFMASK, EFER.SCE, SWAPGS with KERNEL_GS_BASE. Checks the
// selectors in both rings, that SFMASK cleared DF in the kernel and SYSRET restored
// it from R11, that RCX held the return address, and the GS bases on both sides.
#include <sdk/sdk.h>

#define LABEL(name) ".globl " #name "\n" #name ":\n"
extern char syscall_entry[], user_hlt[], user_sys_ret[];

struct percpu {
    uint64_t kstack;  // %gs:0
    uint64_t ustack;  // %gs:8
    uint64_t magic;   // %gs:16
};
static struct percpu percpu;
static uint64_t user_tls[2] = {0x5555AAAA5555AAAAull, 0};
static uint8_t kstack[16384] __attribute__((aligned(16)));
static uint8_t ustack[16384] __attribute__((aligned(16)));
static uint8_t syscall_stack[16384] __attribute__((aligned(16)));
static int failures;

static void check(const char* what, int cond) {
    if (!cond) {
        printf("FAIL: %s\n", what);
        failures++;
    }
}

__asm__(".text\n" LABEL(syscall_entry)
        "swapgs\n"
        "mov %rsp, %gs:8\n"
        "mov %gs:0, %rsp\n"
        "push %rcx\n"
        "push %r11\n"
        "push %rbp\n"
        "push %rbx\n"
        "mov %rcx, %r8\n"   // 5th arg: user rip
        "mov %r11, %rcx\n"  // 4th arg: user rflags
        "mov %rax, %rdx\n"  // 3rd arg: number
        "call syscall_c\n"
        "pop %rbx\n"
        "pop %rbp\n"
        "pop %r11\n"
        "pop %rcx\n"
        "mov %gs:8, %rsp\n"
        "swapgs\n"
        "sysretq\n");

uint64_t syscall_c(uint64_t a0, uint64_t a1, uint64_t num, uint64_t uflags, uint64_t urip);

uint64_t syscall_c(uint64_t a0, uint64_t a1, uint64_t num, uint64_t uflags, uint64_t urip) {
    switch (num) {
    case 0:
        printf("sys_exit: %d checks failed\n", failures);
        if (failures) {
            printf("FAIL\n");
            exit_emulator(1);
        }
        printf("PASS\n");
        exit_emulator(0);
    case 1: printf("sys_write: %s\n", (const char*)a0); return 0;
    case 2: return a0 * 3 + a1;
    case 3: {
        uint16_t cs, ss;
        __asm__ volatile("mov %%cs, %0; mov %%ss, %1" : "=r"(cs), "=r"(ss));
        uint64_t gsval;
        __asm__ volatile("mov %%gs:16, %0" : "=r"(gsval));
        printf("sys_check: kernel cs %x ss %x, %%gs:16 %lx\n", cs, ss, gsval);
        check("kernel cs/ss from STAR", cs == GDT_KCODE64 && ss == GDT_KDATA);
        check("GS_BASE is the kernel per-cpu area after swapgs", rdmsr(MSR_GS_BASE) == (uintptr_t)&percpu);
        check("KERNEL_GS_BASE holds the user GS base", rdmsr(MSR_KERNEL_GS_BASE) == (uintptr_t)user_tls);
        check("kernel magic via %gs", gsval == percpu.magic);
        printf("sys_check: user rflags DF=%d, kernel rflags DF=%d IF=%d\n", (uflags & FLAGS_DF) ? 1 : 0,
               (read_flags() & FLAGS_DF) ? 1 : 0, (read_flags() & FLAGS_IF) ? 1 : 0);
        check("user DF set", (uflags & FLAGS_DF) != 0);
        check("SFMASK cleared DF", (read_flags() & FLAGS_DF) == 0);
        printf("sys_check: rcx = user_sys_ret+%lu\n", (unsigned long)(urip - (uintptr_t)user_sys_ret));
        check("rcx is the return address", urip == (uintptr_t)user_sys_ret);
        uint64_t usp = percpu.ustack;
        check("user rsp saved", usp > (uintptr_t)ustack && usp <= (uintptr_t)ustack + sizeof ustack);
        return 0x600D;
    }
    case 4: printf("sys_print: %lx\n", a0); return 0;
    }
    printf("FAIL: bad syscall %lu\n", num);
    failures++;
    return (uint64_t)-1;
}

static void gp_handler(struct int_frame* f) {
    printf("#GP: error %x from ring %u at user_hlt+%ld, stack %s\n", (unsigned)f->error, (unsigned)(f->cs & 3),
           (long)(f->ip - (uintptr_t)user_hlt),
           (uintptr_t)(kstack + sizeof kstack) - (uintptr_t)f == sizeof *f ? "TSS rsp0" : "WRONG");
    check("#GP from ring 3 at hlt", (f->cs & 3) == 3 && f->ip == (uintptr_t)user_hlt);
    f->ip += 1;
}

static inline uint64_t sc(uint64_t n, uint64_t a0, uint64_t a1) {
    __asm__ volatile("syscall" : "+a"(n), "+D"(a0), "+S"(a1) : : "rcx", "r11", "rdx", "r8", "r9", "r10", "memory");
    return n;
}

__attribute__((noinline)) static void user_main(void) {
    sc(1, (uint64_t) "hello from ring 3 via syscall", 0);
    uint16_t cs, ss;
    __asm__ volatile("mov %%cs, %0; mov %%ss, %1" : "=r"(cs), "=r"(ss));
    sc(4, cs, 0);
    sc(4, ss, 0);
    uint64_t gsval;
    __asm__ volatile("mov %%gs:0, %0" : "=r"(gsval));
    sc(4, gsval, 0);
    sc(4, sc(2, 14, 0), 0);
    // DF=1 across the call: the kernel must see it cleared, SYSRET must restore it
    uint64_t n = 3, a0 = 0, a1 = 0, flags;
    __asm__ volatile("std\n syscall\n" LABEL(user_sys_ret) "pushf\n pop %3\n cld\n"
                     : "+a"(n), "+D"(a0), "+S"(a1), "=r"(flags)
                     :
                     : "rcx", "r11", "rdx", "r8", "r9", "r10", "memory");
    sc(4, n, 0);
    sc(4, (flags & FLAGS_DF) ? 1 : 0, 0);
    uint64_t sum = 0;
    for (uint64_t i = 0; i < 1000; i++) sum += sc(2, i, sum & 0xFF);
    sc(4, sum, 0);
    __asm__ volatile(LABEL(user_hlt) "hlt");
    sc(1, (uint64_t) "back in ring 3 after #GP", 0);
    sc(0, 0, 0);
    for (;;) {}
}

void kmain(uint32_t magic, struct multiboot_info* mbi) {
    printf("syscall64\n");
    tss_init((uintptr_t)(kstack + sizeof kstack));
    idt_set_handler(13, gp_handler);
    sdk_boot_pml4[0] |= PTE_U;
    sdk_boot_pdpt[0] |= PTE_U;
    for (int i = 0; i < 512; i++) sdk_boot_pd[i] |= PTE_U;
    write_cr3(read_cr3());

    percpu.kstack = (uintptr_t)(syscall_stack + sizeof syscall_stack);
    percpu.magic = 0xC0FFEE0123456789ull;
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
    wrmsr(MSR_STAR, GDT_STAR_VALUE);
    wrmsr(MSR_LSTAR, (uintptr_t)syscall_entry);
    wrmsr(MSR_SFMASK, FLAGS_IF | FLAGS_DF | FLAGS_TF);
    wrmsr(MSR_GS_BASE, (uintptr_t)user_tls);
    wrmsr(MSR_KERNEL_GS_BASE, (uintptr_t)&percpu);
    printf("STAR %lx SFMASK %lx\n", rdmsr(MSR_STAR), rdmsr(MSR_SFMASK));
    printf("entering ring 3\n");
    uintptr_t usp = (uintptr_t)(ustack + sizeof ustack);
    __asm__ volatile("pushq %0\n pushq %1\n pushq $2\n pushq %2\n pushq %3\n iretq\n" ::"r"((uint64_t)GDT_UDATA),
                     "r"(usp), "r"((uint64_t)GDT_UCODE64), "r"((uintptr_t)user_main)
                     : "memory");
    panic("returned from iretq");
}
