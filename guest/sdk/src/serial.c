// COM1 16550: 115200 8N1, FIFOs on, polled transmit.
#include <sdk/cpu.h>
#include <sdk/serial.h>

void serial_init(void) {
    outb(SERIAL_COM1 + 1, 0x00);  // no interrupts
    outb(SERIAL_COM1 + 3, 0x80);  // DLAB
    outb(SERIAL_COM1 + 0, 0x01);  // divisor 1 = 115200 baud
    outb(SERIAL_COM1 + 1, 0x00);
    outb(SERIAL_COM1 + 3, 0x03);  // 8N1
    outb(SERIAL_COM1 + 2, 0xC7);  // FIFO enable, clear, 14-byte threshold
    outb(SERIAL_COM1 + 4, 0x03);  // DTR | RTS
}

void serial_putc(char c) {
    while (!(inb(SERIAL_COM1 + 5) & 0x20)) cpu_pause();  // LSR.THRE
    outb(SERIAL_COM1, (uint8_t)c);
}

void serial_write(const char* s, size_t n) {
    for (size_t i = 0; i < n; i++) serial_putc(s[i]);
}
