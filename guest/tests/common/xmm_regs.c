// See xmm_regs.h. Built with SSE (a guest's own source).
#include "xmm_regs.h"

#include <sdk/sdk.h>

__attribute__((noinline)) void load_xmm(const struct xmmset* s) {
    __asm__ volatile("movdqu 0x00(%0), %%xmm0\n movdqu 0x10(%0), %%xmm1\n movdqu 0x20(%0), %%xmm2\n"
                     "movdqu 0x30(%0), %%xmm3\n movdqu 0x40(%0), %%xmm4\n movdqu 0x50(%0), %%xmm5\n"
                     "movdqu 0x60(%0), %%xmm6\n movdqu 0x70(%0), %%xmm7\n"
#ifdef __x86_64__
                     "movdqu 0x80(%0), %%xmm8\n movdqu 0x90(%0), %%xmm9\n movdqu 0xa0(%0), %%xmm10\n"
                     "movdqu 0xb0(%0), %%xmm11\n movdqu 0xc0(%0), %%xmm12\n movdqu 0xd0(%0), %%xmm13\n"
                     "movdqu 0xe0(%0), %%xmm14\n movdqu 0xf0(%0), %%xmm15\n"
#endif
                     ::"r"(s)
                     : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
#ifdef __x86_64__
                       "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15",
#endif
                       "memory");
}

__attribute__((noinline)) void store_xmm(struct xmmset* s) {
    __asm__ volatile("movdqu %%xmm0, 0x00(%0)\n movdqu %%xmm1, 0x10(%0)\n movdqu %%xmm2, 0x20(%0)\n"
                     "movdqu %%xmm3, 0x30(%0)\n movdqu %%xmm4, 0x40(%0)\n movdqu %%xmm5, 0x50(%0)\n"
                     "movdqu %%xmm6, 0x60(%0)\n movdqu %%xmm7, 0x70(%0)\n"
#ifdef __x86_64__
                     "movdqu %%xmm8, 0x80(%0)\n movdqu %%xmm9, 0x90(%0)\n movdqu %%xmm10, 0xa0(%0)\n"
                     "movdqu %%xmm11, 0xb0(%0)\n movdqu %%xmm12, 0xc0(%0)\n movdqu %%xmm13, 0xd0(%0)\n"
                     "movdqu %%xmm14, 0xe0(%0)\n movdqu %%xmm15, 0xf0(%0)\n"
#endif
                     ::"r"(s)
                     : "memory");
}

void make_pattern(struct xmmset* s, uint32_t seed) {
    for (int i = 0; i < 16; i++)
        for (int l = 0; l < 4; l++) s->r[i][l] = seed * 0x01010101u + (uint32_t)i * 0x100u + (uint32_t)l;
}

uint32_t compare(const struct xmmset* a, const struct xmmset* b) {
    uint32_t bad = 0;
    for (int i = 0; i < NXMM; i++)
        if (memcmp(a->r[i], b->r[i], 16) != 0) bad |= 1u << i;
    return bad;
}
