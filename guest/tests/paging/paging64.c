// Long-mode paging: 4 KiB, 2 MiB and 1 GiB pages, a higher-half mapping, accessed and
// dirty bits, #PF (not present, read-only write, NX instruction fetch with EFER.NXE)
// fixed up by the handler and retried, INVLPG after changing a mapping.
#include <sdk/sdk.h>

static uint64_t* pml4;
static uint64_t fix_pa;
static volatile int pf_count;
static int failures;
static volatile uint64_t marker = 0x1234567890ABCDEFull;

static void check(const char* what, int cond) {
    if (!cond) {
        printf("FAIL: %s\n", what);
        failures++;
    }
}

static void pf_handler(struct int_frame* f) {
    uint64_t cr2 = read_cr2();
    pf_count++;
    printf("  #PF cr2 %016lx error %lx\n", cr2, f->error);
    uint64_t* e = pg64_lookup(pml4, cr2, 0);
    if (!e) {
        printf("  handler: map %lx\n", (unsigned long)(cr2 & ~0xFFFull));
        pg64_map_4k(pml4, cr2 & ~0xFFFull, fix_pa, PTE_W);
    } else if (*e & PTE_NX) {
        printf("  handler: clear NX\n");
        *e &= ~PTE_NX;
    } else {
        printf("  handler: make writable\n");
        *e |= PTE_W;
    }
    invlpg((void*)cr2);
}

static void ad(const char* when, volatile uint64_t* e) {
    printf("  %s: A=%d D=%d\n", when, (*e & PTE_A) ? 1 : 0, (*e & PTE_D) ? 1 : 0);
}

#define V64(a) ((volatile uint64_t*)(a))

void kmain(uint32_t magic, struct multiboot_info* mbi) {
    printf("paging64\n");
    uint32_t a, b, c, d;
    cpuid(0x80000001u, 0, &a, &b, &c, &d);
    if (!(d & (1u << 26)) || !(d & (1u << 20))) {
        printf("FAIL: CPU lacks 1 GiB pages or NX (cpuid 80000001 edx %x)\n", d);
        exit_emulator(1);
    }
    idt_set_handler(14, pf_handler);
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
    pml4 = pg64_new_pml4();
    pg64_identity_2m(pml4, 0, 1ull << 30, PTE_W);
    pg64_activate(pml4);
    write_cr0(read_cr0() | CR0_WP);
    printf("new page tables active, EFER.NXE=%d CR0.WP=%d\n", (rdmsr(MSR_EFER) & EFER_NXE) ? 1 : 0, (read_cr0() & CR0_WP) ? 1 : 0);

    printf("4 KiB page at 00007f0000000000\n");
    uint64_t* phys = page_alloc();
    for (int i = 0; i < 512; i++) phys[i] = 0x1111000000000000ull + (uint64_t)i;
    const uint64_t va4k = 0x00007F0000000000ull;
    pg64_map_4k(pml4, va4k, (uintptr_t)phys, PTE_W);
    uint64_t size = 0;
    uint64_t* pte = pg64_lookup(pml4, va4k, &size);
    printf("  leaf size %lx\n", size);
    ad("fresh", pte);
    uint64_t v = V64(va4k)[5];
    printf("  read %016lx\n", v);
    check("read through the 4 KiB mapping", v == 0x1111000000000005ull);
    ad("after read", pte);
    check("A set, D clear after read", (*(volatile uint64_t*)pte & (PTE_A | PTE_D)) == PTE_A);
    V64(va4k)[6] = 0xDEADBEEFCAFEBABEull;
    printf("  wrote, physical %016lx\n", phys[6]);
    check("write reached the physical page", phys[6] == 0xDEADBEEFCAFEBABEull);
    ad("after write", pte);
    check("A and D set after write", (*(volatile uint64_t*)pte & (PTE_A | PTE_D)) == (PTE_A | PTE_D));
    *(volatile uint64_t*)pte &= ~(PTE_A | PTE_D);
    invlpg((void*)va4k);
    v = V64(va4k)[7];
    ad("cleared + invlpg + read", pte);
    check("A set again, D clear", (*(volatile uint64_t*)pte & (PTE_A | PTE_D)) == PTE_A);

    printf("2 MiB page at 0000000200000000 -> 1000000\n");
    const uint64_t va2m = 0x0000000200000000ull;
    pg64_map_2m(pml4, va2m, 0x1000000, PTE_W);
    uint64_t* pde = pg64_lookup(pml4, va2m, &size);
    printf("  leaf size %lx\n", size);
    V64(va2m + 0x123450)[0] = 0x2222333344445555ull;
    v = *V64(0x1000000 + 0x123450);
    printf("  identity view %016lx\n", v);
    check("2 MiB page write visible", v == 0x2222333344445555ull);
    ad("after write", pde);

    printf("1 GiB page at 0000008000000000 -> 0\n");
    const uint64_t va1g = 0x0000008000000000ull;
    pg64_map_1g(pml4, va1g, 0, PTE_W);
    uint64_t* pdpte = pg64_lookup(pml4, va1g, &size);
    printf("  leaf size %lx\n", size);
    ad("fresh", pdpte);
    v = *V64(va1g + (uintptr_t)&marker);
    printf("  marker through the 1 GiB page %016lx\n", v);
    check("1 GiB page read", v == marker);
    ad("after read", pdpte);
    *V64(va1g + (uintptr_t)&marker) = 0x5555;
    printf("  marker after write through it %lx\n", marker);
    check("1 GiB page write", marker == 0x5555);
    ad("after write", pdpte);

    printf("higher half 4 KiB page at ffff800000000000\n");
    const uint64_t vahh = 0xFFFF800000000000ull;
    pg64_map_4k(pml4, vahh, (uintptr_t)phys, PTE_W);
    v = V64(vahh)[6];
    printf("  read %016lx\n", v);
    check("higher-half alias", v == 0xDEADBEEFCAFEBABEull);

    printf("#PF: read from not-present 0000600000000000\n");
    uint64_t* phys2 = page_alloc();
    phys2[1] = 0x6666777788889999ull;
    fix_pa = (uintptr_t)phys2;
    pf_count = 0;
    v = V64(0x0000600000000000ull)[1];
    printf("  retried read %016lx, faults %d\n", v, pf_count);
    check("not-present fault fixed", v == 0x6666777788889999ull && pf_count == 1);

    printf("#PF: write to read-only 0000600000001000\n");
    uint64_t* phys3 = page_alloc();
    pg64_map_4k(pml4, 0x0000600000001000ull, (uintptr_t)phys3, 0);
    v = V64(0x0000600000001000ull)[0];
    pf_count = 0;
    V64(0x0000600000001000ull)[3] = 0x77;
    printf("  retried write, physical %lx, faults %d\n", phys3[3], pf_count);
    check("read-only fault fixed", phys3[3] == 0x77 && pf_count == 1);

    printf("#PF: execute from an NX page at 0000500000000000\n");
    uint8_t* code = page_alloc();
    static const uint8_t fn[] = {0xB8, 42, 0, 0, 0, 0xC3};  // mov $42, %eax; ret
    memcpy(code, fn, sizeof fn);
    pg64_map_4k(pml4, 0x0000500000000000ull, (uintptr_t)code, PTE_W | PTE_NX);
    pf_count = 0;
    int (*f)(void) = (int (*)(void))0x0000500000000000ull;
    int r = f();
    printf("  call returned %d, faults %d\n", r, pf_count);
    check("NX fault fixed", r == 42 && pf_count == 1);

    printf("INVLPG after remapping 00007f0000000000\n");
    uint64_t* phys4 = page_alloc();
    phys4[5] = 0x4444;
    v = V64(va4k)[5];
    pg64_map_4k(pml4, va4k, (uintptr_t)phys4, PTE_W);
    invlpg((void*)va4k);
    uint64_t v2 = V64(va4k)[5];
    printf("  before %016lx after %016lx\n", v, v2);
    check("new mapping visible after invlpg", v2 == 0x4444);

    printf("unmap 00007f0000000000 and touch it\n");
    pg64_unmap(pml4, va4k);
    fix_pa = (uintptr_t)phys;
    pf_count = 0;
    v = V64(va4k)[6];
    printf("  read %016lx, faults %d\n", v, pf_count);
    check("unmapped page faulted and was remapped", v == 0xDEADBEEFCAFEBABEull && pf_count == 1);

    if (failures) {
        printf("FAIL: %d checks failed\n", failures);
        exit_emulator(1);
    }
    printf("PASS\n");
    exit_emulator(0);
}
