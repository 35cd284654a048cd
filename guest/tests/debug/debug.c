// The guest the gdb tests debug (built -O0 -g so that every line and local is where the
// source says). Globals to print and change, a function to step into and finish from, a
// loop to watch, and on request (crash=N on the command line) a deliberate fault:
//   crash=1 #GP  crash=2 #UD  crash=3 #DE  crash=4 #PF (64-bit; #GP on 32-bit)
//   crash=5 a #UD the guest handles itself (for `monitor catch exceptions on`)
// crash=1..4 first remove the IDT, so the fault is fatal (it would triple-fault).
// spin=1 loops forever (for Ctrl-C); exit=N picks the isa-debug-exit value (default 3).
#include <sdk/sdk.h>

int global_value = 42;
volatile int counter;
volatile int sink;
volatile unsigned long spin_count;
volatile int handled_ud;
const char greeting[] = "hello from the debug guest";
struct point {
    int x, y;
} origin = {3, 4};

int add(int a, int b) {
    int sum = a + b;
    return sum;
}

int square(int v) {
    int result = v * v;
    return result;
}

void count_up(int n) {
    for (int i = 0; i < n; i++) {
        counter = counter + i;
    }
}

void read_global(void) {
    sink = global_value;
}

static void skip_ud2(struct int_frame* f) {
    handled_ud++;
    f->ip += 2;
}

static void remove_idt(void) {
    struct __attribute__((packed)) {
        uint16_t limit;
        uintptr_t base;
    } idtr = {0, 0};
    __asm__ volatile("lidt %0" ::"m"(idtr));
}

void crash(int how) {
    volatile int zero = 0;
    if (how >= 1 && how <= 4) remove_idt();
    switch (how) {
        case 1: __asm__ volatile("mov %0, %%ds" ::"r"(0x1234) : "memory"); break;
        case 2: __asm__ volatile("ud2"); break;
        case 3: sink = 100 / zero; break;
        case 4:
#ifdef __x86_64__
            sink = *(volatile int*)0x80000000ul;  // beyond the 1 GiB the SDK maps
#else
            __asm__ volatile("mov %0, %%ds" ::"r"(0x1234) : "memory");
#endif
            break;
        case 5:
            idt_set_handler(6, skip_ud2);
            __asm__ volatile("ud2");
            printf("ud2 handled %d\n", handled_ud);
            break;
    }
}

void kmain(uint32_t magic, struct multiboot_info* mbi) {
    int local = 7;
    int result = add(local, 5);
    printf("add: %d\n", result);
    count_up(5);
    read_global();
    int sq = square(result);
    printf("square: %d counter: %d global: %d\n", sq, counter, global_value);
    crash((int)cmdline_uint("crash", 0));
    if (cmdline_uint("spin", 0)) {
        for (;;) spin_count++;
    }
    void writes_for_watchpoints(void);
    writes_for_watchpoints();
    exit_emulator((uint32_t)cmdline_uint("exit", 3));
}

/* Writes that are not one plain store, for watchpoints in both directions (added at the
   end so that the lines above stay where the tests expect them):
   - fill_buffer: REP STOSB, one instruction per byte; a watch on buffer[40] stops between
     two iterations, with RIP still on the REP instruction;
   - fault_site (without crash=): a #UD the guest handles; the CPU writes the return
     address into the exception frame on the stack, a write by a faulting instruction. */
volatile unsigned char buffer[64];

void fill_buffer(unsigned char value) {
    void* dst = (void*)buffer;
    unsigned long n = sizeof buffer;
    __asm__ volatile(".globl fill_site\nfill_site: rep stosb" : "+D"(dst), "+c"(n) : "a"(value) : "memory");
}

static void skip_fault(struct int_frame* f) {
    handled_ud++;
    f->ip += 2;
}

void fault_once(void) {
    idt_set_handler(6, skip_fault);
    __asm__ volatile(".globl fault_site\nfault_site: ud2" ::: "memory");
}

void writes_for_watchpoints(void) {
    fill_buffer(0x11);
    fill_buffer(0x22);
    if (!cmdline_uint("crash", 0)) fault_once();  /* crash=5 has a #UD of its own */
    printf("buffer[40]: %x faults: %d\n", buffer[40], handled_ud);
}
