// IDT setup and the C side of the interrupt stubs.
#include <sdk/sdk.h>

#ifdef __x86_64__
struct gate {
    uint16_t off0, sel;
    uint8_t ist, type_attr;
    uint16_t off1;
    uint32_t off2, reserved;
} __attribute__((packed));
#else
struct gate {
    uint16_t off0, sel;
    uint8_t zero, type_attr;
    uint16_t off1;
} __attribute__((packed));
#endif

static struct gate idt[256] __attribute__((aligned(16)));
static int_handler_t handlers[256];

#ifdef __x86_64__
#define KERNEL_CS GDT_KCODE64
#else
#define KERNEL_CS GDT_KCODE32
#endif

void idt_set_gate(int v, uintptr_t target, uint16_t sel, uint8_t type_attr) {
    struct gate* g = &idt[v];
    memset(g, 0, sizeof *g);
    g->off0 = (uint16_t)target;
    g->sel = sel;
    g->type_attr = type_attr;
    g->off1 = (uint16_t)(target >> 16);
#ifdef __x86_64__
    g->off2 = (uint32_t)(target >> 32);
#endif
}

void idt_set_dpl(int v, int dpl) { idt[v].type_attr = (uint8_t)((idt[v].type_attr & ~0x60) | ((dpl & 3) << 5)); }
void idt_set_handler(int v, int_handler_t h) { handlers[v] = h; }
uintptr_t idt_stub(int v) { return sdk_isr_stubs[v]; }

void idt_init(void) {
    for (int v = 0; v < 256; v++) idt_set_gate(v, sdk_isr_stubs[v], KERNEL_CS, IDT_INTERRUPT_GATE);
    struct {
        uint16_t limit;
        uintptr_t base;
    } __attribute__((packed)) idtr = {sizeof idt - 1, (uintptr_t)idt};
    __asm__ volatile("lidt %0" ::"m"(idtr) : "memory");
}

const char* exception_name(int v) {
    static const char* const names[32] = {
        "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "CSO", "#TS", "#NP", "#SS", "#GP", "#PF", "#15",
        "#MF", "#AC", "#MC", "#XM", "#VE", "#CP", "#22", "#23", "#24", "#25", "#26", "#27", "#HV", "#VC", "#SX", "#31"};
    return v >= 0 && v < 32 ? names[v] : "INT";
}

void dump_frame(const struct int_frame* f) {
#ifdef __x86_64__
    printf("vector %lu (%s) error %lx rip %lx cs %lx rflags %lx rsp %lx ss %lx\n", f->vector,
           exception_name((int)f->vector), f->error, f->ip, f->cs, f->flags, f->sp, f->ss);
    printf("rax %lx rbx %lx rcx %lx rdx %lx rsi %lx rdi %lx rbp %lx\n", f->rax, f->rbx, f->rcx, f->rdx, f->rsi,
           f->rdi, f->rbp);
    printf("r8 %lx r9 %lx r10 %lx r11 %lx r12 %lx r13 %lx r14 %lx r15 %lx\n", f->r8, f->r9, f->r10, f->r11, f->r12,
           f->r13, f->r14, f->r15);
#else
    printf("vector %u (%s) error %x eip %x cs %x eflags %x\n", f->vector, exception_name((int)f->vector), f->error,
           f->ip, f->cs, f->flags);
    printf("eax %x ebx %x ecx %x edx %x esi %x edi %x ebp %x\n", f->eax, f->ebx, f->ecx, f->edx, f->esi, f->edi,
           f->ebp);
#endif
    if (f->vector == 14) printf("cr2 %lx\n", (unsigned long)read_cr2());
}

void sdk_isr_dispatch(struct int_frame* f);

void sdk_isr_dispatch(struct int_frame* f) {
    int_handler_t h = handlers[f->vector & 0xFF];
    if (h) {
        h(f);
        return;
    }
    printf("unhandled interrupt\n");
    dump_frame(f);
    panic("unhandled interrupt %u", (unsigned)f->vector);
}
