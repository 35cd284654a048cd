// Called by the entry code: remember the multiboot info, bring up the console and the
// IDT, run kmain, exit with code 0 when it returns.
#include <sdk/sdk.h>

uint32_t mb_magic;
struct multiboot_info* mb_info;

void sdk_start(uint32_t magic, uintptr_t info);

void sdk_start(uint32_t magic, uintptr_t info) {
    mb_magic = magic;
    mb_info = (struct multiboot_info*)info;
    serial_init();
    idt_init();
    kmain(magic, mb_info);
    exit_emulator(0);
}

struct multiboot_mmap_entry* mb_mmap_first(void) {
    if (mb_magic != MULTIBOOT_BOOTLOADER_MAGIC || !mb_info || !(mb_info->flags & MB_INFO_MEM_MAP) ||
        mb_info->mmap_length == 0)
        return 0;
    return (struct multiboot_mmap_entry*)(uintptr_t)mb_info->mmap_addr;
}

struct multiboot_mmap_entry* mb_mmap_next(struct multiboot_mmap_entry* e) {
    uintptr_t next = (uintptr_t)e + e->size + 4;
    if (next >= (uintptr_t)mb_info->mmap_addr + mb_info->mmap_length) return 0;
    return (struct multiboot_mmap_entry*)next;
}
