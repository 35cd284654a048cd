// printf to the serial console. Supports %d %i %u %x %X %p %s %c %%, the length
// modifiers l, ll, z, width, zero padding and the '-' and '+' flags. No floating point.
#pragma once
#include <stdarg.h>
#include <stddef.h>

int printf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char* fmt, va_list ap);
int snprintf(char* buf, size_t size, const char* fmt, ...) __attribute__((format(printf, 3, 4)));
int vsnprintf(char* buf, size_t size, const char* fmt, va_list ap);
int putchar(int c);
int puts(const char* s);  // appends '\n' like the C library
