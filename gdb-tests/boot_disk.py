#!/usr/bin/env python3
"""Booting from a disk with no kernel (`rewind run -hda IMG`): the boot sector in real mode
at 0000:7C00, under gdb forwards and backwards; a boot sector that calls the BIOS; disks that
cannot boot; a recording of a disk boot replayed.

Usage: boot_disk.py REWIND GUEST_DIR   (GUEST_DIR holds boot_sector.{elf,img}, int13.img)"""
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gdbtest import Checker, Rewind, run_gdb  # noqa: E402

REWIND, GUEST_DIR = sys.argv[1], sys.argv[2]
ELF = os.path.join(GUEST_DIR, "boot_sector.elf")
IMG = os.path.join(GUEST_DIR, "boot_sector.img")
t = Checker("boot_disk")
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "guests",
                       "boot_sector.expected")) as f:
    EXPECTED = f.read()


def symbol(name):
    out = subprocess.run(["nm", ELF], capture_output=True, text=True).stdout
    return int(re.search(rf"^([0-9a-f]+) \w {name}$", out, re.M).group(1), 16)


def gdb_session():
    """gdb on the boot sector (`target remote`, then `symbol-file`): where the BIOS would leave it, real-mode code disassembled as
    16-bit (the target description says i8086), steps, a breakpoint in protected mode (where
    `set architecture i386` disassembles 32-bit code), one back in real mode after it,
    reverse-stepi out of it, and the run's end."""
    r = Rewind(REWIND, None, extra=["-hda", IMG])
    try:
        # As xv6's .gdbinit does: connect, then the symbols. (An ELF given as gdb's program
        # sets the architecture to i386 before the target says i8086, and gdb 13 then keeps
        # i386 even after `set architecture i8086`.)
        out = run_gdb(None, r.port, [
            f"symbol-file {ELF}",
            "show architecture",
            "info registers eip cs ds ss",
            "p/x $edx & 0xff",
            "x/3i $pc",
            "stepi", "stepi", "stepi",
            "info registers eip",
            "break pm32", "continue",
            "info registers eip cs",
            "set architecture i386", "x/1i $pc", "set architecture i8086",
            "break real_again", "continue",
            "info registers eip cs",
            "reverse-stepi",
            "info registers eip",
            "delete", "continue", "continue",
        ])
    finally:
        status = r.wait()
    pm32, real_again = symbol("pm32"), symbol("real_again")
    t.expect_in_order(out, [
        r'currently "i8086"', r"eip\s+0x7c00\s", r"cs\s+0x0\s", r"ds\s+0x0\s", r"ss\s+0x0\s",
        r"^\$1 = 0x80$",
        r"=> 0x7c00 <start>:\s+cli", r"0x7c01 <start\+1>:\s+xor\s+%ax,%ax", r"0x7c03 <start\+3>:\s+mov\s+%ax,%ds",
        r"eip\s+0x7c05\s",  # cli, xor %ax,%ax (2 bytes), mov %ax,%ds (2 bytes)
        r"Breakpoint 1, pm32 \(\) at .*boot\.S", rf"eip\s+0x{pm32:x}\s", r"cs\s+0x8\s",
        rf"=> 0x{pm32:x} <pm32>:\s+mov\s+\$0x10,%ax",  # 66 b8 10 00: the operand-size prefix in 32-bit code
        r"Breakpoint 2, real_again \(\) at .*boot\.S", rf"eip\s+0x{real_again:x}\s", r"cs\s+0x0\s",
        r"pm16 \(\) at .*boot\.S", rf"eip\s+0x{real_again - 5:x}\s",  # the far jump back to real mode (EA iw iw)
        r"rewind: the guest is exiting with status 1",
    ], "gdb on a boot sector")
    t.check("back in real mode" in r.stdout, "the guest's output went on to its end", r.stdout)
    t.check(status == 1, f"rewind exits with the guest's status 1 (got {status})", "\n".join(r.stderr_lines))


def cli():
    def run(*args):
        return subprocess.run([REWIND, *args], capture_output=True, text=True, timeout=60)

    p = run("run", "-hda", IMG, "--serial-in", "none")
    t.check(p.returncode == 1 and p.stdout == EXPECTED, f"run -hda boots the disk (status {p.returncode})",
            p.stdout + p.stderr)
    p = run("run", "-hda", os.path.join(GUEST_DIR, "int13.img"), "--serial-in", "none")
    t.check(p.returncode == 32 and re.fullmatch(
        r"rewind: the guest called the BIOS \(int 0x13, AH=0x02\) at 0000:7c0f, but a disk boots here without a "
        r"BIOS: the boot code must do its own I/O\n", p.stderr) is not None,
        f"a BIOS call ends the run with status 32 and says which (status {p.returncode})", p.stderr)
    with tempfile.TemporaryDirectory() as tmp:
        blank = os.path.join(tmp, "blank.img")
        with open(blank, "wb") as f:
            f.truncate(65536)
        p = run("run", "-hda", blank)
        t.check(p.returncode == 8 and "not a bootable disk" in p.stderr and "55 AA" in p.stderr,
                f"a disk without the boot signature is refused (status {p.returncode})", p.stderr)
        p = run("run", "-hdc", IMG)
        t.check(p.returncode == 2 and "no guest to run" in p.stderr,
                f"no kernel and no -hda: a usage error (status {p.returncode})", p.stderr)
        rec = os.path.join(tmp, "boot.rwr")
        p = run("record", "-o", rec, "-hda", IMG, "--serial-in", "none")
        t.check(p.returncode == 1, f"record -hda (status {p.returncode})", p.stderr)
        p = run("info", rec)
        t.check("none: booted from the primary master's boot sector" in p.stdout, "info names the disk boot",
                p.stdout)
        p = run("replay", rec)
        t.check(p.returncode == 1 and p.stdout == EXPECTED and not p.stderr,
                f"the recording replays to the same output and status (status {p.returncode})", p.stdout + p.stderr)


gdb_session()
cli()
sys.exit(1 if t.failures else 0)
