#!/usr/bin/env python3
"""MIT's xv6 (../shared/xv6-public, GUESTS.md), unchanged, boots to its shell on rewind through
both boot paths: the kernel as a Multiboot image (`rewind run kernel -hda xv6.img -hdb fs.img`)
and the boot disk (`rewind run -hda xv6.img -hdb fs.img`, its boot sector in real mode, the
8042's A20, the kernel read by PIO). Then a short shell session over COM1.

Usage: xv6_boot.py REWIND XV6_SOURCE WORK_DIR
The source is copied to WORK_DIR and built there by scripts/xv6's build() (gcc 12: -Werror
dropped from the Makefile's CFLAGS; nothing else changed). Without the source the test fails,
saying what to provide."""
import importlib.machinery
import importlib.util
import io
import os
import subprocess
import sys

# scripts/xv6 (no .py suffix) as a module: how xv6 is built and driven, in one place.
_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts", "xv6")
_loader = importlib.machinery.SourceFileLoader("xv6", _path)
xv6 = importlib.util.module_from_spec(importlib.util.spec_from_loader("xv6", _loader))
_loader.exec_module(xv6)

REWIND, SOURCE, WORK = sys.argv[1], os.path.abspath(sys.argv[2]), sys.argv[3]
failures = 0


def check(ok, what, context=""):
    global failures
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures += 1
        if context:
            print("----- output -----\n" + context + "\n------------------")


os.makedirs(WORK, exist_ok=True)
log = io.StringIO()
tree = xv6.build(SOURCE, WORK, log)
check(tree is not None, f"xv6 builds from {SOURCE} (a copy of github.com/mit-pdos/xv6-public; GUESTS.md)",
      log.getvalue())
if tree:
    for multiboot, how in ((True, "the kernel as a Multiboot image"), (False, "the boot disk, in real mode")):
        cmd = xv6.command_line(REWIND, tree, WORK, multiboot, ["--max-instructions", "300000000", "--serial-in", "none"])
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        check(p.returncode == 14 and p.stdout.startswith("xv6...\ncpu0: starting 0\n") and
              p.stdout.endswith("init: starting sh\n$ "),
              f"xv6 reaches its shell prompt from {how} (status {p.returncode})", p.stdout + p.stderr)
    # Commands typed at the prompt (COM1): their output does not depend on scheduling.
    out = xv6.session(xv6.command_line(REWIND, tree, WORK, True, ["--serial-in", "stdin"]),
                      ["echo hello rewind", "wc README", "mkdir d", "ls d"])
    check("$ echo hello rewind\nhello rewind\n$ wc README\n50 329 2286 README\n$ mkdir d\n$ ls d\n"
          ".              1 " in out, "a shell session over COM1", out)
sys.exit(1 if failures else 0)
