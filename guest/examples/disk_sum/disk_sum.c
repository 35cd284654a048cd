// disk-sum: reads every disk from start to end and prints its size and a checksum. Disks on
// different channels are read at the same time: a command is kept in flight on each channel,
// so the host serves two requests at once. Options (command line):
//   irq=1      interrupt-driven (default: polling)
//   chunk=N    sectors per command (default 128, at most 256)
//   mult=1     READ MULTIPLE instead of READ SECTORS
//   ext=1      48-bit commands
// A failed command is retried (up to 20 times); retries are reported, data is never skipped.
#include <sdk/sdk.h>
#include <sdk/ata.h>
#include "disk_irq.h"

#define MAX_CHUNK 256

struct job {
    int drive;
    uint64_t next;        // next LBA to request
    uint64_t inflight_lba;
    uint32_t inflight_count;
    uint32_t hash;        // running checksum
    uint32_t bad_headers; // sectors whose pattern header names another LBA
    int tries;
    int done;
};

static uint8_t buffers[ATA_CHANNELS][MAX_CHUNK * 512] __attribute__((aligned(16)));
static uint32_t chunk = 128;
static int flags;
static uint32_t retries, failures;

static uint32_t mix(uint32_t h, const uint32_t* words, uint32_t n) {
    for (uint32_t i = 0; i < n; i++) h = (h ^ words[i]) * 16777619u + (h >> 15);
    return h;
}

static void start_next(struct job* j) {
    const struct ata_drive_info* d = ata_info(j->drive);
    if (j->next >= d->sectors) {
        j->done = 1;
        return;
    }
    uint64_t left = d->sectors - j->next;
    j->inflight_lba = j->next;
    j->inflight_count = left < chunk ? (uint32_t)left : chunk;
    j->next += j->inflight_count;
    j->tries = 0;
    if (ata_start(j->drive, 0, j->inflight_lba, j->inflight_count, buffers[j->drive / 2], flags))
        panic("drive %d: channel not ready", j->drive);
}

static void finished(struct job* j, int result) {
    if (result) {
        if (++j->tries > 20) {
            printf("drive %d: read at %llu failed: result %x\n", j->drive, (unsigned long long)j->inflight_lba, result);
            failures++;
            j->done = 1;
            return;
        }
        retries++;
        if (ata_start(j->drive, 0, j->inflight_lba, j->inflight_count, buffers[j->drive / 2], flags))
            panic("drive %d: channel not ready", j->drive);
        return;
    }
    const uint8_t* b = buffers[j->drive / 2];
    for (uint32_t s = 0; s < j->inflight_count; s++) {
        const uint8_t* sec = b + s * 512;
        uint64_t lba;
        memcpy(&lba, sec + 8, 8);
        if (memcmp(sec, "RWDISK", 6) != 0 || lba != j->inflight_lba + s) j->bad_headers++;
    }
    j->hash = mix(j->hash, (const uint32_t*)b, j->inflight_count * 128);
    start_next(j);
}

static int channel_finished(struct job* const active[ATA_CHANNELS]) {
    for (int ch = 0; ch < ATA_CHANNELS; ch++)
        if (active[ch] && !active[ch]->done && !ata_busy(ch)) return 1;
    return 0;
}

void kmain(uint32_t magic, struct multiboot_info* mbi) {
    int irq = (int)cmdline_uint("irq", 0);
    chunk = (uint32_t)cmdline_uint("chunk", 128);
    if (chunk == 0 || chunk > MAX_CHUNK) chunk = 128;
    if (cmdline_uint("mult", 0)) flags |= ATA_MULTIPLE;
    if (cmdline_uint("ext", 0)) flags |= ATA_EXT;
    if (irq) disk_irq_setup();
    int n = ata_init(irq);
    printf("disk-sum: %d disk(s), %s, %u sectors per command\n", n, irq ? "interrupts" : "polling", chunk);
    if (n == 0) {
        printf("no disks\n");
        exit_emulator(2);
    }
    // One job per channel at a time: the first disk of each channel, then the second.
    struct job jobs[ATA_DRIVES];
    for (int d = 0; d < ATA_DRIVES; d++) {
        memset(&jobs[d], 0, sizeof jobs[d]);
        jobs[d].drive = d;
        jobs[d].hash = 2166136261u;
        jobs[d].done = !ata_info(d)->present;
    }
    for (int unit = 0; unit < 2; unit++) {
        struct job* active[ATA_CHANNELS] = {0, 0};
        for (int ch = 0; ch < ATA_CHANNELS; ch++) {
            struct job* j = &jobs[ch * 2 + unit];
            if (j->done) continue;
            active[ch] = j;
            start_next(j);
        }
        // Service whichever channel is ready; both stay busy until their disk is read.
        for (;;) {
            int busy = 0;
            for (int ch = 0; ch < ATA_CHANNELS; ch++) {
                struct job* j = active[ch];
                if (!j || j->done) continue;
                if (irq ? !ata_busy(ch) : ata_service(ch)) finished(j, ata_result(ch));
                busy |= !j->done;
            }
            if (!busy) break;
            if (irq) disk_irq_wait_until(channel_finished(active));
        }
    }
    for (int d = 0; d < ATA_DRIVES; d++) {
        const struct ata_drive_info* info = ata_info(d);
        if (!info->present) continue;
        printf("drive %d: %llu sectors (%llu KiB), checksum %08x, bad headers %u\n", d,
               (unsigned long long)info->sectors, (unsigned long long)(info->sectors / 2), jobs[d].hash,
               jobs[d].bad_headers);
    }
    if (retries) printf("retries: %u\n", retries);
    printf(failures ? "FAIL\n" : "PASS\n");
    exit_emulator(failures ? 1 : 0);
}
