// Self-modifying code: patch the immediate of a function and call it, patch an opcode
// (add/sub/xor) in a loop, and rewrite code in a data buffer, many times over.
#include <sdk/sdk.h>

extern char smc_imm[], smc_op[], smc_push[];
__asm__(".text\n.globl smc_imm\nsmc_imm:\n movl $0x12345678, %eax\n ret\n"
        ".globl smc_op\nsmc_op:\n movl %edi, %eax\n addl $0x11, %eax\n ret\n");
// smc_push(v): points the stack at its own code and pushes v over the bytes after the PUSH
// (NOPs), which then run as the new code: v holds "mov %esp/%rsp, %eax" and NOPs, so it
// returns the stack pointer the PUSH left (smc_push_patch).
#if GUEST_BITS == 64
__asm__(".text\n.globl smc_push, smc_push_patch\nsmc_push:\n"
        " mov %rsp, %rcx\n lea smc_push_end(%rip), %rsp\n push %rdi\n"
        "smc_push_patch:\n .byte 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90\n"
        "smc_push_end:\n mov %rcx, %rsp\n ret\n");
#define SMC_PUSH_SIZE 8
#define SMC_PUSH_CODE 0x9090909090E08948ull  // 48 89 e0: mov %rsp, %rax; NOPs
#else
__asm__(".text\n.globl smc_push, smc_push_patch\nsmc_push:\n"
        " mov 4(%esp), %edx\n mov %esp, %ecx\n mov $smc_push_end, %esp\n push %edx\n"
        "smc_push_patch:\n .byte 0x90, 0x90, 0x90, 0x90\n"
        "smc_push_end:\n mov %ecx, %esp\n ret\n");
#define SMC_PUSH_SIZE 4
#define SMC_PUSH_CODE 0x9090E089u  // 89 e0: mov %esp, %eax; NOPs
#endif
extern char smc_push_patch[];  // the NOPs the PUSH writes over
static uint8_t code_buf[64] __attribute__((aligned(16)));

typedef uint32_t (*fn0)(void);
typedef uint32_t (*fn1)(uint32_t);

void kmain(uint32_t magic, struct multiboot_info* mbi) {
    printf("smc%d\n", GUEST_BITS);
    int failures = 0;

    uint32_t sum = 0;
    for (uint32_t i = 0; i < 20000; i++) {
        uint32_t imm = i * 2654435761u;
        *(volatile uint32_t*)(smc_imm + 1) = imm;
        __asm__ volatile("" ::: "memory");
        uint32_t r = ((fn0)(uintptr_t)smc_imm)();
        if (r != imm && failures++ < 5) printf("FAIL: immediate patch %u: got %x want %x\n", i, r, imm);
        sum = sum * 31 + r;
    }
    printf("immediate patches: 20000, sum %08x\n", sum);

    // smc_op: 89 f8 (mov %edi,%eax), 83 /0 ib (add) -> patch the ModRM reg field
    static const uint8_t modrm[3] = {0xC0, 0xE8, 0xF0};  // add, sub, xor %eax
    sum = 0;
    for (uint32_t i = 0; i < 30000; i++) {
        uint32_t k = i % 3;
        *(volatile uint8_t*)(smc_op + 3) = modrm[k];
        *(volatile uint8_t*)(smc_op + 4) = (uint8_t)i;
        __asm__ volatile("" ::: "memory");
        uint32_t r = ((fn1)(uintptr_t)smc_op)(i * 7);
        uint32_t want = k == 0 ? i * 7 + (uint32_t)(int8_t)(uint8_t)i
                      : k == 1 ? i * 7 - (uint32_t)(int8_t)(uint8_t)i : (i * 7) ^ (uint32_t)(int8_t)(uint8_t)i;
        if (r != want && failures++ < 5) printf("FAIL: opcode patch %u: got %x want %x\n", i, r, want);
        sum = sum * 31 + r;
    }
    printf("opcode patches: 30000, sum %08x\n", sum);

    // code generated into a buffer: mov $imm, %eax; add $imm8, %eax (repeated n times); ret
    sum = 0;
    for (uint32_t i = 0; i < 5000; i++) {
        uint8_t* p = code_buf;
        *p++ = 0xB8;
        memcpy(p, &i, 4);
        p += 4;
        uint32_t n = i % 8, want = i;
        for (uint32_t j = 0; j < n; j++) {
            *p++ = 0x83;
            *p++ = 0xC0;
            *p++ = (uint8_t)(j + 1);
            want += j + 1;
        }
        *p++ = 0xC3;
        __asm__ volatile("" ::: "memory");
        uint32_t r = ((fn0)(uintptr_t)code_buf)();
        if (r != want && failures++ < 5) printf("FAIL: generated code %u: got %x want %x\n", i, r, want);
        sum = sum * 31 + r;
    }
    printf("generated functions: 5000, sum %08x\n", sum);

    // A PUSH over code: the stack pointer it leaves, and the new code run right after it.
    uint32_t pushes_ok = 0;
    for (uint32_t i = 0; i < 1000; i++) {
        for (int b = 0; b < SMC_PUSH_SIZE; b++) ((volatile uint8_t*)smc_push_patch)[b] = 0x90;
        __asm__ volatile("" ::: "memory");
        uint32_t r = ((uint32_t(*)(uintptr_t))(uintptr_t)smc_push)((uintptr_t)SMC_PUSH_CODE);
        uint32_t want = (uint32_t)(uintptr_t)smc_push_patch;
        if (r == want) pushes_ok++;
        else if (failures++ < 5) printf("FAIL: push over code %u: got %x want %x\n", i, r, want);
    }
    printf("pushes over code: %u of 1000 right\n", pushes_ok);

    if (failures) {
        printf("FAIL: %d mismatches\n", failures);
        exit_emulator(1);
    }
    printf("PASS\n");
    exit_emulator(0);
}
