// Integer and packed SIMD with SSE2 at -O2 (add_guest(... SSE)): struct copies and fixed-size
// memcpy/memset, which gcc inlines as 16-byte moves (movdqu/movups/movaps, pxor for zeroing),
// a sort of 48-byte records that swaps whole structs, and GCC vector extensions
// (vector_size(16)) with the SSE2 builtins: adds, multiplies, compares, shuffles, unpacks,
// saturating arithmetic, packs, shifts by immediates and by counts, byte shifts, averages,
// min/max, sums of absolute differences, mask extraction, float vectors. Prints checksums
// (and some vectors in hex); everything is exact, so QEMU prints the same.
#include <sdk/fpu.h>
#include <sdk/sdk.h>

typedef char v16qi __attribute__((vector_size(16)));
typedef unsigned char v16qu __attribute__((vector_size(16)));
typedef short v8hi __attribute__((vector_size(16)));
typedef unsigned short v8hu __attribute__((vector_size(16)));
typedef int v4si __attribute__((vector_size(16)));
typedef unsigned int v4su __attribute__((vector_size(16)));
typedef long long v2di __attribute__((vector_size(16)));
typedef unsigned long long v2du __attribute__((vector_size(16)));
typedef float v4sf __attribute__((vector_size(16)));
typedef double v2df __attribute__((vector_size(16)));

// FNV-1a over bytes: the checksum every test prints.
static uint32_t fnv(uint32_t h, const void* p, size_t n) {
    const unsigned char* b = p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 16777619u;
    return h;
}
#define FNV0 2166136261u

static uint32_t seed = 12345;
static uint32_t rnd(void) {
    seed = seed * 1103515245u + 12345u;
    return seed >> 7;
}

static void vhex(const char* what, const void* v) {
    const uint32_t* w = v;
    printf("%-10s %08x %08x %08x %08x\n", what, w[3], w[2], w[1], w[0]);
}

// ---- struct copies, memcpy, memset ----------------------------------------------------

struct s16 { uint32_t a[4]; };
struct s24 { uint64_t a, b, c; };
struct s40 { uint8_t tag; uint32_t v[9]; };
struct s64 { uint64_t a[8]; };
struct s100 { uint8_t b[100]; };
struct record {
    uint32_t key;
    uint16_t kind;
    uint8_t flags[10];
    uint64_t payload[4];
};

static struct s16 g16[33];
static struct s24 g24[33];
static struct s40 g40[33];
static struct s64 g64[33];
static struct s100 g100[17];

__attribute__((noinline)) static void rotate_structs(void) {
    // Each array rotated by one slot, 40 times: nothing but struct loads and stores.
    for (int round = 0; round < 40; round++) {
        struct s16 t16 = g16[0];
        struct s24 t24 = g24[0];
        struct s40 t40 = g40[0];
        struct s64 t64 = g64[0];
        for (int i = 0; i < 32; i++) {
            g16[i] = g16[i + 1];
            g24[i] = g24[i + 1];
            g40[i] = g40[i + 1];
            g64[i] = g64[i + 1];
        }
        g16[32] = t16;
        g24[32] = t24;
        g40[32] = t40;
        g64[32] = t64;
        struct s100 t100 = g100[round % 17];
        g100[round % 17] = g100[(round * 5 + 3) % 17];
        g100[(round * 5 + 3) % 17] = t100;
    }
}

__attribute__((noinline)) static uint32_t copy_bytes(void) {
    static unsigned char src[256], dst[256 + 64];
    uint32_t h = FNV0;
    for (int i = 0; i < 256; i++) src[i] = (unsigned char)rnd();
    for (int off = 0; off < 16; off++) {  // every alignment of the destination and source
        __builtin_memset(dst, 0xA5, sizeof dst);
        __builtin_memcpy(dst + off, src + (15 - off), 16);
        __builtin_memcpy(dst + 32 + off, src + off, 32);
        __builtin_memcpy(dst + 80 + off, src + 2 * off, 64);
        __builtin_memcpy(dst + 160 + off, src + 3 * off, 48);
        __builtin_memset(dst + 220 + off, 0, 32);
        __builtin_memset(dst + 260 + off, off, 24);
        h = fnv(h, dst, sizeof dst);
    }
    return h;
}

static int record_less(const struct record* a, const struct record* b) {
    if (a->key != b->key) return a->key < b->key;
    return a->payload[0] < b->payload[0];
}

__attribute__((noinline)) static uint32_t sort_records(void) {
    static struct record r[64];
    for (int i = 0; i < 64; i++) {
        struct record x = {0};
        x.key = rnd() % 16;
        x.kind = (uint16_t)i;
        for (int k = 0; k < 10; k++) x.flags[k] = (uint8_t)(i * k);
        for (int k = 0; k < 4; k++) x.payload[k] = ((uint64_t)rnd() << 32) | rnd();
        r[i] = x;
    }
    for (int i = 1; i < 64; i++) {  // insertion sort, moving whole records
        struct record x = r[i];
        int j = i - 1;
        while (j >= 0 && record_less(&x, &r[j])) {
            r[j + 1] = r[j];
            j--;
        }
        r[j + 1] = x;
    }
    uint32_t h = FNV0;
    for (int i = 0; i < 64; i++) h = fnv(h, &r[i].kind, sizeof r[i].kind);
    return fnv(h, r, sizeof r);
}

static void test_copies(void) {
    printf("-- struct copies, memcpy, memset\n");
    for (int i = 0; i < 33; i++) {
        for (int k = 0; k < 4; k++) g16[i].a[k] = rnd();
        g24[i] = (struct s24){rnd(), (uint64_t)rnd() << 20, rnd() ^ 0xFFFFFFFF00000000ull};
        g40[i].tag = (uint8_t)i;
        for (int k = 0; k < 9; k++) g40[i].v[k] = rnd();
        for (int k = 0; k < 8; k++) g64[i].a[k] = ((uint64_t)rnd() << 32) ^ rnd();
    }
    for (int i = 0; i < 17; i++)
        for (int k = 0; k < 100; k++) g100[i].b[k] = (uint8_t)(i * 31 + k);
    rotate_structs();
    printf("rotated: %08x %08x %08x %08x %08x\n", fnv(FNV0, g16, sizeof g16), fnv(FNV0, g24, sizeof g24),
           fnv(FNV0, g40, sizeof g40), fnv(FNV0, g64, sizeof g64), fnv(FNV0, g100, sizeof g100));
    printf("memcpy/memset at every alignment: %08x\n", copy_bytes());
    printf("sorted records: %08x\n", sort_records());
}

// ---- integer vectors -----------------------------------------------------------------

static v16qu load16(const unsigned char* p) {
    v16qu v;
    __builtin_memcpy(&v, p, 16);
    return v;
}

__attribute__((noinline)) static void test_int_vectors(void) {
    printf("-- integer vectors\n");
    static unsigned char data[64 * 16] __attribute__((aligned(16)));
    for (unsigned i = 0; i < sizeof data; i++) data[i] = (unsigned char)(rnd() >> 3);
    v4si acc = {0, 0, 0, 0};
    v8hi sat = {0};
    v16qu mx = {0}, mn = {0};
    mn = ~mn;  // all 0xFF
    v2di qacc = {0, 0};
    uint32_t masks = FNV0, h = FNV0;
    for (int i = 0; i < 63; i++) {
        v16qu a = load16(data + 16 * i), b = load16(data + 16 * i + 16), u = load16(data + 16 * i + 7);
        v4si ai = (v4si)a, bi = (v4si)b;
        acc += ai * bi + (ai >> 3) - (v4si)((v4su)bi >> 5) + (ai << 2);
        acc ^= (ai & bi) | ~(ai ^ (v4si)u);
        v8hi ah = (v8hi)a, bh = (v8hi)b;
        sat = __builtin_ia32_paddsw128(sat, __builtin_ia32_psubsw128(ah, bh));
        v8hi us = (v8hi)__builtin_ia32_paddusb128((v16qi)a, (v16qi)b);
        v8hi ds = (v8hi)__builtin_ia32_psubusw128((v8hi)a, (v8hi)u);
        h = fnv(h, &us, 16);
        h = fnv(h, &ds, 16);
        mx = (v16qu)__builtin_ia32_pmaxub128((v16qi)mx, (v16qi)a);
        mn = (v16qu)__builtin_ia32_pminub128((v16qi)mn, (v16qi)b);
        v8hi mxs = __builtin_ia32_pmaxsw128(ah, bh), mns = __builtin_ia32_pminsw128(ah, bh);
        h = fnv(h, &mxs, 16);
        h = fnv(h, &mns, 16);
        // Compares: masks, and their bit masks (pmovmskb, movmskps).
        v16qi gt = (v16qi)a > (v16qi)b;
        v8hi eq = (ah & 3) == (bh & 3);
        v4si lt = ai < bi;
        masks = fnv(masks, &gt, 16);
        masks = fnv(masks, &eq, 16);
        masks = fnv(masks, &lt, 16);
        uint32_t m = (uint32_t)__builtin_ia32_pmovmskb128(gt) ^ ((uint32_t)__builtin_ia32_movmskps((v4sf)lt) << 16);
        masks = fnv(masks, &m, 4);
        // Multiplies: low and high halves, unsigned 32x32->64, multiply-add.
        v8hi lo = ah * bh, hi = __builtin_ia32_pmulhw128(ah, bh);
        v8hu hiu = (v8hu)__builtin_ia32_pmulhuw128(ah, bh);
        v4si madd = __builtin_ia32_pmaddwd128(ah, bh);
        v2du wide = (v2du)__builtin_ia32_pmuludq128(ai, bi);
        h = fnv(h, &lo, 16);
        h = fnv(h, &hi, 16);
        h = fnv(h, &hiu, 16);
        h = fnv(h, &madd, 16);
        qacc += (v2di)wide;
        // Sums of absolute differences, averages.
        v2di sad = __builtin_ia32_psadbw128((v16qi)a, (v16qi)u);
        v16qu avg = (v16qu)__builtin_ia32_pavgb128((v16qi)a, (v16qi)b);
        v8hu avgw = (v8hu)__builtin_ia32_pavgw128(ah, bh);
        qacc += sad;
        h = fnv(h, &avg, 16);
        h = fnv(h, &avgw, 16);
        // Packs with saturation.
        v16qi ps = __builtin_ia32_packsswb128(ah, bh);
        v16qi pu = __builtin_ia32_packuswb128(ah, bh);
        v8hi pd = __builtin_ia32_packssdw128(ai, bi);
        h = fnv(h, &ps, 16);
        h = fnv(h, &pu, 16);
        h = fnv(h, &pd, 16);
        // Shifts: immediate, by a count register, 64-bit lanes, whole-register byte shifts.
        v8hi sl = __builtin_ia32_psllwi128(ah, i & 15), sr = __builtin_ia32_psrawi128(ah, i & 15);
        v4si sc = __builtin_ia32_pslld128(ai, (v4si){i % 40, 0, 0, 0});
        v4si src = __builtin_ia32_psrad128(ai, (v4si){i % 40, 0, 0, 0});
        v2di sq = __builtin_ia32_psrlqi128((v2di)a, i % 70), sq2 = __builtin_ia32_psllq128((v2di)b, (v2di){i, 0});
        v2di bs = __builtin_ia32_pslldqi128((v2di)a, 8 * 5), bsr = __builtin_ia32_psrldqi128((v2di)b, 8 * 3);
        h = fnv(h, &sl, 16);
        h = fnv(h, &sr, 16);
        h = fnv(h, &sc, 16);
        h = fnv(h, &src, 16);
        h = fnv(h, &sq, 16);
        h = fnv(h, &sq2, 16);
        h = fnv(h, &bs, 16);
        h = fnv(h, &bsr, 16);
    }
    vhex("acc", &acc);
    vhex("sat", &sat);
    vhex("max", &mx);
    vhex("min", &mn);
    vhex("qacc", &qacc);
    printf("masks %08x ops %08x\n", masks, h);
}

__attribute__((noinline)) static void test_shuffles(void) {
    printf("-- shuffles and unpacks\n");
    v4si a = {0x03020100, 0x07060504, 0x0B0A0908, 0x0F0E0D0C};
    v4si b = {0x13121110, 0x17161514, 0x1B1A1918, 0x1F1E1D1C};
    a += (v4si){(int)rnd() & 0, 0, 0, 0};  // not a constant for gcc
    v4si s1 = __builtin_shuffle(a, (v4si){3, 2, 1, 0});
    v4si s2 = __builtin_shuffle(a, b, (v4si){0, 4, 1, 5});
    v4si s3 = __builtin_shuffle(a, b, (v4si){6, 7, 2, 3});
    v4si s4 = __builtin_ia32_pshufd(a, 0x1B);
    v8hi s5 = __builtin_ia32_pshuflw((v8hi)a, 0xB1), s6 = __builtin_ia32_pshufhw((v8hi)b, 0x4E);
    v16qi u1 = __builtin_ia32_punpcklbw128((v16qi)a, (v16qi)b), u2 = __builtin_ia32_punpckhbw128((v16qi)a, (v16qi)b);
    v8hi u3 = __builtin_ia32_punpcklwd128((v8hi)a, (v8hi)b);
    v4si u4 = __builtin_ia32_punpckhdq128(a, b);
    v2di u5 = __builtin_ia32_punpcklqdq128((v2di)a, (v2di)b), u6 = __builtin_ia32_punpckhqdq128((v2di)a, (v2di)b);
    v4sf f = __builtin_ia32_shufps((v4sf)a, (v4sf)b, 0x8D);
    vhex("reverse", &s1);
    vhex("interleave", &s2);
    vhex("mix", &s3);
    vhex("pshufd", &s4);
    vhex("pshuflw", &s5);
    vhex("pshufhw", &s6);
    vhex("punpcklbw", &u1);
    vhex("punpckhbw", &u2);
    vhex("punpcklwd", &u3);
    vhex("punpckhdq", &u4);
    vhex("punpcklqdq", &u5);
    vhex("punpckhqdq", &u6);
    vhex("shufps", &f);
    int w = __builtin_ia32_vec_ext_v8hi((v8hi)b, 5);
    v8hi ins = __builtin_ia32_vec_set_v8hi((v8hi)a, 0x7777, 6);
    printf("pextrw 5: %04x\n", (unsigned)w);
    vhex("pinsrw 6", &ins);
    // A byte reversal of 4 KiB with shuffles: checksum.
    static unsigned char buf[4096] __attribute__((aligned(16)));
    for (int i = 0; i < 4096; i++) buf[i] = (unsigned char)rnd();
    for (int i = 0; i < 4096; i += 16) {
        v8hi v = *(v8hi*)(buf + i);
        v = __builtin_ia32_pshuflw(v, 0x1B);
        v = __builtin_ia32_pshufhw(v, 0x1B);
        v = (v8hi)__builtin_ia32_pshufd((v4si)v, 0x4E);
        v = (v8hi)((v8hu)v >> 8) | (v8hi)((v8hu)v << 8);
        *(v8hi*)(buf + i) = v;
    }
    printf("reversed blocks: %08x\n", fnv(FNV0, buf, sizeof buf));
}

// ---- auto-vectorized loops --------------------------------------------------------------

__attribute__((noinline)) static void test_autovec(void) {
    printf("-- vectorized loops\n");
    static uint32_t x[1024], y[1024];
    static uint16_t s[1024];
    static uint8_t c[1024];
    for (int i = 0; i < 1024; i++) {
        x[i] = rnd();
        y[i] = rnd();
        s[i] = (uint16_t)rnd();
        c[i] = (uint8_t)rnd();
    }
    uint32_t sum = 0, mx = 0;
    for (int i = 0; i < 1024; i++) {
        y[i] = (x[i] ^ y[i]) + (x[i] >> 3) * 5;
        sum += y[i];
        mx = y[i] > mx ? y[i] : mx;
    }
    uint16_t smin = 0xFFFF;
    for (int i = 0; i < 1024; i++) {
        s[i] = (uint16_t)(s[i] + c[i] * 3);
        smin = s[i] < smin ? s[i] : smin;
    }
    uint32_t bytes = 0;
    for (int i = 0; i < 1024; i++) bytes += c[i] > 100 ? c[i] : 0;
    printf("sum %08x max %08x min16 %04x bytes %u hash %08x %08x\n", sum, mx, smin, bytes, fnv(FNV0, y, sizeof y),
           fnv(FNV0, s, sizeof s));
}

// ---- float vectors ----------------------------------------------------------------------

__attribute__((noinline)) static void test_float_vectors(void) {
    printf("-- float vectors\n");
    v4sf acc = {0, 0, 0, 0}, mn = {1e30f, 1e30f, 1e30f, 1e30f};
    v2df dacc = {0, 0};
    uint32_t h = FNV0;
    for (int i = 1; i <= 200; i++) {
        v4si n = {i, -i, 3 * i, i * i};
        v4sf f = __builtin_ia32_cvtdq2ps(n);
        v4sf q = f / (v4sf){3, 7, 11, 13} + (v4sf){0.5f, 0.25f, 0.125f, 1.0f};
        acc += q * q - f;
        mn = __builtin_ia32_minps(mn, __builtin_ia32_sqrtps(__builtin_ia32_andnps((v4sf){-0.0f, -0.0f, -0.0f, -0.0f}, q)));
        v4si t = __builtin_ia32_cvttps2dq(q * (v4sf){100, 100, 100, 100});
        v4si r = __builtin_ia32_cvtps2dq(q * (v4sf){10, 10, 10, 10});
        h = fnv(h, &t, 16);
        h = fnv(h, &r, 16);
        v2df d = __builtin_ia32_cvtps2pd(q);
        dacc += d * d / (v2df){3.0, 9.0};
        v4sf back = __builtin_ia32_cvtpd2ps(dacc);
        v4si cm = (v4si)__builtin_ia32_cmpleps(q, (v4sf){1, 2, 3, 4});
        h = fnv(h, &back, 16);
        h = fnv(h, &cm, 16);
    }
    vhex("acc", &acc);
    vhex("min sqrt", &mn);
    printf("dacc ");
    print_double(dacc[0]);
    printf(" ");
    print_double(dacc[1]);
    printf("\nconversions %08x\n", h);
}

void kmain(uint32_t magic, struct multiboot_info* mbi) {
    printf("sse_simd%d\n", GUEST_BITS);
    test_copies();
    test_int_vectors();
    test_shuffles();
    test_autovec();
    test_float_vectors();
    printf("MXCSR %08x\n", stmxcsr());
    printf("sse_simd%d done\n", GUEST_BITS);
}
