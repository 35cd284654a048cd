// The I/O APIC with both 8259s masked: the serial port's IRQ 4 and the primary disk
// channel's IRQ 14 routed through it to the local APIC, edge- and level-triggered, with
// the remote IRR of a level-triggered pin and the interrupt sent again after the EOI while
// the device still asserts its line. Needs a disk as primary master (tests/guests).
// Prints only what real hardware, QEMU and rewind agree on (an edge on a masked pin is
// lost on an 82093AA but kept by QEMU's I/O APIC: not shown here).
#include <sdk/sdk.h>

#define UART_IER (SERIAL_COM1 + 1)
#define UART_IIR (SERIAL_COM1 + 2)
#define UART_MCR (SERIAL_COM1 + 4)
#define SERIAL_VECTOR 0x34
#define DISK_VECTOR 0x3E

static volatile uint32_t* const lapic = (volatile uint32_t*)0xFEE00000u;
static volatile uint32_t* const ioapic = (volatile uint32_t*)0xFEC00000u;

static uint32_t ioapic_read(uint32_t reg) {
    ioapic[0] = reg;
    return ioapic[4];
}
static void ioapic_write(uint32_t reg, uint32_t v) {
    ioapic[0] = reg;
    ioapic[4] = v;
}
static void route(int pin, uint32_t low) {
    ioapic_write(0x11 + 2 * pin, 0);  // physical destination: APIC 0
    ioapic_write(0x10 + 2 * pin, low);
}
static void eoi(void) { lapic[0xB0 / 4] = 0; }

static volatile uint32_t serial_interrupts, serial_iir, remote_irr_in_handler;
static volatile int acknowledge_uart_late;  // level test: leave the UART's request up once

static void on_serial(struct int_frame* f) {
    serial_interrupts++;
    remote_irr_in_handler = (ioapic_read(0x10 + 2 * 4) >> 14) & 1;
    if (acknowledge_uart_late && serial_interrupts == 1) {
        eoi();  // the line is still high: the I/O APIC sends it again
        return;
    }
    serial_iir = inb(UART_IIR) & 0x0F;  // reading IIR clears the THR-empty request
    outb(UART_IER, 0);
    eoi();
}

static volatile uint32_t disk_interrupts;
static void on_disk(struct int_frame* f) {
    disk_interrupts++;
    ata_service(0);  // reads the status register, which drops INTRQ
    eoi();
}

static void wait_for(volatile uint32_t* counter, uint32_t n) {
    cli();
    for (int i = 0; i < 1000000 && *counter < n; i++) {
        sti_hlt();
        cli();
    }
}

static void serial_test(const char* what, uint32_t trigger, int late) {
    serial_interrupts = 0;
    serial_iir = 0;
    acknowledge_uart_late = late;
    route(4, trigger | SERIAL_VECTOR);
    outb(UART_MCR, inb(UART_MCR) | 0x08);  // OUT2: the IRQ line is driven
    outb(UART_IER, 0x02);                  // THR empty: requests at once
    wait_for(&serial_interrupts, late ? 2 : 1);
    for (volatile int i = 0; i < 10000; i++) {
    }
    printf("serial %s: %u interrupts, iir %x, remote irr in the handler %u, after the eoi %u\n", what,
           serial_interrupts, serial_iir, remote_irr_in_handler, (ioapic_read(0x10 + 2 * 4) >> 14) & 1);
    route(4, 0x10000 | SERIAL_VECTOR);
}

static uint8_t buf[8 * 512];

static void disk_test(const char* what, uint32_t trigger) {
    disk_interrupts = 0;
    route(14, trigger | DISK_VECTOR);
    int r = ata_read(0, 16, 8, buf, 0);
    cli();
    uint32_t sum = 0;
    for (int i = 0; i < (int)sizeof buf; i++) sum = sum * 31 + buf[i];
    printf("disk %s: result %d, %u interrupts, data sum %08x, remote irr after %u\n", what, r, disk_interrupts, sum,
           (ioapic_read(0x10 + 2 * 14) >> 14) & 1);
    route(14, 0x10000 | DISK_VECTOR);
}

void kmain(uint32_t magic, struct multiboot_info* mbi) {
    cli();
    pic_set_masks(0xFFFF);
    idt_set_handler(SERIAL_VECTOR, on_serial);
    idt_set_handler(DISK_VECTOR, on_disk);
    lapic[0xF0 / 4] = 0x1FF;
    lapic[0x350 / 4] = 0x10000;  // LINT0 masked: nothing from the 8259s
    lapic[0x80 / 4] = 0;

    uint32_t ver = ioapic_read(1);
    printf("io apic: %u pins\n", ((ver >> 16) & 0xFF) + 1);
    route(4, 0x10000 | SERIAL_VECTOR);
    printf("entry 4 masked: %08x %08x\n", ioapic_read(0x11 + 8), ioapic_read(0x10 + 8));

    serial_test("edge", 0, 0);
    serial_test("level", 0x8000, 0);
    serial_test("level, uart acknowledged late", 0x8000, 1);

    int disks = ata_init(1);
    printf("disks: %d\n", disks);
    disk_test("edge", 0);
    disk_test("level", 0x8000);
    printf("done\n");
}
