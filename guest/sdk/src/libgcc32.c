// 64-bit division helpers that gcc calls in 32-bit code (we do not link libgcc).
#include <stdint.h>

uint64_t __udivmoddi4(uint64_t n, uint64_t d, uint64_t* rem);
uint64_t __udivdi3(uint64_t n, uint64_t d);
uint64_t __umoddi3(uint64_t n, uint64_t d);
int64_t __divdi3(int64_t n, int64_t d);
int64_t __moddi3(int64_t n, int64_t d);
int64_t __divmoddi4(int64_t n, int64_t d, int64_t* rem);

uint64_t __udivmoddi4(uint64_t n, uint64_t d, uint64_t* rem) {
    uint64_t q = 0;
    if (d == 0) {
        volatile uint32_t z = 0;
        q = 1 / z;  // raise #DE like a real division
    } else if ((d >> 32) == 0 && (n >> 32) < d) {
        // fits one hardware divide
        uint32_t lo = (uint32_t)n, hi = (uint32_t)(n >> 32), qq, r;
        __asm__("divl %4" : "=a"(qq), "=d"(r) : "a"(lo), "d"(hi), "rm"((uint32_t)d));
        q = qq;
        n = r;
    } else {
        uint64_t r = 0;
        for (int i = 63; i >= 0; i--) {
            uint64_t carry = r >> 63;
            r = (r << 1) | ((n >> i) & 1);
            if (carry || r >= d) {
                r -= d;
                q |= 1ull << i;
            }
        }
        n = r;
    }
    if (rem) *rem = n;
    return q;
}

uint64_t __udivdi3(uint64_t n, uint64_t d) { return __udivmoddi4(n, d, 0); }

uint64_t __umoddi3(uint64_t n, uint64_t d) {
    uint64_t r;
    __udivmoddi4(n, d, &r);
    return r;
}

int64_t __divmoddi4(int64_t n, int64_t d, int64_t* rem) {
    uint64_t un = n < 0 ? -(uint64_t)n : (uint64_t)n;
    uint64_t ud = d < 0 ? -(uint64_t)d : (uint64_t)d;
    uint64_t r;
    uint64_t q = __udivmoddi4(un, ud, &r);
    if ((n < 0) != (d < 0)) q = -q;
    if (n < 0) r = -r;
    if (rem) *rem = (int64_t)r;
    return (int64_t)q;
}

int64_t __divdi3(int64_t n, int64_t d) { return __divmoddi4(n, d, 0); }

int64_t __moddi3(int64_t n, int64_t d) {
    int64_t r;
    __divmoddi4(n, d, &r);
    return r;
}
