// 32-bit (non-PAE) paging: 4 KiB pages and 4 MiB pages (CR4.PSE).
#include <sdk/sdk.h>

uint32_t* pg32_new_dir(void) { return page_alloc(); }

void pg32_map_4k(uint32_t* pd, uint32_t va, uint32_t pa, uint32_t flags) {
    uint32_t* pde = &pd[va >> 22];
    if (!(*pde & PTE_P) || (*pde & PTE_PS)) *pde = (uint32_t)(uintptr_t)page_alloc() | PTE_P | PTE_W | PTE_U;
    uint32_t* pt = (uint32_t*)(uintptr_t)(*pde & ~0xFFFu);
    pt[(va >> 12) & 0x3FF] = (pa & ~0xFFFu) | flags | PTE_P;
}

void pg32_map_4m(uint32_t* pd, uint32_t va, uint32_t pa, uint32_t flags) {
    pd[va >> 22] = (pa & 0xFFC00000u) | flags | PTE_P | PTE_PS;
}

uint32_t* pg32_lookup(uint32_t* pd, uint32_t va, uint32_t* size) {
    uint32_t* pde = &pd[va >> 22];
    if (!(*pde & PTE_P)) return 0;
    if (*pde & PTE_PS) {
        if (size) *size = 4u << 20;
        return pde;
    }
    uint32_t* pt = (uint32_t*)(uintptr_t)(*pde & ~0xFFFu);
    uint32_t* pte = &pt[(va >> 12) & 0x3FF];
    if (!(*pte & PTE_P)) return 0;
    if (size) *size = 4096;
    return pte;
}

void pg32_unmap(uint32_t* pd, uint32_t va) {
    uint32_t* e = pg32_lookup(pd, va, 0);
    if (e) *e = 0;
    invlpg((void*)(uintptr_t)va);
}

void pg32_identity_4m(uint32_t* pd, uint32_t start, uint32_t end, uint32_t flags) {
    for (uint64_t a = start & 0xFFC00000u; a < end; a += 4u << 20) pg32_map_4m(pd, (uint32_t)a, (uint32_t)a, flags);
}

void pg32_enable(uint32_t* pd) {
    write_cr4(read_cr4() | CR4_PSE);
    write_cr3((uintptr_t)pd);
    write_cr0(read_cr0() | CR0_PG | CR0_WP);
}
