// xsave's kernel (see kernel.h). Integer-only: built with the SDK's flags.
#include "kernel.h"

#include <sdk/sdk.h>

struct task tasks[MAX_TASKS];
volatile int current_task = MAIN_TASK;
uint32_t xsave_size;
struct switch_stats switch_stats;

static uint8_t stacks[MAX_TASKS][TASK_STACK_SIZE] __attribute__((aligned(16)));
static uint8_t areas[MAX_TASKS][AREA_MAX] __attribute__((aligned(64)));

#ifdef __x86_64__
#define XS "64"
#else
#define XS ""
#endif

void xsave(void* area, uint64_t mask) {
    __asm__ volatile("xsave" XS " (%0)" ::"r"(area), "a"((uint32_t)mask), "d"((uint32_t)(mask >> 32)) : "memory");
}
void xsaveopt(void* area, uint64_t mask) {
    __asm__ volatile("xsaveopt" XS " (%0)" ::"r"(area), "a"((uint32_t)mask), "d"((uint32_t)(mask >> 32)) : "memory");
}
void xrstor(const void* area, uint64_t mask) {
    __asm__ volatile("xrstor" XS " (%0)" ::"r"(area), "a"((uint32_t)mask), "d"((uint32_t)(mask >> 32)) : "memory");
}
uint64_t xgetbv(uint32_t xcr) {
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(xcr));
    return (uint64_t)hi << 32 | lo;
}
void xsetbv(uint32_t xcr, uint64_t value) {
    __asm__ volatile("xsetbv" ::"c"(xcr), "a"((uint32_t)value), "d"((uint32_t)(value >> 32)) : "memory");
}

static void task_exit(void);

// A new task's first return from switch_stacks lands here.
void task_main(void) {
    struct task* t = &tasks[current_task];
    t->entry(t->arg);
    task_exit();
}

static void init_area(uint8_t* a, uint32_t mxcsr) {
    memset(a, 0, AREA_MAX);
    memcpy(a + 24, &mxcsr, 4);  // XSTATE_BV 0: XRSTOR initializes x87 and SSE, loads MXCSR
}

void task_create(int id, const char* name, void (*entry)(int), int arg, uint32_t mxcsr) {
    struct task* t = &tasks[id];
    t->name = name;
    t->entry = entry;
    t->arg = arg;
    t->state = 1;
    init_area(t->area, mxcsr);
    t->sp = task_stack_init(stacks[id] + TASK_STACK_SIZE);
}

// The eager switch: the running task's state to its area, the next one's from its area.
static void switch_to(int next) {
    int prev = current_task;
    if (next == prev) return;
    switch_stats.switches++;
    if (switch_stats.switches & 1) {
        xsave(tasks[prev].area, ~0ull);
        switch_stats.xsaves++;
    } else {
        xsaveopt(tasks[prev].area, ~0ull);
        switch_stats.xsaveopts++;
    }
    xrstor(tasks[next].area, ~0ull);
    switch_stats.xrstors++;
    current_task = next;
    switch_stacks(&tasks[prev].sp, tasks[next].sp);
}

static int runnable(int id) { return tasks[id].state == 1; }
static int pick_next(void) { return round_robin_next(current_task, MAX_TASKS, runnable); }

void yield(void) { switch_to(pick_next()); }

static void task_exit(void) {
    tasks[current_task].state = 2;
    switch_to(pick_next());
    panic("a finished task was resumed");
}

void sched_run(void) { switch_to(pick_next()); }

void kernel_init(void) {
    for (int i = 0; i < MAX_TASKS; i++) tasks[i].area = areas[i];
    tasks[MAIN_TASK].name = "main";
    tasks[MAIN_TASK].state = 1;
    idt_set_handler(6, fault_handler);
    idt_set_handler(7, fault_handler);
    idt_set_handler(13, fault_handler);
}
