// Interrupt-driven disk I/O for the disk guests: IRQ 14 and 15 through the SDK's IRQ layer
// (sdk/irq.h sends the EOI), each handler moving its channel's transfer on.
#pragma once
#include <sdk/sdk.h>
#include <sdk/ata.h>

static void disk_irq_handler(int irq, struct int_frame* f) {
    (void)f;
    int ch = irq - 14;
    ata_interrupts[ch]++;
    ata_service(ch);
}

// Routes IRQ 14 and 15 to the ATA driver and enables interrupts.
static inline void disk_irq_setup(void) {
    irq_init();
    irq_set_handler(14, disk_irq_handler);
    irq_set_handler(15, disk_irq_handler);
    sti();
}

// Sleeps until an interrupt unless `ready` is already true (checked with interrupts off, so a
// completion between the check and HLT still wakes us: STI's shadow covers the HLT).
#define disk_irq_wait_until(ready)                               \
    do {                                                         \
        cli();                                                   \
        if (!(ready)) __asm__ volatile("sti; hlt" ::: "memory"); \
        sti();                                                   \
    } while (0)
