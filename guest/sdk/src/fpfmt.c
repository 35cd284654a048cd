// Exact decimal formatting of IEEE doubles and floats in integer arithmetic (the SDK has no
// floating point). The value m * 2^e is turned into an integer N with a decimal scale
// (N = m << e for e >= 0; N = m * 5^-e, scale 10^e, for e < 0), N is written out in full in
// decimal (up to 767 significant digits for the smallest subnormals), and that exact digit
// string is rounded half to even: so the result is what a correct printf("%.*e") prints.
// fmt_exact_decimal, the part that does this, also serves wider formats (the x87's 80 bits:
// guest/tests/x87_math/f80fmt.c) with the caller's work space.
#include <sdk/fpu.h>
#include <sdk/printf.h>

#define LIMBS 84    // 5^1074 * 2^53 < 2^2550 < 2^(32 * 80)
#define MAXDEC 800  // decimal digits of N: at most 767

struct big {
    uint32_t* w;  // little-endian
    int n;        // words in use, w[n - 1] != 0 (n == 0: zero)
};

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

// b /= 10^9, returns the remainder.
static uint32_t big_div_1e9(struct big* b) {
    uint32_t rem = 0;
    for (int i = b->n - 1; i >= 0; i--) {
        uint32_t q, lo = b->w[i];
        // rem < 10^9, so the 64-by-32-bit division's quotient fits in 32 bits.
        __asm__("divl %4" : "=a"(q), "=d"(rem) : "a"(lo), "d"(rem), "rm"((uint32_t)1000000000u));
        b->w[i] = q;
    }
    while (b->n > 0 && b->w[b->n - 1] == 0) b->n--;
    return rem;
}

char* fmt_exact_decimal(char* p, uint64_t m, int e2, int digits, uint32_t* limbs, char* dec) {
    digits = digits < 1 ? 1 : digits > 40 ? 40 : digits;
    if (m == 0) {
        *p++ = '0';
        if (digits > 1) *p++ = '.';
        for (int i = 1; i < digits; i++) *p++ = '0';
        const char* s = "e+00";
        while (*s) *p++ = *s++;
        *p = 0;
        return p;
    }
    struct big b = {limbs, 0};
    b.w[0] = (uint32_t)m;
    b.w[1] = (uint32_t)(m >> 32);
    b.n = b.w[1] ? 2 : 1;
    int scale10 = 0;  // value = N * 10^scale10
    if (e2 >= 0) {
        big_shl(&b, e2);
    } else {
        int k = -e2;
        for (; k >= 13; k -= 13) big_mul_small(&b, 1220703125u);  // 5^13
        uint32_t f = 1;
        while (k-- > 0) f *= 5;
        big_mul_small(&b, f);
        scale10 = e2;
    }
    // Decimal digits of N, least significant chunk first, then reversed in place.
    int len = 0;
    while (b.n > 0) {
        uint32_t chunk = big_div_1e9(&b);
        for (int i = 0; i < 9; i++) {
            dec[len++] = (char)('0' + chunk % 10);
            chunk /= 10;
        }
    }
    while (len > 1 && dec[len - 1] == '0') len--;  // the last chunk's leading zeros
    for (int i = 0, j = len - 1; i < j; i++, j--) {
        char t = dec[i];
        dec[i] = dec[j];
        dec[j] = t;
    }
    int exp10 = len - 1 + scale10;  // value = d0.d1d2... * 10^exp10

    // Round the exact digits to `digits`, half to even.
    char out[48];
    for (int i = 0; i < digits; i++) out[i] = i < len ? dec[i] : '0';
    if (len > digits) {
        int first = dec[digits] - '0';
        int rest_nonzero = 0;
        for (int i = digits + 1; i < len; i++)
            if (dec[i] != '0') {
                rest_nonzero = 1;
                break;
            }
        int up = first > 5 || (first == 5 && (rest_nonzero || ((out[digits - 1] - '0') & 1)));
        if (up) {
            int i = digits - 1;
            while (i >= 0 && out[i] == '9') out[i--] = '0';
            if (i >= 0) {
                out[i]++;
            } else {  // 9.99... rounded up to 10.0...: 1.00... with the next exponent
                out[0] = '1';
                exp10++;
            }
        }
    }
    *p++ = out[0];
    if (digits > 1) *p++ = '.';
    for (int i = 1; i < digits; i++) *p++ = out[i];
    *p++ = 'e';
    *p++ = exp10 < 0 ? '-' : '+';
    int ae = exp10 < 0 ? -exp10 : exp10;
    char t[8];
    int n = 0;
    do {
        t[n++] = (char)('0' + ae % 10);
        ae /= 10;
    } while (ae);
    if (n < 2) t[n++] = '0';  // at least two digits
    while (n) *p++ = t[--n];
    *p = 0;
    return p;
}

// sign, m (< 2^53) times 2^e2, `digits` significant digits.
static char* fmt_finite(char* buf, int neg, uint64_t m, int e2, int digits) {
    uint32_t limbs[LIMBS];
    char dec[MAXDEC];
    char* p = buf;
    if (neg) *p++ = '-';
    fmt_exact_decimal(p, m, e2, digits, limbs, dec);
    return buf;
}

static char* fmt_special(char* buf, int neg, int nan) {
    char* p = buf;
    if (neg) *p++ = '-';
    const char* s = nan ? "nan" : "inf";
    while (*s) *p++ = *s++;
    *p = 0;
    return buf;
}

char* fmt_f64(char* buf, uint64_t bits, int digits) {
    int neg = (int)(bits >> 63);
    int exp = (int)((bits >> 52) & 0x7FF);
    uint64_t frac = bits & ((1ull << 52) - 1);
    if (exp == 0x7FF) return fmt_special(buf, neg, frac != 0);
    if (exp == 0) return fmt_finite(buf, neg, frac, 1 - 1075, digits);  // zero too
    return fmt_finite(buf, neg, frac | (1ull << 52), exp - 1075, digits);
}

char* fmt_f32(char* buf, uint32_t bits, int digits) {
    int neg = (int)(bits >> 31);
    int exp = (int)((bits >> 23) & 0xFF);
    uint32_t frac = bits & ((1u << 23) - 1);
    if (exp == 0xFF) return fmt_special(buf, neg, frac != 0);
    if (exp == 0) return fmt_finite(buf, neg, frac, 1 - 150, digits);  // zero too
    return fmt_finite(buf, neg, frac | (1u << 23), exp - 150, digits);
}

void print_f64(uint64_t bits) {
    char buf[64];
    printf("0x%016llx %s", (unsigned long long)bits, fmt_f64(buf, bits, 17));
}

void print_f32(uint32_t bits) {
    char buf[64];
    printf("0x%08x %s", (unsigned)bits, fmt_f32(buf, bits, 9));
}
