// The 8254 PIT (1193182 Hz): periodic IRQ 0, counter readback, the timer tick count,
// and sleeping in HLT until a number of ticks has passed.
#pragma once
#include <stdint.h>

#define PIT_HZ 1193182u
#define PIT_CH0 0x40
#define PIT_CH2 0x42
#define PIT_CMD 0x43
#define PIT_PORT61 0x61

// Channel `ch` in `mode` (2 rate generator or 3 square wave) with a count giving `hz`.
// Returns the count written.
uint16_t pit_set_periodic(int ch, int mode, uint32_t hz);
// Program a channel with a raw mode and 16-bit count (lobyte/hibyte access).
void pit_program(int ch, int mode, uint16_t count);
// The counter latch command, then both bytes.
uint16_t pit_read_count(int ch);
// The read-back command: status byte of channel `ch` (OUT, null count, access, mode, BCD).
uint8_t pit_read_status(int ch);

// Busy-wait `count` PIT clocks (up to 65535, about 55 ms) on channel 2 in mode 0,
// polling OUT2 in port 0x61 bit 5 (the speaker stays off), as BIOSes calibrate delays.
void pit_delay(uint16_t count);
#define PIT_MS(ms) ((uint16_t)(PIT_HZ / 1000u * (ms)))

// Timer ticks: timer_init installs an IRQ 0 handler (irq_init() must have run) that
// counts ticks, with the PIT in mode 2 at `hz`; interrupts are enabled.
void timer_init(uint32_t hz);
uint64_t timer_ticks(void);
// Sleep (HLT) until `ticks` more timer ticks have passed.
void sleep_ticks(uint64_t ticks);
