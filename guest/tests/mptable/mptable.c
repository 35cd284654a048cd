// The MultiProcessor Specification 1.4 tables as the BIOS leaves them (SeaBIOS on QEMU):
// find the floating pointer where the specification says to look (the EBDA's first KiB,
// the last KiB of base memory, 0xF0000-0xFFFFF), check the checksums, print every entry.
// Then what the local APIC and the I/O APIC they name hold after the BIOS. Prints only
// what does not depend on where the BIOS put things (no addresses of the tables) and on
// the machine's PCI devices (QEMU has a PCI bus, rewind none): PCI bus entries and their
// interrupt entries are skipped, buses are named rather than numbered.
#include <sdk/sdk.h>

static uint8_t sum(const uint8_t* p, uint32_t n) {
    uint8_t s = 0;
    for (uint32_t i = 0; i < n; i++) s = (uint8_t)(s + p[i]);
    return s;
}

static const uint8_t* scan(uint32_t base, uint32_t len) {
    for (uint32_t a = base; a + 16 <= base + len; a += 16) {
        const uint8_t* p = (const uint8_t*)(uintptr_t)a;
        if (p[0] == '_' && p[1] == 'M' && p[2] == 'P' && p[3] == '_' && sum(p, 16) == 0) return p;
    }
    return 0;
}

static uint32_t rd32(const void* p) { return *(const volatile uint32_t*)p; }
static uint16_t rd16(const void* p) { return *(const volatile uint16_t*)p; }
// A fixed physical address (the BIOS data area) hidden from the compiler's bounds checks.
static uint16_t rd16_at(uintptr_t addr) {
    __asm__("" : "+r"(addr));
    return rd16((const void*)addr);
}

static volatile uint32_t* const lapic = (volatile uint32_t*)0xFEE00000u;
static volatile uint32_t* const ioapic = (volatile uint32_t*)0xFEC00000u;

static uint32_t ioapic_read(uint32_t reg) {
    ioapic[0] = reg;
    return ioapic[4];
}

static void print_chars(const uint8_t* p, int n) {
    for (int i = 0; i < n; i++) printf("%c", p[i]);
}

void kmain(uint32_t magic, struct multiboot_info* mbi) {
    uint32_t a, b, c, d;
    cpuid(1, 0, &a, &b, &c, &d);
    printf("cpuid.1 edx apic bit: %u, initial apic id %u\n", (d >> 9) & 1, b >> 24);
    uint64_t base = rdmsr(0x1B);
    printf("apic base msr: %08x (bsp %u, enabled %u)\n", (uint32_t)base, (uint32_t)(base >> 8) & 1,
           (uint32_t)(base >> 11) & 1);

    uint16_t ebda = rd16_at(0x40E);
    uint16_t basemem = rd16_at(0x413);
    printf("bda: base memory %u KiB, ebda segment %s\n", basemem,
           ebda == 0 ? "none" : ((uint32_t)ebda << 4) == (uint32_t)basemem * 1024 ? "at the end of base memory"
                                                                                 : "elsewhere");
    const uint8_t* fp = 0;
    const char* where = "";
    if (ebda && (fp = scan((uint32_t)ebda << 4, 1024))) where = "ebda";
    else if ((fp = scan((uint32_t)basemem * 1024 - 1024, 1024))) where = "last KiB of base memory";
    else if ((fp = scan(0xF0000, 0x10000))) where = "bios rom area";
    if (!fp) {
        printf("no MP floating pointer\n");
        exit_emulator(1);
    }
    uint32_t phys = rd32(fp + 4);
    printf("floating pointer: in the %s, length %u, revision %u, features %02x %02x %02x %02x %02x\n", where,
           fp[8], fp[9], fp[11], fp[12], fp[13], fp[14], fp[15]);
    if (!phys) {
        printf("default configuration %u\n", fp[11]);
        exit_emulator(1);
    }
    const uint8_t* t = (const uint8_t*)(uintptr_t)phys;
    uint16_t len = rd16(t + 4);
    if (fp[9] != 1 && fp[9] != 4) printf("unexpected revision\n");
    printf("table: signature ");
    print_chars(t, 4);
    printf(", spec rev %u, checksum %s, oem '", t[6], sum(t, len) == 0 ? "ok" : "BAD");
    print_chars(t + 8, 8);
    printf("' product '");
    print_chars(t + 16, 12);
    printf("'\n");
    uint16_t count = rd16(t + 34);
    printf("  oem table %08x size %u, lapic %08x, ext length %u\n", rd32(t + 28), rd16(t + 32), rd32(t + 36),
           rd16(t + 40));
    static char bus_is_isa[256];
    const uint8_t* e = t + 44;
    for (int i = 0; i < count; i++) {
        switch (e[0]) {
            case 0:
                printf("  processor: lapic id %u, version %02x, flags %02x, signature %s cpuid, features %s cpuid\n",
                       e[1], e[2], e[3], rd32(e + 4) == a ? "as" : "NOT as", rd32(e + 8) == d ? "as" : "NOT as");
                e += 20;
                break;
            case 1:
                bus_is_isa[e[1]] = e[2] == 'I' && e[3] == 'S' && e[4] == 'A';
                if (bus_is_isa[e[1]]) printf("  bus: 'ISA   '\n");
                e += 8;
                break;
            case 2:
                printf("  io apic: id %u, version %02x, flags %02x, address %08x\n", e[1], e[2], e[3], rd32(e + 4));
                e += 8;
                break;
            case 3:
            case 4:
                if (bus_is_isa[e[4]])
                    printf("  %s interrupt: type %u, flags %04x, isa irq %u -> apic %u pin %u\n",
                           e[0] == 3 ? "io" : "local", e[1], rd16(e + 2), e[5], e[6], e[7]);
                e += 8;
                break;
            default:
                printf("  unknown entry type %u\n", e[0]);
                i = count;
                break;
        }
    }

    printf("lapic: id %08x, version %08x, tpr %02x, svr %08x, ldr %08x, dfr %08x\n", lapic[0x20 / 4],
           lapic[0x30 / 4], lapic[0x80 / 4], lapic[0xF0 / 4], lapic[0xD0 / 4], lapic[0xE0 / 4]);
    printf("lapic lvt: timer %08x, lint0 %08x, lint1 %08x, error %08x\n", lapic[0x320 / 4], lapic[0x350 / 4],
           lapic[0x360 / 4], lapic[0x370 / 4]);
    printf("lapic timer: initial %u, current %u, divide %08x\n", lapic[0x380 / 4], lapic[0x390 / 4],
           lapic[0x3E0 / 4]);
    printf("lapic isr0 %08x irr0 %08x\n", lapic[0x100 / 4], lapic[0x200 / 4]);
    // The interrupt mode configuration register (ports 0x22/0x23) stays as the BIOS left it
    // (PIC or virtual wire mode): only its presence is a feature of the floating pointer.
    uint32_t ver = ioapic_read(1);
    printf("ioapic: id %08x, version %08x, arbitration %08x\n", ioapic_read(0), ver, ioapic_read(2));
    uint32_t pins = ((ver >> 16) & 0xFF) + 1;
    for (uint32_t p = 0; p < pins; p++) {
        uint32_t lo = ioapic_read(0x10 + 2 * p), hi = ioapic_read(0x11 + 2 * p);
        if (lo != 0x00010000 || hi != 0) printf("  redirection %u: %08x %08x\n", p, hi, lo);
    }
    printf("done\n");
}
