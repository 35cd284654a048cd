// Multiboot v1 information structure (as handed to kmain).
#pragma once
#include <stdint.h>

#define MULTIBOOT_BOOTLOADER_MAGIC 0x2BADB002u

#define MB_INFO_MEMORY (1u << 0)
#define MB_INFO_CMDLINE (1u << 2)
#define MB_INFO_MODS (1u << 3)
#define MB_INFO_MEM_MAP (1u << 6)

struct multiboot_info {
    uint32_t flags;
    uint32_t mem_lower;  // KiB
    uint32_t mem_upper;  // KiB
    uint32_t boot_device;
    uint32_t cmdline;
    uint32_t mods_count;
    uint32_t mods_addr;
    uint32_t syms[4];
    uint32_t mmap_length;
    uint32_t mmap_addr;
    uint32_t drives_length;
    uint32_t drives_addr;
    uint32_t config_table;
    uint32_t boot_loader_name;
    uint32_t apm_table;
} __attribute__((packed));

struct multiboot_mmap_entry {
    uint32_t size;  // size of the rest of the entry (usually 20)
    uint64_t addr;
    uint64_t len;
    uint32_t type;  // 1 = available RAM
} __attribute__((packed));

// Saved by the runtime before kmain.
extern uint32_t mb_magic;
extern struct multiboot_info* mb_info;

// The guest's entry point, provided by each guest. Returning from it exits with code 0.
void kmain(uint32_t magic, struct multiboot_info* mbi);

// Iterate the memory map: for (e = mb_mmap_first(); e; e = mb_mmap_next(e)).
struct multiboot_mmap_entry* mb_mmap_first(void);
struct multiboot_mmap_entry* mb_mmap_next(struct multiboot_mmap_entry* e);
