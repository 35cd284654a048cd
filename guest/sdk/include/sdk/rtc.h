// The CMOS RTC: register access, and the date and time decoded from whatever format
// (BCD or binary, 12- or 24-hour) register B selects.
#pragma once
#include <stdint.h>

#define RTC_INDEX 0x70
#define RTC_DATA 0x71
#define RTC_SECONDS 0x00
#define RTC_MINUTES 0x02
#define RTC_HOURS 0x04
#define RTC_WEEKDAY 0x06
#define RTC_DAY 0x07
#define RTC_MONTH 0x08
#define RTC_YEAR 0x09
#define RTC_STATUS_A 0x0A
#define RTC_STATUS_B 0x0B
#define RTC_STATUS_C 0x0C
#define RTC_STATUS_D 0x0D
#define RTC_CENTURY 0x32
#define RTC_A_UIP 0x80
#define RTC_B_SET 0x80
#define RTC_B_PIE 0x40
#define RTC_B_AIE 0x20
#define RTC_B_UIE 0x10
#define RTC_B_BINARY 0x04
#define RTC_B_24H 0x02
#define RTC_C_IRQF 0x80
#define RTC_C_PF 0x40
#define RTC_C_AF 0x20
#define RTC_C_UF 0x10

struct rtc_time {
    unsigned year;  // full year, e.g. 2025 (century register * 100 + year)
    unsigned month, day, hour, minute, second, weekday;
};

uint8_t rtc_read_reg(uint8_t index);
void rtc_write_reg(uint8_t index, uint8_t value);
unsigned rtc_from_bcd(uint8_t v);
// Waits until no update is in progress, reads all fields, and repeats until two reads
// agree (so no update happened in between). Decodes BCD and 12-hour formats.
void rtc_read(struct rtc_time* t);
