// Benchmark: fills the disk at -hda front to back (mb=N MiB, default 64), then rewrites its
// first hot=N KiB (default 512) passes=N times (default 8) with computing in between
// (spin=N rounds, default 5,000,000): an overlay that grows large, then intervals that
// write little. For the disk snapshot figures (bench/disk_snapshot_bench.cpp).
#include <sdk/sdk.h>
#include <sdk/ata.h>

#define CHUNK 128  // sectors per command
static uint8_t buf[CHUNK * 512] __attribute__((aligned(16)));

// Half of each sector varies (xorshift from the LBA and pass), half repeats a line of
// text: compressible about 2:1, as file data often is.
static void fill(uint64_t lba, uint32_t count, uint32_t pass) {
    static const char line[] = "rewind diskwrite: the quick brown fox jumps over the lazy dog 0123456789\n";
    for (uint32_t s = 0; s < count; s++) {
        uint32_t* w = (uint32_t*)(buf + s * 512);
        uint32_t x = (uint32_t)(lba + s) * 2654435761u ^ (pass + 1) * 0x9E3779B9u;
        for (int i = 0; i < 64; i++) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            w[i] = x;
        }
        for (int i = 256; i < 512; i++) buf[s * 512 + i] = (uint8_t)line[i % (sizeof line - 1)];
    }
}

static void write_range(uint64_t first, uint64_t sectors, uint32_t pass) {
    for (uint64_t lba = first; lba < first + sectors; lba += CHUNK) {
        uint32_t n = first + sectors - lba < CHUNK ? (uint32_t)(first + sectors - lba) : CHUNK;
        fill(lba, n, pass);
        int r = ata_write(0, lba, n, buf, 0);
        if (r) panic("write at %llu failed: %x", (unsigned long long)lba, r);
    }
}

void kmain(uint32_t magic, struct multiboot_info* mbi) {
    uint64_t mb = cmdline_uint("mb", 64), hot = cmdline_uint("hot", 512);
    uint32_t passes = (uint32_t)cmdline_uint("passes", 8), spin = (uint32_t)cmdline_uint("spin", 5000000);
    if (ata_init(0) < 1 || !ata_info(0)->present) panic("need a disk at -hda");
    uint64_t sectors = mb * 2048, hot_sectors = hot * 2;
    if (sectors > ata_info(0)->sectors || hot_sectors > sectors) panic("the disk is smaller than mb=%llu", (unsigned long long)mb);
    printf("diskwrite%d: %llu MiB, then %u passes over %llu KiB\n", GUEST_BITS, (unsigned long long)mb, passes,
           (unsigned long long)hot);
    write_range(0, sectors, 0);
    uint32_t x = 1;
    for (uint32_t p = 1; p <= passes; p++) {
        for (uint32_t i = 0; i < spin; i++) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
        }
        write_range(0, hot_sectors, p);
    }
    printf("done %08x\nPASS\n", x);
    exit_emulator(0);
}
