// The demo guest: greeting, command line, memory sizes and the memory map.
#include <sdk/sdk.h>

void kmain(uint32_t magic, struct multiboot_info* mbi) {
    printf("Hello from a %d-bit rewind guest!\n", GUEST_BITS);
    if (magic != MULTIBOOT_BOOTLOADER_MAGIC) {
        printf("FAIL: bad multiboot magic %x\n", magic);
        exit_emulator(1);
    }
#ifdef __x86_64__
    printf("long mode: EFER.LMA=%d\n", (rdmsr(MSR_EFER) & EFER_LMA) ? 1 : 0);
#endif
    printf("cmdline args: '%s'\n", cmdline_args());
    if (mbi->flags & MB_INFO_MEMORY)
        printf("mem_lower = %u KiB, mem_upper = %u KiB\n", mbi->mem_lower, mbi->mem_upper);
    else
        printf("no memory info\n");
    int n = 0;
    // Entries above 4 GiB (QEMU adds a reserved HyperTransport hole for some CPU models)
    // are left out so that the output does not depend on the CPU model.
    for (struct multiboot_mmap_entry* e = mb_mmap_first(); e; e = mb_mmap_next(e), n++)
        if (e->addr < 0x100000000ull)
            printf("mmap[%d]: base %016llx length %016llx type %u\n", n, (unsigned long long)e->addr,
               (unsigned long long)e->len, e->type);
    if (n == 0) printf("no memory map\n");
    printf("PASS\n");
    exit_emulator(0);
}
