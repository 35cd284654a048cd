/* 32-bit interrupt stubs for all 256 vectors and the common entry. */
    .altmacro
    .macro ISR vec
    .balign 16
isr_stub_\vec:
    .if (\vec == 8) || (\vec == 10) || (\vec == 11) || (\vec == 12) || (\vec == 13) || (\vec == 14) || (\vec == 17) || (\vec == 21) || (\vec == 29) || (\vec == 30)
    .else
    pushl $0
    .endif
    pushl $\vec
    jmp isr_common
    .endm

    .macro STUBADDR vec
    .long isr_stub_\vec
    .endm

    .section .text
    .code32
isr_common:
    pusha
    push %ds
    push %es
    push %fs
    push %gs
    mov $0x18, %ax
    mov %ax, %ds
    mov %ax, %es
    cld
    push %esp
    call sdk_isr_dispatch
    add $4, %esp
    pop %gs
    pop %fs
    pop %es
    pop %ds
    popa
    add $8, %esp                /* vector, error code */
    iret

    .set i, 0
    .rept 256
    ISR %i
    .set i, i + 1
    .endr

    .section .data
    .balign 4
    .globl sdk_isr_stubs
sdk_isr_stubs:
    .set i, 0
    .rept 256
    STUBADDR %i
    .set i, i + 1
    .endr
