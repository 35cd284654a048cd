// Benchmark: a tight integer loop (add/xor/shift/rotate over registers).
// Command line: iters=N (default 200000000).
#include <sdk/sdk.h>

void kmain(uint32_t magic, struct multiboot_info* mbi) {
    uint64_t n = cmdline_uint("iters", 200000000);
    printf("intloop%d: iterations %llu\n", GUEST_BITS, (unsigned long long)n);
    uint32_t a = 0x12345678, b = 0x9ABCDEF0, c = 1;
    uint32_t lo = (uint32_t)n, hi = (uint32_t)(n >> 32);
    while (lo | hi) {
        __asm__ volatile("add %1, %0\n xor %0, %1\n rol $5, %1\n add %2, %0\n shr $1, %2\n add $0x9E37, %2\n"
                         : "+r"(a), "+r"(b), "+r"(c)::"cc");
        if (lo-- == 0) hi--;
    }
    printf("result %08x %08x %08x\n", a, b, c);
    printf("PASS\n");
    exit_emulator(0);
}
