// IRQ dispatch on top of the IDT stubs: vectors 0x20-0x2F are IRQs 0-15.
#include <sdk/sdk.h>

volatile uint32_t irq_spurious_count;
volatile uint32_t irq_counts[16];
static irq_handler_t irq_handlers[16];

static void irq_dispatch(struct int_frame* f) {
    int irq = (int)(f->vector - IRQ_BASE);
    // A spurious IRQ 7 or 15 (the request went away before the acknowledge) has no ISR
    // bit; for 15 the master did see IR2, so it still needs its EOI.
    if (irq == 7 || irq == 15) {
        uint16_t isr = pic_read_isr();
        if (!(isr & (1u << irq))) {
            irq_spurious_count++;
            if (irq == 15) pic_eoi(0);
            return;
        }
    }
    irq_counts[irq]++;
    if (irq_handlers[irq]) irq_handlers[irq](irq, f);
    pic_eoi(irq);
}

void irq_init(void) {
    pic_remap(IRQ_BASE, IRQ_BASE + 8);
    for (int v = IRQ_BASE; v < IRQ_BASE + 16; v++) idt_set_handler(v, irq_dispatch);
}

void irq_set_handler(int irq, irq_handler_t handler) {
    irq_handlers[irq] = handler;
    if (handler)
        pic_unmask(irq);
    else
        pic_mask(irq);
}
