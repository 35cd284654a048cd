// 8259A PIC pair.
#include <sdk/cpu.h>
#include <sdk/pic.h>

// A write to an unused port: gives the PIC time between initialization words on real hardware.
static inline void io_wait(void) { outb(0x80, 0); }

static void init(uint8_t master_base, uint8_t slave_base, uint8_t icw4) {
    outb(PIC1_CMD, 0x11);  // ICW1: edge-triggered, cascade, ICW4 follows
    io_wait();
    outb(PIC2_CMD, 0x11);
    io_wait();
    outb(PIC1_DATA, master_base);  // ICW2: vector base
    io_wait();
    outb(PIC2_DATA, slave_base);
    io_wait();
    outb(PIC1_DATA, 0x04);  // ICW3: slave on IR2
    io_wait();
    outb(PIC2_DATA, 0x02);  // ICW3: slave identity 2
    io_wait();
    outb(PIC1_DATA, icw4);
    io_wait();
    outb(PIC2_DATA, icw4);
    io_wait();
    pic_set_masks(0xFFFB);
}

void pic_remap(uint8_t master_base, uint8_t slave_base) { init(master_base, slave_base, 0x01); }
void pic_remap_auto_eoi(uint8_t master_base, uint8_t slave_base) { init(master_base, slave_base, 0x03); }

uint16_t pic_get_masks(void) { return (uint16_t)(inb(PIC2_DATA) << 8 | inb(PIC1_DATA)); }

void pic_set_masks(uint16_t masks) {
    outb(PIC1_DATA, (uint8_t)masks);
    outb(PIC2_DATA, (uint8_t)(masks >> 8));
}

void pic_mask(int irq) { pic_set_masks((uint16_t)(pic_get_masks() | (1u << irq))); }
void pic_unmask(int irq) {
    uint16_t m = (uint16_t)(pic_get_masks() & ~(1u << irq));
    if (irq >= 8) m &= (uint16_t)~(1u << 2);  // the cascade must be open too
    pic_set_masks(m);
}

void pic_eoi(int irq) {
    if (irq >= 8) outb(PIC2_CMD, 0x20);
    outb(PIC1_CMD, 0x20);
}

static uint16_t read_ocw3(uint8_t ocw3) {
    outb(PIC1_CMD, ocw3);
    outb(PIC2_CMD, ocw3);
    uint16_t v = (uint16_t)(inb(PIC2_CMD) << 8 | inb(PIC1_CMD));
    outb(PIC1_CMD, 0x0A);  // back to reading IRR
    outb(PIC2_CMD, 0x0A);
    return v;
}

uint16_t pic_read_irr(void) { return read_ocw3(0x0A); }
uint16_t pic_read_isr(void) { return read_ocw3(0x0B); }
