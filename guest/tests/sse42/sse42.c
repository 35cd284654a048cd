// SSE3, SSSE3, SSE4.1 and SSE4.2 at work (add_guest(... SSE), built -msse4.2): string
// functions with PCMPISTRI and PCMPESTRI/PCMPESTRM (strlen, strchr, strcmp, strstr, counting
// character classes, searching binary data with zeros in it), each checked against a plain C
// version; CRC-32C of a buffer with CRC32 (byte, word, dword and, in 64-bit code, qword
// steps) checked against a table-driven software CRC-32C; PSHUFB (byte reversal, a nibble
// popcount), PMOVZX/PMOVSX, PTEST, ROUNDSD/ROUNDPS in every rounding mode, DPPS/DPPD, and a
// handful of others (PHADDD, PMULLD, PMINSD, PALIGNR, BLENDVPS, INSERTPS, PEXTRD, HADDPS,
// MOVSLDUP, PCMPGTQ, PHMINPOSUW, MPSADBW). Everything printed is exact, so QEMU (-cpu max)
// prints the same.
#include <sdk/fpu.h>
#include <sdk/sdk.h>

typedef char v16qi __attribute__((vector_size(16)));
typedef unsigned char v16qu __attribute__((vector_size(16)));
typedef short v8hi __attribute__((vector_size(16)));
typedef int v4si __attribute__((vector_size(16)));
typedef long long v2di __attribute__((vector_size(16)));
typedef float v4sf __attribute__((vector_size(16)));
typedef double v2df __attribute__((vector_size(16)));

// Keeps the compiler from computing a value at build time: the instructions run in the guest.
#define OPAQUE(v) __asm__("" : "+x"(v))

// Unaligned 16-byte loads (MOVDQU).
typedef char v16qi_u __attribute__((vector_size(16), aligned(1)));
static inline v16qi load16(const void* p) { return *(const v16qi_u*)p; }

// PCMPxSTRx immediates (SDM vol. 2, 4.1): source format, aggregation, polarity, output.
#define UBYTE 0x00
#define UWORD 0x01
#define EQUAL_ANY 0x00
#define RANGES 0x04
#define EQUAL_EACH 0x08
#define EQUAL_ORDERED 0x0C
#define NEGATIVE 0x10
#define MOST_SIGNIFICANT 0x40
#define UNIT_MASK 0x40

static uint32_t fnv(uint32_t h, const void* p, size_t n) {
    const unsigned char* b = p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 16777619u;
    return h;
}
#define FNV0 2166136261u

static uint32_t seed = 2024;
static uint32_t rnd(void) {
    seed = seed * 1103515245u + 12345u;
    return seed >> 7;
}

static void vhex(const char* what, const void* v) {
    const uint32_t* w = v;
    printf("%-12s %08x %08x %08x %08x\n", what, w[3], w[2], w[1], w[0]);
}

// ---- CPUID -----------------------------------------------------------------------------

static void test_cpuid(void) {
    uint32_t a, b, c, d;
    cpuid(1, 0, &a, &b, &c, &d);
    printf("cpuid: sse3 %u ssse3 %u sse4.1 %u sse4.2 %u popcnt %u\n", c & 1, (c >> 9) & 1, (c >> 19) & 1, (c >> 20) & 1,
           (c >> 23) & 1);
}

// ---- string functions with PCMPISTRI -------------------------------------------------------
// They read whole 16-byte blocks, past the string's end: the strings live in padded buffers.

static size_t sse_strlen(const char* s) {
    const v16qi zero = {0};
    for (size_t off = 0;; off += 16) {
        v16qi block = load16(s + off);
        // Equal each against an empty string: the first position past the block's string.
        if (__builtin_ia32_pcmpistriz128(zero, block, UBYTE | EQUAL_EACH))
            return off + (size_t)__builtin_ia32_pcmpistri128(zero, block, UBYTE | EQUAL_EACH);
    }
}

static const char* sse_strchr(const char* s, char c) {
    if (!c) return s + sse_strlen(s);  // an empty set: the terminator is found by length
    const v16qi set = {c};
    for (size_t off = 0;; off += 16) {
        v16qi block = load16(s + off);
        int at = __builtin_ia32_pcmpistri128(set, block, UBYTE | EQUAL_ANY);
        if (__builtin_ia32_pcmpistric128(set, block, UBYTE | EQUAL_ANY)) return s + off + at;
        if (__builtin_ia32_pcmpistriz128(set, block, UBYTE | EQUAL_ANY)) return NULL;
    }
}

static int sse_strcmp(const char* a, const char* b) {
    for (size_t off = 0;; off += 16) {
        v16qi x = load16(a + off), y = load16(b + off);
        // Negative "equal each": the first position where they differ (or one ended).
        if (__builtin_ia32_pcmpistric128(x, y, UBYTE | EQUAL_EACH | NEGATIVE)) {
            size_t at = off + (size_t)__builtin_ia32_pcmpistri128(x, y, UBYTE | EQUAL_EACH | NEGATIVE);
            return (unsigned char)a[at] - (unsigned char)b[at];
        }
        if (__builtin_ia32_pcmpistriz128(x, y, UBYTE | EQUAL_EACH | NEGATIVE) ||
            __builtin_ia32_pcmpistris128(x, y, UBYTE | EQUAL_EACH | NEGATIVE))
            return 0;
    }
}

static const char* sse_strstr(const char* hay, const char* needle) {
    if (!needle[0]) return hay;
    const v16qi n = load16(needle);  // its first 16 characters
    for (size_t off = 0;;) {
        v16qi block = load16(hay + off);
        int at = __builtin_ia32_pcmpistri128(n, block, UBYTE | EQUAL_ORDERED);
        if (at < 16) {
            // A candidate (maybe cut off by the block's end): check it in full.
            const char* p = hay + off + at;
            size_t k = 0;
            while (needle[k] && p[k] == needle[k]) k++;
            if (!needle[k]) return p;
            if (!p[k]) return NULL;
            off += at + 1;
        } else {
            if (__builtin_ia32_pcmpistriz128(n, block, UBYTE | EQUAL_ORDERED)) return NULL;
            off += 16;
        }
    }
}

// Letters and digits by ranges, counted from PCMPISTRM's bit mask.
static unsigned sse_count_alnum(const char* s) {
    const v16qi ranges = {'a', 'z', 'A', 'Z', '0', '9'};
    unsigned n = 0;
    for (size_t off = 0;; off += 16) {
        v16qi block = load16(s + off);
        v16qi mask = __builtin_ia32_pcmpistrm128(ranges, block, UBYTE | RANGES);
        n += __builtin_popcount((uint32_t)((v4si)mask)[0] & 0xFFFF);
        if (__builtin_ia32_pcmpistriz128(ranges, block, UBYTE | RANGES)) return n;
    }
}

// The plain versions.
static const char* c_strchr(const char* s, char c) {
    for (;; s++) {
        if (*s == c) return s;
        if (!*s) return NULL;
    }
}
static const char* c_strstr(const char* hay, const char* needle) {
    for (;; hay++) {
        size_t k = 0;
        while (needle[k] && hay[k] == needle[k]) k++;
        if (!needle[k]) return hay;
        if (!*hay) return NULL;
    }
}
static unsigned c_count_alnum(const char* s) {
    unsigned n = 0;
    for (; *s; s++) n += (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9');
    return n;
}
static int sign(int v) { return (v > 0) - (v < 0); }

static char text[4][160] __attribute__((aligned(16)));
static char words[24][48] __attribute__((aligned(16)));

static void test_strings(void) {
    static const char* const samples[] = {
        "",
        "a",
        "hello, world",
        "The quick brown fox jumps over the lazy dog",
        "exactly sixteen!",
        "0123456789abcdef0123456789abcdef",
        "needle in a haystack: hay hay hay needle hay",
        "tab\tand\nnewline and UPPER and lower 42",
    };
    unsigned bad = 0;
    uint32_t h = FNV0;
    for (unsigned i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        // At every offset within a block, so the string ends anywhere in one.
        for (unsigned shift = 0; shift < 16; shift++) {
            char* s = text[0] + shift;
            size_t n = strlen(samples[i]);
            memcpy(s, samples[i], n + 1);
            for (size_t k = n + 1; k + shift < sizeof text[0]; k++) s[k] = (char)('A' + k % 26);  // garbage after the end
            size_t len = sse_strlen(s);
            bad += len != n;
            for (const char* c = "aeo !9\n\0"; ; c++) {
                const char* got = sse_strchr(s, *c);
                bad += got != c_strchr(s, *c);
                h = fnv(h, &(int){got ? (int)(got - s) : -1}, 4);
                if (!*c) break;
            }
            bad += sse_count_alnum(s) != c_count_alnum(s);
            if (shift == 5) printf("  \"%s\": length %u, alnum %u\n", samples[i], (unsigned)len, sse_count_alnum(s));
        }
    }
    // strstr over the samples with several needles.
    static const char* const needles[] = {"", "hay", "needle", "fox", "dog", "zzz", "abcdef0", "lower 42", "e"};
    for (unsigned i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        memcpy(text[1] + 3, samples[i], strlen(samples[i]) + 1);
        for (unsigned j = 0; j < sizeof needles / sizeof needles[0]; j++) {
            memcpy(text[2], needles[j], strlen(needles[j]) + 1);
            const char* got = sse_strstr(text[1] + 3, text[2]);
            bad += got != c_strstr(text[1] + 3, text[2]);
            h = fnv(h, &(int){got ? (int)(got - text[1] - 3) : -1}, 4);
        }
    }
    // strcmp on random words from a small alphabet (many common prefixes).
    for (unsigned i = 0; i < 24; i++) {
        unsigned n = rnd() % 40;
        for (unsigned k = 0; k < n; k++) words[i][k] = (char)("abc"[rnd() % 3]);
        words[i][n] = 0;
        for (unsigned k = n + 1; k < 48; k++) words[i][k] = (char)rnd();
    }
    for (unsigned i = 0; i < 24; i++)
        for (unsigned j = 0; j < 24; j++) {
            int got = sign(sse_strcmp(words[i], words[j])), want = sign(strcmp(words[i], words[j]));
            bad += got != want;
            h = fnv(h, &got, 4);
        }
    printf("strings: %u mismatches with the plain versions, results %08x\n", bad, h);
}

// ---- explicit lengths: binary data with zeros in it ----------------------------------------

static uint8_t blob[512 + 16] __attribute__((aligned(16)));

// How many bytes of blob[0..n) are one of the `set_len` bytes of `set` (zero among them).
static unsigned sse_count_any(const uint8_t* p, int n, const v16qi set, int set_len) {
    unsigned count = 0;
    for (int off = 0; off < n; off += 16) {
        v16qi block = load16(p + off);
        v16qi mask = __builtin_ia32_pcmpestrm128(set, set_len, block, n - off, UBYTE | EQUAL_ANY);
        count += __builtin_popcount((uint32_t)((v4si)mask)[0] & 0xFFFF);
    }
    return count;
}

// The first position of a zero byte that is followed by 0xFF (words of little-endian 0xFF00),
// by PCMPESTRI over words; -1 if none.
static int sse_find_word(const uint8_t* p, int n_words, short w) {
    const v8hi set = {w};
    for (int off = 0; off < n_words; off += 8) {
        v8hi block = (v8hi)load16(p + 2 * off);
        int at = __builtin_ia32_pcmpestri128((v16qi)set, 1, (v16qi)block, n_words - off, UWORD | EQUAL_ANY);
        if (at < 8) return off + at;
    }
    return -1;
}

static void test_explicit(void) {
    for (unsigned k = 0; k < sizeof blob; k++) {
        uint32_t r = rnd();
        blob[k] = r % 5 == 0 ? 0 : r % 7 == 0 ? 0xFF : r % 11 == 0 ? '\n' : (uint8_t)(r >> 8);
    }
    const v16qi set = {0, (char)0xFF, '\n'};
    uint32_t h = FNV0;
    unsigned bad = 0;
    for (int n = 0; n <= 512; n += 37) {
        for (int set_len = 1; set_len <= 3; set_len++) {
            unsigned got = sse_count_any(blob, n, set, set_len), want = 0;
            for (int k = 0; k < n; k++) want += blob[k] == 0 || (set_len > 1 && blob[k] == 0xFF) || (set_len > 2 && blob[k] == '\n');
            bad += got != want;
            h = fnv(h, &got, 4);
        }
    }
    // Lengths beyond the block and negative ones count as their absolute value, at most 16.
    v16qi block = load16(blob);
    int lengths[] = {-20, -16, -5, 0, 5, 16, 17, 100};
    for (unsigned i = 0; i < 8; i++) {
        int a = __builtin_ia32_pcmpestri128(set, 3, block, lengths[i], UBYTE | EQUAL_ANY | MOST_SIGNIFICANT);
        int c = __builtin_ia32_pcmpestric128(set, 3, block, lengths[i], UBYTE | EQUAL_ANY | MOST_SIGNIFICANT);
        int z = __builtin_ia32_pcmpestriz128(set, 3, block, lengths[i], UBYTE | EQUAL_ANY | MOST_SIGNIFICANT);
        h = fnv(h, &a, 4);
        printf("  length %d: last of {0,ff,0a} at %d, CF %d ZF %d\n", lengths[i], a, c, z);
    }
    for (unsigned k = 0; k < 256; k += 2) {
        int want = -1;
        for (unsigned j = 0; j < k / 2; j++)
            if (blob[2 * j] == 0 && blob[2 * j + 1] == 0xFF) {
                want = (int)j;
                break;
            }
        bad += sse_find_word(blob, (int)k / 2, (short)0xFF00) != want;
    }
    printf("explicit lengths: %u mismatches, results %08x\n", bad, h);
}

// ---- CRC-32C -----------------------------------------------------------------------------

static uint32_t crc_table[256];

static void make_crc_table(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1)));
        crc_table[i] = c;
    }
}

static uint32_t soft_crc32c(uint32_t crc, const uint8_t* p, size_t n) {
    crc = ~crc;
    for (size_t i = 0; i < n; i++) crc = (crc >> 8) ^ crc_table[(crc ^ p[i]) & 0xFF];
    return ~crc;
}

// With CRC32: bytes up to an 8-byte boundary (or a 4-byte one in 32-bit code), then the
// widest steps, then words and bytes at the end.
static uint32_t hw_crc32c(uint32_t crc, const uint8_t* p, size_t n) {
    crc = ~crc;
    while (n && ((uintptr_t)p & 7)) crc = __builtin_ia32_crc32qi(crc, *p++), n--;
#if GUEST_BITS == 64
    uint64_t c64 = crc;
    for (; n >= 8; p += 8, n -= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        c64 = __builtin_ia32_crc32di(c64, v);
    }
    crc = (uint32_t)c64;
#endif
    for (; n >= 4; p += 4, n -= 4) {
        uint32_t v;
        memcpy(&v, p, 4);
        crc = __builtin_ia32_crc32si(crc, v);
    }
    for (; n >= 2; p += 2, n -= 2) {
        uint16_t v;
        memcpy(&v, p, 2);
        crc = __builtin_ia32_crc32hi(crc, v);
    }
    if (n) crc = __builtin_ia32_crc32qi(crc, *p);
    return ~crc;
}

static uint8_t buffer[4096 + 8];

static void test_crc32(void) {
    make_crc_table();
    printf("crc32c(\"123456789\"): hardware %08x, table %08x\n", hw_crc32c(0, (const uint8_t*)"123456789", 9),
           soft_crc32c(0, (const uint8_t*)"123456789", 9));
    for (size_t k = 0; k < sizeof buffer; k++) buffer[k] = (uint8_t)(rnd() >> 3);
    unsigned bad = 0;
    uint32_t h = FNV0;
    for (size_t start = 0; start < 8; start++)
        for (size_t n = 0; n < 4096; n = n * 3 + 1 + start) {
            uint32_t a = hw_crc32c(start, buffer + start, n), b = soft_crc32c(start, buffer + start, n);
            bad += a != b;
            h = fnv(h, &a, 4);
        }
    printf("crc32c of the 4096-byte buffer: hardware %08x, table %08x; %u mismatches over pieces, %08x\n",
           hw_crc32c(0, buffer, 4096), soft_crc32c(0, buffer, 4096), bad, h);
}

// ---- SSSE3 and SSE4.1 integer ------------------------------------------------------------

static void test_integer(void) {
    v16qi data;
    for (int k = 0; k < 16; k++) data[k] = (char)(rnd() >> 5);
    vhex("data", &data);
    const v16qi reverse = {15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0};
    v16qi r = __builtin_ia32_pshufb128(data, reverse);
    vhex("pshufb rev", &r);
    // Popcount of each byte: two nibble lookups.
    const v16qi nibble_bits = {0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4};
    const v16qi low4 = {15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15, 15};
    v16qi lo = data & low4, hi = (v16qi)__builtin_ia32_psrlwi128((v8hi)data, 4) & low4;
    v16qi pop = __builtin_ia32_pshufb128(nibble_bits, lo) + __builtin_ia32_pshufb128(nibble_bits, hi);
    vhex("pshufb pop", &pop);
    v8hi zx = __builtin_ia32_pmovzxbw128(data), sx = __builtin_ia32_pmovsxbw128(data);
    vhex("pmovzxbw", &zx);
    vhex("pmovsxbw", &sx);
    v4si sxd = __builtin_ia32_pmovsxbd128(data);
    v2di zxq = __builtin_ia32_pmovzxdq128((v4si)data);
    vhex("pmovsxbd", &sxd);
    vhex("pmovzxdq", &zxq);
    // PTEST: ZF (a AND b is zero), CF (NOT a AND b is zero).
    v2di all = {-1, -1}, none = {0, 0}, some = {0x00FF00FF00FF00FFll, 0};
    v2di d = (v2di)data;
    OPAQUE(all);
    OPAQUE(none);
    OPAQUE(some);
    printf("ptest: z(d,d) %d c(all,d) %d z(none,d) %d nzc(some,d) %d z(some,~some) %d\n", __builtin_ia32_ptestz128(d, d),
           __builtin_ia32_ptestc128(all, d), __builtin_ia32_ptestz128(none, d), __builtin_ia32_ptestnzc128(some, d),
           __builtin_ia32_ptestz128(some, ~some));
    v4si a = {7, -3, 100000, -2147483647 - 1}, b = {-9, 5, 70000, 3};
    OPAQUE(a);
    OPAQUE(b);
    v4si sums = __builtin_ia32_phaddd128(a, b);
    v4si prod = a * b;  // PMULLD
    v4si mn = __builtin_ia32_pminsd128(a, b), mx = __builtin_ia32_pmaxsd128(a, b);
    v4si ab = __builtin_ia32_pabsd128(a);
    vhex("phaddd", &sums);
    vhex("pmulld", &prod);
    vhex("pminsd", &mn);
    vhex("pmaxsd", &mx);
    vhex("pabsd", &ab);
    v2di al = __builtin_ia32_palignr128((v2di)a, (v2di)b, 5 * 8);
    vhex("palignr 5", &al);
    v2di g1 = {5, -1}, g2 = {-7, 3};
    OPAQUE(g1);
    OPAQUE(g2);
    v2di gt = g1 > g2;  // PCMPGTQ
    vhex("pcmpgtq", &gt);
    v8hi words = {900, 34, -1, 12, 7, 12, -25536, 33};
    OPAQUE(words);
    v8hi mp = __builtin_ia32_phminposuw128(words);
    vhex("phminposuw", &mp);
    v16qi sad = __builtin_ia32_mpsadbw128(data, r, 5);
    vhex("mpsadbw 5", &sad);
    int x = __builtin_ia32_vec_ext_v4si(sums, 2);  // PEXTRD
    v4si ins = __builtin_ia32_vec_set_v4si(a, 12345, 1);  // PINSRD
    printf("pextrd %d\n", x);
    vhex("pinsrd", &ins);
    uint32_t h = FNV0;
    // A larger loop: sums of absolute values and saturating horizontal adds.
    v8hi acc = {0};
    for (int i = 0; i < 200; i++) {
        v8hi w = {(short)rnd(), (short)rnd(), (short)rnd(), (short)rnd(), (short)rnd(), (short)rnd(), (short)rnd(), (short)rnd()};
        acc = __builtin_ia32_phaddsw128(acc, __builtin_ia32_pabsw128(w));
        acc = __builtin_ia32_pmulhrsw128(acc, w);
        acc = __builtin_ia32_psignw128(acc, w);
        h = fnv(h, &acc, 16);
    }
    printf("ssse3 loop %08x\n", h);
}

// ---- SSE3 and SSE4.1 floating point ------------------------------------------------------

static void test_float(void) {
    static const double values[] = {2.5, -2.5, 3.5, 0.49999999999999994, -0.5, 1e300, -7.25, 4503599627370497.0, -0.0};
    static const char* const modes[] = {"nearest", "floor", "ceil", "trunc"};
    for (unsigned i = 0; i < sizeof values / sizeof values[0]; i++) {
        v2df v = {values[i], 0};
        OPAQUE(v);
        print_double(values[i]);
        printf(":");
        for (int m = 0; m < 4; m++) {
            v2df r;
            switch (m) {  // the mode must be a constant
                case 0: r = __builtin_ia32_roundsd(v, v, 0x8); break;
                case 1: r = __builtin_ia32_roundsd(v, v, 0x9); break;
                case 2: r = __builtin_ia32_roundsd(v, v, 0xA); break;
                default: r = __builtin_ia32_roundsd(v, v, 0xB); break;
            }
            printf(" %s ", modes[m]);
            print_double(r[0]);
        }
        printf("\n");
    }
    v4sf f = {1.5f, -2.5f, 1e-3f, 123456.75f};
    OPAQUE(f);
    v4sf rp = __builtin_ia32_roundps(f, 0x4);  // MXCSR's rounding: nearest
    vhex("roundps", &rp);
    v4sf a = {1.0f, 2.0f, 3.0f, 4.0f}, b = {0.5f, -0.25f, 8.0f, 1e-8f};
    OPAQUE(a);
    OPAQUE(b);
    v4sf d1 = __builtin_ia32_dpps(a, b, 0xFF), d2 = __builtin_ia32_dpps(a, b, 0x71), d3 = __builtin_ia32_dpps(a, b, 0xB6);
    printf("dpps ff ");
    print_float(d1[0]);
    printf("\n");
    vhex("dpps 71", &d2);
    vhex("dpps b6", &d3);
    v2df x = {1.0 / 3.0, 2.0}, y = {3.0, 1e-20};
    OPAQUE(x);
    OPAQUE(y);
    v2df dd = __builtin_ia32_dppd(x, y, 0x31);
    printf("dppd 31 ");
    print_double(dd[0]);
    printf("\n");
    v4sf hs = __builtin_ia32_haddps(a, b), as = __builtin_ia32_addsubps(a, b);
    vhex("haddps", &hs);
    vhex("addsubps", &as);
    v2df hd = __builtin_ia32_hsubpd(x, y);
    vhex("hsubpd", &hd);
    v4sf sel = {-1.0f, 1.0f, -0.0f, 0.0f};
    OPAQUE(sel);
    v4sf bl = __builtin_ia32_blendvps(a, b, sel);
    vhex("blendvps", &bl);
    v4sf ins = __builtin_ia32_insertps128(a, b, (2 << 6) | (0 << 4) | 0x8);
    vhex("insertps", &ins);
    v4sf sl = __builtin_ia32_movsldup(b), sh = __builtin_ia32_movshdup(b);
    vhex("movsldup", &sl);
    vhex("movshdup", &sh);
    // A dot-product loop: a small matrix times vectors.
    uint32_t h = FNV0;
    v4sf m[4] = {{1, 2, 3, 4}, {0.5f, -1, 2, 0.25f}, {-3, 0, 1, 1}, {1e3f, 1e-3f, 7, -7}};
    for (int i = 0; i < 100; i++) {
        v4sf v = {(float)(rnd() % 1000) / 7.0f, (float)(rnd() % 1000) / 3.0f, -(float)(rnd() % 100), 1.0f};
        v4sf out = __builtin_ia32_dpps(m[0], v, 0xF1) + __builtin_ia32_dpps(m[1], v, 0xF2) + __builtin_ia32_dpps(m[2], v, 0xF4) +
                   __builtin_ia32_dpps(m[3], v, 0xF8);
        h = fnv(h, &out, 16);
    }
    printf("dpps loop %08x\n", h);
}

void kmain(uint32_t magic, struct multiboot_info* mbi) {
    printf("sse42_%d\n", GUEST_BITS);
    test_cpuid();
    test_strings();
    test_explicit();
    test_crc32();
    test_integer();
    test_float();
    printf("MXCSR %08x\n", stmxcsr());
    printf("sse42_%d done\n", GUEST_BITS);
}
