// Leaving the machine: isa-debug-exit at port 0xF4 (QEMU and rewind exit with (code<<1)|1).
#pragma once
#include <stdint.h>

#define DEBUG_EXIT_PORT 0xF4
#define PANIC_EXIT_CODE 0x7F

__attribute__((noreturn)) void exit_emulator(uint32_t code);
__attribute__((noreturn, format(printf, 1, 2))) void panic(const char* fmt, ...);
