// Page-table helpers: 32-bit (4 KiB and 4 MiB pages, CR4.PSE) and long mode (4-level,
// 4 KiB / 2 MiB / 1 GiB pages). Tables come from a static pool of zeroed pages.
#pragma once
#include <stdint.h>

#define PTE_P 0x001u
#define PTE_W 0x002u
#define PTE_U 0x004u
#define PTE_PWT 0x008u
#define PTE_PCD 0x010u
#define PTE_A 0x020u
#define PTE_D 0x040u
#define PTE_PS 0x080u
#define PTE_G 0x100u
#define PTE_NX (1ull << 63)

#define PF_ERR_P 0x01u
#define PF_ERR_W 0x02u
#define PF_ERR_U 0x04u
#define PF_ERR_RSVD 0x08u
#define PF_ERR_I 0x10u

void* page_alloc(void);  // a zeroed, 4 KiB-aligned page (identity-mapped); panics when empty

#ifndef __x86_64__
uint32_t* pg32_new_dir(void);
void pg32_map_4k(uint32_t* pd, uint32_t va, uint32_t pa, uint32_t flags);
void pg32_map_4m(uint32_t* pd, uint32_t va, uint32_t pa, uint32_t flags);
void pg32_unmap(uint32_t* pd, uint32_t va);  // clears the PTE (or 4 MiB PDE) and INVLPGs
// The entry mapping va (PTE, or PDE for a 4 MiB page), or 0 if none; *size = 4096 or 4 MiB.
uint32_t* pg32_lookup(uint32_t* pd, uint32_t va, uint32_t* size);
void pg32_identity_4m(uint32_t* pd, uint32_t start, uint32_t end, uint32_t flags);
void pg32_enable(uint32_t* pd);  // CR4.PSE, CR3 = pd, CR0.PG|WP
#else
uint64_t* pg64_new_pml4(void);
void pg64_map_4k(uint64_t* pml4, uint64_t va, uint64_t pa, uint64_t flags);
void pg64_map_2m(uint64_t* pml4, uint64_t va, uint64_t pa, uint64_t flags);
void pg64_map_1g(uint64_t* pml4, uint64_t va, uint64_t pa, uint64_t flags);
void pg64_unmap(uint64_t* pml4, uint64_t va);  // clears the leaf entry and INVLPGs
// The leaf entry mapping va or 0; *size = 4 KiB, 2 MiB or 1 GiB.
uint64_t* pg64_lookup(uint64_t* pml4, uint64_t va, uint64_t* size);
void pg64_identity_2m(uint64_t* pml4, uint64_t start, uint64_t end, uint64_t flags);
void pg64_activate(uint64_t* pml4);  // CR3 = pml4
// The page tables built by the 64-bit entry code (first 1 GiB identity, 2 MiB pages).
extern uint64_t sdk_boot_pml4[512], sdk_boot_pdpt[512], sdk_boot_pd[512];
#endif
