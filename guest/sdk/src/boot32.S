/* 32-bit entry: multiboot header, GDT, zeroed .bss, stack, then sdk_start(magic, info). */
#include "multiboot_header.inc"
#include "gdt_table.inc"

    .section .bss
    .balign 16
    .globl sdk_stack, sdk_stack_top
sdk_stack:
    .skip 65536
sdk_stack_top:

    .section .text
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
    mov $__bss_start, %edi      /* zero .bss (the loader should have, but be sure) */
    mov $__bss_end, %ecx
    sub %edi, %ecx
    xor %eax, %eax
    rep stosb
#include "sse_enable.inc"
#include "x87_enable.inc"
    mov $sdk_stack_top, %esp
    xor %ebp, %ebp
#ifdef SDK_SSE
    sub $8, %esp                /* %esp 16-byte aligned at the call, as the i386 ABI says */
#endif
    push %ebx
    push %esi
    call sdk_start
2:  cli
    hlt
    jmp 2b
    .size _start, . - _start
