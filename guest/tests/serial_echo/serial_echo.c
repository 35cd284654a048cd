// Serial input: one line read by polling LSR.DR, then lines read through IRQ 4 until
// "quit". Each is echoed back with its length. Fed from stdin by the test.
#include <sdk/sdk.h>

static int read_line(char* buf, int size, int (*getc)(void)) {
    int n = 0;
    for (;;) {
        int c = getc();
        if (c == '\r') continue;
        if (c == '\n') break;
        if (n < size - 1) buf[n++] = (char)c;
    }
    buf[n] = 0;
    return n;
}

void kmain(uint32_t magic, struct multiboot_info* mbi) {
    char line[128];
    printf("ready\n");
    int n = read_line(line, sizeof line, serial_getc);
    printf("polled: '%s' (%d)\n", line, n);

    irq_init();
    serial_rx_irq_enable();
    for (;;) {
        n = read_line(line, sizeof line, serial_getc_irq);
        printf("irq: '%s' (%d)\n", line, n);
        if (strcmp(line, "quit") == 0) break;
    }
    printf("bye\n");
}
