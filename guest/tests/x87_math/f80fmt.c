// Exact decimal printing of 80-bit values (see f80fmt.h). The value m * 2^e becomes an
// integer N with a decimal scale (N = m << e for e >= 0; N = m * 5^-e, scale 10^e, for
// e < 0), N is written out in full in decimal (up to about 11500 digits for the smallest
// denormals) and that exact digit string is rounded half to even.
#include "f80fmt.h"

#ifdef HOST_CHECK
#include <stdio.h>
#else
#include <sdk/printf.h>
#endif

#define LIMBS 1216  // 5^16445 * 2^64 < 2^38246 < 2^(32 * 1196)
#define MAXDEC 11600

struct big {
    uint32_t w[LIMBS];  // little-endian
    int n;              // words in use, w[n - 1] != 0 (n == 0: zero)
};

static struct big work;
static char digits_of[MAXDEC], reversed[MAXDEC];

static void big_mul_small(struct big* b, uint32_t f) {
    uint64_t carry = 0;
    for (int i = 0; i < b->n; i++) {
        uint64_t t = (uint64_t)b->w[i] * f + carry;
        b->w[i] = (uint32_t)t;
        carry = t >> 32;
    }
    if (carry) b->w[b->n++] = (uint32_t)carry;
}

static void big_shl(struct big* b, int s) {
    int words = s / 32, bits = s % 32;
    if (b->n == 0) return;
    if (bits) {
        uint32_t carry = 0;
        for (int i = 0; i < b->n; i++) {
            uint32_t v = b->w[i];
            b->w[i] = (v << bits) | carry;
            carry = v >> (32 - bits);
        }
        if (carry) b->w[b->n++] = carry;
    }
    if (words) {
        for (int i = b->n - 1; i >= 0; i--) b->w[i + words] = b->w[i];
        for (int i = 0; i < words; i++) b->w[i] = 0;
        b->n += words;
    }
}

// b /= 10^9; returns the remainder. 64-by-32-bit divisions whose quotient fits in 32 bits.
static uint32_t big_div_1e9(struct big* b) {
    uint32_t rem = 0;
    for (int i = b->n - 1; i >= 0; i--) {
        uint32_t q, lo = b->w[i];
        __asm__("divl %4" : "=a"(q), "=d"(rem) : "a"(lo), "d"(rem), "rm"((uint32_t)1000000000u));
        b->w[i] = q;
    }
    while (b->n > 0 && b->w[b->n - 1] == 0) b->n--;
    return rem;
}

static char* put_str(char* p, const char* s) {
    while (*s) *p++ = *s++;
    return p;
}

static char* put_exponent(char* p, int e) {
    *p++ = 'e';
    *p++ = e < 0 ? '-' : '+';
    int a = e < 0 ? -e : e;
    char t[8];
    int n = 0;
    do {
        t[n++] = (char)('0' + a % 10);
        a /= 10;
    } while (a);
    if (n < 2) t[n++] = '0';
    while (n) *p++ = t[--n];
    return p;
}

char* fmt_f80(char* buf, struct f80 v, int digits) {
    if (digits < 1) digits = 1;
    if (digits > 40) digits = 40;
    char* p = buf;
    int neg = v.sign_exponent >> 15;
    int exp = v.sign_exponent & 0x7FFF;
    uint64_t m = v.significand;
    if (neg) *p++ = '-';
    if (exp == 0x7FFF) {
        p = put_str(p, (m << 1) == 0 ? "inf" : "nan");
        *p = 0;
        return buf;
    }
    if (m == 0) {
        *p++ = '0';
        if (digits > 1) *p++ = '.';
        for (int i = 1; i < digits; i++) *p++ = '0';
        p = put_str(p, "e+00");
        *p = 0;
        return buf;
    }
    int e2 = (exp == 0 ? 1 : exp) - 16383 - 63;  // value = m * 2^e2
    struct big* b = &work;
    b->w[0] = (uint32_t)m;
    b->w[1] = (uint32_t)(m >> 32);
    b->n = b->w[1] ? 2 : 1;
    int scale10 = 0;  // value = N * 10^scale10
    if (e2 >= 0) {
        big_shl(b, e2);
    } else {
        int k = -e2;
        for (; k >= 13; k -= 13) big_mul_small(b, 1220703125u);  // 5^13
        uint32_t f = 1;
        while (k-- > 0) f *= 5;
        big_mul_small(b, f);
        scale10 = e2;
    }
    int len = 0;
    while (b->n > 0) {
        uint32_t chunk = big_div_1e9(b);
        for (int i = 0; i < 9; i++) {
            reversed[len++] = (char)('0' + chunk % 10);
            chunk /= 10;
        }
    }
    while (len > 1 && reversed[len - 1] == '0') len--;
    for (int i = 0; i < len; i++) digits_of[i] = reversed[len - 1 - i];
    int exp10 = len - 1 + scale10;
    char out[48];
    for (int i = 0; i < digits; i++) out[i] = i < len ? digits_of[i] : '0';
    if (len > digits) {
        int first = digits_of[digits] - '0', rest = 0;
        for (int i = digits + 1; i < len && !rest; i++) rest = digits_of[i] != '0';
        if (first > 5 || (first == 5 && (rest || ((out[digits - 1] - '0') & 1)))) {
            int i = digits - 1;
            while (i >= 0 && out[i] == '9') out[i--] = '0';
            if (i >= 0) {
                out[i]++;
            } else {
                out[0] = '1';
                exp10++;
            }
        }
    }
    *p++ = out[0];
    if (digits > 1) *p++ = '.';
    for (int i = 1; i < digits; i++) *p++ = out[i];
    p = put_exponent(p, exp10);
    *p = 0;
    return buf;
}

void print_f80(struct f80 v, int digits) {
    char buf[64];
    printf("%04x:%08x%08x %s", (unsigned)v.sign_exponent, (unsigned)(v.significand >> 32), (unsigned)v.significand,
           fmt_f80(buf, v, digits));
}
