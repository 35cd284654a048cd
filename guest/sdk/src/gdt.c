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
