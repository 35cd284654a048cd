# A disk's boot sector and the 32-bit code after it, run as a PC's BIOS runs a boot sector:
# real mode at 0000:7C00 with DL = the boot drive, and no BIOS service called. It prints
# through COM1, sums its own bytes with 16-bit address forms, reads sector 1 by ATA PIO with
# REP INSW in real mode, switches to protected mode, copies that sector to 1 MiB and calls it,
# comes back to real mode and exits through isa-debug-exit. What it prints depends on nothing
# but the machine, so it is byte-identical on QEMU (SeaBIOS) and on rewind.
        .set COM1, 0x3F8
        .set LOAD_SEG, 0x0800           # sector 1 is read to 0800:0000 = 0x8000

        .code16
        .section .boot, "ax"
        .globl start
start:
        cli
        xorw %ax, %ax
        movw %ax, %ds
        movw %ax, %es
        movw %ax, %ss
        movw $0x7C00, %sp
        movb %dl, drive
        movw $m_hello, %si
        call puts
        movb drive, %al
        call puthex
        call newline

        # The sum of the sector's first 510 bytes, through (%bx,%si) with ES:BX = 07C0:0000:
        # segment arithmetic and a 16-bit base + index form.
        movw $0x07C0, %ax
        movw %ax, %es
        xorw %bx, %bx
        xorw %si, %si
        xorw %dx, %dx
1:      movb %es:(%bx,%si), %al
        xorb %ah, %ah
        addw %ax, %dx
        incw %si
        cmpw $510, %si
        jb 1b
        movw $m_sum, %si
        call puts
        movb %dh, %al
        call puthex
        movb %dl, %al
        call puthex
        # The signature through 0000:7DFE and through (%bp,%di) + displacement from 07C0:0000
        # (BP's default segment is SS: SS = 0, so BP holds the linear base).
        movw $0x7C00, %bp
        movw $0x100, %di
        movw $m_sig, %si
        call puts
        movb 0x7DFE, %al
        call puthex
        movb 0xFF(%bp,%di), %al         # 0x7C00 + 0x100 + 0xFF = 0x7DFF
        call puthex
        # Offsets wrap at 64 KiB: BX + SI = 0xFFFF + 0x7C01 is offset 0x7C00 (the CLI, FA).
        movw $m_wrap, %si
        call puts
        movw $0xFFFF, %bx
        movw $0x7C01, %si
        movb (%bx,%si), %al
        call puthex
        call newline

        # Sector 1 by PIO, LBA 28, into LOAD_SEG:0000 with REP INSW (16-bit DI).
        call ata_wait
        movw $0x1F2, %dx
        movb $1, %al
        outb %al, %dx                   # one sector
        incw %dx
        outb %al, %dx                   # LBA 1
        incw %dx
        xorb %al, %al
        outb %al, %dx
        incw %dx
        outb %al, %dx
        incw %dx
        movb $0xE0, %al                 # master, LBA
        outb %al, %dx
        incw %dx
        movb $0x20, %al                 # READ SECTORS
        outb %al, %dx
2:      inb %dx, %al
        testb $0x80, %al
        jnz 2b
        testb $0x08, %al                # DRQ
        jz 2b
        movw $LOAD_SEG, %ax
        movw %ax, %es
        xorw %di, %di
        movw $256, %cx
        movw $0x1F0, %dx
        cld
        rep insw
        movw $m_read, %si
        call puts
        movw %es:0, %ax                 # the loaded code's first word
        call puthex
        movb %ah, %al
        call puthex
        call newline

        # Protected mode, flat segments.
        lgdt gdt_desc
        movl %cr0, %eax
        orl $1, %eax
        movl %eax, %cr0
        ljmp $0x08, $pm32

        .code32
pm32:
        movw $0x10, %ax
        movw %ax, %ds
        movw %ax, %es
        movw %ax, %ss
        movl $0x7C00, %esp
        movl $0x8000, %esi              # the sector to 1 MiB, and run it
        movl $0x100000, %edi
        movl $128, %ecx
        rep movsl
        call 0x100000
        # Back to real mode: through a 16-bit protected-mode segment, then PE off.
        ljmp $0x18, $pm16

        .code16
pm16:
        movw $0x20, %ax
        movw %ax, %ds
        movw %ax, %es
        movw %ax, %ss
        movl %cr0, %eax
        andl $~1, %eax
        movl %eax, %cr0
        ljmp $0, $real_again
real_again:
        xorw %ax, %ax
        movw %ax, %ds
        movw %ax, %ss
        movw $m_back, %si
        call puts
        xorb %al, %al
        outb %al, $0xF4                 # isa-debug-exit: status 1
        cli
3:      hlt
        jmp 3b

ata_wait:
        movw $0x1F7, %dx
1:      inb %dx, %al
        testb $0x80, %al
        jnz 1b
        ret

# DS:SI, up to a 0 byte.
puts:   lodsb
        testb %al, %al
        jz 1f
        call putc
        jmp puts
1:      ret

newline:
        movb $'\n', %al
putc:   pushw %dx
        pushw %ax
        movw $COM1 + 5, %dx
1:      inb %dx, %al
        testb $0x20, %al
        jz 1b
        popw %ax
        movw $COM1, %dx
        outb %al, %dx
        popw %dx
        ret

# AL as two hex digits.
puthex: pushw %ax
        shrb $4, %al
        call hexdigit
        popw %ax
        pushw %ax
        andb $0x0F, %al
        call hexdigit
        popw %ax
        ret
hexdigit:
        addb $'0', %al
        cmpb $'9', %al
        jbe 1f
        addb $'a' - '9' - 1, %al
1:      jmp putc

drive:  .byte 0
m_hello: .asciz "boot at 0000:7c00, drive "
m_sum:  .asciz "sum "
m_sig:  .asciz ", signature "
m_wrap: .asciz ", wrap "
m_read: .asciz "sector 1 by PIO: "
m_back: .asciz "back in real mode\n"

        .p2align 3
gdt:    .quad 0
        .quad 0x00CF9A000000FFFF        # 0x08: 32-bit code, flat
        .quad 0x00CF92000000FFFF        # 0x10: data, flat
        .quad 0x00009A000000FFFF        # 0x18: 16-bit code, base 0, 64 KiB
        .quad 0x000092000000FFFF        # 0x20: 16-bit data, base 0, 64 KiB
gdt_desc:
        .word gdt_desc - gdt - 1
        .long gdt

        .org 510
        .byte 0x55, 0xAA

# Sector 1: 32-bit code run at 1 MiB.
        .code32
        .section .kernel, "ax"
kernel:
        movl $k_msg, %esi
1:      lodsb
        testb %al, %al
        jz 2f
        movb %al, %ah
        movw $COM1 + 5, %dx
3:      inb %dx, %al
        testb $0x20, %al
        jz 3b
        movb %ah, %al
        movw $COM1, %dx
        outb %al, %dx
        jmp 1b
2:      ret
k_msg:  .asciz "protected mode: running at 1 MiB\n"
        .org 512
