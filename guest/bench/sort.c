// Benchmark: quicksort of a pseudo-random array of 100000 integers, repeated.
// Command line: iters=N (default 100).
#include <sdk/sdk.h>

#define COUNT 100000
static uint32_t arr[COUNT];

static void quicksort(uint32_t* a, long lo, long hi) {
    while (lo < hi) {
        uint32_t p = a[lo + (hi - lo) / 2];
        long i = lo, j = hi;
        while (i <= j) {
            while (a[i] < p) i++;
            while (a[j] > p) j--;
            if (i <= j) {
                uint32_t t = a[i];
                a[i++] = a[j];
                a[j--] = t;
            }
        }
        if (j - lo < hi - i) {
            quicksort(a, lo, j);
            lo = i;
        } else {
            quicksort(a, i, hi);
            hi = j;
        }
    }
}

void kmain(uint32_t magic, struct multiboot_info* mbi) {
    uint32_t n = (uint32_t)cmdline_uint("iters", 100);
    printf("sort%d: iterations %u, elements %u\n", GUEST_BITS, n, COUNT);
    uint32_t seed = 42, acc = 0;
    for (uint32_t it = 0; it < n; it++) {
        for (uint32_t i = 0; i < COUNT; i++) {
            seed = seed * 1664525u + 1013904223u;
            arr[i] = seed >> 4;
        }
        quicksort(arr, 0, COUNT - 1);
        for (uint32_t i = 1; i < COUNT; i++)
            if (arr[i - 1] > arr[i]) {
                printf("FAIL: not sorted at %u\n", i);
                exit_emulator(1);
            }
        acc = acc * 31 + arr[0] + arr[COUNT / 2] + arr[COUNT - 1];
    }
    printf("result %08x\n", acc);
    printf("PASS\n");
    exit_emulator(0);
}
