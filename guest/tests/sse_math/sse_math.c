// Double- and single-precision numeric kernels at -O2 with SSE2 (add_guest(... SSE)): matrix
// multiply, Gaussian elimination with partial pivoting, Newton iterations, series, float and
// double arithmetic side by side, int <-> float conversions, comparisons with NaN and
// infinities, and the masked exceptions (division by zero, invalid, overflow, underflow,
// inexact) with the MXCSR flags each one sets, and the four rounding modes.
// Every result is printed exactly: its bits and a correctly rounded decimal (sdk/fpu.h).
// The inputs are computed at run time from integers so that gcc folds nothing away.
// Compared with QEMU, so it leaves out what QEMU 7.2 does not do as the hardware does: the
// denormal-operand flag (MXCSR.DE, never set by QEMU) and which NaN an operation on two NaNs
// returns (QEMU: the signalling one; the hardware: the first operand). sse_fpexact covers
// those, against the hardware.
#include <sdk/fpu.h>
#include <sdk/sdk.h>

static void show(const char* what, double d) {
    printf("%s ", what);
    print_double(d);
    printf("\n");
}

static void showf(const char* what, float f) {
    printf("%s ", what);
    print_float(f);
    printf("\n");
}

// Run-time values gcc cannot see through.
static volatile int vint[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
static volatile double vzero = 0.0, vone = 1.0, vtwo = 2.0, vthree = 3.0, vten = 10.0;

// ---- matrix multiply -----------------------------------------------------------------

#define N 8
static double A[N][N], B[N][N], C[N][N];
static float Af[N][N], Bf[N][N], Cf[N][N];

__attribute__((noinline)) static void matmul(double (*c)[N], double (*a)[N], double (*b)[N]) {
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            double s = 0;
            for (int k = 0; k < N; k++) s += a[i][k] * b[k][j];
            c[i][j] = s;
        }
}

// The same loop nest in i-k-j order: gcc vectorizes the inner loop (mulpd/addpd or mulps/addps).
__attribute__((noinline)) static void matmul_ikj_f(float (*c)[N], float (*a)[N], float (*b)[N]) {
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < N; j++) c[i][j] = 0;
        for (int k = 0; k < N; k++) {
            float aik = a[i][k];
            for (int j = 0; j < N; j++) c[i][j] += aik * b[k][j];
        }
    }
}

static void test_matmul(void) {
    printf("-- matrix multiply %dx%d\n", N, N);
    int one = vint[0];
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            A[i][j] = (double)((i * 7 + j * 3) % 11 - 5) / (double)(j + 3 * one) + 0.1 * i;
            B[i][j] = (double)((i * 5 + j * 2 + 1) % 13) / 7.0 - (double)j / (double)(i + 2);
            Af[i][j] = (float)A[i][j];
            Bf[i][j] = (float)B[i][j];
        }
    matmul(C, A, B);
    matmul_ikj_f(Cf, Af, Bf);
    double trace = 0, sum = 0;
    float tracef = 0;
    for (int i = 0; i < N; i++) {
        trace += C[i][i];
        tracef += Cf[i][i];
        for (int j = 0; j < N; j++) sum += C[i][j];
    }
    show("C[0][0]", C[0][0]);
    show("C[3][5]", C[3][5]);
    show("C[7][7]", C[7][7]);
    show("trace", trace);
    show("sum", sum);
    showf("float C[3][5]", Cf[3][5]);
    showf("float trace", tracef);
    show("float - double trace", (double)tracef - trace);
}

// ---- Gaussian elimination with partial pivoting ----------------------------------------

#define M 6
static double fabs_(double x) { return x < 0 ? -x : x; }

// Solves a x = b in place (a and b are destroyed); returns the pivot rows chosen as digits.
__attribute__((noinline)) static unsigned solve(double (*a)[M], double* b, double* x) {
    unsigned pivots = 0;
    for (int col = 0; col < M; col++) {
        int p = col;
        for (int r = col + 1; r < M; r++)
            if (fabs_(a[r][col]) > fabs_(a[p][col])) p = r;
        pivots = pivots * 10 + (unsigned)p;
        if (p != col) {
            for (int k = 0; k < M; k++) {
                double t = a[col][k];
                a[col][k] = a[p][k];
                a[p][k] = t;
            }
            double t = b[col];
            b[col] = b[p];
            b[p] = t;
        }
        for (int r = col + 1; r < M; r++) {
            double f = a[r][col] / a[col][col];
            for (int k = col; k < M; k++) a[r][k] -= f * a[col][k];
            b[r] -= f * b[col];
        }
    }
    for (int r = M - 1; r >= 0; r--) {
        double s = b[r];
        for (int k = r + 1; k < M; k++) s -= a[r][k] * x[k];
        x[r] = s / a[r][r];
    }
    return pivots;
}

static void test_gauss(void) {
    printf("-- Gaussian elimination %dx%d\n", M, M);
    static double a[M][M], b[M], x[M];
    // A matrix whose pivots move about, and b = a * (1, 2, ..., M) so x should be near 1..M.
    for (int i = 0; i < M; i++)
        for (int j = 0; j < M; j++) a[i][j] = (double)(((i + 1) * (j + 2) * 37) % 17 - 8) + 1.0 / (double)(i + j + vint[0]);
    for (int i = 0; i < M; i++) {
        b[i] = 0;
        for (int j = 0; j < M; j++) b[i] += a[i][j] * (double)(j + 1);
    }
    unsigned piv = solve(a, b, x);
    printf("pivot rows %06u\n", piv);
    for (int i = 0; i < M; i++) {
        printf("x[%d] ", i);
        print_double(x[i]);
        printf(" error ");
        print_double(x[i] - (double)(i + 1));
        printf("\n");
    }
    // The Hilbert matrix: badly conditioned, so every rounding shows in the result.
    for (int i = 0; i < M; i++) {
        b[i] = 0;
        for (int j = 0; j < M; j++) {
            a[i][j] = vone / (double)(i + j + 1);
            b[i] += a[i][j];
        }
    }
    piv = solve(a, b, x);
    printf("hilbert pivot rows %06u\n", piv);
    for (int i = 0; i < M; i++) {
        printf("hilbert x[%d] ", i);
        print_double(x[i]);
        printf("\n");
    }
}

// ---- Newton iterations -----------------------------------------------------------------

static void test_newton(void) {
    printf("-- Newton\n");
    for (int k = 2; k <= 10; k += 4) {
        double v = (double)vint[k - 1];  // k
        double x = v;
        int it = 0;
        for (; it < 60; it++) {
            double nx = 0.5 * (x + v / x);
            if (nx == x) break;
            x = nx;
        }
        printf("sqrt(%d) after %d steps ", k, it);
        print_double(x);
        printf(" sqrtsd ");
        print_double(__builtin_sqrt(v));
        printf("\n");
        float xf = (float)v;
        for (int i = 0; i < 30; i++) xf = 0.5f * (xf + (float)v / xf);
        printf("sqrtf(%d) newton ", k);
        print_float(xf);
        printf(" sqrtss ");
        print_float(__builtin_sqrtf((float)v));
        printf("\n");
    }
    // cube root of 10 and the root of x^3 - 2x - 5 (Newton's own example).
    double x = vtwo;
    for (int i = 0; i < 8; i++) x -= (x * x * x - 2 * x - 5) / (3 * x * x - 2);
    show("root of x^3-2x-5", x);
    x = vtwo;
    for (int i = 0; i < 8; i++) x -= (x * x * x - vten) / (3 * x * x);
    show("cbrt(10)", x);
    // 1/7 by Newton's reciprocal iteration (no division).
    double r = 0.1, d = 7 * vone;
    for (int i = 0; i < 6; i++) r = r * (2 - d * r);
    show("1/7 newton", r);
    show("1/7 divsd", vone / d);
}

// ---- series ----------------------------------------------------------------------------

static void test_series(void) {
    printf("-- series\n");
    double e = 0, term = vone;
    for (int n = 1; n < 25; n++) {
        e += term;
        term /= n;
    }
    show("e (Taylor)", e);
    // pi = 16 atan(1/5) - 4 atan(1/239) (Machin)
    double pi = 0;
    for (int s = 0; s < 2; s++) {
        double q = s ? 1.0 / 239 : vone / 5, q2 = q * q, p = q, a = 0;
        for (int n = 0; n < 30; n++) {
            a += (n & 1 ? -p : p) / (2 * n + 1);
            p *= q2;
        }
        pi += s ? -4 * a : 16 * a;
    }
    show("pi (Machin)", pi);
    // Leibniz, 10000 terms, forwards and backwards: different roundings.
    double fw = 0, bw = 0;
    for (int n = 0; n < 10000; n++) fw += (n & 1 ? -4.0 : 4.0) / (2 * n + vint[0]);
    for (int n = 9999; n >= 0; n--) bw += (n & 1 ? -4.0 : 4.0) / (2 * n + vint[0]);
    show("pi (Leibniz fw)", fw);
    show("pi (Leibniz bw)", bw);
    // Harmonic sums in float: naive and Kahan-compensated.
    float h = 0, ks = 0, kc = 0;
    for (int n = 1; n <= 100000; n++) {
        float t = 1.0f / (float)n;
        h += t;
        float y = t - kc;
        float z = ks + y;
        kc = (z - ks) - y;
        ks = z;
    }
    showf("H(100000) float naive", h);
    showf("H(100000) float kahan", ks);
    double hd = 0;
    for (int n = 1; n <= 100000; n++) hd += 1.0 / n;
    show("H(100000) double", hd);
    // sin(1) and cos(1) by Taylor series, then sin^2 + cos^2.
    double x = vone, s = 0, c = 0, ts = x, tc = 1;
    for (int n = 0; n < 12; n++) {
        s += ts;
        c += tc;
        ts *= -x * x / ((2 * n + 2) * (2 * n + 3));
        tc *= -x * x / ((2 * n + 1) * (2 * n + 2));
    }
    show("sin(1)", s);
    show("cos(1)", c);
    show("sin^2+cos^2-1", s * s + c * c - 1);
}

// ---- conversions -----------------------------------------------------------------------

static volatile double conv_in[] = {0.0, -0.0, 0.5, 1.5, 2.5, -2.5, -2.7, 2147483647.0, 2147483647.5, 2147483648.0,
                                    -2147483648.0, -2147483649.0, 1e10, -1e300, 4503599627370497.0, 123456.789};

static int cvtsd2si(double d) {
    int r;
    __asm__ volatile("cvtsd2si %1, %0" : "=r"(r) : "x"(d));
    return r;
}

static void test_conversions(void) {
    printf("-- conversions\n");
    for (unsigned i = 0; i < sizeof conv_in / sizeof conv_in[0]; i++) {
        double d = conv_in[i];
        printf("%2u (int) %d  cvtsd2si %d  (float) ", i, (int)d, cvtsd2si(d));
        print_float((float)d);
#ifdef __x86_64__
        printf("  (long) %ld", (long)d);
#endif
        printf("\n");
    }
    static const int ints[] = {0, 1, -1, 16777217, -16777217, 2147483647, (int)0x80000000u, 123456789};
    for (unsigned i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        int v = ints[i] + vint[0] - 1;
        printf("%d -> ", v);
        print_double((double)v);
        printf(" / ");
        print_float((float)v);
        printf("\n");
    }
    unsigned u = 0xFFFFFFFFu - (unsigned)vint[0] + 1;
    printf("%u -> ", u);
    print_double((double)u);
    printf(" back %u\n", (unsigned)((double)u * 0.5) * 2u + 1u);
#ifdef __x86_64__
    long big = 0x7FFFFFFFFFFFFC00l + vint[0] - 1;
    printf("%ld -> ", big);
    print_double((double)big);
    printf("\n");
    long odd = (1l << 53) + 1 + vint[0] - 1;
    printf("%ld -> ", odd);
    print_double((double)odd);
    printf("\n");
#endif
    // float <-> double rounding
    double third = vone / vthree;
    showf("(float)(1/3)", (float)third);
    show("(double)(float)(1/3)", (double)(float)third);
    show("1e-45 as float back", (double)(float)(1e-45 * vone));
    show("1e39 as float back", (double)(float)(1e39 * vone));
}

// ---- comparisons, NaN and infinities ---------------------------------------------------

static void test_compare(void) {
    printf("-- comparisons\n");
    double nan = vzero / vzero, inf = vone / vzero, ninf = -inf, one = vone;
    show("0/0", nan);
    show("1/0", inf);
    show("-1/0", ninf);
    show("inf - inf", inf - inf);
    show("inf * 0", inf * vzero);
    show("-nan", -nan);
    show("nan + 1", nan + one);
    const double vals[] = {nan, inf, ninf, one, -0.0 * one, 0.0 * one};
    const char* names[] = {"nan", "inf", "-inf", "1", "-0", "0"};
    for (int i = 0; i < 6; i++) {
        printf("%-4s:", names[i]);
        for (int j = 0; j < 6; j++) {
            volatile double a = vals[i], b = vals[j];
            printf(" %d%d%d%d%d%d", a < b, a <= b, a == b, a != b, a > b, a >= b);
        }
        printf("\n");
    }
    printf("nan != nan %d, isnan %d, !(nan < 1) %d\n", nan != nan, __builtin_isnan(nan), !(nan < one));
    // minsd/maxsd return the second operand when either is a NaN or both are zeros.
    typedef double v2df __attribute__((vector_size(16)));
    v2df a = {nan, 0.0 * one}, b = {one, -0.0 * one};
    v2df mn = __builtin_ia32_minsd(a, b), mx = __builtin_ia32_maxsd(b, a);
    show("minsd(nan, 1)", mn[0]);
    show("maxsd(1, nan)", mx[0]);
    v2df az = {0.0 * one, 0}, bz = {-0.0 * one, 0};
    show("minsd(0, -0)", __builtin_ia32_minsd(az, bz)[0]);
    show("minsd(-0, 0)", __builtin_ia32_minsd(bz, az)[0]);
    v2df c = __builtin_ia32_cmpunordpd(a, b);
    printf("cmpunordpd %llx %llx\n", (unsigned long long)f64_bits(c[0]), (unsigned long long)f64_bits(c[1]));
    c = __builtin_ia32_cmpltpd((v2df){one, nan}, (v2df){inf, one});
    printf("cmpltpd %llx %llx\n", (unsigned long long)f64_bits(c[0]), (unsigned long long)f64_bits(c[1]));
}

// ---- masked exceptions and the MXCSR flags ---------------------------------------------

static volatile double va, vb, vr;
static volatile float fa, fb, fr;

static const char* flag_names(uint32_t m, char* buf) {
    static const char* const n[6] = {"IE", "DE", "ZE", "OE", "UE", "PE"};
    char* p = buf;
    for (int i = 0; i < 6; i++)
        if (m & (1u << i)) {
            if (p != buf) *p++ = ' ';
            for (const char* s = n[i]; *s; s++) *p++ = *s;
        }
    if (p == buf) *p++ = '-';
    *p = 0;
    return buf;
}

enum op { ADD, SUB, MUL, DIV, SQRT };

__attribute__((noinline)) static void flags_op(const char* what, enum op op, uint64_t a, uint64_t b, uint32_t mxcsr) {
    char buf[32];
    va = f64_from_bits(a);
    vb = f64_from_bits(b);
    ldmxcsr(mxcsr);
    double x = va, y = vb;
    switch (op) {
        case ADD: vr = x + y; break;
        case SUB: vr = x - y; break;
        case MUL: vr = x * y; break;
        case DIV: vr = x / y; break;
        case SQRT: vr = __builtin_sqrt(x); break;
    }
    uint32_t m = stmxcsr();
    ldmxcsr(MXCSR_DEFAULT);
    printf("%-22s = ", what);
    print_double(vr);
    printf("  [%s]\n", flag_names(m & MXCSR_FLAGS, buf));
}

__attribute__((noinline)) static void flags_opf(const char* what, uint32_t a, uint32_t b, uint32_t mxcsr) {
    char buf[32];
    fa = f32_from_bits(a);
    fb = f32_from_bits(b);
    ldmxcsr(mxcsr);
    float x = fa, y = fb;
    fr = x * y;
    uint32_t m = stmxcsr();
    ldmxcsr(MXCSR_DEFAULT);
    printf("%-22s = ", what);
    print_float(fr);
    printf("  [%s]\n", flag_names(m & MXCSR_FLAGS, buf));
}

static void test_exceptions(void) {
    // The flags the kernels above left set (sticky): DE aside, which QEMU does not raise.
    printf("-- masked exceptions (MXCSR %08x without DE)\n", stmxcsr() & ~MXCSR_DE);
    const uint64_t one = 0x3FF0000000000000ull, zero = 0, max = 0x7FEFFFFFFFFFFFFFull, tiny = 0x0010000000000000ull,
                   denorm = 0x0000000000000001ull, inf = 0x7FF0000000000000ull, three = 0x4008000000000000ull,
                   snan = 0x7FF0000000000001ull, qnan = 0x7FF8000000000123ull, mone = 0xBFF0000000000000ull;
    const uint32_t D = MXCSR_DEFAULT;
    flags_op("1 / 0", DIV, one, zero, D);
    flags_op("-1 / 0", DIV, mone, zero, D);
    flags_op("0 / 0", DIV, zero, zero, D);
    flags_op("1 / 3", DIV, one, three, D);
    flags_op("1 + 1", ADD, one, one, D);
    flags_op("max * 3", MUL, max, three, D);
    flags_op("tiny * tiny", MUL, tiny, tiny, D);
    flags_op("tiny / 3", DIV, tiny, three, D);
    flags_op("inf - inf", SUB, inf, inf, D);
    flags_op("snan + 1", ADD, snan, one, D);
    flags_op("qnan + 1", ADD, qnan, one, D);
    flags_op("1 + qnan", ADD, one, qnan, D);
    flags_op("sqrt(-1)", SQRT, mone, 0, D);
    flags_op("sqrt(-0)", SQRT, 0x8000000000000000ull, 0, D);
    flags_op("sqrt(3)", SQRT, three, 0, D);
    // Flush to zero and denormals are zero.
    flags_op("tiny / 3 FTZ", DIV, tiny, three, D | MXCSR_FTZ);
    flags_op("denorm * 3 DAZ", MUL, denorm, three, D | MXCSR_DAZ);  // DAZ: no DE either
    flags_op("denorm + denorm DAZ", ADD, denorm, denorm, D | MXCSR_DAZ);
    // Flags are sticky: the ones already set stay set.
    flags_op("1 + 1 with ZE set", ADD, one, one, D | MXCSR_ZE);
    // Single precision.
    flags_opf("float max * 2", 0x7F7FFFFFu, 0x40000000u, D);
    flags_opf("float tiny * tiny", 0x00800000u, 0x00800000u, D);
    flags_opf("float 3 * 1/3", 0x40400000u, 0x3EAAAAABu, D);
    // Rounding modes.
    static const uint32_t rc[4] = {MXCSR_RC_NEAREST, MXCSR_RC_DOWN, MXCSR_RC_UP, MXCSR_RC_ZERO};
    static const char* const rcn[4] = {"nearest", "down", "up", "zero"};
    for (int i = 0; i < 4; i++) {
        char what[32];
        snprintf(what, sizeof what, "1 / 3 %s", rcn[i]);
        flags_op(what, DIV, one, three, D | rc[i]);
        snprintf(what, sizeof what, "-1 / 3 %s", rcn[i]);
        flags_op(what, DIV, mone, three, D | rc[i]);
        snprintf(what, sizeof what, "max * 3 %s", rcn[i]);
        flags_op(what, MUL, max, three, D | rc[i]);
        ldmxcsr(D | rc[i]);
        volatile double h = 2.5 * vone, nh = -2.5 * vone, t = 2.7 * vone;
        int r1 = cvtsd2si(h), r2 = cvtsd2si(nh), r3 = cvtsd2si(t), r4 = (int)t;
        ldmxcsr(D);
        printf("cvtsd2si %s: 2.5 -> %d, -2.5 -> %d, 2.7 -> %d, cvttsd2si 2.7 -> %d\n", rcn[i], r1, r2, r3, r4);
    }
    printf("MXCSR at the end %08x\n", stmxcsr());
}

void kmain(uint32_t magic, struct multiboot_info* mbi) {
    printf("sse_math%d: MXCSR %08x CR0.EM %d CR0.MP %d CR4.OSFXSR %d CR4.OSXMMEXCPT %d\n", GUEST_BITS, stmxcsr(),
           !!(read_cr0() & CR0_EM), !!(read_cr0() & CR0_MP), !!(read_cr4() & CR4_OSFXSR),
           !!(read_cr4() & CR4_OSXMMEXCPT));
    test_matmul();
    test_gauss();
    test_newton();
    test_series();
    test_conversions();
    test_compare();
    test_exceptions();
    printf("sse_math%d done\n", GUEST_BITS);
}
