# A boot sector that asks the BIOS to read the disk (int 13h, AH = 02h), as most boot
# sectors do: on rewind, which boots disks without a BIOS, the run ends there, saying so.
        .code16
        .section .boot, "ax"
        .globl start
start:
        xorw %ax, %ax
        movw %ax, %es
        movw $0x8000, %bx               # ES:BX: where the sectors would go
        movw $0x0201, %ax               # AH = 02h read sectors, AL = 1 sector
        movw $0x0002, %cx               # cylinder 0, sector 2
        xorb %dh, %dh                   # head 0 (DL: the boot drive, as the BIOS passed it)
call_bios:
        int $0x13
        cli
1:      hlt
        jmp 1b
        .org 510
        .byte 0x55, 0xAA
