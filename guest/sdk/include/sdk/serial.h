// COM1 (0x3F8) 16550 UART: init, polled transmit, polled or interrupt-driven receive.
#pragma once
#include <stddef.h>

#define SERIAL_COM1 0x3F8

void serial_init(void);
void serial_putc(char c);
void serial_write(const char* s, size_t n);

// Receive, polled: waits for LSR.DR (serial_try_getc returns -1 if no byte is there).
int serial_getc(void);
int serial_try_getc(void);
// Receive, interrupt-driven: IRQ 4 moves bytes into a ring buffer (irq_init() must
// have run; interrupts are enabled). serial_getc_irq sleeps in HLT until a byte comes.
void serial_rx_irq_enable(void);
int serial_getc_irq(void);
