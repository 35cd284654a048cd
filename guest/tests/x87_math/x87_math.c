// float and double on the x87, as gcc compiles them at -O2 for 32-bit code without SSE
// (add_guest(... X87): -mfpmath=387, -march=i686, so FCOMI/FUCOMI and FCMOVcc too):
// numeric kernels (series, Kahan summation, Newton iterations, Horner, matrix multiply,
// Gaussian elimination), the excess precision of intermediates in x87 registers, int and
// long long conversions (FILD, FISTP under a changed control word), comparisons with NaN,
// the masked exceptions and the flags they set, the four rounding modes and the three
// precision controls; then the transcendental instructions and FPREM, FXTRACT, FSCALE,
// FXAM through inline assembly (x87_common.h).
// Every result is printed exactly (bits and a correctly rounded decimal, in integer
// arithmetic), but the transcendental ones, printed to 15 significant digits: QEMU computes
// FSIN FCOS FSINCOS FPTAN in double precision, the hardware and rewind in extended.
// The inputs come from integers at run time, so that gcc folds nothing away.
// Compared with QEMU (tests/guests/x87_math32.expected), and checked on the host CPU by
// tests/guests/x87_host.py (built with HOST_CHECK).
#include "x87_common.h"

#ifdef HOST_CHECK
#define GUEST_EXIT() return 0
#else
#define GUEST_EXIT() return
#endif

#include <sdk/fpu.h>

static void show_d(const char* what, double d) {
    uint64_t u;
    __builtin_memcpy(&u, &d, 8);
    char buf[64];
    printf("%s %08x%08x %s\n", what, (unsigned)(u >> 32), (unsigned)u, fmt_f64(buf, u, 17));
}

static void show_f(const char* what, float f) {
    uint32_t u;
    __builtin_memcpy(&u, &f, 4);
    char buf[64];
    printf("%s %08x %s\n", what, u, fmt_f32(buf, u, 9));
}

static volatile int vint[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

static double vd(int n, int d) { return (double)vint[n - 1] / vint[d - 1]; }  // n/d, n, d in 1..16

// ---- series and sums ----

__attribute__((noinline)) static double harmonic(int n) {
    double s = 0;
    for (int k = 1; k <= n; k++) s += 1.0 / k;
    return s;
}

__attribute__((noinline)) static float harmonic_f(int n) {
    float s = 0;
    for (int k = 1; k <= n; k++) s += 1.0f / k;
    return s;
}

__attribute__((noinline)) static double kahan(int n) {
    double s = 0, c = 0;
    for (int k = 1; k <= n; k++) {
        volatile double y = 1.0 / ((double)k * k) - c;  // stored: rounded to double each step
        volatile double t = s + y;
        c = (t - s) - y;
        s = t;
    }
    return s;
}

// arctan(1/x) by its series, in double.
__attribute__((noinline)) static double atan_inv(int x) {
    double x2 = (double)x * x, term = 1.0 / x, s = 0;
    for (int k = 0; k < 40; k++) {
        s += (k & 1 ? -term : term) / (2 * k + 1);
        term /= x2;
    }
    return s;
}

__attribute__((noinline)) static double newton_sqrt(double a) {
    double x = a > 1 ? a : 1;
    for (int i = 0; i < 60; i++) x = 0.5 * (x + a / x);
    return x;
}

__attribute__((noinline)) static double horner(const double* c, int n, double x) {
    double r = 0;
    for (int i = n - 1; i >= 0; i--) r = r * x + c[i];
    return r;
}

static void test_series(void) {
    printf("-- series\n");
    show_d("harmonic(1000)", harmonic(1000 * vint[0]));
    show_f("harmonic_f(1000)", harmonic_f(1000 * vint[0]));
    show_d("kahan sum 1/k^2 (5000)", kahan(5000 * vint[0]));
    show_d("pi (Machin)", 16 * atan_inv(5 * vint[0]) - 4 * atan_inv(239 * vint[0]));
    show_d("newton sqrt(2)", newton_sqrt(vd(2, 1)));
    show_d("newton sqrt(1e-5)", newton_sqrt(vd(1, 10) / 10000));
    double c[6] = {vd(1, 1), -vd(1, 2), vd(1, 6), -vd(1, 12), vd(1, 16), -vd(3, 7)};
    show_d("horner(0.7)", horner(c, 6, vd(7, 10)));
    show_d("horner(-3.5)", horner(c, 6, -vd(7, 2)));
}

// ---- linear algebra ----

#define N 6
static double A[N][N], B[N][N], C[N][N], x[N], bvec[N];

__attribute__((noinline)) static void matmul(void) {
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            double s = 0;
            for (int k = 0; k < N; k++) s += A[i][k] * B[k][j];
            C[i][j] = s;
        }
}

// Gaussian elimination with partial pivoting (FABS, FUCOMI, FCMOV), then back substitution.
__attribute__((noinline)) static void solve(double (*m)[N], double* b, double* out) {
    for (int col = 0; col < N; col++) {
        int p = col;
        for (int r = col + 1; r < N; r++)
            if (__builtin_fabs(m[r][col]) > __builtin_fabs(m[p][col])) p = r;
        for (int k = 0; k < N; k++) {
            double t = m[col][k];
            m[col][k] = m[p][k];
            m[p][k] = t;
        }
        double t = b[col];
        b[col] = b[p];
        b[p] = t;
        for (int r = col + 1; r < N; r++) {
            double f = m[r][col] / m[col][col];
            for (int k = col; k < N; k++) m[r][k] -= f * m[col][k];
            b[r] -= f * b[col];
        }
    }
    for (int r = N - 1; r >= 0; r--) {
        double s = b[r];
        for (int k = r + 1; k < N; k++) s -= m[r][k] * out[k];
        out[r] = s / m[r][r];
    }
}

static void test_linear(void) {
    printf("-- linear algebra %dx%d\n", N, N);
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            A[i][j] = vd(1 + (i * 7 + j * 3) % 16, 1 + (i + 2 * j) % 16) - vd(i + 1, 4);
            B[i][j] = vd(1 + (i + j) % 16, 1 + (3 * i + j) % 16);
        }
    matmul();
    for (int i = 0; i < N; i += 2) {
        char name[32];
        snprintf(name, sizeof name, "C[%d][%d]", i, N - 1 - i);
        show_d(name, C[i][N - 1 - i]);
    }
    for (int i = 0; i < N; i++) bvec[i] = vd(i + 1, 3);
    solve(C, bvec, x);
    for (int i = 0; i < N; i++) {
        char name[16];
        snprintf(name, sizeof name, "x[%d]", i);
        show_d(name, x[i]);
    }
}

// ---- excess precision, conversions, comparisons ----

__attribute__((noinline)) static double excess(double a, double b, double c) { return a * b / c; }

static void test_conversions(void) {
    printf("-- excess precision and conversions\n");
    double big = vd(1, 1) * 1e308;
    show_d("1e308 * 10 / 100 (in registers)", excess(big, vd(10, 1), vd(16, 1) * 6.25));
    volatile double stored = big * vd(10, 1);
    show_d("1e308 * 10 stored, / 100", stored / 100);
    show_d("(1/3 + 1/3 + 1/3) - 1", vd(1, 3) + vd(1, 3) + vd(1, 3) - 1);
    const double vals[] = {vd(5, 2), -vd(5, 2), vd(7, 2), -vd(16, 3), vd(1, 2) * 4294967296.0 * 2, -vd(1, 1) * 2147483648.0,
                           vd(1, 1) * 1e19, vd(1, 1) * 9.2233720368547758e18};
    for (unsigned i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        double d = vals[i];
        int n = (int)d;
        long long ll = (long long)d;
        unsigned u = (unsigned)(d > 0 && d < 4294967296.0 ? d : 0);
        uint64_t db;
        __builtin_memcpy(&db, &d, 8);
        printf("d=%08x%08x (int) %d (long long) %lld (unsigned) %u lrint %ld rint ", (unsigned)(db >> 32), (unsigned)db, n, ll, u,
               __builtin_lrint(d));
        double r = __builtin_rint(d);
        uint64_t rb;
        __builtin_memcpy(&rb, &r, 8);
        printf("%08x%08x\n", (unsigned)(rb >> 32), (unsigned)rb);
    }
    show_flags("conversions");
    const long long ints[] = {(long long)vint[15] << 58, -((long long)vint[2] << 60) - 1, 9007199254740993LL * vint[0],
                              -(long long)vint[6]};
    for (unsigned i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        char name[48];
        snprintf(name, sizeof name, "(double)%lld", ints[i]);
        show_d(name, (double)ints[i]);
        snprintf(name, sizeof name, "(float)%lld", ints[i]);
        show_f(name, (float)ints[i]);
    }
    show_f("(float)(1/3)", (float)vd(1, 3));
    show_f("(float)1e-40 (denormal)", (float)(vd(1, 1) * 1e-40));
    show_d("(double)(float)0.1", (double)(float)vd(1, 10));
}

__attribute__((noinline)) static int cmp_bits(double a, double b) {
    return (a < b) | (a <= b) << 1 | (a == b) << 2 | (a != b) << 3 | (a > b) << 4 | (a >= b) << 5 |
           __builtin_isunordered(a, b) << 6;
}

__attribute__((noinline)) static double pick_max(double a, double b) { return a > b ? a : b; }

static void test_compare(void) {
    printf("-- comparisons\n");
    double zero = vd(1, 1) - 1;
    double nan = zero / zero, inf = 1 / zero;
    show_flags("0/0 and 1/0");
    const double v[] = {vd(1, 3), vd(2, 6), -zero, zero, inf, -inf, nan, vd(1, 1)};
    for (unsigned i = 0; i < 8; i++)
        for (unsigned j = 0; j < 8; j += 3) printf("cmp %u %u: %02x\n", i, j, cmp_bits(v[i], v[j]));
    show_flags("comparisons with NaN");
    show_d("max(1/3, -0)", pick_max(v[0], v[2]));
    show_d("max(nan, 1)", pick_max(nan, v[7]));
    show_d("max(1, nan)", pick_max(v[7], nan));
    fnclex();
}

// ---- exceptions, rounding and precision control ----

static void test_specials(void) {
    printf("-- masked exceptions\n");
    double zero = vd(1, 1) - 1, one = vd(1, 1);
    show_d("1/0", one / zero);
    show_flags("1/0");
    show_d("0/0", zero / zero);
    show_flags("0/0");
    show_d("sqrt(-1)", __builtin_sqrt(-one));
    show_flags("sqrt(-1)");
    show_d("sqrt(2)", __builtin_sqrt(one * 2));
    show_flags("sqrt(2)");
    volatile double o = vd(1, 1) * 1e308 * 10;  // overflow when stored
    show_d("1e308 * 10 stored", o);
    show_flags("overflow on store");
    volatile double u = vd(1, 1) * 1e-308 / 1e10;  // a denormal double when stored
    show_d("1e-308 / 1e10 stored", u);
    show_flags("underflow on store");
    volatile double tiny = u;
    show_d("denormal * 2", tiny * 2);
    show_flags("denormal operand");
    volatile float ff = (float)(vd(1, 1) * 1e-30) * (float)(vd(1, 1) * 1e-30);
    show_f("1e-30f * 1e-30f stored", ff);
    show_flags("float underflow");
}

static void test_rounding(void) {
    printf("-- rounding control\n");
    static const char* const names[4] = {"nearest", "down", "up", "zero"};
    uint16_t saved = fnstcw();
    for (int rc = 0; rc < 4; rc++) {
        fldcw((uint16_t)((saved & ~0xC00) | rc << 10));
        printf("%s:\n", names[rc]);
        show_ld("  1/3", (long double)vint[0] / vint[2]);
        show_ld("  -2/3", -(long double)vint[1] / vint[2]);
        volatile double d = (double)vint[0] / vint[9];
        show_d("  1/10 stored as double", d);
        printf("  lrint 2.5 %ld -2.5 %ld 3.5 %ld -0.5 %ld\n", __builtin_lrint(vd(5, 2)), __builtin_lrint(-vd(5, 2)),
               __builtin_lrint(vd(7, 2)), __builtin_lrint(-vd(1, 2)));
        show_ld("  rint(-7/2)", x87_frndint(-(long double)vint[6] / vint[1]));
    }
    fldcw(saved);
    fnclex();
    printf("-- precision control\n");
    static const char* const pcs[4] = {"single", "reserved", "double", "extended"};
    for (int pc = 0; pc < 4; pc++) {
        if (pc == 1) continue;
        fldcw((uint16_t)((saved & ~0x300) | pc << 8));
        printf("%s:\n", pcs[pc]);
        show_ld("  1/3", (long double)vint[0] / vint[2]);
        show_ld("  sqrt(2)", __builtin_sqrtl((long double)vint[1]));
        long double s = 0;
        for (int k = 1; k <= 100; k++) s += (long double)vint[0] / k;
        show_ld("  harmonic(100)", s);
        show_ld("  1 + 2^-30", (long double)vint[0] + 1.0L / (1u << 30));
    }
    fldcw(saved);
    fnclex();
}

// ---- the instructions gcc does not emit ----

static void test_transcendental(void) {
    printf("-- transcendental instructions (15 digits)\n");
    // Arguments exact in double precision (QEMU rounds its argument to double first).
    const long double args[] = {0.5L, 0.25L, 1.0L, 1.5L, 2.0L, 3.0L, -0.75L, 10.0L, 100.0L, 1.0L / 1024};
    for (unsigned i = 0; i < sizeof args / sizeof args[0]; i++) {
        long double a = args[i] * vint[0];
        char name[40];
        long double s, c, one;
        snprintf(name, sizeof name, "fsin(%u)", i);
        show15_double(name, x87_fsin(a));
        snprintf(name, sizeof name, "fcos(%u)", i);
        show15_double(name, x87_fcos(a));
        x87_fsincos(a, &s, &c);
        snprintf(name, sizeof name, "fsincos(%u)", i);
        show15_double(name, s);
        show15_double(name, c);
        snprintf(name, sizeof name, "fptan(%u)", i);
        long double t = x87_fptan(a, &one);
        // tan(0.5) = 0.546302489843790|513...: its 15th digit is where QEMU's double rounding
        // (...790484) falls on the other side.
        if (i != 0) show15_double(name, t);
        show15_double(name, one);
        snprintf(name, sizeof name, "fpatan(%u, 3)", i);
        show15(name, x87_fpatan(a, 3.0L * vint[0]));
        snprintf(name, sizeof name, "fyl2x(1.5, %u)", i);
        show15(name, x87_fyl2x(1.5L * vint[0], a < 0 ? -a : a));
    }
    // F2XM1 takes |x| <= 1, FYL2XP1 |x| < 1 - sqrt(2)/2 (x / 2 here): beyond, undefined.
    const long double small[] = {0.5L, -0.5L, 0.125L, -0.5625L, 1.0L / 4096, -0.99609375L};
    for (unsigned i = 0; i < sizeof small / sizeof small[0]; i++) {
        long double a = small[i] * vint[0];
        char name[40];
        snprintf(name, sizeof name, "f2xm1(%u)", i);
        show15(name, x87_f2xm1(a));
        if (a / 2 > -0.29L && a / 2 < 0.29L) {
            snprintf(name, sizeof name, "fyl2xp1(2, %u)", i);
            show15(name, x87_fyl2xp1(2.0L * vint[0], a / 2));
        }
    }
    show15("exp(1)", x87_exp(1.0L * vint[0]));
    show15("exp(-2.5)", x87_exp(-2.5L * vint[0]));
    show15("log(10)", x87_log(10.0L * vint[0]));
    show15("log(0.125)", x87_log(0.125L * vint[0]));
    show15("atan(1)*4", x87_fpatan(1.0L * vint[0], 1.0L) * 4);
    fnclex();
}

static void test_exact_helpers(void) {
    printf("-- FPREM FPREM1 FXTRACT FSCALE FXAM FRNDINT and the constants\n");
    const long double pairs[][2] = {{100.0L, 3.0L}, {-100.0L, 3.0L}, {1e10L, 0.1L}, {5.5L, 2.0L}, {7.0L, -2.0L}, {1.0L, 1e-3L}};
    for (unsigned i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        unsigned q, q1;
        long double x = pairs[i][0] * vint[0], y = pairs[i][1] * vint[0];
        long double r = x87_fprem(x, y, 0, &q), r1 = x87_fprem(x, y, 1, &q1);
        char name[40];
        snprintf(name, sizeof name, "fprem %u (q %u)", i, q);
        show_ld(name, r);
        snprintf(name, sizeof name, "fprem1 %u", i);  // its quotient bits: x87_fpexact (QEMU has them wrong)
        show_ld(name, r1);
    }
    const long double vals[] = {1.0L, 1e-4940L, -1e300L, 0.0L, 3.0L};
    for (unsigned i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        long double e, v = vals[i] * vint[0];
        long double sig = x87_fxtract(v, &e);
        char name[40];
        snprintf(name, sizeof name, "fxtract %u sig", i);
        show_ld(name, sig);
        snprintf(name, sizeof name, "fxtract %u exp", i);
        show_ld(name, e);
    }
    show_flags("fxtract");
    show_ld("fscale(3, 10.7)", x87_fscale(3.0L * vint[0], 10.7L));
    show_ld("fscale(3, -16400)", x87_fscale(3.0L * vint[0], -16400.0L));
    show_ld("fscale(1, 20000)", x87_fscale(1.0L * vint[0], 20000.0L));
    show_flags("fscale");
    long double zero = (long double)vint[0] - 1;
    const long double classes[] = {zero, -zero, 1.0L, -1.0L / zero, zero / zero, 1e-4940L, ld_of(0x3fff, 1)};
    for (unsigned i = 0; i < sizeof classes / sizeof classes[0]; i++) printf("fxam %u: %x\n", i, x87_fxam(classes[i] * vint[0]));
    show_flags("fxam");
    show_ld("fldpi", x87_fldpi());
    show_ld("fldl2e", x87_fldl2e());
    show_ld("fldl2t", x87_fldl2t());
    show_ld("fldlg2", x87_fldlg2());
    show_ld("fldln2", x87_fldln2());
}

#ifdef HOST_CHECK
int main(void) {
    __asm__ volatile("fninit");
#else
void kmain(uint32_t magic, struct multiboot_info* mb) {
    (void)magic;
    (void)mb;
#endif
    printf("x87_math32: float and double on the x87\n");
    test_series();
    test_linear();
    test_conversions();
    test_compare();
    test_specials();
    test_rounding();
    test_exact_helpers();
    test_transcendental();
    show_flags("at the end");
    printf("x87_math32 done\n");
    GUEST_EXIT();
}
