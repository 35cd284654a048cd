/* 64-bit entry. The ELF is x86-64 but _start is 32-bit code (the multiboot loader
   enters in protected mode): load the GDT, zero .bss, identity-map the first 1 GiB
   with 2 MiB pages, enable PAE + EFER.LME + paging, far-jump to 64-bit code and call
   sdk_start(magic, info). */
#include "multiboot_header.inc"
#include "gdt_table.inc"

    .section .bss
    .balign 4096
    .globl sdk_boot_pml4, sdk_boot_pdpt, sdk_boot_pd
sdk_boot_pml4: .skip 4096
sdk_boot_pdpt: .skip 4096
sdk_boot_pd:   .skip 4096
    .balign 16
    .globl sdk_stack, sdk_stack_top
sdk_stack:
    .skip 65536
sdk_stack_top:

    .section .text32, "ax"
    .code32
    .globl _start
    .type _start, @function
_start:
    cli
    cld
    mov %eax, %esi              /* multiboot magic; %ebx = info, both kept */
    lgdt sdk_gdtr
    ljmp $0x08, $1f
1:  mov $0x18, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov %ax, %fs
    mov %ax, %gs
    mov $__bss_start, %edi
    mov $__bss_end, %ecx
    sub %edi, %ecx
    xor %eax, %eax
    rep stosb
#include "sse_enable.inc"
#include "x87_enable.inc"

    mov $sdk_boot_pdpt + 3, %eax          /* PML4[0] -> PDPT, present + writable */
    mov %eax, sdk_boot_pml4
    mov $sdk_boot_pd + 3, %eax            /* PDPT[0] -> PD */
    mov %eax, sdk_boot_pdpt
    mov $sdk_boot_pd, %edi                /* PD[i] = i * 2 MiB, P|W|PS */
    mov $0x83, %eax
    mov $512, %ecx
2:  mov %eax, (%edi)
    movl $0, 4(%edi)
    add $0x200000, %eax
    add $8, %edi
    dec %ecx
    jnz 2b

    mov %cr4, %eax
    or $0x20, %eax                        /* CR4.PAE */
    mov %eax, %cr4
    mov $sdk_boot_pml4, %eax
    mov %eax, %cr3
    mov $0xC0000080, %ecx                 /* EFER.LME */
    rdmsr
    or $0x100, %eax
    wrmsr
    mov %cr0, %eax
    or $0x80000001, %eax                  /* CR0.PG | PE */
    mov %eax, %cr0
    ljmp $0x10, $long_mode_entry
    .size _start, . - _start

    .section .text
    .code64
long_mode_entry:
    mov $0x18, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    mov %ax, %fs
    mov %ax, %gs
    mov $sdk_stack_top, %rsp
    xor %ebp, %ebp
    mov %esi, %edi              /* magic */
    mov %ebx, %esi              /* info (zero-extended physical address) */
    call sdk_start
3:  cli
    hlt
    jmp 3b
