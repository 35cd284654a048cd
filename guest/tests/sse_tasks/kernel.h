// sse_tasks' kernel: tasks on their own stacks, switched cooperatively (yield) or by the
// timer (IRQ 0), with the SSE state switched lazily as an OS does: a switch to a task that
// does not own the SSE registers sets CR0.TS; its first SSE instruction raises #NM, whose
// handler clears TS (CLTS), saves the owner's state (FXSAVE) and loads the task's (FXRSTOR).
// Built without SSE (kernel.c is in a library with the SDK's integer-only flags), so no
// kernel path touches an xmm register.
#pragma once
#include <sdk/fpu.h>
#include <stdint.h>

#include "task_switch.h"

#define MAX_TASKS 6
#define MAIN_TASK 0  // kmain's context: the SSE state it had when sched_run was called

struct task {
    uintptr_t sp;  // saved stack pointer while switched out
    struct fxsave_area fx;
    const char* name;
    void (*entry)(int arg);
    int arg;
    int state;                    // 0 unused, 1 runnable, 2 finished
    volatile uint32_t preempted;  // times the timer switched it out
    uint32_t nm;                  // #NM taken while it ran
};

extern struct task tasks[MAX_TASKS];
extern volatile int current_task;
extern volatile int fpu_owner;  // whose state the SSE registers hold (-1: nobody's)

// Counters of the lazy switching.
struct fpu_stats {
    uint32_t switches;        // task switches
    uint32_t ts_set;          // switches that set CR0.TS (to a task not owning the registers)
    uint32_t nm;              // #NM taken
    uint32_t saves, restores; // FXSAVE and FXRSTOR done by the #NM handler
};
extern struct fpu_stats fpu_stats;

// The #NM handler's log (cooperative runs are deterministic, so it can be printed).
#define NM_LOG 64
extern int nm_log_task[NM_LOG], nm_log_prev_owner[NM_LOG];
extern volatile int nm_log_len;

// Tasks 1.. : name, entry (called with arg; returning ends the task). The task's SSE state
// starts as after reset (MXCSR 0x1F80, xmm registers zero).
void task_create(int id, const char* name, void (*entry)(int), int arg);
// Runs the created tasks round robin until all have finished, then returns (to kmain's
// context, whose SSE state is given back on its next SSE instruction). hz > 0: the timer
// preempts them at hz; 0: they switch only when they yield.
void sched_run(uint32_t hz);
void yield(void);
// The IDT handlers: #NM (lazy switching), set up by kernel_init.
void kernel_init(void);
// The exception tests' faults (#UD, #NM, #GP): expect_fault, report_fault (task_switch.h).
