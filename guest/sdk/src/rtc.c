// CMOS RTC.
#include <sdk/sdk.h>

uint8_t rtc_read_reg(uint8_t index) {
    outb(RTC_INDEX, index);
    return inb(RTC_DATA);
}

void rtc_write_reg(uint8_t index, uint8_t value) {
    outb(RTC_INDEX, index);
    outb(RTC_DATA, value);
}

unsigned rtc_from_bcd(uint8_t v) { return (v >> 4) * 10u + (v & 0x0F); }

static void read_raw(uint8_t r[8]) {
    while (rtc_read_reg(RTC_STATUS_A) & RTC_A_UIP) cpu_pause();
    static const uint8_t regs[8] = {RTC_SECONDS, RTC_MINUTES, RTC_HOURS, RTC_WEEKDAY,
                                    RTC_DAY,     RTC_MONTH,   RTC_YEAR,  RTC_CENTURY};
    for (int i = 0; i < 8; i++) r[i] = rtc_read_reg(regs[i]);
}

void rtc_read(struct rtc_time* t) {
    uint8_t a[8], b[8];
    read_raw(a);
    for (;;) {
        read_raw(b);
        if (memcmp(a, b, sizeof a) == 0) break;
        memcpy(a, b, sizeof a);
    }
    uint8_t status_b = rtc_read_reg(RTC_STATUS_B);
    int bcd = !(status_b & RTC_B_BINARY);
    uint8_t hour = a[2];
    int pm = !(status_b & RTC_B_24H) && (hour & 0x80);
    hour &= 0x7F;
    unsigned v[8];
    for (int i = 0; i < 8; i++) v[i] = bcd ? rtc_from_bcd(i == 2 ? hour : a[i]) : (i == 2 ? hour : a[i]);
    if (!(status_b & RTC_B_24H)) v[2] = v[2] % 12 + (pm ? 12 : 0);
    t->second = v[0];
    t->minute = v[1];
    t->hour = v[2];
    t->weekday = v[3];
    t->day = v[4];
    t->month = v[5];
    t->year = v[7] * 100 + v[6];
}
