// Host check of the guest SDK's exact float formatter (guest/sdk/src/fpfmt.c): for edge cases
// and pseudo-random bit patterns, fmt_f64/fmt_f32 must print exactly what glibc's
// printf("%.*e") prints (glibc's is exact and rounds half to even).
#include <stdint.h>
#include <stdio.h>
#include <string.h>

char* fmt_f64(char* buf, uint64_t bits, int digits);
char* fmt_f32(char* buf, uint32_t bits, int digits);

static int failures, checks;

static void check64(uint64_t bits, int digits) {
    double d;
    memcpy(&d, &bits, sizeof d);
    char want[128], got[128];
    snprintf(want, sizeof want, "%.*e", digits - 1, d);
    fmt_f64(got, bits, digits);
    checks++;
    if (strcmp(want, got) != 0 && failures++ < 20)
        printf("FAIL f64 %016llx digits %d: want %s got %s\n", (unsigned long long)bits, digits, want, got);
}

static void check32(uint32_t bits, int digits) {
    float f;
    memcpy(&f, &bits, sizeof f);
    char want[128], got[128];
    snprintf(want, sizeof want, "%.*e", digits - 1, (double)f);
    fmt_f32(got, bits, digits);
    checks++;
    if (strcmp(want, got) != 0 && failures++ < 20)
        printf("FAIL f32 %08x digits %d: want %s got %s\n", (unsigned)bits, digits, want, got);
}

static uint64_t state = 0x9E3779B97F4A7C15ull;
static uint64_t next(void) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}

static double from(uint64_t u) {
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}
static uint64_t bits_of(double d) {
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

int main(void) {
    const uint64_t edges[] = {
        0, 1ull << 63, 1, 2, 3, 0x000FFFFFFFFFFFFFull, 0x0010000000000000ull, 0x7FEFFFFFFFFFFFFFull,
        0x7FF0000000000000ull, 0xFFF0000000000000ull, 0x7FF8000000000000ull, 0xFFF8000000000000ull,
        0x7FF0000000000001ull, bits_of(1.0), bits_of(0.1), bits_of(0.5), bits_of(2.5), bits_of(0.125),
        bits_of(1e23), bits_of(9.5), bits_of(99.5), bits_of(999999999.5), bits_of(1e300), bits_of(-1e-300),
        bits_of(123456789012345678.0), bits_of(0.3), bits_of(2.0 / 3.0), bits_of(9007199254740993.0),
    };
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++)
        for (int d = 1; d <= 40; d++) check64(edges[i], d);
    for (int e = -1074; e <= 1023; e++) {  // every power of two, and its neighbours
        double p = e < -1022 ? from(1ull << (e + 1074)) : from((uint64_t)(e + 1023) << 52);
        for (int d = 1; d <= 40; d += 3) {
            check64(bits_of(p), d);
            check64(bits_of(p) + 1, d);
            check64(bits_of(p) - 1, d);
        }
    }
    for (int k = 0; k < 10000; k++) {  // x.5 ties at every digit count: n + 0.5 for integers n
        double v = (double)(next() % 100000000000ull) + 0.5;
        for (int d = 1; d <= 17; d++) check64(bits_of(v), d);
    }
    for (int k = 0; k < 200000; k++) check64(next(), 1 + (int)(next() % 40));
    const uint32_t fedges[] = {0, 0x80000000u, 1, 0x007FFFFFu, 0x00800000u, 0x7F7FFFFFu, 0x7F800000u,
                               0xFF800000u, 0x7FC00000u, 0x3F800000u, 0x3DCCCCCDu};
    for (size_t i = 0; i < sizeof fedges / sizeof fedges[0]; i++)
        for (int d = 1; d <= 40; d++) check32(fedges[i], d);
    for (int k = 0; k < 100000; k++) check32((uint32_t)next(), 1 + (int)(next() % 12));
    printf("%s: %d of %d formatted differently from glibc\n", failures ? "FAIL" : "ok", failures, checks);
    return failures ? 1 : 0;
}
