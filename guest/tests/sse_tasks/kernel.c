// sse_tasks' kernel (see kernel.h). Integer-only: built with the SDK's flags.
#include "kernel.h"

#include <sdk/sdk.h>

struct task tasks[MAX_TASKS];
volatile int current_task = MAIN_TASK;
volatile int fpu_owner = MAIN_TASK;
struct fpu_stats fpu_stats;
int nm_log_task[NM_LOG], nm_log_prev_owner[NM_LOG];
volatile int nm_log_len;
static volatile int preempting;

static uint8_t stacks[MAX_TASKS][TASK_STACK_SIZE] __attribute__((aligned(16)));

static void task_exit(void);

// A new task's first return from switch_stacks lands here, interrupts disabled.
void task_main(void) {
    struct task* t = &tasks[current_task];
    sti();
    t->entry(t->arg);
    task_exit();
}

static void init_fx(struct fxsave_area* fx) {
    memset(fx, 0, sizeof *fx);
    fx->fcw = 0x037F;  // the x87 control word after FNINIT
    fx->mxcsr = MXCSR_DEFAULT;
}

void task_create(int id, const char* name, void (*entry)(int), int arg) {
    struct task* t = &tasks[id];
    memset(t, 0, sizeof *t);
    t->name = name;
    t->entry = entry;
    t->arg = arg;
    t->state = 1;
    init_fx(&t->fx);
    t->sp = task_stack_init(stacks[id] + TASK_STACK_SIZE);
}

// Switches from the current task to `next` (interrupts disabled).
static void switch_to(int next) {
    int prev = current_task;
    if (next == prev) return;
    fpu_stats.switches++;
    uintptr_t cr0 = read_cr0();
    if (next != fpu_owner) {
        write_cr0(cr0 | CR0_TS);
        fpu_stats.ts_set++;
    } else {
        write_cr0(cr0 & ~(uintptr_t)CR0_TS);  // its state is still in the registers
    }
    current_task = next;
    switch_stacks(&tasks[prev].sp, tasks[next].sp);
}

static int runnable(int id) { return tasks[id].state == 1; }

// The next runnable task after the current one (tasks are 1..MAX_TASKS-1, round robin), or
// MAIN_TASK when none is left.
static int pick_next(void) { return round_robin_next(current_task, MAX_TASKS, runnable); }

void yield(void) {
    uintptr_t flags = read_flags();
    cli();
    switch_to(pick_next());
    if (flags & FLAGS_IF) sti();
}

static void task_exit(void) {
    cli();
    tasks[current_task].state = 2;
    if (fpu_owner == current_task) fpu_owner = -1;  // its state dies with it
    switch_to(pick_next());
    panic("a finished task was resumed");
}

static void timer_irq(struct int_frame* f) {
    pic_eoi(0);
    if (!preempting || current_task == MAIN_TASK) return;
    int next = pick_next();
    if (next == current_task || next == MAIN_TASK) return;
    tasks[current_task].preempted++;
    switch_to(next);  // returns when this task is picked again, then irets into it
}

static void nm_handler(struct int_frame* f) {
    fpu_stats.nm++;
    tasks[current_task].nm++;
    if (nm_log_len < NM_LOG) {
        nm_log_task[nm_log_len] = current_task;
        nm_log_prev_owner[nm_log_len] = fpu_owner;
        nm_log_len++;
    }
    clts();
    if (take_expected_fault(f, 7)) return;  // an #NM the exception tests asked for
    if (fpu_owner == current_task) return;
    if (fpu_owner >= 0) {
        fxsave(&tasks[fpu_owner].fx);
        fpu_stats.saves++;
    }
    fxrstor(&tasks[current_task].fx);
    fpu_stats.restores++;
    fpu_owner = current_task;
}

void kernel_init(void) {
    tasks[MAIN_TASK].name = "main";
    tasks[MAIN_TASK].state = 1;
    init_fx(&tasks[MAIN_TASK].fx);
    idt_set_handler(IDT_VEC_NM, nm_handler);
    idt_set_handler(6, fault_handler);
    idt_set_handler(13, fault_handler);
    irq_init();
    // IRQ 0 straight from the IDT: the EOI goes out before a switch, not when this task is
    // resumed (the SDK's IRQ dispatch sends it after the handler returns).
    idt_set_handler(IRQ_BASE + 0, timer_irq);
}

void sched_run(uint32_t hz) {
    cli();
    if (hz) {
        pit_set_periodic(0, 2, hz);
        pic_unmask(0);
        preempting = 1;
    }
    switch_to(pick_next());
    // Back in kmain: every task has finished.
    preempting = 0;
    pic_mask(0);
    sti();
}
