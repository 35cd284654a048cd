// Exact decimal printing of 80-bit values (see f80fmt.h) by the SDK's fmt_exact_decimal, with
// work space for the widest: N = m << e or m * 5^-e (up to about 11500 decimal digits for the
// smallest denormals).
#include "f80fmt.h"

#include <sdk/fpu.h>  // fmt_exact_decimal (guest/sdk/src/fpfmt.c), also in the host builds

#ifdef HOST_CHECK
#include <stdio.h>
#else
#include <sdk/printf.h>
#endif

#define LIMBS 1216  // 5^16445 * 2^64 < 2^38246 < 2^(32 * 1196)
#define MAXDEC 11600

// fmt_exact_decimal's work space for the widest values.
static uint32_t limbs[LIMBS];
static char dec[MAXDEC];

char* fmt_f80(char* buf, struct f80 v, int digits) {
    char* p = buf;
    int neg = v.sign_exponent >> 15;
    int exp = v.sign_exponent & 0x7FFF;
    uint64_t m = v.significand;
    if (neg) *p++ = '-';
    if (exp == 0x7FFF) {
        const char* s = (m << 1) == 0 ? "inf" : "nan";
        while (*s) *p++ = *s++;
        *p = 0;
        return buf;
    }
    int e2 = (exp == 0 ? 1 : exp) - 16383 - 63;  // value = m * 2^e2
    fmt_exact_decimal(p, m, e2, digits, limbs, dec);
    return buf;
}

void print_f80(struct f80 v, int digits) {
    char buf[64];
    printf("%04x:%08x%08x %s", (unsigned)v.sign_exponent, (unsigned)(v.significand >> 32), (unsigned)v.significand,
           fmt_f80(buf, v, digits));
}
