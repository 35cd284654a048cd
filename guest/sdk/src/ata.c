// ATA PIO driver: see sdk/ata.h.
#include <sdk/sdk.h>
#include <sdk/ata.h>

#define REG_DATA 0
#define REG_ERROR 1
#define REG_FEATURE 1
#define REG_COUNT 2
#define REG_LBA0 3
#define REG_LBA1 4
#define REG_LBA2 5
#define REG_DEVICE 6
#define REG_STATUS 7
#define REG_COMMAND 7

#define ST_BSY 0x80
#define ST_DRDY 0x40
#define ST_DF 0x20
#define ST_DRQ 0x08
#define ST_ERR 0x01

#define CTL_NIEN 0x02
#define CTL_SRST 0x04

#define SPIN_LIMIT 50000000u

static const uint16_t io_base[ATA_CHANNELS] = {0x1F0, 0x170};
static const uint16_t ctl_port[ATA_CHANNELS] = {0x3F6, 0x376};

struct channel_state {
    volatile int busy;
    volatile int result;
    int write;
    uint8_t* buf;
    uint32_t remaining;  // sectors still to move
    uint32_t block;      // sectors per DRQ block
};

static struct ata_drive_info drives[ATA_DRIVES];
static struct channel_state chan[ATA_CHANNELS];
static int irq_mode;
static uint8_t multiple_setting[ATA_DRIVES];
volatile uint32_t ata_blocks[ATA_CHANNELS];
volatile uint32_t ata_interrupts[ATA_CHANNELS];

static inline uint8_t alt_status(int ch) { return inb(ctl_port[ch]); }
static inline void delay400(int ch) {
    for (int i = 0; i < 4; i++) (void)alt_status(ch);
}

static void insw_block(uint16_t port, void* buf, uint32_t words) {
    __asm__ volatile("cld; rep insw" : "+D"(buf), "+c"(words) : "d"(port) : "memory");
}
static void outsw_block(uint16_t port, const void* buf, uint32_t words) {
    __asm__ volatile("cld; rep outsw" : "+S"(buf), "+c"(words) : "d"(port) : "memory");
}

// Waits until BSY clears; returns the (alternate) status, or 0xFF... on timeout.
static int wait_not_busy(int ch) {
    for (uint32_t i = 0; i < SPIN_LIMIT; i++) {
        uint8_t s = alt_status(ch);
        if (!(s & ST_BSY)) return s;
    }
    return -1;
}

static void copy_string(char* out, const uint16_t* words, int n) {
    for (int i = 0; i < n; i++) {
        out[2 * i] = (char)(words[i] >> 8);
        out[2 * i + 1] = (char)words[i];
    }
    int len = 2 * n;
    out[len] = 0;
    while (len > 0 && out[len - 1] == ' ') out[--len] = 0;
}

static void select_drive(int drive, uint8_t lba_bits) {
    outb(io_base[drive / 2] + REG_DEVICE, (uint8_t)(0xA0 | 0x40 | ((drive & 1) << 4) | lba_bits));
    delay400(drive / 2);
}

static void identify(int drive) {
    int ch = drive / 2;
    uint16_t base = io_base[ch];
    struct ata_drive_info* d = &drives[drive];
    memset(d, 0, sizeof *d);
    select_drive(drive, 0);
    uint8_t s = inb(base + REG_STATUS);
    if (s == 0 || s == 0xFF) return;  // nothing there (QEMU and rewind: 0; a floating bus: FF)
    if (wait_not_busy(ch) < 0) return;
    outb(base + REG_COUNT, 0);
    outb(base + REG_LBA0, 0);
    outb(base + REG_LBA1, 0);
    outb(base + REG_LBA2, 0);
    outb(base + REG_COMMAND, 0xEC);
    delay400(ch);
    s = inb(base + REG_STATUS);
    if (s == 0 || s == 0xFF) return;
    int st = wait_not_busy(ch);
    if (st < 0) return;
    if (inb(base + REG_LBA1) || inb(base + REG_LBA2)) {  // ATAPI or SATA signature: not an ATA disk
        (void)inb(base + REG_STATUS);
        return;
    }
    for (uint32_t i = 0; i < SPIN_LIMIT; i++) {
        st = alt_status(ch);
        if (st & (ST_ERR | ST_DRQ)) break;
    }
    st = inb(base + REG_STATUS);
    if (!(st & ST_DRQ) || (st & ST_ERR)) return;
    uint16_t id[256];
    insw_block(base + REG_DATA, id, 256);
    d->present = 1;
    d->lba28_sectors = id[60] | ((uint32_t)id[61] << 16);
    d->lba48 = (id[83] >> 10) & 1;
    d->sectors = d->lba48 ? (id[100] | ((uint64_t)id[101] << 16) | ((uint64_t)id[102] << 32) |
                             ((uint64_t)id[103] << 48))
                          : d->lba28_sectors;
    d->max_multiple = id[47] & 0xFF;
    multiple_setting[drive] = (id[59] & 0x100) ? (uint8_t)id[59] : 0;
    copy_string(d->model, id + 27, 20);
    copy_string(d->serial, id + 10, 10);
}

int ata_init(int irq) {
    irq_mode = irq;
    int n = 0;
    for (int ch = 0; ch < ATA_CHANNELS; ch++) {
        chan[ch].busy = 0;
        chan[ch].result = 0;
        outb(ctl_port[ch], CTL_NIEN | CTL_SRST);
        delay400(ch);
        outb(ctl_port[ch], CTL_NIEN);
        // QEMU finishes the reset asynchronously; until then the drives ignore register
        // writes, so a slave selected before (by the BIOS) stays selected and reads as 0.
        // Select the master until it answers, or long enough to believe the channel is empty.
        for (uint32_t i = 0; i < 2000000; i++) {
            outb(io_base[ch] + REG_DEVICE, 0xA0);
            uint8_t s = alt_status(ch);
            if (s != 0 && s != 0xFF && !(s & ST_BSY)) break;
        }
        for (int unit = 0; unit < 2; unit++) {
            identify(ch * 2 + unit);
            n += drives[ch * 2 + unit].present;
        }
        (void)inb(io_base[ch] + REG_STATUS);
        outb(ctl_port[ch], irq ? 0 : CTL_NIEN);
    }
    return n;
}

const struct ata_drive_info* ata_info(int drive) { return &drives[drive]; }

static int finish(int ch, int result) {
    chan[ch].result = result;
    chan[ch].busy = 0;
    return 1;
}

static int error_result(int ch, uint8_t status) { return (inb(io_base[ch] + REG_ERROR) << 8) | status; }

// A command without data: issue and wait for the drive (polling; the interrupt is acknowledged).
static int simple_command(int drive, uint8_t command, uint8_t count) {
    int ch = drive / 2;
    if (chan[ch].busy || wait_not_busy(ch) < 0) return ATA_TIMEOUT;
    select_drive(drive, 0);
    outb(io_base[ch] + REG_COUNT, count);
    outb(io_base[ch] + REG_COMMAND, command);
    delay400(ch);
    if (wait_not_busy(ch) < 0) return ATA_TIMEOUT;
    uint8_t s = inb(io_base[ch] + REG_STATUS);
    return (s & (ST_ERR | ST_DF)) ? error_result(ch, s) : 0;
}

int ata_set_multiple(int drive, int sectors) {
    int r = simple_command(drive, 0xC6, (uint8_t)sectors);
    if (r == 0) multiple_setting[drive] = (uint8_t)sectors;
    return r;
}

int ata_flush(int drive) { return simple_command(drive, drives[drive].lba48 ? 0xEA : 0xE7, 0); }

// With interrupts off: the device may interrupt as soon as the command (or the first
// block) is written, and the handler must see the channel state already updated.
static int start_locked(int drive, int write, uint64_t lba, uint32_t count, void* buf, int flags) {
    int ch = drive / 2;
    uint16_t base = io_base[ch];
    struct channel_state* c = &chan[ch];
    if (c->busy || wait_not_busy(ch) < 0) return ATA_TIMEOUT;
    int ext = (flags & ATA_EXT) || count > 256 || lba + count > (1u << 28);
    int multiple = flags & ATA_MULTIPLE;
    c->write = write;
    c->buf = buf;
    c->remaining = count;
    c->block = multiple && multiple_setting[drive] ? multiple_setting[drive] : 1;
    c->result = 0;
    c->busy = 1;
    uint8_t command;
    if (ext) {
        select_drive(drive, 0);
        outb(base + REG_COUNT, (uint8_t)(count >> 8));
        outb(base + REG_LBA0, (uint8_t)(lba >> 24));
        outb(base + REG_LBA1, (uint8_t)(lba >> 32));
        outb(base + REG_LBA2, (uint8_t)(lba >> 40));
        outb(base + REG_COUNT, (uint8_t)count);
        outb(base + REG_LBA0, (uint8_t)lba);
        outb(base + REG_LBA1, (uint8_t)(lba >> 8));
        outb(base + REG_LBA2, (uint8_t)(lba >> 16));
        command = write ? (multiple ? 0x39 : 0x34) : (multiple ? 0x29 : 0x24);
    } else {
        select_drive(drive, (uint8_t)((lba >> 24) & 0x0F));
        outb(base + REG_COUNT, (uint8_t)count);
        outb(base + REG_LBA0, (uint8_t)lba);
        outb(base + REG_LBA1, (uint8_t)(lba >> 8));
        outb(base + REG_LBA2, (uint8_t)(lba >> 16));
        command = write ? (multiple ? 0xC5 : 0x30) : (multiple ? 0xC4 : 0x20);
    }
    outb(base + REG_COMMAND, command);
    if (write) {
        // PIO out: the first block goes without an interrupt, as soon as DRQ is up.
        delay400(ch);
        int s = wait_not_busy(ch);
        if (s < 0) {
            finish(ch, ATA_TIMEOUT);
            return ATA_TIMEOUT;
        }
        if (s & (ST_ERR | ST_DF)) {
            finish(ch, error_result(ch, (uint8_t)inb(base + REG_STATUS)));
            return 0;
        }
        uint32_t n = c->remaining < c->block ? c->remaining : c->block;
        outsw_block(base + REG_DATA, c->buf, n * 256);
        c->buf += n * 512;
        c->remaining -= n;
        ata_blocks[ch]++;
    }
    return 0;
}

int ata_start(int drive, int write, uint64_t lba, uint32_t count, void* buf, int flags) {
    uintptr_t saved = read_flags();
    cli();
    int r = start_locked(drive, write, lba, count, buf, flags);
    if (saved & FLAGS_IF) sti();
    return r;
}

int ata_busy(int channel) { return chan[channel].busy; }
int ata_result(int channel) { return chan[channel].result; }

int ata_service(int ch) {
    struct channel_state* c = &chan[ch];
    if (!c->busy) {
        (void)inb(io_base[ch] + REG_STATUS);  // a stray interrupt: acknowledge it
        return 1;
    }
    uint8_t s = inb(io_base[ch] + REG_STATUS);  // acknowledges the interrupt
    if (s & ST_BSY) return 0;
    if (s & (ST_ERR | ST_DF)) return finish(ch, error_result(ch, s));
    if (s & ST_DRQ) {
        if (c->remaining == 0) return 0;  // (cannot happen with a correct device)
        uint32_t n = c->remaining < c->block ? c->remaining : c->block;
        if (c->write) outsw_block(io_base[ch] + REG_DATA, c->buf, n * 256);
        else insw_block(io_base[ch] + REG_DATA, c->buf, n * 256);
        c->buf += n * 512;
        c->remaining -= n;
        ata_blocks[ch]++;
        // A read ends with its last block (no interrupt follows); a write when the device says so.
        if (!c->write && c->remaining == 0) return finish(ch, 0);
        return 0;
    }
    if (c->remaining == 0) return finish(ch, 0);  // write done: not busy, no DRQ
    return 0;
}

int ata_wait(int ch) {
    uint32_t spins = 0;
    while (chan[ch].busy) {
        if (irq_mode) {
            // The handler runs between STI and HLT at the earliest, so no wakeup is lost.
            __asm__ volatile("cli");
            if (chan[ch].busy) sti_hlt();
            __asm__ volatile("sti");
        } else {
            if (ata_service(ch)) break;
            if (++spins > SPIN_LIMIT) return finish(ch, ATA_TIMEOUT), ATA_TIMEOUT;
        }
    }
    return chan[ch].result;
}

int ata_read(int drive, uint64_t lba, uint32_t count, void* buf, int flags) {
    int r = ata_start(drive, 0, lba, count, buf, flags);
    return r ? r : ata_wait(drive / 2);
}

int ata_write(int drive, uint64_t lba, uint32_t count, const void* buf, int flags) {
    int r = ata_start(drive, 1, lba, count, (void*)buf, flags);
    return r ? r : ata_wait(drive / 2);
}
