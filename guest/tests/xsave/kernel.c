// xsave's kernel (see kernel.h). Integer-only: built with the SDK's flags.
#include "kernel.h"

#include <sdk/sdk.h>

struct task tasks[MAX_TASKS];
volatile int current_task = MAIN_TASK;
uint32_t xsave_size;
struct switch_stats switch_stats;
volatile unsigned fault_vector;
volatile uintptr_t fault_ip;
volatile int fault_count;
static volatile uintptr_t fault_resume;

#define STACK_SIZE 16384
static uint8_t stacks[MAX_TASKS][STACK_SIZE] __attribute__((aligned(16)));
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

// switch_stacks(&old_sp, new_sp): pushes the callee-saved registers, saves the stack pointer,
// loads the new one, pops, returns into the other task.
void switch_stacks(uintptr_t* old_sp, uintptr_t new_sp);
void task_trampoline(void);
#ifdef __x86_64__
__asm__(".text\n.globl switch_stacks\nswitch_stacks:\n"
        "push %rbp\n push %rbx\n push %r12\n push %r13\n push %r14\n push %r15\n"
        "mov %rsp, (%rdi)\n mov %rsi, %rsp\n"
        "pop %r15\n pop %r14\n pop %r13\n pop %r12\n pop %rbx\n pop %rbp\n ret\n");
#define SAVED_REGS 6
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

static void task_exit(void);

void task_main(void);
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
    uintptr_t* sp = (uintptr_t*)(stacks[id] + STACK_SIZE);
    *--sp = (uintptr_t)task_trampoline;
    for (int i = 0; i < SAVED_REGS; i++) *--sp = 0;
    t->sp = (uintptr_t)sp;
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

static int pick_next(void) {
    for (int k = 1; k <= MAX_TASKS - 1; k++) {
        int c = 1 + (current_task - 1 + k + (MAX_TASKS - 1)) % (MAX_TASKS - 1);
        if (tasks[c].state == 1) return c;
    }
    return MAIN_TASK;
}

void yield(void) { switch_to(pick_next()); }

static void task_exit(void) {
    tasks[current_task].state = 2;
    switch_to(pick_next());
    panic("a finished task was resumed");
}

void sched_run(void) { switch_to(pick_next()); }

static void fault_handler(struct int_frame* f) {
    if (!fault_resume) {
        dump_frame(f);
        panic("unexpected fault");
    }
    fault_vector = (unsigned)f->vector;
    fault_ip = f->ip;
    fault_count++;
    f->ip = fault_resume;
    fault_resume = 0;
}

void expect_fault(uintptr_t resume) {
    fault_count = 0;
    fault_vector = 0;
    fault_resume = resume;
}

void kernel_init(void) {
    for (int i = 0; i < MAX_TASKS; i++) tasks[i].area = areas[i];
    tasks[MAIN_TASK].name = "main";
    tasks[MAIN_TASK].state = 1;
    idt_set_handler(6, fault_handler);
    idt_set_handler(7, fault_handler);
    idt_set_handler(13, fault_handler);
}
