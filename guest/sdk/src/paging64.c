// Long-mode 4-level paging: 4 KiB, 2 MiB and 1 GiB pages.
#include <sdk/sdk.h>

#define ADDR_MASK 0x000FFFFFFFFFF000ull

uint64_t* pg64_new_pml4(void) { return page_alloc(); }

// The table at `level` (3 = PDPT, 2 = PD, 1 = PT) for va, created if missing.
static uint64_t* table(uint64_t* pml4, uint64_t va, int level) {
    uint64_t* t = pml4;
    for (int l = 4; l > level; l--) {
        uint64_t* e = &t[(va >> (12 + 9 * (l - 1))) & 511];
        if (!(*e & PTE_P) || (*e & PTE_PS)) *e = (uint64_t)(uintptr_t)page_alloc() | PTE_P | PTE_W | PTE_U;
        t = (uint64_t*)(uintptr_t)(*e & ADDR_MASK);
    }
    return t;
}

void pg64_map_4k(uint64_t* pml4, uint64_t va, uint64_t pa, uint64_t flags) {
    table(pml4, va, 1)[(va >> 12) & 511] = (pa & ADDR_MASK) | flags | PTE_P;
}

void pg64_map_2m(uint64_t* pml4, uint64_t va, uint64_t pa, uint64_t flags) {
    table(pml4, va, 2)[(va >> 21) & 511] = (pa & ADDR_MASK & ~0x1FFFFFull) | flags | PTE_P | PTE_PS;
}

void pg64_map_1g(uint64_t* pml4, uint64_t va, uint64_t pa, uint64_t flags) {
    table(pml4, va, 3)[(va >> 30) & 511] = (pa & ADDR_MASK & ~0x3FFFFFFFull) | flags | PTE_P | PTE_PS;
}

uint64_t* pg64_lookup(uint64_t* pml4, uint64_t va, uint64_t* size) {
    uint64_t* t = pml4;
    for (int l = 4; l >= 1; l--) {
        uint64_t* e = &t[(va >> (12 + 9 * (l - 1))) & 511];
        if (!(*e & PTE_P)) return 0;
        if (l == 1 || (l <= 3 && (*e & PTE_PS))) {
            if (size) *size = 1ull << (12 + 9 * (l - 1));
            return e;
        }
        t = (uint64_t*)(uintptr_t)(*e & ADDR_MASK);
    }
    return 0;
}

void pg64_unmap(uint64_t* pml4, uint64_t va) {
    uint64_t* e = pg64_lookup(pml4, va, 0);
    if (e) *e = 0;
    invlpg((void*)(uintptr_t)va);
}

void pg64_identity_2m(uint64_t* pml4, uint64_t start, uint64_t end, uint64_t flags) {
    for (uint64_t a = start & ~0x1FFFFFull; a < end; a += 2ull << 20) pg64_map_2m(pml4, a, a, flags);
}

void pg64_activate(uint64_t* pml4) { write_cr3((uintptr_t)pml4); }
