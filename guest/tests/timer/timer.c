// The 8254: periodic IRQ 0 while the guest sleeps in HLT, modes 2, 3 and 0, the
// counter latch and read-back commands, and channel 2 through port 0x61.
#include <sdk/sdk.h>

static volatile uint32_t oneshot;
static void count_oneshot(int irq, struct int_frame* f) { oneshot++; }

void kmain(uint32_t magic, struct multiboot_info* mbi) {
    irq_init();

    timer_init(100);
    uint64_t t0 = timer_ticks();
    sleep_ticks(100);
    printf("mode 2 at 100 Hz: got %u timer interrupts in HLT\n", (unsigned)(timer_ticks() - t0));
    printf("status channel 0: %02x\n", pit_read_status(0) & 0x3F);

    // The counter counts down between reads (a reload in between is allowed once).
    int decreasing = 0;
    for (int i = 0; i < 4; i++) {
        cli();
        uint16_t a = pit_read_count(0);
        uint16_t b;
        do b = pit_read_count(0); while (b == a);
        sti();
        if (b < a) decreasing++;
    }
    printf("count decreased between reads: %s\n", decreasing >= 3 ? "yes" : "no");

    // Mode 3, square wave at 1000 Hz.
    pit_set_periodic(0, 3, 1000);
    t0 = timer_ticks();
    sleep_ticks(50);
    printf("mode 3 at 1000 Hz: got %u timer interrupts\n", (unsigned)(timer_ticks() - t0));
    printf("status channel 0: %02x\n", pit_read_status(0) & 0x3F);

    // Mode 0 interrupts once, at terminal count.
    // (Stop the square wave, and start the PICs afresh so that no edge from it is left in IRR.)
    cli();
    pic_mask(0);
    pit_program(0, 0, 0xFFFF);
    irq_init();
    irq_set_handler(0, count_oneshot);
    pit_program(0, 0, PIT_MS(2));
    uint8_t st = pit_read_status(0);
    printf("mode 0 armed: OUT %u\n", st >> 7);
    // One interrupt only: check and halt with interrupts off, or one arriving between
    // the check and the HLT (QEMU's timers run in host time) would leave it asleep.
    while (!oneshot) {
        sti_hlt();
        cli();
    }
    sti();
    pit_delay(PIT_MS(20));
    printf("mode 0: %u interrupt(s), OUT %u\n", (unsigned)oneshot, pit_read_status(0) >> 7);

    // Channel 2: OUT2 in port 0x61 rises when a mode-0 count runs out.
    cli();
    outb(PIT_PORT61, (uint8_t)((inb(PIT_PORT61) & ~0x03) | 0x01));
    outb(PIT_CMD, 0xB0);
    outb(PIT_CH2, 0xFF);
    outb(PIT_CH2, 0xFF);
    printf("channel 2 started: OUT2 %u\n", (inb(PIT_PORT61) >> 5) & 1);
    while (!(inb(PIT_PORT61) & 0x20)) cpu_pause();
    printf("channel 2 ran out: OUT2 %u, gate bit %u\n", (inb(PIT_PORT61) >> 5) & 1, inb(PIT_PORT61) & 1);

    // Lobyte-only access and the read-back of a count.
    outb(PIT_CMD, 0x90);  // channel 2, lobyte only, mode 0
    outb(PIT_CH2, 0x80);
    outb(PIT_CMD, 0xC8);  // read-back: count and status of channel 2
    uint8_t status2 = inb(PIT_CH2);
    uint8_t count2 = inb(PIT_CH2);
    printf("lobyte channel 2: status %02x, count below 0x81: %s\n", status2 & 0x3F, count2 <= 0x80 ? "yes" : "no");

    // sleep=N: then idle N seconds of guest time in HLT at 100 Hz (the idle test).
    uint64_t seconds = cmdline_uint("sleep", 0);
    if (seconds) {
        irq_init();
        timer_init(100);
        t0 = timer_ticks();
        sleep_ticks(seconds * 100);
        printf("slept %u ticks\n", (unsigned)(timer_ticks() - t0));
    }
}
