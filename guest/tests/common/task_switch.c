// See task_switch.h. Integer-only: built with the SDK's flags.
#include "task_switch.h"

#include <sdk/sdk.h>

volatile unsigned fault_vector;
volatile uintptr_t fault_ip;
volatile int fault_count;
static volatile uintptr_t fault_resume;

void task_trampoline(void);
#ifdef __x86_64__
__asm__(".text\n.globl switch_stacks\nswitch_stacks:\n"
        "push %rbp\n push %rbx\n push %r12\n push %r13\n push %r14\n push %r15\n"
        "mov %rsp, (%rdi)\n mov %rsi, %rsp\n"
        "pop %r15\n pop %r14\n pop %r13\n pop %r12\n pop %rbx\n pop %rbp\n ret\n");
#define SAVED_REGS 6
// The stack pointer is 16-byte aligned at `call`, as the ABI wants.
__asm__(".text\n.globl task_trampoline\ntask_trampoline:\n and $-16, %rsp\n call task_main\n ud2\n");
#else
__asm__(".text\n.globl switch_stacks\nswitch_stacks:\n"
        "mov 4(%esp), %eax\n mov 8(%esp), %edx\n"
        "push %ebp\n push %ebx\n push %esi\n push %edi\n"
        "mov %esp, (%eax)\n mov %edx, %esp\n"
        "pop %edi\n pop %esi\n pop %ebx\n pop %ebp\n ret\n");
#define SAVED_REGS 4
__asm__(".text\n.globl task_trampoline\ntask_trampoline:\n and $-16, %esp\n call task_main\n ud2\n");
#endif

uintptr_t task_stack_init(uint8_t* top) {
    uintptr_t* sp = (uintptr_t*)top;
    *--sp = (uintptr_t)task_trampoline;
    for (int i = 0; i < SAVED_REGS; i++) *--sp = 0;
    return (uintptr_t)sp;
}

int round_robin_next(int current, int ntasks, int (*runnable)(int id)) {
    for (int k = 1; k <= ntasks - 1; k++) {
        int c = 1 + (current - 1 + k + (ntasks - 1)) % (ntasks - 1);
        if (runnable(c)) return c;
    }
    return 0;
}

void expect_fault(uintptr_t resume) {
    fault_count = 0;
    fault_vector = 0;
    fault_resume = resume;
}

int take_expected_fault(struct int_frame* f, unsigned vector) {
    if (!fault_resume) return 0;
    fault_vector = vector;
    fault_ip = f->ip;
    fault_count++;
    f->ip = fault_resume;
    fault_resume = 0;
    return 1;
}

void fault_handler(struct int_frame* f) {
    if (!take_expected_fault(f, (unsigned)f->vector)) {
        dump_frame(f);
        panic("unexpected fault");
    }
}

void report_fault(const char* what, const char* insn) {
    if (fault_count)
        printf("%s: vector %u (%s) at insn%+ld\n", what, fault_vector, exception_name((int)fault_vector),
               (long)(fault_ip - (uintptr_t)insn));
    else
        printf("%s: no fault\n", what);
}
