// String instructions: REP MOVS/STOS (b/w/d/q), REPE CMPSB, REPNE SCASB, LODSB, with
// DF=0 and DF=1, and address-size-prefixed forms (16-bit SI/DI/CX in 32-bit code,
// 32-bit ESI/EDI/ECX in 64-bit code). Prints checksums and final register values.
#include <sdk/sdk.h>

static uint8_t src[4096] __attribute__((aligned(16)));
static uint8_t dst[4096] __attribute__((aligned(16)));

static uint32_t adler(const uint8_t* p, size_t n) {
    uint32_t a = 1, b = 0;
    for (size_t i = 0; i < n; i++) {
        a = (a + p[i]) % 65521;
        b = (b + a) % 65521;
    }
    return (b << 16) | a;
}

static void fill(void) {
    uint32_t x = 12345;
    for (int i = 0; i < 4096; i++) {
        x = x * 1103515245u + 12345u;
        src[i] = (uint8_t)(x >> 16);
    }
    memset(dst, 0xEE, sizeof dst);
}

#define REPORT(name, cnt, s, d)                                                                            \
    printf("%-22s dst %08x rcx %lx rsi %+ld rdi %+ld\n", name, adler(dst, sizeof dst), (unsigned long)(cnt), \
           (long)((uintptr_t)(s) - (uintptr_t)src), (long)((uintptr_t)(d) - (uintptr_t)dst))

#define MOVS_FWD(sfx, off, n)                                                                     \
    do {                                                                                          \
        fill();                                                                                   \
        void *s = src + off, *d = dst + off;                                                      \
        uintptr_t c = n;                                                                          \
        __asm__ volatile("cld\n rep movs" sfx : "+S"(s), "+D"(d), "+c"(c) : : "memory");          \
        REPORT("rep movs" sfx " fwd", c, s, d);                                                   \
    } while (0)
#define MOVS_BWD(sfx, size, off, n)                                                               \
    do {                                                                                          \
        fill();                                                                                   \
        void *s = src + off, *d = dst + off;                                                      \
        uintptr_t c = n;                                                                          \
        __asm__ volatile("std\n rep movs" sfx "\n cld" : "+S"(s), "+D"(d), "+c"(c) : : "memory"); \
        REPORT("rep movs" sfx " bwd", c, s, d);                                                   \
    } while (0)
#define STOS(sfx, dir, val, off, n)                                                                     \
    do {                                                                                                \
        fill();                                                                                         \
        void* d = dst + off;                                                                            \
        uintptr_t c = n;                                                                                \
        __asm__ volatile(dir "\n rep stos" sfx "\n cld" : "+D"(d), "+c"(c) : "a"(val) : "memory");      \
        REPORT("rep stos" sfx " " dir, c, src, d);                                                      \
    } while (0)

void kmain(uint32_t magic, struct multiboot_info* mbi) {
    printf("rep_string%d\n", GUEST_BITS);
    fill();
    printf("src adler %08x\n", adler(src, sizeof src));
    MOVS_FWD("b", 3, 1001);
    MOVS_FWD("w", 10, 700);
    MOVS_FWD("l", 4, 500);
    MOVS_FWD("b", 0, 0);
    MOVS_BWD("b", 1, 2000, 1500);
    MOVS_BWD("w", 2, 3000, 999);
    MOVS_BWD("l", 4, 4000, 777);
    STOS("b", "cld", 0x5A, 7, 333);
    STOS("w", "cld", 0xA55A, 8, 444);
    STOS("l", "cld", 0x12345678, 12, 555);
    STOS("b", "std", 0x77, 4000, 100);
    STOS("l", "std", 0xCAFEBABE, 4000, 300);
#ifdef __x86_64__
    MOVS_FWD("q", 8, 300);
    MOVS_BWD("q", 8, 4000, 250);
    STOS("q", "cld", 0x0123456789ABCDEFull, 16, 200);
    STOS("q", "std", 0xFEDCBA9876543210ull, 4000, 100);
#endif
    // overlapping copy within one buffer (forward and backward)
    {
        fill();
        memcpy(dst, src, sizeof dst);
        void *s = dst, *d = dst + 5;
        uintptr_t c = 1000;
        __asm__ volatile("cld\n rep movsb" : "+S"(s), "+D"(d), "+c"(c) : : "memory");
        printf("%-22s dst %08x\n", "overlap movsb fwd", adler(dst, sizeof dst));
        memcpy(dst, src, sizeof dst);
        s = dst + 1999;
        d = dst + 2003;
        c = 1000;
        __asm__ volatile("std\n rep movsb\n cld" : "+S"(s), "+D"(d), "+c"(c) : : "memory");
        printf("%-22s dst %08x\n", "overlap movsb bwd", adler(dst, sizeof dst));
    }
    // REPE CMPSB: first difference at 777
    {
        fill();
        memcpy(dst, src, sizeof dst);
        dst[777] ^= 1;
        const void *s = src, *d = dst;
        uintptr_t c = 4096;
        uint8_t zf;
        __asm__ volatile("cld\n repe cmpsb\n setz %3" : "+S"(s), "+D"(d), "+c"(c), "=q"(zf) : : "memory", "cc");
        printf("repe cmpsb: rcx %lx rsi %+ld zf %d\n", (unsigned long)c, (long)((uintptr_t)s - (uintptr_t)src), zf);
        s = src + 4095;
        d = dst + 4095;
        c = 4096;
        __asm__ volatile("std\n repe cmpsb\n setz %3\n cld" : "+S"(s), "+D"(d), "+c"(c), "=q"(zf) : : "memory", "cc");
        printf("repe cmpsb bwd: rcx %lx rsi %+ld zf %d\n", (unsigned long)c, (long)((uintptr_t)s - (uintptr_t)src), zf);
        s = src;
        d = src;
        c = 4096;
        __asm__ volatile("cld\n repe cmpsb\n setz %3" : "+S"(s), "+D"(d), "+c"(c), "=q"(zf) : : "memory", "cc");
        printf("repe cmpsb equal: rcx %lx zf %d\n", (unsigned long)c, zf);
    }
    // REPNE SCASB: find a byte value
    {
        fill();
        uint8_t want = src[2500];
        int first = 0;
        while (src[first] != want) first++;
        const void* d = src;
        uintptr_t c = 4096;
        uint8_t zf;
        __asm__ volatile("cld\n repne scasb\n setz %2" : "+D"(d), "+c"(c), "=q"(zf) : "a"(want) : "memory", "cc");
        printf("repne scasb %02x: first %d, rcx %lx rdi %+ld zf %d\n", want, first, (unsigned long)c,
               (long)((uintptr_t)d - (uintptr_t)src), zf);
        d = src;
        c = 100;
        __asm__ volatile("cld\n repne scasb\n setz %2" : "+D"(d), "+c"(c), "=q"(zf) : "a"(0x100 | 0xFFu), "m"(src) : "cc");
        printf("repne scasb limited: rcx %lx zf %d\n", (unsigned long)c, zf);
    }
    // LODSB loop and LODS/STOS transform (DF=1)
    {
        fill();
        const void* s = src;
        uint32_t acc = 0;
        for (int i = 0; i < 4096; i++) {
            uint32_t al = 0;
            __asm__ volatile("lodsb" : "+S"(s), "+a"(al) : : "memory");
            acc = acc * 33 + al;
        }
        printf("lodsb sum %08x rsi %+ld\n", acc, (long)((uintptr_t)s - (uintptr_t)src));
        s = src + 4095;
        void* d = dst + 4095;
        __asm__ volatile("std\n"
                         "1: lodsb\n xorb $0x5A, %%al\n stosb\n dec %2\n jnz 1b\n cld"
                         : "+S"(s), "+D"(d), "+c"((uintptr_t){4096})
                         : : "memory", "eax", "cc");
        printf("lods/stos bwd: dst %08x\n", adler(dst, sizeof dst));
    }
#ifdef __x86_64__
    // 0x67: 32-bit addresses (ESI/EDI/ECX) in 64-bit mode; upper halves must be ignored/zeroed
    {
        fill();
        uint64_t s = (uintptr_t)src, d = (uintptr_t)dst, c = 0xFFFFFFFF00000000ull | 321;
        __asm__ volatile("cld\n addr32 rep movsb" : "+S"(s), "+D"(d), "+c"(c) : : "memory");
        printf("addr32 rep movsb: dst %08x rcx %lx rsi %+ld rdi %+ld\n", adler(dst, sizeof dst), c,
               (long)(s - (uintptr_t)src), (long)(d - (uintptr_t)dst));
    }
#else
    // 0x67: 16-bit addresses (SI/DI/CX) in 32-bit mode, buffers in low memory (0x8000)
    {
        uint8_t* low = (uint8_t*)0x8000;
        fill();
        memcpy(low, src, 0x800);
        memset(low + 0x800, 0, 0x800);
        uint32_t s = 0xABCD0000u | 0x8010, d = 0x12340000u | 0x8810, c = 0xFFFF0000u | 500;
        __asm__ volatile("cld\n addr16 rep movsb" : "+S"(s), "+D"(d), "+c"(c) : : "memory");
        printf("addr16 rep movsb: low %08x ecx %x esi %x edi %x\n", adler(low + 0x800, 0x800), c, s, d);
        uint32_t a = 0x99;
        d = 0x55550000u | 0x8900;
        c = 0x77770000u | 64;
        __asm__ volatile("std\n addr16 rep stosb\n cld" : "+D"(d), "+c"(c) : "a"(a) : "memory");
        printf("addr16 rep stosb bwd: low %08x ecx %x edi %x\n", adler(low + 0x800, 0x800), c, d);
    }
#endif
    printf("PASS\n");
    exit_emulator(0);
}
