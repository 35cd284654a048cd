// The x87 guests' exact formatter of 80-bit values (guest/tests/x87_math/f80fmt.c), built for
// the host and compared with glibc's printf("%.*Le") on edge and random long doubles.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "f80fmt.h"

static uint64_t state = 0x80F80F80F80ull;
static uint64_t next(void) {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}

static int check(long double x, int digits) {
    struct f80 v;
    memcpy(&v.significand, &x, 8);
    memcpy(&v.sign_exponent, (const char*)&x + 8, 2);
    char mine[80], libc[16000];
    fmt_f80(mine, v, digits);
    snprintf(libc, sizeof libc, "%.*Le", digits - 1, x);
    if (strcmp(mine, libc) != 0) {
        printf("%04x:%016llx digits %d: f80fmt %s, printf %s\n", v.sign_exponent, (unsigned long long)v.significand, digits,
               mine, libc);
        return 1;
    }
    return 0;
}

int main(void) {
    int bad = 0, n = 0;
    const long double fixed[] = {0.0L, -0.0L, 1.0L, -1.0L, 0.1L, 1.0L / 3, 2.5L, 0.5L, 1e4931L, -1e-4931L,
                                 3.6451995318824746025e-4951L /* the smallest denormal */, 1.18973149535723176502e4932L,
                                 __builtin_infl(), -__builtin_infl(), __builtin_nanl(""), 9.999999999999999999e22L};
    for (unsigned i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        for (int d = 1; d <= 40; d++, n++) bad += check(fixed[i], d);
    for (int i = 0; i < 2000; i++, n++) {
        long double x;
        uint64_t m = next();
        uint16_t se = (uint16_t)next();
        switch (i % 16) {
            case 0: se = (uint16_t)((se & 0x8000) | (16383 - 64 + (se & 127))); break;  // near 1
            case 1: se &= 0x8000; m &= ~(1ull << 63); break;                            // denormals
            default: break;
        }
        if ((se & 0x7FFF) != 0) m |= 1ull << 63;  // no unnormals: printf has no view of them
        memcpy(&x, &m, 8);
        memcpy((char*)&x + 8, &se, 2);
        bad += check(x, 1 + (int)(next() % 25));
    }
    printf("f80fmt: %d of %d wrong\n", bad, n);
    return bad != 0;
}
