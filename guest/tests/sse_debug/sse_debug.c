// The guest gdb-tests/sse.py debugs (built -O0 -g with SSE: every line and local where the
// source says). Functions returning float and double, so that `finish` prints the value
// returned in xmm0 and reverse-finish / reverse-step / reverse-next can go back over them;
// then every xmm register loaded with a known pattern at `xmm_ready` (for `info vector`,
// `p $xmm0` and writes to xmm2, which the guest prints afterwards).
#include <sdk/fpu.h>
#include <sdk/sdk.h>

float g_scaled;
double g_sum;
double g_poly;
volatile uint32_t g_xmm2[4];

float scale(float x, float k) {
    float r = x * k;
    return r;
}

double sum(double a, double b) {
    double s = a + b;
    return s;
}

double poly(double x) {
    double y = 3.0 * x * x - 2.0 * x + 0.5;
    return y;
}

// xmm<i> = dwords {i * 0x11111111 + lane}, except xmm1 = {2.5, -0.75} as doubles and
// xmm0 = {1.5, -2, 0.25, 1e9} as floats; gdb stops at xmm_ready with them loaded, may
// change xmm2, and the guest then stores xmm2 to g_xmm2.
static const uint32_t patterns[16][4] __attribute__((aligned(16))) = {
    {0x3FC00000, 0xC0000000, 0x3E800000, 0x4E6E6B28},
    {0x00000000, 0x40040000, 0x00000000, 0xBFE80000},
    {0x22222222, 0x22222223, 0x22222224, 0x22222225},
    {0x33333333, 0x33333334, 0x33333335, 0x33333336},
    {0x44444444, 0x44444445, 0x44444446, 0x44444447},
    {0x55555555, 0x55555556, 0x55555557, 0x55555558},
    {0x66666666, 0x66666667, 0x66666668, 0x66666669},
    {0x77777777, 0x77777778, 0x77777779, 0x7777777A},
    {0x88888888, 0x88888889, 0x8888888A, 0x8888888B},
    {0x99999999, 0x9999999A, 0x9999999B, 0x9999999C},
    {0xAAAAAAAA, 0xAAAAAAAB, 0xAAAAAAAC, 0xAAAAAAAD},
    {0xBBBBBBBB, 0xBBBBBBBC, 0xBBBBBBBD, 0xBBBBBBBE},
    {0xCCCCCCCC, 0xCCCCCCCD, 0xCCCCCCCE, 0xCCCCCCCF},
    {0xDDDDDDDD, 0xDDDDDDDE, 0xDDDDDDDF, 0xDDDDDDE0},
    {0xEEEEEEEE, 0xEEEEEEEF, 0xEEEEEEF0, 0xEEEEEEF1},
    {0xFFFFFFFF, 0x00000000, 0x00000001, 0x00000002},
};

void load_vectors(void) {
    ldmxcsr(MXCSR_DEFAULT | MXCSR_RC_UP | MXCSR_ZE);  // something to see in $mxcsr: 0x5f84
    __asm__ volatile("movdqa 0x00(%0), %%xmm0\n movdqa 0x10(%0), %%xmm1\n movdqa 0x20(%0), %%xmm2\n"
                     "movdqa 0x30(%0), %%xmm3\n movdqa 0x40(%0), %%xmm4\n movdqa 0x50(%0), %%xmm5\n"
                     "movdqa 0x60(%0), %%xmm6\n movdqa 0x70(%0), %%xmm7\n"
#ifdef __x86_64__
                     "movdqa 0x80(%0), %%xmm8\n movdqa 0x90(%0), %%xmm9\n movdqa 0xa0(%0), %%xmm10\n"
                     "movdqa 0xb0(%0), %%xmm11\n movdqa 0xc0(%0), %%xmm12\n movdqa 0xd0(%0), %%xmm13\n"
                     "movdqa 0xe0(%0), %%xmm14\n movdqa 0xf0(%0), %%xmm15\n"
#endif
                     ".globl xmm_ready\n xmm_ready: nop\n"
                     "movdqu %%xmm2, (%1)\n"
                     ::"r"(patterns), "r"(g_xmm2)
                     : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
#ifdef __x86_64__
                       "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15",
#endif
                       "memory");
    ldmxcsr(MXCSR_DEFAULT);
}

void kmain(uint32_t magic, struct multiboot_info* mbi) {
    g_scaled = scale(2.5f, 3.0f);
    g_sum = sum(0.1, 0.2);
    g_poly = poly(1.5);
    printf("scale %08x sum %016llx poly %016llx\n", f32_bits(g_scaled), (unsigned long long)f64_bits(g_sum),
           (unsigned long long)f64_bits(g_poly));
    load_vectors();
    printf("xmm2 after xmm_ready: %08x %08x %08x %08x\n", g_xmm2[0], g_xmm2[1], g_xmm2[2], g_xmm2[3]);
}
