// rewind only: guest clocks against the instruction count. On rewind, RDTSC is the
// instruction count (1 instruction = 1 ns), so the PIT (1193182 Hz) and the RTC must
// agree with it exactly; this prints what rewind promises, which QEMU does not.
#include <sdk/sdk.h>

#define NS_PER_S 1000000000ull

static volatile uint64_t irq_tsc[32];
static volatile int irq_n;
static void on_tick(int irq, struct int_frame* f) {
    if (irq_n < 32) irq_tsc[irq_n++] = rdtsc();
}

static void idle_tick(int irq, struct int_frame* f) {}

// Sleeps in HLT (the PIT ticks at 1 kHz) until shortly before `tsc`, then spins.
static void spin_until(uint64_t tsc) {
    while (rdtsc() + 2000000 < tsc) __asm__ volatile("sti; hlt; cli" ::: "memory");
    while (rdtsc() < tsc) cpu_pause();
}

static uint64_t pit_ticks_at(uint64_t tsc) { return tsc * PIT_HZ / NS_PER_S; }

void kmain(uint32_t magic, struct multiboot_info* mbi) {
    irq_init();

    // The PIT counter follows the instruction count: count = reload - elapsed ticks.
    cli();
    pit_program(0, 2, 0xFFFF);
    uint64_t load = rdtsc();
    int ok = 1;
    for (int i = 0; i < 40; i++) {
        for (volatile int j = 0; j < 500 + 37 * i; j++) {
        }
        uint64_t before = rdtsc();
        uint16_t c = pit_read_count(0);
        uint64_t after = rdtsc();
        uint64_t lo = pit_ticks_at(before) - pit_ticks_at(load) - 1, hi = pit_ticks_at(after) - pit_ticks_at(load) + 1;
        uint64_t elapsed = (uint64_t)(0xFFFF - c);
        if (elapsed < lo || elapsed > hi) {
            printf("count %u outside %llu..%llu ticks\n", c, (unsigned long long)lo, (unsigned long long)hi);
            ok = 0;
        }
    }
    printf("PIT count agrees with the instruction count: %s\n", ok ? "yes" : "no");

    // IRQ 0 arrives at the instruction its tick falls on: with the CPU in HLT, each
    // period in instructions is exactly 11932 ticks of 1193182 Hz, rounded up or down.
    pit_program(0, 2, 11932);
    irq_set_handler(0, on_tick);
    sti();
    while (irq_n < 21) hlt();
    cli();
    pit_set_periodic(0, 2, 1000);
    irq_set_handler(0, idle_tick);
    uint64_t lo = ~0ull, hi = 0;
    for (int i = 1; i < 21; i++) {
        uint64_t d = irq_tsc[i] - irq_tsc[i - 1];
        if (d < lo) lo = d;
        if (d > hi) hi = d;
    }
    printf("IRQ 0 period in HLT: %llu..%llu instructions\n", (unsigned long long)lo, (unsigned long long)hi);

    // The RTC's second changes when the instruction count crosses a multiple of 10^9,
    // and UIP is set for the last 244 us (244000 instructions) before that.
    uint64_t k = rdtsc() / NS_PER_S + 1;
    spin_until(k * NS_PER_S - 244000 - 2000);
    uint8_t s_before = rtc_read_reg(RTC_SECONDS);
    int uip_early = rtc_read_reg(RTC_STATUS_A) >> 7;
    spin_until(k * NS_PER_S - 244000 + 2000);
    int uip_in = rtc_read_reg(RTC_STATUS_A) >> 7;
    spin_until(k * NS_PER_S - 2000);
    uint8_t s_last = rtc_read_reg(RTC_SECONDS);
    int uip_last = rtc_read_reg(RTC_STATUS_A) >> 7;
    spin_until(k * NS_PER_S + 2000);
    uint8_t s_after = rtc_read_reg(RTC_SECONDS);
    int uip_after = rtc_read_reg(RTC_STATUS_A) >> 7;
    printf("UIP before/in/end/after the window: %d %d %d %d\n", uip_early, uip_in, uip_last, uip_after);
    unsigned a = rtc_from_bcd(s_before), b = rtc_from_bcd(s_last), c = rtc_from_bcd(s_after);
    printf("second changes at the boundary: %s\n", a == b && c == (b + 1) % 60 ? "yes" : "no");

    // Three seconds later (in instructions), three seconds later on the clock.
    struct rtc_time t0, t1;
    rtc_read(&t0);
    uint64_t start = rdtsc();
    spin_until(start + 3 * NS_PER_S);
    rtc_read(&t1);
    unsigned d0 = t0.hour * 3600 + t0.minute * 60 + t0.second, d1 = t1.hour * 3600 + t1.minute * 60 + t1.second;
    printf("RTC after 3e9 instructions: +%u s\n", (d1 + 86400 - d0) % 86400);

    // The periodic interrupt flag at 1024 Hz: exactly 32 periods in 31.25 ms.
    rtc_write_reg(RTC_STATUS_A, 0x26);
    uint64_t p0 = rdtsc();
    int flips = 0;
    rtc_read_reg(RTC_STATUS_C);
    while (rdtsc() < p0 + 31250000) {
        if (rtc_read_reg(RTC_STATUS_C) & RTC_C_PF) flips++;
    }
    printf("periodic flags in 31.25 ms: %d\n", flips);
}
