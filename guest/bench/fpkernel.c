// Benchmark: double-precision floating point at -O2 with SSE2 (what gcc emits for `double`):
// a Jacobi heat-diffusion stencil on a 64x64 grid and a small n-body step, repeated.
// Command line: iters=N (default 100). Prints the result's bits.
#include <sdk/sdk.h>

#define N 64
#define BODIES 16
static double grid[N][N], next[N][N];
static double px[BODIES], py[BODIES], vx[BODIES], vy[BODIES], mass[BODIES];

static void stencil(void) {
    for (int i = 1; i < N - 1; i++)
        for (int j = 1; j < N - 1; j++)
            next[i][j] = 0.25 * (grid[i - 1][j] + grid[i + 1][j] + grid[i][j - 1] + grid[i][j + 1]);
    for (int i = 1; i < N - 1; i++)
        for (int j = 1; j < N - 1; j++) grid[i][j] = next[i][j];
}

static double inv_sqrt3(double d2) {
    // 1 / d^3 by Newton's method for the square root, then a division.
    double r = d2 > 1.0 ? d2 : 1.0;
    for (int k = 0; k < 6; k++) r = 0.5 * (r + d2 / r);
    return 1.0 / (d2 * r);
}

static void nbody(double dt) {
    for (int a = 0; a < BODIES; a++) {
        double ax = 0, ay = 0;
        for (int b = 0; b < BODIES; b++) {
            if (a == b) continue;
            double dx = px[b] - px[a], dy = py[b] - py[a];
            double f = mass[b] * inv_sqrt3(dx * dx + dy * dy + 0.01);
            ax += dx * f;
            ay += dy * f;
        }
        vx[a] += ax * dt;
        vy[a] += ay * dt;
    }
    for (int a = 0; a < BODIES; a++) {
        px[a] += vx[a] * dt;
        py[a] += vy[a] * dt;
    }
}

void kmain(uint32_t magic, struct multiboot_info* mbi) {
    uint32_t iters = (uint32_t)cmdline_uint("iters", 100);
    printf("fpkernel%d: iterations %u\n", GUEST_BITS, iters);
    for (int i = 0; i < N; i++) grid[0][i] = grid[i][0] = 100.0 + i;
    for (int a = 0; a < BODIES; a++) {
        px[a] = (a % 4) * 1.5 + 0.1 * a;
        py[a] = (a / 4) * 1.25 - 0.05 * a;
        vx[a] = vy[a] = 0;
        mass[a] = 1.0 + (a & 3) * 0.5;
    }
    for (uint32_t it = 0; it < iters; it++) {
        stencil();
        nbody(0.001);
    }
    double sum = 0;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) sum += grid[i][j];
    for (int a = 0; a < BODIES; a++) sum += px[a] * 3 + py[a] * 7;
    uint64_t bits;
    memcpy(&bits, &sum, sizeof bits);
    printf("result %08x%08x\n", (uint32_t)(bits >> 32), (uint32_t)bits);
    printf("PASS\n");
    exit_emulator(0);
}
