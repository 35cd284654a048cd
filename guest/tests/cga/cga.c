// CGA text mode: characters and colours written to the text memory at 0xB8000 and read
// back, the 6845 CRTC's cursor location, cursor shape and start address written through
// 0x3D4/0x3D5 and read back, and the status port's retrace bits changing. Prints what it
// reads to the serial port (the same on QEMU, whose VGA answers these ports as a CGA
// does); the screen it leaves is checked by `rewind run --screen` (tests/guests/cga.screen).
#include <sdk/sdk.h>

#define CRTC_INDEX 0x3D4
#define CRTC_DATA 0x3D5
#define CGA_STATUS 0x3DA
#define COLUMNS 80
#define ROWS 25

static volatile uint16_t* const text = (volatile uint16_t*)0xB8000;

static void crtc_write(uint8_t reg, uint8_t value) {
    outb(CRTC_INDEX, reg);
    outb(CRTC_DATA, value);
}

static uint8_t crtc_read(uint8_t reg) {
    outb(CRTC_INDEX, reg);
    return inb(CRTC_DATA);
}

static void put_text(int row, int col, const char* s, uint8_t attr) {
    for (; *s; s++, col++) text[row * COLUMNS + col] = (uint16_t)((uint8_t)*s | (attr << 8));
}

static void set_cursor(unsigned pos) {
    crtc_write(0x0E, (uint8_t)(pos >> 8));
    crtc_write(0x0F, (uint8_t)pos);
}

static unsigned get_cursor(void) { return ((unsigned)crtc_read(0x0E) << 8) | crtc_read(0x0F); }

// Polls the status port until `bit` reads `value`; whether it did within the bound.
static int wait_status(uint8_t bit, uint8_t value) {
    for (uint32_t i = 0; i < 20000000u; i++)
        if (((inb(CGA_STATUS) & bit) != 0) == value) return 1;
    return 0;
}

void kmain(uint32_t magic, struct multiboot_info* mbi) {
    (void)magic;
    (void)mbi;
    // Clear the screen: spaces, light grey on black.
    for (int i = 0; i < COLUMNS * ROWS; i++) text[i] = 0x0720;

    put_text(0, 0, "rewind CGA test", 0x1F);
    put_text(2, 4, "white on blue, yellow on red", 0x4E);
    put_text(3, 4, "trailing spaces are trimmed   ", 0x07);
    static const char box[] = {(char)0xC9, (char)0xCD, (char)0xCD, (char)0xBB, ' ', (char)0xB0, (char)0xB1,
                               (char)0xB2, ' ', (char)0x03, 0};
    put_text(5, 0, box, 0x0A);
    put_text(24, 70, "last line", 0x70);

    // Read the text memory back.
    uint32_t sum = 0;
    for (int i = 0; i < COLUMNS * ROWS; i++) sum = sum * 31 + text[i];
    printf("text memory checksum: %08x\n", sum);
    printf("cell (2,4): %04x, cell (24,78): %04x\n", text[2 * COLUMNS + 4], text[24 * COLUMNS + 78]);

    // The cursor location, its shape and the start address read back.
    set_cursor(5 * COLUMNS + 10);
    unsigned pos = get_cursor();
    printf("cursor written %u, read %u (row %u, column %u)\n", 5 * COLUMNS + 10, pos, pos / COLUMNS, pos % COLUMNS);
    set_cursor(0x07CF);
    printf("cursor written %u, read %u\n", 0x07CF, get_cursor());
    crtc_write(0x0A, 0x06);
    crtc_write(0x0B, 0x07);
    printf("cursor shape written 06 07, read %02x %02x\n", crtc_read(0x0A), crtc_read(0x0B));
    crtc_write(0x0C, 0x01);
    crtc_write(0x0D, 0x40);
    printf("start address written 0140, read %02x%02x\n", crtc_read(0x0C), crtc_read(0x0D));
    crtc_write(0x0C, 0x00);
    crtc_write(0x0D, 0x00);
    outb(CRTC_INDEX, 0x0F);
    printf("index 0f, data reads %02x\n", inb(CRTC_DATA));

    // Retrace: both bits change while the guest polls.
    int v1 = wait_status(0x08, 0) && wait_status(0x08, 1);
    int h1 = wait_status(0x01, 0) && wait_status(0x01, 1);
    printf("vertical retrace seen: %s, display enable toggles: %s\n", v1 ? "yes" : "no", h1 ? "yes" : "no");

    // Leave the cursor after the last line written.
    set_cursor(6 * COLUMNS);
    printf("cursor left at %u\n", get_cursor());
    printf("done\n");
}
