/* 64-bit interrupt stubs for all 256 vectors and the common entry. */
    .altmacro
    .macro ISR vec
    .balign 16
isr_stub_\vec:
    .if (\vec == 8) || (\vec == 10) || (\vec == 11) || (\vec == 12) || (\vec == 13) || (\vec == 14) || (\vec == 17) || (\vec == 21) || (\vec == 29) || (\vec == 30)
    .else
    pushq $0
    .endif
    pushq $\vec
    jmp isr_common
    .endm

    .macro STUBADDR vec
    .quad isr_stub_\vec
    .endm

    .section .text
    .code64
isr_common:
    push %rax
    push %rbx
    push %rcx
    push %rdx
    push %rsi
    push %rdi
    push %rbp
    push %r8
    push %r9
    push %r10
    push %r11
    push %r12
    push %r13
    push %r14
    push %r15
    mov %rsp, %rdi
    cld
    call sdk_isr_dispatch
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %r11
    pop %r10
    pop %r9
    pop %r8
    pop %rbp
    pop %rdi
    pop %rsi
    pop %rdx
    pop %rcx
    pop %rbx
    pop %rax
    add $16, %rsp               /* vector, error code */
    iretq

    .set i, 0
    .rept 256
    ISR %i
    .set i, i + 1
    .endr

    .section .data
    .balign 8
    .globl sdk_isr_stubs
sdk_isr_stubs:
    .set i, 0
    .rept 256
    STUBADDR %i
    .set i, i + 1
    .endr
