// IRQ 0-15 handlers on top of the PIC: irq_init() remaps the PICs to vectors 0x20-0x2F
// and routes those vectors to the handlers registered here. The dispatcher sends the
// EOI after the handler returns, and recognises spurious IRQ 7 and 15 (no ISR bit set):
// those are counted and not passed to handlers.
#pragma once
#include <stdint.h>
#include <sdk/idt.h>

#define IRQ_BASE 0x20

typedef void (*irq_handler_t)(int irq, struct int_frame* f);

void irq_init(void);
// Registers the handler and unmasks the IRQ (a null handler masks it).
void irq_set_handler(int irq, irq_handler_t handler);
extern volatile uint32_t irq_spurious_count;
extern volatile uint32_t irq_counts[16];
