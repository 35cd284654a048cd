// Benchmark: a small LZ77-style compressor (hash of 4-byte prefixes, 64 KiB window)
// and its decompressor over generated text-like data, repeated; verifies the round trip.
// Command line: iters=N (default 1000).
#include <sdk/sdk.h>

#define SIZE 65536
static uint8_t input[SIZE], packed[SIZE + SIZE / 8 + 16], unpacked[SIZE];
static uint32_t table[4096];

// Format: a control byte with 8 flags (LSB first); flag 0 = literal byte,
// flag 1 = match: 2 bytes offset, 1 byte (length - 4), length 4..259.
static uint32_t compress(const uint8_t* in, uint32_t n, uint8_t* out) {
    memset(table, 0xFF, sizeof table);
    uint32_t ip = 0, op = 0;
    while (ip < n) {
        uint32_t ctl_pos = op++;
        uint8_t ctl = 0;
        for (int bit = 0; bit < 8 && ip < n; bit++) {
            uint32_t len = 0, off = 0;
            if (ip + 4 <= n) {
                uint32_t v = in[ip] | in[ip + 1] << 8 | in[ip + 2] << 16 | (uint32_t)in[ip + 3] << 24;
                uint32_t h = (v * 2654435761u) >> 20;
                uint32_t cand = table[h];
                table[h] = ip;
                if (cand != 0xFFFFFFFFu && ip - cand <= 0xFFFF) {
                    while (ip + len < n && len < 259 && in[cand + len] == in[ip + len]) len++;
                    off = ip - cand;
                }
            }
            if (len >= 4) {
                ctl |= (uint8_t)(1 << bit);
                out[op++] = (uint8_t)off;
                out[op++] = (uint8_t)(off >> 8);
                out[op++] = (uint8_t)(len - 4);
                ip += len;
            } else {
                out[op++] = in[ip++];
            }
        }
        out[ctl_pos] = ctl;
    }
    return op;
}

static uint32_t decompress(const uint8_t* in, uint32_t n, uint8_t* out) {
    uint32_t ip = 0, op = 0;
    while (ip < n) {
        uint8_t ctl = in[ip++];
        for (int bit = 0; bit < 8 && ip < n; bit++) {
            if (ctl & (1 << bit)) {
                uint32_t off = in[ip] | in[ip + 1] << 8, len = in[ip + 2] + 4u;
                ip += 3;
                for (uint32_t k = 0; k < len; k++, op++) out[op] = out[op - off];
            } else {
                out[op++] = in[ip++];
            }
        }
    }
    return op;
}

void kmain(uint32_t magic, struct multiboot_info* mbi) {
    uint32_t n = (uint32_t)cmdline_uint("iters", 1000);
    printf("compress%d: iterations %u, input %u bytes\n", GUEST_BITS, n, SIZE);
    static const char* const words[] = {"the ", "quick ", "brown ", "fox ", "jumps ", "over ", "lazy ", "dog ",
                                        "rewind ", "replay ", "snapshot ", "journal ", "\n", "0x1f ", "gdb ", "x86 "};
    uint32_t seed = 7, acc = 0;
    for (uint32_t it = 0; it < n; it++) {
        uint32_t p = 0;
        while (p < SIZE) {
            seed = seed * 1103515245u + 12345u;
            const char* w = words[(seed >> 16) & 15];
            while (*w && p < SIZE) input[p++] = (uint8_t)*w++;
        }
        uint32_t c = compress(input, SIZE, packed);
        uint32_t d = decompress(packed, c, unpacked);
        if (d != SIZE || memcmp(input, unpacked, SIZE)) {
            printf("FAIL: round trip %u\n", it);
            exit_emulator(1);
        }
        acc = acc * 31 + c;
    }
    printf("last compressed size %u, result %08x\n", acc ? (unsigned)compress(input, SIZE, packed) : 0, acc);
    printf("PASS\n");
    exit_emulator(0);
}
