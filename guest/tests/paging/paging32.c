// 32-bit paging: 4 KiB and 4 MiB pages, a mapping at a high address, accessed/dirty
// bits, #PF on a not-present page and on a read-only page (CR0.WP) with CR2 and the
// error code, fixed up by the handler and retried, INVLPG after changing a mapping.
#include <sdk/sdk.h>

static uint32_t* pd;
static uint32_t fix_pa;
static volatile int pf_count;
static int failures;

static void check(const char* what, int cond) {
    if (!cond) {
        printf("FAIL: %s\n", what);
        failures++;
    }
}

static void pf_handler(struct int_frame* f) {
    uint32_t cr2 = (uint32_t)read_cr2();
    pf_count++;
    printf("  #PF cr2 %08x error %x\n", cr2, f->error);
    uint32_t* e = pg32_lookup(pd, cr2, 0);
    if (!e) {
        printf("  handler: map %08x\n", cr2 & ~0xFFFu);
        pg32_map_4k(pd, cr2 & ~0xFFFu, fix_pa, PTE_W);
    } else {
        printf("  handler: make %08x writable\n", cr2 & ~0xFFFu);
        *e |= PTE_W;
    }
    invlpg((void*)(uintptr_t)cr2);
}

static void ad(const char* when, volatile uint32_t* e) {
    printf("  %s: A=%d D=%d\n", when, (*e & PTE_A) ? 1 : 0, (*e & PTE_D) ? 1 : 0);
}

void kmain(uint32_t magic, struct multiboot_info* mbi) {
    printf("paging32\n");
    idt_set_handler(14, pf_handler);
    pd = pg32_new_dir();
    for (uint32_t a = 0; a < (4u << 20); a += 4096) pg32_map_4k(pd, a, a, PTE_W);  // 0-4 MiB: 4 KiB pages
    pg32_identity_4m(pd, 4u << 20, 64u << 20, PTE_W);                                // 4-64 MiB: 4 MiB pages
    pg32_enable(pd);
    printf("paging enabled: PG=%d PSE=%d WP=%d\n", (read_cr0() & CR0_PG) ? 1 : 0, (read_cr4() & CR4_PSE) ? 1 : 0,
           (read_cr0() & CR0_WP) ? 1 : 0);

    printf("4 KiB page at c0000000\n");
    uint32_t* phys = page_alloc();
    for (int i = 0; i < 1024; i++) phys[i] = 0x11110000u + (uint32_t)i;
    pg32_map_4k(pd, 0xC0000000u, (uint32_t)(uintptr_t)phys, PTE_W);
    volatile uint32_t* hi = (volatile uint32_t*)0xC0000000u;
    uint32_t* pte = pg32_lookup(pd, 0xC0000000u, 0);
    ad("fresh", pte);
    uint32_t v = hi[5];
    printf("  read %08x\n", v);
    check("read through the high mapping", v == 0x11110005u);
    ad("after read", pte);
    check("A set, D clear after read", (*(volatile uint32_t*)pte & (PTE_A | PTE_D)) == PTE_A);
    hi[6] = 0xDEADBEEFu;
    printf("  wrote, physical word %08x\n", phys[6]);
    check("write reached the physical page", phys[6] == 0xDEADBEEFu);
    ad("after write", pte);
    check("A and D set after write", (*(volatile uint32_t*)pte & (PTE_A | PTE_D)) == (PTE_A | PTE_D));
    *(volatile uint32_t*)pte &= ~(PTE_A | PTE_D);
    invlpg(hi);
    v = hi[7];
    ad("cleared + invlpg + read", pte);
    check("A set again, D clear", (*(volatile uint32_t*)pte & (PTE_A | PTE_D)) == PTE_A);

    printf("4 MiB page at d0000000 -> 01000000\n");
    pg32_map_4m(pd, 0xD0000000u, 0x01000000u, PTE_W);
    uint32_t* pde = pg32_lookup(pd, 0xD0000000u, 0);
    ad("fresh", pde);
    volatile uint32_t* big = (volatile uint32_t*)0xD0000000u;
    big[0x100000 / 4] = 0xCAFEF00Du;
    uint32_t pv = *(volatile uint32_t*)(0x01000000u + 0x100000u);
    printf("  identity view %08x\n", pv);
    check("4 MiB page write visible at the physical address", pv == 0xCAFEF00Du);
    ad("after write", pde);
    check("PDE A and D set", (*(volatile uint32_t*)pde & (PTE_A | PTE_D)) == (PTE_A | PTE_D));

    printf("#PF: read from not-present e0000000\n");
    uint32_t* phys2 = page_alloc();
    phys2[1] = 0x2222AAAAu;
    fix_pa = (uint32_t)(uintptr_t)phys2;
    pf_count = 0;
    v = ((volatile uint32_t*)0xE0000000u)[1];
    printf("  retried read %08x, faults %d\n", v, pf_count);
    check("not-present fault fixed", v == 0x2222AAAAu && pf_count == 1);

    printf("#PF: write to read-only e0001000\n");
    uint32_t* phys3 = page_alloc();
    pg32_map_4k(pd, 0xE0001000u, (uint32_t)(uintptr_t)phys3, 0);
    v = ((volatile uint32_t*)0xE0001000u)[0];
    pf_count = 0;
    ((volatile uint32_t*)0xE0001000u)[3] = 0x33334444u;
    printf("  retried write, physical %08x, faults %d\n", phys3[3], pf_count);
    check("read-only fault fixed", phys3[3] == 0x33334444u && pf_count == 1);

    printf("INVLPG after remapping c0000000\n");
    uint32_t* phys4 = page_alloc();
    phys4[5] = 0x44445555u;
    v = hi[5];
    pg32_map_4k(pd, 0xC0000000u, (uint32_t)(uintptr_t)phys4, PTE_W);
    invlpg(hi);
    uint32_t v2 = hi[5];
    printf("  before %08x after %08x\n", v, v2);
    check("new mapping visible after invlpg", v2 == 0x44445555u);

    printf("unmap c0000000 and touch it\n");
    pg32_unmap(pd, 0xC0000000u);
    fix_pa = (uint32_t)(uintptr_t)phys;
    pf_count = 0;
    v = hi[6];
    printf("  read %08x, faults %d\n", v, pf_count);
    check("unmapped page faulted and was remapped", v == 0xDEADBEEFu && pf_count == 1);

    if (failures) {
        printf("FAIL: %d checks failed\n", failures);
        exit_emulator(1);
    }
    printf("PASS\n");
    exit_emulator(0);
}
