// The xmm registers as the SSE task guests (sse_tasks, xsave) check them: all of them stored,
// loaded, filled with a pattern and compared (xmm_regs.c, built with SSE).
#pragma once
#include <stdint.h>

#ifdef __x86_64__
#define NXMM 16
#else
#define NXMM 8
#endif

struct xmmset {
    uint32_t r[16][4];
};

// xmm0..NXMM-1 from `s` and to `s` (movdqu: any alignment).
void load_xmm(const struct xmmset* s);
void store_xmm(struct xmmset* s);
// Register i's lane l: seed * 0x01010101 + i * 0x100 + l.
void make_pattern(struct xmmset* s, uint32_t seed);
// The registers (of xmm0..NXMM-1) that differ, as a bit mask.
uint32_t compare(const struct xmmset* a, const struct xmmset* b);
