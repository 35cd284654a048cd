// The 8259A PIC pair: remapping, masks, EOI, IRR/ISR readback.
#pragma once
#include <stdint.h>

#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xA0
#define PIC2_DATA 0xA1

// Initializes both PICs (ICW1-ICW4: edge-triggered, cascade on IRQ 2, 8086 mode) with
// their IRQs at vectors master_base.. and slave_base.., all IRQs masked except IRQ 2.
void pic_remap(uint8_t master_base, uint8_t slave_base);
// As pic_remap, but in automatic-EOI mode (ICW4 bit 1).
void pic_remap_auto_eoi(uint8_t master_base, uint8_t slave_base);
void pic_mask(int irq);
void pic_unmask(int irq);
uint16_t pic_get_masks(void);  // slave mask << 8 | master mask
void pic_set_masks(uint16_t masks);
// Non-specific EOI for `irq` (to both chips for IRQ 8-15).
void pic_eoi(int irq);
uint16_t pic_read_irr(void);  // slave << 8 | master
uint16_t pic_read_isr(void);
