// IDT with one assembly stub per vector (0-255); stubs build an int_frame and call the
// C handler registered for that vector. Handlers may modify the frame (registers, ip)
// before it is restored by iret/iretq.
#pragma once
#include <stdint.h>

#ifdef __x86_64__
struct int_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx;
    union { uint64_t rbx, rbx_or_ebx; };
    union { uint64_t rax, rax_or_eax; };
    uint64_t vector, error;
    uint64_t ip, cs, flags, sp, ss;  // pushed by the CPU (sp/ss always in long mode)
};
#else
struct int_frame {
    uint32_t gs, fs, es, ds;
    uint32_t edi, esi, ebp, esp_unused;
    union { uint32_t ebx, rbx_or_ebx; };
    uint32_t edx, ecx;
    union { uint32_t eax, rax_or_eax; };
    uint32_t vector, error;
    uint32_t ip, cs, flags;
    uint32_t sp, ss;  // only valid when the interrupt came from ring 3
};
#endif

typedef void (*int_handler_t)(struct int_frame* f);

#define IDT_INTERRUPT_GATE 0x8E  // present, DPL 0, interrupt gate (IF cleared)
#define IDT_TRAP_GATE 0x8F       // present, DPL 0, trap gate

// Loads an IDT whose 256 gates point to the SDK stubs (interrupt gates, DPL 0); every
// vector without a handler panics with a register dump. Called by the runtime.
void idt_init(void);
void idt_set_gate(int vector, uintptr_t target, uint16_t selector, uint8_t type_attr);
void idt_set_dpl(int vector, int dpl);  // e.g. 3 for INT 0x80 from user mode
void idt_set_handler(int vector, int_handler_t handler);
uintptr_t idt_stub(int vector);  // address of the SDK stub for a vector
const char* exception_name(int vector);
void dump_frame(const struct int_frame* f);

extern uintptr_t sdk_isr_stubs[256];
