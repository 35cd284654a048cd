// xsave's kernel (kernel.c, built without SSE: no kernel path touches an xmm register): the
// XSAVE feature set enabled as an operating system enables it, and tasks on their own stacks
// switched cooperatively with their x87 and SSE state switched eagerly: yield() saves the
// running task's state to its XSAVE area (XSAVE, or XSAVEOPT every other time) and loads the
// next task's (XRSTOR), with EDX:EAX all ones (whatever XCR0 enables).
#pragma once
#include <stdint.h>

#include "task_switch.h"

#define MAX_TASKS 3
#define MAIN_TASK 0
#define AREA_MAX 4096  // bytes per task's XSAVE area (CPUID.(0xD,0):EBX must fit)

#define CPUID1_ECX_XSAVE (1u << 26)
#define CPUID1_ECX_OSXSAVE (1u << 27)
#define CR4_OSXSAVE (1u << 18)

struct task {
    uintptr_t sp;  // saved stack pointer while switched out
    uint8_t* area;  // its XSAVE area (64-byte aligned)
    const char* name;
    void (*entry)(int arg);
    int arg;
    int state;  // 0 unused, 1 runnable, 2 finished
};

extern struct task tasks[MAX_TASKS];
extern volatile int current_task;
extern uint32_t xsave_size;  // CPUID.(0xD,0):EBX once XCR0 is set

// Counters of the switching.
struct switch_stats {
    uint32_t switches, xsaves, xsaveopts, xrstors;
};
extern struct switch_stats switch_stats;

// The instructions (64-bit code: the REX.W forms, 64-bit FIP and FDP).
void xsave(void* area, uint64_t mask);
void xsaveopt(void* area, uint64_t mask);
void xrstor(const void* area, uint64_t mask);
uint64_t xgetbv(uint32_t xcr);
void xsetbv(uint32_t xcr, uint64_t value);

// Tasks 1.. : its area starts as XRSTOR's initial configuration for x87 and SSE (XSTATE_BV 0)
// with MXCSR `mxcsr`, which XRSTOR loads all the same.
void task_create(int id, const char* name, void (*entry)(int), int arg, uint32_t mxcsr);
// Runs the created tasks round robin until all have finished, then returns to kmain's
// context (its x87 and SSE state saved and loaded like the others').
void sched_run(void);
void yield(void);
void kernel_init(void);
// The exception tests' faults (#UD, #NM, #GP): expect_fault, report_fault (task_switch.h).
