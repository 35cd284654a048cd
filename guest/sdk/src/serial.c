// COM1 16550: 115200 8N1, FIFOs on, polled transmit, polled or interrupt-driven receive.
#include <sdk/sdk.h>

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

int serial_try_getc(void) {
    if (!(inb(SERIAL_COM1 + 5) & 0x01)) return -1;  // LSR.DR
    return inb(SERIAL_COM1);
}

int serial_getc(void) {
    int c;
    while ((c = serial_try_getc()) < 0) cpu_pause();
    return c;
}

// Filled by IRQ 4, drained by serial_getc_irq; one writer and one reader.
static volatile uint8_t rx_ring[256];
static volatile uint32_t rx_put, rx_get;

static void serial_irq(int irq, struct int_frame* f) {
    // Drain everything: the line stays high while data remains, so there would be no new edge.
    for (;;) {
        uint8_t iir = inb(SERIAL_COM1 + 2);
        if (iir & 0x01) break;
        switch (iir & 0x0E) {
        case 0x04:  // received data
        case 0x0C:  // character timeout
            while (inb(SERIAL_COM1 + 5) & 0x01) {
                uint8_t c = inb(SERIAL_COM1);
                if (rx_put - rx_get < sizeof rx_ring) rx_ring[rx_put++ % sizeof rx_ring] = c;
            }
            break;
        case 0x06:  // line status
            inb(SERIAL_COM1 + 5);
            break;
        default:  // THR empty (read of IIR acknowledged it), modem status
            inb(SERIAL_COM1 + 6);
            break;
        }
    }
}

void serial_rx_irq_enable(void) {
    irq_set_handler(4, serial_irq);
    outb(SERIAL_COM1 + 4, 0x0B);  // DTR | RTS | OUT2 (OUT2 gates the IRQ on a PC)
    outb(SERIAL_COM1 + 1, 0x01);  // received-data interrupt
    sti();
}

int serial_getc_irq(void) {
    for (;;) {
        cli();
        if (rx_get != rx_put) {
            uint8_t c = rx_ring[rx_get++ % sizeof rx_ring];
            sti();
            return c;
        }
        // STI's shadow covers HLT: an IRQ between the check and HLT still wakes us.
        sti_hlt();
    }
}
