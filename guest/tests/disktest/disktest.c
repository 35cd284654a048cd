// Disk test: writes, reads back and verifies through both channels at once, then checks
// the command set's edges (out-of-range LBA, SET MULTIPLE, READ/WRITE MULTIPLE, LBA48, FLUSH).
// Wants two pattern disks (make-disk-image), one on each channel: -hda A -hdc B.
// Options: irq=1 for interrupt-driven transfers (default polling).
// Writes go to LBAs 64-191 of each disk (the pattern there is replaced by the test pattern).
#include <sdk/sdk.h>
#include <sdk/ata.h>
#include "disk_irq.h"

#define N 128
static uint8_t wbuf[ATA_CHANNELS][N * 512] __attribute__((aligned(16)));
static uint8_t rbuf[ATA_CHANNELS][N * 512] __attribute__((aligned(16)));
static uint8_t step2[N * 512], expect[24 * 512];
static int irq;
static int failures;
static uint32_t retries;

static void check(int ok, const char* what) {
    printf("%s: %s\n", what, ok ? "ok" : "FAILED");
    if (!ok) failures++;
}

static void fill(uint8_t* b, uint32_t sectors, uint32_t tag, uint64_t lba) {
    for (uint32_t i = 0; i < sectors * 512; i += 4) {
        uint32_t v = (uint32_t)(lba + i / 512) * 0x01000193u ^ tag ^ i;
        memcpy(b + i, &v, 4);
    }
}

// Runs the same command on both channels at once; retries a failed one (host I/O faults).
static void both(int write, int drive0, int drive1, uint64_t lba, uint32_t count, int flags, int expect_error,
                 int results[2]) {
    int drives[2] = {drive0, drive1};
    for (int tries = 0;; tries++) {
        for (int ch = 0; ch < 2; ch++)
            if (ata_start(drives[ch], write, lba, count, write ? wbuf[ch] : rbuf[ch], flags))
                panic("channel %d not ready", ch);
        int pending = 2;
        while (pending) {
            pending = 0;
            for (int ch = 0; ch < 2; ch++)
                if (ata_busy(ch) && !(irq ? 0 : ata_service(ch))) pending++;
            if (pending && irq) disk_irq_wait_until(!ata_busy(0) || !ata_busy(1));
            if (irq) pending = ata_busy(0) + ata_busy(1);
        }
        results[0] = ata_result(0);
        results[1] = ata_result(1);
        if (expect_error || (results[0] == 0 && results[1] == 0) || tries >= 20) return;
        retries++;
    }
}

static int read_retry(int drive, uint64_t lba, uint32_t count, void* buf, int flags) {
    int r = ata_read(drive, lba, count, buf, flags);
    for (int tries = 0; r != 0 && tries < 20; tries++, retries++) r = ata_read(drive, lba, count, buf, flags);
    return r;
}

void kmain(uint32_t magic, struct multiboot_info* mbi) {
    irq = (int)cmdline_uint("irq", 0);
    if (irq) disk_irq_setup();
    int n = ata_init(irq);
    printf("disktest: %d disk(s), %s\n", n, irq ? "interrupts" : "polling");
    for (int d = 0; d < ATA_DRIVES; d++) {
        const struct ata_drive_info* i = ata_info(d);
        if (i->present)
            printf("drive %d: %llu sectors, lba28 %u, lba48 %d, max multiple %d, model %s\n", d,
                   (unsigned long long)i->sectors, i->lba28_sectors, i->lba48, i->max_multiple,
                   i->model[0] ? "set" : "empty");
        else
            printf("drive %d: none\n", d);
    }
    if (!ata_info(0)->present || !ata_info(2)->present) panic("need disks at -hda and -hdc");
    int r[2];

    // 1. The pattern is there: sector 5 on both.
    both(0, 0, 2, 5, 1, 0, 0, r);
    uint64_t lba0 = 0, lba1 = 0;
    memcpy(&lba0, rbuf[0] + 8, 8);
    memcpy(&lba1, rbuf[1] + 8, 8);
    check(r[0] == 0 && r[1] == 0 && !memcmp(rbuf[0], "RWDISK", 6) && lba0 == 5 && lba1 == 5, "read pattern");

    // 2. Write 128 sectors on both channels at once (WRITE SECTORS / WRITE MULTIPLE), read back.
    fill(wbuf[0], N, 0xA5A5A5A5u, 64);
    fill(wbuf[1], N, 0x5A5A5A5Au, 64);
    both(1, 0, 2, 64, N, 0, 0, r);
    check(r[0] == 0 && r[1] == 0, "write sectors, both channels");
    memset(rbuf, 0, sizeof rbuf);
    both(0, 0, 2, 64, N, ATA_MULTIPLE, 0, r);
    check(r[0] == 0 && r[1] == 0 && !memcmp(rbuf[0], wbuf[0], sizeof wbuf[0]) &&
              !memcmp(rbuf[1], wbuf[1], sizeof wbuf[1]),
          "read multiple sees the writes");

    // 3. LBA48 write of a sub-range with WRITE MULTIPLE EXT, read back with READ SECTORS EXT.
    if (ata_set_multiple(0, 8) != 0 || ata_set_multiple(2, 4) != 0) failures++, printf("set multiple: FAILED\n");
    fill(wbuf[0], 16, 0x11111111u, 100);
    fill(wbuf[1], 16, 0x22222222u, 100);
    both(1, 0, 2, 100, 16, ATA_MULTIPLE | ATA_EXT, 0, r);
    check(r[0] == 0 && r[1] == 0, "write multiple ext");
    both(0, 0, 2, 96, 24, ATA_EXT, 0, r);
    // Expected: 96-99 from step 2's write (which started at 64), 100-115 new, 116-119 step 2 again.
    int same = 1;
    for (int ch = 0; ch < 2; ch++) {
        fill(step2, N, ch ? 0x5A5A5A5Au : 0xA5A5A5A5u, 64);
        memcpy(expect, step2 + 32 * 512, 4 * 512);
        fill(expect + 4 * 512, 16, ch ? 0x22222222u : 0x11111111u, 100);
        memcpy(expect + 20 * 512, step2 + 52 * 512, 4 * 512);
        if (memcmp(rbuf[ch], expect, 24 * 512)) same = 0;
    }
    check(r[0] == 0 && r[1] == 0 && same, "read sectors ext sees old and new writes");

    // 4. Errors: out of range, bad multiple count, unsupported command.
    uint64_t last = ata_info(0)->sectors - 1;
    both(0, 0, 2, last, 2, 0, 1, r);
    check((r[0] & 0x01) && ((r[0] >> 8) & (ATA_ERR_IDNF | ATA_ERR_ABRT)) && (r[1] & 0x01), "out-of-range read rejected");
    check(read_retry(0, last, 1, rbuf[0], 0) == 0 && read_retry(2, ata_info(2)->sectors - 1, 1, rbuf[1], ATA_EXT) == 0,
          "last sector readable");
    int m = ata_set_multiple(0, 3);
    check(m != 0 && ((m >> 8) & ATA_ERR_ABRT), "set multiple 3 rejected");
    check(ata_flush(0) == 0 && ata_flush(2) == 0, "flush cache");

    // 5. The first write is still there after everything else.
    both(0, 0, 2, 64, 1, 0, 0, r);
    uint8_t first[2][512];
    fill(first[0], 1, 0xA5A5A5A5u, 64);
    fill(first[1], 1, 0x5A5A5A5Au, 64);
    check(r[0] == 0 && !memcmp(rbuf[0], first[0], 512) && !memcmp(rbuf[1], first[1], 512), "writes persist");

    if (irq) check(ata_interrupts[0] > 0 && ata_interrupts[1] > 0, "interrupts on both channels");
    if (retries) printf("retries: %u\n", retries);
    printf(failures ? "FAIL\n" : "PASS\n");
    exit_emulator(failures ? 1 : 0);
}
