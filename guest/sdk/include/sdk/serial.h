// COM1 (0x3F8) 16550 UART: init and polled transmit.
#pragma once
#include <stddef.h>

#define SERIAL_COM1 0x3F8

void serial_init(void);
void serial_putc(char c);
void serial_write(const char* s, size_t n);
