// sse_tasks' kernel (see kernel.h). Integer-only: built with the SDK's flags.
#include "kernel.h"

#include <sdk/sdk.h>

struct task tasks[MAX_TASKS];
volatile int current_task = MAIN_TASK;
volatile int fpu_owner = MAIN_TASK;
struct fpu_stats fpu_stats;
int nm_log_task[NM_LOG], nm_log_prev_owner[NM_LOG];
volatile int nm_log_len;
volatile unsigned fault_vector;
volatile uintptr_t fault_ip;
volatile int fault_count;
static volatile uintptr_t fault_resume;
static volatile int preempting;

#define STACK_SIZE 16384
static uint8_t stacks[MAX_TASKS][STACK_SIZE] __attribute__((aligned(16)));

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
#else
__asm__(".text\n.globl switch_stacks\nswitch_stacks:\n"
        "mov 4(%esp), %eax\n mov 8(%esp), %edx\n"
        "push %ebp\n push %ebx\n push %esi\n push %edi\n"
        "mov %esp, (%eax)\n mov %edx, %esp\n"
        "pop %edi\n pop %esi\n pop %ebx\n pop %ebp\n ret\n");
#define SAVED_REGS 4
#endif

static void task_exit(void);

// A new task's first return from switch_stacks lands here, interrupts disabled.
void task_main(void);
void task_main(void) {
    struct task* t = &tasks[current_task];
    sti();
    t->entry(t->arg);
    task_exit();
}
#ifdef __x86_64__
// The stack pointer is 16-byte aligned at `call`, as the ABI wants.
__asm__(".text\n.globl task_trampoline\ntask_trampoline:\n and $-16, %rsp\n call task_main\n ud2\n");
#else
__asm__(".text\n.globl task_trampoline\ntask_trampoline:\n and $-16, %esp\n call task_main\n ud2\n");
#endif

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
    uintptr_t* sp = (uintptr_t*)(stacks[id] + STACK_SIZE);
    *--sp = (uintptr_t)task_trampoline;
    for (int i = 0; i < SAVED_REGS; i++) *--sp = 0;
    t->sp = (uintptr_t)sp;
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

// The next runnable task after the current one (tasks are 1..MAX_TASKS-1, round robin), or
// MAIN_TASK when none is left.
static int pick_next(void) {
    for (int k = 1; k <= MAX_TASKS - 1; k++) {
        int c = 1 + (current_task - 1 + k + (MAX_TASKS - 1)) % (MAX_TASKS - 1);
        if (tasks[c].state == 1) return c;
    }
    return MAIN_TASK;
}

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
    if (fault_resume) {  // an #NM the exception tests asked for
        fault_vector = 7;
        fault_ip = f->ip;
        fault_count++;
        f->ip = fault_resume;
        fault_resume = 0;
        return;
    }
    if (fpu_owner == current_task) return;
    if (fpu_owner >= 0) {
        fxsave(&tasks[fpu_owner].fx);
        fpu_stats.saves++;
    }
    fxrstor(&tasks[current_task].fx);
    fpu_stats.restores++;
    fpu_owner = current_task;
}

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
