// Benchmark: adler32 and crc32 over a generated 64 KiB buffer, repeated.
// Command line: iters=N (default 5000).
#include <sdk/sdk.h>

static uint8_t buf[65536];
static uint32_t crc_table[256];

void kmain(uint32_t magic, struct multiboot_info* mbi) {
    uint32_t n = (uint32_t)cmdline_uint("iters", 5000);
    printf("checksum%d: iterations %u, buffer %u bytes\n", GUEST_BITS, n, (unsigned)sizeof buf);
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
    uint32_t x = 1;
    for (uint32_t i = 0; i < sizeof buf; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        buf[i] = (uint8_t)x;
    }
    uint32_t acc = 0;
    for (uint32_t it = 0; it < n; it++) {
        uint32_t a = 1, b = 0, crc = 0xFFFFFFFFu;
        for (uint32_t i = 0; i < sizeof buf; i++) {
            a += buf[i];
            b += a;
            if ((i & 4095) == 4095) {
                a %= 65521;
                b %= 65521;
            }
            crc = crc_table[(crc ^ buf[i]) & 0xFF] ^ (crc >> 8);
        }
        a %= 65521;
        b %= 65521;
        acc = (acc * 31) ^ ((b << 16) | a) ^ ~crc;
        buf[it % sizeof buf] ^= (uint8_t)acc;  // make every round different
    }
    printf("result %08x\n", acc);
    printf("PASS\n");
    exit_emulator(0);
}
