// What the small kernels of the SSE task guests (sse_tasks, xsave) share (task_switch.c, built
// without SSE like them): tasks on their own stacks switched by switch_stacks, picked round
// robin, and the faults their tests ask for, recorded and resumed after.
#pragma once
#include <sdk/idt.h>
#include <stdint.h>

#define TASK_STACK_SIZE 16384

// Pushes the callee-saved registers, saves the stack pointer to *old_sp, loads new_sp, pops,
// returns into the other task.
void switch_stacks(uintptr_t* old_sp, uintptr_t new_sp);
// The first stack pointer of a new task whose stack ends at `top`: its first switch_stacks
// returns into task_main (which each kernel defines), on a 16-byte aligned stack.
uintptr_t task_stack_init(uint8_t* top);
void task_main(void);
// The next of tasks 1..ntasks-1 after `current` (round robin) for which runnable(id) holds,
// or 0 (kmain's context) when none does.
int round_robin_next(int current, int ntasks, int (*runnable)(int id));

// For the exception tests: the next fault is recorded and resumes at `resume`.
#define LABEL(name) ".globl " #name "\n" #name ":\n"
extern volatile unsigned fault_vector;
extern volatile uintptr_t fault_ip;
extern volatile int fault_count;
void expect_fault(uintptr_t resume);
// In a handler: records the fault as `vector` and resumes at expect_fault's address, if a
// fault is expected (then 1; else 0).
int take_expected_fault(struct int_frame* f, unsigned vector);
// A handler for the faults the tests raise: an unexpected one dumps the frame and panics.
void fault_handler(struct int_frame* f);
// Prints "WHAT: vector V (NAME) at insn+OFFSET" (OFFSET from `insn`) or "WHAT: no fault".
void report_fault(const char* what, const char* insn);
