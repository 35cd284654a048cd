// rewind only: the local APIC against the instruction count. A self IPI is taken at the
// instruction boundary right after the store that sends it (a device register write ends
// the CPU's trace there), and the timer fires exactly initial count x divisor instructions
// after the initial count is written (RDTSC is the instruction count on rewind). QEMU
// promises neither, so this guest has only a .rewind.expected.
#include <sdk/sdk.h>

static volatile uint32_t* const lapic = (volatile uint32_t*)0xFEE00000u;
static volatile uint32_t ecx_in_handler = 0xFFFFFFFF;
static volatile uint64_t fired_at;

static void record_ecx(struct int_frame* f) {
    ecx_in_handler = (uint32_t)f->ecx;
    lapic[0xB0 / 4] = 0;
}

static void on_timer(struct int_frame* f) {
    fired_at = rdtsc();
    lapic[0xB0 / 4] = 0;
}

// Runs the timer once and returns how many instructions after the write of the initial
// count its interrupt came, less count x divisor (the handler's and the write's own
// instructions: a small constant of this binary).
static int64_t one_shot(uint32_t tdcr, uint32_t count, uint32_t divisor) {
    lapic[0x3E0 / 4] = tdcr;
    lapic[0x320 / 4] = 0x40;
    fired_at = 0;
    uint64_t start = rdtsc();
    lapic[0x380 / 4] = count;
    while (!fired_at) sti_hlt(), cli();
    return (int64_t)(fired_at - start) - (int64_t)count * divisor;
}

void kmain(uint32_t magic, struct multiboot_info* mbi) {
    cli();
    pic_set_masks(0xFFFF);
    idt_set_handler(0x86, record_ecx);
    idt_set_handler(0x40, on_timer);
    lapic[0xF0 / 4] = 0x1FF;

    for (int i = 0; i < 3; i++) {
        ecx_in_handler = 0xFFFFFFFF;
        __asm__ volatile(
            "movl $0x1111, %%ecx\n\t"
            "sti\n\t"
            "nop\n\t"
            "movl %0, (%1)\n\t"
            "movl $0x2222, %%ecx\n\t"
            "movl $0x3333, %%ecx\n\t"
            "cli"
            :
            : "r"(0x40086u), "r"(&lapic[0x300 / 4])
            : "ecx", "memory");
        printf("self ipi taken right after its store: ecx %x in the handler\n", ecx_in_handler);
    }

    int64_t base = one_shot(0xB, 1000, 1);
    printf("one-shot by 1, count 1000: fired a few instructions (the handler's) past count x divisor: %s\n",
           base > 0 && base < 100 ? "yes" : "no");
    static const struct { uint32_t tdcr, divisor; } divs[] = {{0xB, 1}, {0x0, 2}, {0x1, 4}, {0x2, 8}, {0x3, 16},
                                                             {0x8, 32}, {0x9, 64}, {0xA, 128}};
    for (int i = 0; i < 8; i++) {
        int64_t d = one_shot(divs[i].tdcr, 5000, divs[i].divisor);
        printf("divide by %u, count 5000: %s\n", divs[i].divisor, d == base ? "exact" : "OFF");
    }
    printf("done\n");
}
