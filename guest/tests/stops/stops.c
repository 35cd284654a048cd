// Ends the machine in the way the command line asks: stop=triple|hang|spin|reset.
// The CLI tests check that rewind reports each with its own exit status and message.
#include <sdk/sdk.h>

void kmain(uint32_t magic, struct multiboot_info* mbi) {
    uint64_t how = cmdline_uint("stop", 0);
    printf("stops: mode %u\n", (unsigned)how);
    switch (how) {
        case 1: {  // triple fault: an empty IDT turns #UD into #GP, #DF, shutdown
            struct __attribute__((packed)) { uint16_t limit; uintptr_t base; } idtr = {0, 0};
            __asm__ volatile("lidt %0\n ud2" ::"m"(idtr));
            break;
        }
        case 2:  // hang: nothing can ever wake this HLT
            __asm__ volatile("cli\n hlt");
            break;
        case 3:  // spin forever: only --max-instructions stops it
            for (;;) __asm__ volatile("" ::: "memory");
        case 4:  // reset through the keyboard controller
            outb(0x64, 0xFE);
            break;
    }
    printf("FAIL: still running\n");
    exit_emulator(1);
}
