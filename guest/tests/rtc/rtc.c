// The CMOS RTC: default formats, valid fields, BCD/binary and 12/24-hour consistency,
// a second ticking over (UIP and the update-ended flag), the periodic interrupt, the
// century and the BIOS memory-size bytes.
#include <sdk/sdk.h>

static int valid(const struct rtc_time* t) {
    return t->second < 60 && t->minute < 60 && t->hour < 24 && t->day >= 1 && t->day <= 31 && t->month >= 1 &&
           t->month <= 12 && t->weekday >= 1 && t->weekday <= 7 && t->year >= 2000 && t->year < 2100;
}

static int is_bcd(uint8_t v) { return (v & 0x0F) < 10 && (v >> 4) < 10; }

static unsigned day_seconds(const struct rtc_time* t) { return t->hour * 3600 + t->minute * 60 + t->second; }

// The two reads are at most a few seconds apart (allowing for midnight).
static int close_in_time(const struct rtc_time* a, const struct rtc_time* b) {
    unsigned d = (day_seconds(b) + 86400 - day_seconds(a)) % 86400;
    return d <= 5;
}

static volatile uint32_t periodic;
static volatile uint8_t flags_seen;
static void rtc_irq(int irq, struct int_frame* f) {
    uint8_t c = rtc_read_reg(RTC_STATUS_C);
    if (c & RTC_C_PF) periodic++;
    flags_seen |= c;
}

void kmain(uint32_t magic, struct multiboot_info* mbi) {
    printf("status A %02x, B %02x, D %02x\n", rtc_read_reg(RTC_STATUS_A) & 0x7F, rtc_read_reg(RTC_STATUS_B),
           rtc_read_reg(RTC_STATUS_D));

    struct rtc_time t;
    rtc_read(&t);
    printf("fields valid: %s\n", valid(&t) ? "yes" : "no");
    int all_bcd = 1;
    for (uint8_t r = 0; r <= 9; r++)
        if (r != 1 && r != 3 && r != 5) all_bcd &= is_bcd(rtc_read_reg(r));
    printf("registers are BCD: %s\n", all_bcd && is_bcd(rtc_read_reg(RTC_CENTURY)) ? "yes" : "no");
    printf("century register: %02x\n", rtc_read_reg(RTC_CENTURY));

    // Binary mode: the same time, now in binary.
    uint8_t b = rtc_read_reg(RTC_STATUS_B);
    rtc_write_reg(RTC_STATUS_B, (uint8_t)(b | RTC_B_BINARY));
    struct rtc_time tb;
    rtc_read(&tb);
    printf("binary: valid %s, consistent %s, century %u\n", valid(&tb) ? "yes" : "no",
           close_in_time(&t, &tb) && tb.day == t.day ? "yes" : "no", rtc_read_reg(RTC_CENTURY));

    // 12-hour mode: hour 1-12 with bit 7 for PM, and the same time of day.
    rtc_write_reg(RTC_STATUS_B, (uint8_t)(b & ~RTC_B_24H));
    struct rtc_time t12;
    rtc_read(&t12);
    uint8_t h = rtc_read_reg(RTC_HOURS);
    unsigned h12 = rtc_from_bcd(h & 0x7F);
    printf("12-hour: hour in 1..12 %s, consistent %s\n", h12 >= 1 && h12 <= 12 ? "yes" : "no",
           close_in_time(&t, &t12) ? "yes" : "no");
    rtc_write_reg(RTC_STATUS_B, b);

    // A second ticks over: the update-ended interrupt marks the start of a second; sleep
    // through most of it on 1024 Hz periodic interrupts, then poll: UIP comes before
    // the seconds change. UIP lasts 244 us of the host's time under QEMU, which a busy host
    // (one that deschedules QEMU for longer) can make the guest miss: up to eight seconds are
    // tried, each polling for the last ~60 ms (rewind sees it in the first).
    irq_init();
    irq_set_handler(8, rtc_irq);
    rtc_write_reg(RTC_STATUS_A, 0x26);
    int uip = 0;
    for (int attempt = 0; attempt < 8 && !uip; attempt++) {
        flags_seen = 0;
        rtc_write_reg(RTC_STATUS_B, (uint8_t)(b | RTC_B_PIE | RTC_B_UIE));
        rtc_read_reg(RTC_STATUS_C);
        sti();
        while (!(flags_seen & RTC_C_UF)) hlt();
        uint8_t s0 = rtc_read_reg(RTC_SECONDS);
        periodic = 0;
        while (periodic < 960) hlt();
        cli();
        rtc_write_reg(RTC_STATUS_B, b);
        while (rtc_read_reg(RTC_SECONDS) == s0) uip |= rtc_read_reg(RTC_STATUS_A) & RTC_A_UIP;
    }
    pit_delay(PIT_MS(5));  // QEMU raises UF a moment after the new second shows
    uint8_t c = rtc_read_reg(RTC_STATUS_C);
    printf("second ticked over: update interrupt seen, UIP seen %s, C has UF %s\n", uip ? "yes" : "no",
           (c & RTC_C_UF) ? "yes" : "no");
    printf("C after read: %02x\n", rtc_read_reg(RTC_STATUS_C));

    // The periodic interrupt at 1024 Hz on IRQ 8.
    periodic = 0;
    rtc_write_reg(RTC_STATUS_A, 0x26);
    rtc_write_reg(RTC_STATUS_B, (uint8_t)(b | RTC_B_PIE));
    rtc_read_reg(RTC_STATUS_C);
    sti();
    while (periodic < 64) hlt();
    cli();
    rtc_write_reg(RTC_STATUS_B, b);
    // One more may land between the last wake-up and CLI (QEMU, whose ticks follow the
    // host's clock, can deliver two close together on a busy host): count the 64 waited for.
    printf("got %u periodic interrupts\n", (unsigned)(periodic >= 64 ? 64 : periodic));

    // What the BIOS stored about memory (-m 128).
    printf("base memory %u KiB\n", rtc_read_reg(0x15) | rtc_read_reg(0x16) << 8);
    printf("extended memory %u KiB (0x30: %u)\n", rtc_read_reg(0x17) | rtc_read_reg(0x18) << 8,
           rtc_read_reg(0x30) | rtc_read_reg(0x31) << 8);
    printf("memory above 16 MiB: %u x 64 KiB\n", rtc_read_reg(0x34) | rtc_read_reg(0x35) << 8);
}
