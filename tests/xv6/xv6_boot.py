#!/usr/bin/env python3
"""MIT's xv6 (../shared/xv6-public, GUESTS.md), unchanged, boots to its shell on rewind through
both boot paths: the kernel as a Multiboot image (`rewind run kernel -hda xv6.img -hdb fs.img`)
and the boot disk (`rewind run -hda xv6.img -hdb fs.img`, its boot sector in real mode, the
8042's A20, the kernel read by PIO). Then a short shell session over COM1.

Usage: xv6_boot.py REWIND XV6_SOURCE WORK_DIR
The source is copied to WORK_DIR and built there as GUESTS.md says (gcc 12: -Werror dropped
from the Makefile's CFLAGS; nothing else changed). Without the source the test fails, saying
what to provide."""
import os
import select
import shutil
import subprocess
import sys
import time

REWIND, SOURCE, WORK = sys.argv[1], os.path.abspath(sys.argv[2]), sys.argv[3]
failures = 0


def check(ok, what, context=""):
    global failures
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures += 1
        if context:
            print("----- output -----\n" + context + "\n------------------")


def build():
    """xv6's kernel, xv6.img and fs.img from a copy of the source; None if it cannot."""
    if not os.path.isfile(os.path.join(SOURCE, "Makefile")):
        check(False, f"xv6's source is at {SOURCE} (a copy of github.com/mit-pdos/xv6-public; GUESTS.md)")
        return None
    tree = os.path.join(WORK, "xv6")
    if os.path.isdir(tree):
        shutil.rmtree(tree)
    shutil.copytree(SOURCE, tree)
    makefile = os.path.join(tree, "Makefile")
    with open(makefile) as f:
        text = f.read()
    with open(makefile, "w") as f:
        f.write(text.replace(" -Werror", ""))
    p = subprocess.run(["make", "-s", "CPUS=1", "kernel", "fs.img", "xv6.img"], cwd=tree, capture_output=True,
                       text=True, timeout=300)
    check(p.returncode == 0, "xv6 builds (make CPUS=1 kernel fs.img xv6.img)", p.stdout[-3000:] + p.stderr[-3000:])
    return tree if p.returncode == 0 else None


def boot(tree, with_kernel, instructions=300_000_000, serial_in="none"):
    """The command line of one boot to a fixed instruction count; fs.img fresh for each (xv6
    writes to it)."""
    fs = os.path.join(WORK, "fs.img")
    shutil.copyfile(os.path.join(tree, "fs.img"), fs)
    cmd = [REWIND, "run"] + ([os.path.join(tree, "kernel")] if with_kernel else [])
    return cmd + ["-hda", os.path.join(tree, "xv6.img"), "-hdb", fs, "--memory", "512M",
                  "--max-instructions", str(instructions), "--serial-in", serial_in]


def session(cmd, commands, timeout=60):
    """Runs `cmd` with COM1 on a pipe, typing each command after a fresh `$ ` prompt (as a
    user would: xv6's console drops what arrives before its shell reads); the output."""
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = b""
    deadline = time.monotonic() + timeout
    try:
        for command in commands + [None]:
            prompts = out.count(b"$ ")
            while out.count(b"$ ") == prompts and time.monotonic() < deadline:
                ready, _, _ = select.select([proc.stdout], [], [], 1)
                if ready:
                    chunk = os.read(proc.stdout.fileno(), 4096)
                    if not chunk:
                        break
                    out += chunk
            if command is None or time.monotonic() >= deadline:
                break
            proc.stdin.write(command.encode() + b"\n")
            proc.stdin.flush()
    finally:
        proc.kill()
        proc.wait()
    return out.decode("utf-8", "replace")


os.makedirs(WORK, exist_ok=True)
tree = build()
if tree:
    for with_kernel, how in ((True, "the kernel as a Multiboot image"), (False, "the boot disk, in real mode")):
        p = subprocess.run(boot(tree, with_kernel), capture_output=True, text=True, timeout=120)
        check(p.returncode == 14 and p.stdout.startswith("xv6...\ncpu0: starting 0\n") and
              p.stdout.endswith("init: starting sh\n$ "),
              f"xv6 reaches its shell prompt from {how} (status {p.returncode})", p.stdout + p.stderr)
    # Commands typed at the prompt (COM1): their output does not depend on scheduling.
    out = session(boot(tree, True, instructions=20_000_000_000, serial_in="stdin"),
                  ["echo hello rewind", "wc README", "mkdir d", "ls d"])
    check("$ echo hello rewind\nhello rewind\n$ wc README\n50 329 2286 README\n$ mkdir d\n$ ls d\n"
          ".              1 " in out, "a shell session over COM1", out)
sys.exit(1 if failures else 0)
