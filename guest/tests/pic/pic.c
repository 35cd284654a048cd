// The 8259A pair: what the BIOS left, remapping, IRR latching while masked, ISR in a
// handler, priority between IRQ 0 and IRQ 8 (through the cascade), poll mode, auto-EOI.
// Prints only what real hardware, QEMU and rewind agree on.
#include <sdk/sdk.h>

static volatile uint16_t isr_seen, irr_seen;
static volatile int order[8];
static volatile int order_len;

static void record_isr(int irq, struct int_frame* f) {
    isr_seen = pic_read_isr();
    irr_seen = pic_read_irr();
    irq_set_handler(0, 0);  // once is enough
}

static void record_order(int irq, struct int_frame* f) {
    if (order_len < 8) order[order_len++] = irq;
    if (irq == 8) rtc_read_reg(RTC_STATUS_C);  // acknowledge the RTC
    irq_set_handler(irq, 0);
}

// Waits (up to about a second) until all of `irr_bits` are requested. On QEMU the timer
// interrupts come from host timers that can lag the guest-visible counters under load.
static void wait_irr(uint16_t irr_bits) {
    for (int i = 0; i < 1000 && (pic_read_irr() & irr_bits) != irr_bits; i++) pit_delay(PIT_MS(1));
}

static void wait_for_irq(void) {
    __asm__ volatile("sti; hlt; cli" ::: "memory");
}

void kmain(uint32_t magic, struct multiboot_info* mbi) {
    printf("bios masks: %04x\n", pic_get_masks());
    printf("bios pit channel 0: %02x\n", pit_read_status(0) & 0x3F);

    irq_init();
    printf("masks after remap: %04x\n", pic_get_masks());
    pic_set_masks(0xA5F0);
    printf("masks written a5f0, read %04x\n", pic_get_masks());
    pic_set_masks(0xFFFB);

    // A masked IRQ still sets its IRR bit, and nothing is in service.
    pit_set_periodic(0, 2, 1000);
    pit_delay(PIT_MS(3));
    wait_irr(0x0001);
    printf("masked irq 0: irr bit %u, isr %04x\n", pic_read_irr() & 1, pic_read_isr());

    // In the handler IRQ 0 is in service; after the EOI nothing is.
    irq_set_handler(0, record_isr);
    wait_for_irq();
    printf("in handler: isr %04x\n", isr_seen);
    printf("after eoi: isr %04x\n", pic_read_isr());

    // Poll mode: with IF clear, the poll command acknowledges the highest request.
    pit_delay(PIT_MS(2));
    wait_irr(0x0001);
    outb(PIC1_CMD, 0x0C);
    uint8_t poll = inb(PIC1_CMD);
    printf("poll with irq 0 pending (masked? %s): %02x\n", (pic_get_masks() & 1) ? "yes" : "no", poll);
    pic_unmask(0);
    outb(PIC1_CMD, 0x0C);
    poll = inb(PIC1_CMD);
    printf("poll with irq 0 pending: %02x, isr %04x\n", poll, pic_read_isr());
    pic_eoi(0);
    pic_mask(0);

    // Priority: IRQ 0 and IRQ 8 (RTC periodic) both pending when interrupts come on.
    rtc_write_reg(RTC_STATUS_A, 0x26);  // 1024 Hz
    rtc_write_reg(RTC_STATUS_B, (uint8_t)(rtc_read_reg(RTC_STATUS_B) | RTC_B_PIE));
    rtc_read_reg(RTC_STATUS_C);
    pit_delay(PIT_MS(3));
    irq_set_handler(0, record_order);
    irq_set_handler(8, record_order);
    wait_irr(0x0105);
    printf("pending before sti: irr %04x\n", pic_read_irr() & 0x0105);
    wait_for_irq();
    while (order_len < 2) wait_for_irq();
    printf("order: irq %d then irq %d\n", order[0], order[1]);
    rtc_write_reg(RTC_STATUS_B, (uint8_t)(rtc_read_reg(RTC_STATUS_B) & ~RTC_B_PIE));
    rtc_read_reg(RTC_STATUS_C);

    // Automatic EOI: nothing stays in service.
    pic_remap_auto_eoi(IRQ_BASE, IRQ_BASE + 8);
    irq_set_handler(0, record_isr);
    wait_for_irq();
    printf("auto-eoi in handler: isr %04x\n", isr_seen);
    pic_remap(IRQ_BASE, IRQ_BASE + 8);
    printf("done\n");
}
