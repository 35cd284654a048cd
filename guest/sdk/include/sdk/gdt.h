// The SDK's GDT (loaded by the entry code) and the TSS for ring transitions.
#pragma once
#include <stdint.h>

#define GDT_KCODE32 0x08
#define GDT_KCODE64 0x10
#define GDT_KDATA 0x18
#define GDT_UCODE32 0x23  // RPL 3
#define GDT_UDATA 0x2B    // RPL 3
#define GDT_UCODE64 0x33  // RPL 3
#define GDT_TSS 0x38
#define GDT_ENTRIES 10
// SYSCALL/SYSRET layout: STAR[47:32] = GDT_KCODE64 (SS = +8 = KDATA),
// STAR[63:48] = GDT_UCODE32 & ~3 (SYSRET64: SS = +8 = UDATA, CS = +16 = UCODE64).
#define GDT_STAR_VALUE (((uint64_t)(GDT_UCODE32 & ~3) << 48) | ((uint64_t)GDT_KCODE64 << 32))

#ifdef __x86_64__
struct tss {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
} __attribute__((packed));
#else
struct tss {
    uint32_t link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags;
    uint32_t eax, ecx, edx, ebx, esp, ebp, esi, edi;
    uint32_t es, cs, ss, ds, fs, gs, ldt;
    uint16_t trap, iomap_base;
} __attribute__((packed));
#endif

extern uint64_t sdk_gdt[GDT_ENTRIES];
extern struct tss sdk_tss;

// Writes the TSS descriptor, sets the ring-0 stack and loads TR.
void tss_init(uintptr_t kernel_stack_top);
// Enters ring 3 at `entry` with the stack at `user_stack_top` (IRET with the user segments,
// IOPL 0, interrupts off); in 64-bit mode the boot page tables' first 1 GiB becomes
// user-accessible first. Does not return.
void enter_ring3(void (*entry)(void), uintptr_t user_stack_top) __attribute__((noreturn));
// Writes the TSS descriptor for a TSS of the guest's own (one with an I/O permission bitmap
// after it, say) whose last byte is at `tss` + `limit`, and loads TR with it.
void tss_load(void* tss, uint32_t limit);
void tss_set_kernel_stack(uintptr_t top);
#ifdef __x86_64__
void tss_set_ist(int n, uintptr_t top);  // n = 1..7
#endif
