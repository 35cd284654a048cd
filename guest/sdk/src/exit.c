// exit_emulator and panic.
#include <sdk/sdk.h>

void exit_emulator(uint32_t code) {
    outl(DEBUG_EXIT_PORT, code);
    for (;;) {
        cli();
        hlt();
    }
}

void panic(const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    printf("PANIC: ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    exit_emulator(PANIC_EXIT_CODE);
}
