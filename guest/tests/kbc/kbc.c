// The 8042 keyboard controller: status and command byte as the BIOS left them, the
// controller's self-tests, the command byte written and read back, keyboard commands
// answered through the output buffer (polled, and each byte an IRQ 1 of its own), and the
// A20 gate (through the controller's output port, its 0xDD/0xDF commands and port 0x92),
// checked by the wraparound at 1 MiB.
// Prints only what QEMU and rewind agree on. 32-bit with paging off: the A20 checks run
// from a copy of a small routine in low memory, because with A20 off the guest's own
// image (at 1 MiB) is not where its addresses point.
#include <sdk/sdk.h>

#define KBC_DATA 0x60
#define KBC_STATUS 0x64
#define PORT_A 0x92

static int wait_input_empty(void) {
    for (int i = 0; i < 100000; i++)
        if (!(inb(KBC_STATUS) & 0x02)) return 1;
    printf("timeout waiting for the input buffer\n");
    return 0;
}

// The next byte of the output buffer, or -1 if none comes.
static int read_output(void) {
    for (int i = 0; i < 100000; i++)
        if (inb(KBC_STATUS) & 0x01) return inb(KBC_DATA);
    return -1;
}

static void command(uint8_t c) {
    wait_input_empty();
    outb(KBC_STATUS, c);
}

static void data(uint8_t d) {
    wait_input_empty();
    outb(KBC_DATA, d);
}

static int command_reply(uint8_t c) {
    command(c);
    return read_output();
}

// Writes a keyboard command (and a parameter if >= 0) and prints the replies.
static void keyboard(const char* what, uint8_t c, int param, int replies) {
    data(c);
    printf("keyboard %s:", what);
    if (param >= 0) {
        printf(" %02x", read_output() & 0xFF);
        data((uint8_t)param);
    }
    for (int i = 0; i < replies; i++) printf(" %02x", read_output() & 0xFF);
    printf("\n");
}

// The A20 routine, position independent, run from low memory. Arguments (cdecl): the way
// to switch (0: output port, 1: 0xDD/0xDF, 2: port 0x92), the high address, the low
// address, the output port values for off and on. Writes 0x11111111 to the high address
// with A20 off and reads the low one; switches A20 on, writes 0x22222222 to the high
// address and reads the low one again. Returns the two reads (EDX:EAX). Between off and
// on it touches neither the stack nor anything above 1 MiB.
extern char a20_probe_start[], a20_probe_end[];
__asm__(
    ".text\n"
    ".globl a20_probe_start\n"
    ".globl a20_probe_end\n"
    "a20_probe_start:\n"
    "  push %ebx\n push %esi\n push %edi\n push %ebp\n"
    "  mov 20(%esp), %ebp\n mov 24(%esp), %esi\n mov 28(%esp), %edi\n"
    "  mov 32(%esp), %ebx\n mov 36(%esp), %ecx\n"
    "  cmp $1, %ebp\n je 20f\n cmp $2, %ebp\n je 30f\n"
    // Output port: 0xD1 then the value.
    "1: in $0x64, %al\n test $2, %al\n jnz 1b\n mov $0xD1, %al\n out %al, $0x64\n"
    "2: in $0x64, %al\n test $2, %al\n jnz 2b\n mov %bl, %al\n out %al, $0x60\n"
    "3: in $0x64, %al\n test $2, %al\n jnz 3b\n"
    "  movl $0x11111111, (%esi)\n mov (%edi), %ebx\n"
    "4: in $0x64, %al\n test $2, %al\n jnz 4b\n mov $0xD1, %al\n out %al, $0x64\n"
    "5: in $0x64, %al\n test $2, %al\n jnz 5b\n mov %cl, %al\n out %al, $0x60\n"
    "6: in $0x64, %al\n test $2, %al\n jnz 6b\n"
    "  jmp 90f\n"
    // 0xDD / 0xDF.
    "20: in $0x64, %al\n test $2, %al\n jnz 20b\n mov $0xDD, %al\n out %al, $0x64\n"
    "21: in $0x64, %al\n test $2, %al\n jnz 21b\n"
    "  movl $0x11111111, (%esi)\n mov (%edi), %ebx\n"
    "22: in $0x64, %al\n test $2, %al\n jnz 22b\n mov $0xDF, %al\n out %al, $0x64\n"
    "23: in $0x64, %al\n test $2, %al\n jnz 23b\n"
    "  jmp 90f\n"
    // Port 0x92, bit 1 (bit 0 would reset).
    "30: in $0x92, %al\n and $0xFC, %al\n out %al, $0x92\n"
    "  movl $0x11111111, (%esi)\n mov (%edi), %ebx\n"
    "  in $0x92, %al\n and $0xFE, %al\n or $0x02, %al\n out %al, $0x92\n"
    "90: movl $0x22222222, (%esi)\n mov (%edi), %edx\n mov %ebx, %eax\n"
    "  pop %ebp\n pop %edi\n pop %esi\n pop %ebx\n ret\n"
    "a20_probe_end:\n");

typedef uint64_t (*a20_probe_fn)(int method, volatile uint32_t* high, volatile uint32_t* low, uint32_t off,
                                 uint32_t on);

#define PROBE_COPY 0x50000u
#define LOW_ADDRESS 0x60000u
#define HIGH_ADDRESS (LOW_ADDRESS + 0x100000u)

// IRQ 1: each reply byte is an interrupt of its own.
static volatile uint8_t irq_bytes[8];
static volatile int irq_count;

static void keyboard_irq(int irq, struct int_frame* f) {
    (void)irq;
    (void)f;
    uint8_t b = inb(KBC_DATA);
    if (irq_count < 8) irq_bytes[irq_count] = b;
    irq_count++;
}

static void check_irq1(const char* what, uint8_t c, int expected) {
    irq_count = 0;
    data(c);
    sti();
    for (int i = 0; i < 1000000 && irq_count < expected; i++) cpu_pause();
    cli();
    printf("irq 1 after %s: %d interrupts:", what, irq_count);
    for (int i = 0; i < irq_count && i < 8; i++) printf(" %02x", irq_bytes[i]);
    printf("\n");
}

static uint8_t read_output_port(void) { return (uint8_t)command_reply(0xD0); }

static void check_a20(const char* how, int method) {
    volatile uint32_t* low = (volatile uint32_t*)LOW_ADDRESS;
    volatile uint32_t* high = (volatile uint32_t*)HIGH_ADDRESS;
    *low = 0x12345678;
    *high = 0;
    const uint8_t port = read_output_port();
    cli();
    uint64_t r = ((a20_probe_fn)PROBE_COPY)(method, high, low, port & ~0x02u, port | 0x02u);
    printf("a20 through %s: off: low reads %08x (%s); on: low reads %08x, high %08x (%s)\n", how, (uint32_t)r,
           (uint32_t)r == 0x11111111 ? "wraps" : "does not wrap", (uint32_t)(r >> 32), *high,
           (uint32_t)(r >> 32) == 0x11111111 && *high == 0x22222222 ? "separate" : "not separate");
    printf("  output port a20 bit %u, port 0x92 bit 1 %u\n", (read_output_port() >> 1) & 1, (inb(PORT_A) >> 1) & 1);
}

void kmain(uint32_t magic, struct multiboot_info* mbi) {
    (void)magic;
    (void)mbi;
    cli();
    // As the BIOS left it (the output buffer may hold nothing: it is drained first).
    printf("bios status: %02x\n", inb(KBC_STATUS) & ~0x01);
    while (inb(KBC_STATUS) & 0x01) inb(KBC_DATA);
    const int cmd = command_reply(0x20);
    printf("bios command byte: %02x\n", cmd);
    printf("port 0x92: %02x\n", inb(PORT_A));
    printf("output port a20 bit: %u\n", (read_output_port() >> 1) & 1);

    // The controller's own tests.
    printf("self-test: %02x\n", command_reply(0xAA) & 0xFF);
    printf("status after self-test: system flag %u\n", (inb(KBC_STATUS) >> 2) & 1);
    printf("keyboard interface test: %02x\n", command_reply(0xAB) & 0xFF);

    // The command byte: IRQs off, translation kept; read back.
    command(0x60);
    data((uint8_t)(cmd & ~0x03));
    printf("command byte written %02x, read %02x\n", cmd & ~0x03, command_reply(0x20) & 0xFF);
    // (Status bit 3, "last write was a command", is not printed: QEMU keeps it set.)
    data(0xF4);
    printf("keyboard enable: %02x\n", read_output() & 0xFF);

    // Keyboard commands through the data port.
    command(0xAD);
    command(0xAE);
    keyboard("echo", 0xEE, -1, 1);
    keyboard("identify", 0xF2, -1, 3);
    keyboard("leds", 0xED, 0x02, 1);
    keyboard("scan set 2", 0xF0, 0x02, 1);
    keyboard("disable", 0xF5, -1, 1);
    keyboard("reset", 0xFF, -1, 2);
    keyboard("enable", 0xF4, -1, 1);
    printf("output buffer empty: %s\n", (inb(KBC_STATUS) & 0x01) ? "no" : "yes");

    // A20.
    memcpy((void*)PROBE_COPY, a20_probe_start, (size_t)(a20_probe_end - a20_probe_start));
    check_a20("the output port", 0);
    check_a20("0xdd/0xdf", 1);
    check_a20("port 0x92", 2);

    // Replies through IRQ 1.
    irq_init();
    irq_set_handler(1, keyboard_irq);
    pic_unmask(1);
    command(0x60);
    data((uint8_t)(cmd | 0x01));
    check_irq1("echo", 0xEE, 1);
    check_irq1("reset", 0xFF, 2);
    pic_mask(1);

    command(0x60);
    data((uint8_t)cmd);
    printf("command byte restored: %02x\n", command_reply(0x20) & 0xFF);
    printf("done\n");
}
