// TSS descriptor setup (the GDT itself is defined and loaded by the entry code).
#include <sdk/sdk.h>

struct tss sdk_tss __attribute__((aligned(16)));

void tss_set_kernel_stack(uintptr_t top) {
#ifdef __x86_64__
    sdk_tss.rsp[0] = top;
#else
    sdk_tss.esp0 = top;
    sdk_tss.ss0 = GDT_KDATA;
#endif
}

#ifdef __x86_64__
void tss_set_ist(int n, uintptr_t top) { sdk_tss.ist[n - 1] = top; }
#endif

void tss_init(uintptr_t kernel_stack_top) {
    memset(&sdk_tss, 0, sizeof sdk_tss);
    tss_set_kernel_stack(kernel_stack_top);
    sdk_tss.iomap_base = sizeof sdk_tss;  // no I/O bitmap
    tss_load(&sdk_tss, sizeof sdk_tss - 1);
}

void enter_ring3(void (*entry)(void), uintptr_t usp) {
#ifdef __x86_64__
    // the boot page tables are supervisor-only: let ring 3 use the first 1 GiB
    sdk_boot_pml4[0] |= PTE_U;
    sdk_boot_pdpt[0] |= PTE_U;
    for (int i = 0; i < 512; i++) sdk_boot_pd[i] |= PTE_U;
    write_cr3(read_cr3());
    __asm__ volatile("pushq %0\n pushq %1\n pushq $2\n pushq %2\n pushq %3\n iretq\n" ::"r"((uint64_t)GDT_UDATA),
                     "r"(usp), "r"((uint64_t)GDT_UCODE64), "r"((uintptr_t)entry)
                     : "memory");
#else
    __asm__ volatile("mov %0, %%ds\n mov %0, %%es\n mov %0, %%fs\n mov %0, %%gs\n"
                     "pushl %0\n pushl %1\n pushl $2\n pushl %2\n pushl %3\n iret\n" ::"r"((uint32_t)GDT_UDATA),
                     "r"(usp), "r"((uint32_t)GDT_UCODE32), "r"((uintptr_t)entry)
                     : "memory");
#endif
    __builtin_unreachable();
}

void tss_load(void* tss, uint32_t limit_bytes) {
    uint64_t base = (uintptr_t)tss;
    uint64_t limit = limit_bytes;
    // available 32/64-bit TSS (type 9), present, DPL 0
    sdk_gdt[GDT_TSS / 8] = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) | (0x89ull << 40) |
                           (((limit >> 16) & 0xF) << 48) | (((base >> 24) & 0xFF) << 56);
#ifdef __x86_64__
    sdk_gdt[GDT_TSS / 8 + 1] = base >> 32;
#endif
    __asm__ volatile("ltr %w0" ::"r"((uint16_t)GDT_TSS) : "memory");
}
