// 8254 PIT: periodic timer on IRQ 0, counter readback, ticks and sleep.
#include <sdk/sdk.h>

static volatile uint64_t ticks;

void pit_program(int ch, int mode, uint16_t count) {
    outb(PIT_CMD, (uint8_t)((ch << 6) | 0x30 | (mode << 1)));  // lobyte/hibyte, binary
    outb((uint16_t)(PIT_CH0 + ch), (uint8_t)count);
    outb((uint16_t)(PIT_CH0 + ch), (uint8_t)(count >> 8));
}

uint16_t pit_set_periodic(int ch, int mode, uint32_t hz) {
    uint32_t count = (PIT_HZ + hz / 2) / hz;
    if (count > 0xFFFF) count = 0;  // 0 means 65536
    pit_program(ch, mode, (uint16_t)count);
    return (uint16_t)count;
}

uint16_t pit_read_count(int ch) {
    outb(PIT_CMD, (uint8_t)(ch << 6));  // counter latch
    uint8_t lo = inb((uint16_t)(PIT_CH0 + ch));
    uint8_t hi = inb((uint16_t)(PIT_CH0 + ch));
    return (uint16_t)(hi << 8 | lo);
}

uint8_t pit_read_status(int ch) {
    outb(PIT_CMD, (uint8_t)(0xE0 | (2 << ch)));  // read-back: status only
    return inb((uint16_t)(PIT_CH0 + ch));
}

void pit_delay(uint16_t count) {
    outb(PIT_PORT61, (uint8_t)((inb(PIT_PORT61) & ~0x02) | 0x01));  // gate 2 on, speaker off
    outb(PIT_CMD, 0xB0);                                             // channel 2, lobyte/hibyte, mode 0
    outb(PIT_CH2, (uint8_t)count);
    outb(PIT_CH2, (uint8_t)(count >> 8));
    while (!(inb(PIT_PORT61) & 0x20)) cpu_pause();
}

static void tick_handler(int irq, struct int_frame* f) { ticks++; }

void timer_init(uint32_t hz) {
    pit_set_periodic(0, 2, hz);
    irq_set_handler(0, tick_handler);
    sti();
}

uint64_t timer_ticks(void) {
#ifdef __x86_64__
    return ticks;
#else
    // 64-bit reads are not atomic here: read with IRQ 0 held off.
    uintptr_t flags = read_flags();
    cli();
    uint64_t t = ticks;
    if (flags & FLAGS_IF) sti();
    return t;
#endif
}

void sleep_ticks(uint64_t n) {
    uint64_t until = timer_ticks() + n;
    while (timer_ticks() < until) hlt();
}
