#!/usr/bin/env python3
"""MIT's xv6 (../shared/xv6-public, GUESTS.md), unchanged, on rewind: one scenario per ctest
(label `xv6`), over a tree scripts/xv6 builds (the `build` scenario, the others' fixture).

    xv6_test.py REWIND XV6_SOURCE WORK_DIR SCENARIO

  build      copies the source to WORK_DIR/xv6 and builds it (-Werror dropped from the copy's
             Makefile for gcc 12; nothing else changed); without the source it fails, saying
             what to provide
  boot       both boot paths reach the shell prompt: the kernel as a Multiboot image, and
             the boot disk (its boot sector in real mode, the 8042's A20, the kernel by PIO)
  session    a shell session typed after each `$ ` prompt (ls, cat, wc, echo, mkdir, ln, rm,
             grep, forktest)
             prints byte for byte what it prints on QEMU; recorded, it replays to the same
  usertests  `usertests` prints ALL TESTS PASSED
  gdb        gdb on `rewind run --gdb`: xv6's .gdbinit flow (target remote, symbol-file
             kernel), a breakpoint in ideintr, a watchpoint on the buffer's flags found in
             reverse across the disk completion, reverse-finish out of ideintr; then the
             shell's symbols (add-symbol-file _sh 0) and a breakpoint in it, in ring 3"""
import importlib.machinery
import importlib.util
import io
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "gdb-tests"))
from gdbtest import Checker, Rewind, run_gdb  # noqa: E402

# scripts/xv6 (no .py suffix) as a module: how xv6 is built and driven, in one place.
_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts", "xv6")
_loader = importlib.machinery.SourceFileLoader("xv6", _path)
xv6 = importlib.util.module_from_spec(importlib.util.spec_from_loader("xv6", _loader))
_loader.exec_module(xv6)

REWIND, SOURCE, WORK, SCENARIO = sys.argv[1], os.path.abspath(sys.argv[2]), sys.argv[3], sys.argv[4]
TREE = os.path.join(WORK, "xv6")
t = Checker(f"xv6.{SCENARIO}")


def scratch():
    """A directory of this scenario's own (fs.img copies, recordings)."""
    d = os.path.join(WORK, SCENARIO)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    return d


def build():
    os.makedirs(WORK, exist_ok=True)
    log = io.StringIO()
    tree = xv6.build(SOURCE, WORK, log)
    t.check(tree is not None, f"xv6 builds from {SOURCE} (a copy of github.com/mit-pdos/xv6-public; GUESTS.md)",
            log.getvalue())


def boot():
    work = scratch()
    for multiboot, how in ((True, "the kernel as a Multiboot image"), (False, "the boot disk, in real mode")):
        cmd = xv6.command_line(REWIND, TREE, work, multiboot, ["--max-instructions", "300000000", "--serial-in", "none"])
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        t.check(p.returncode == 14 and p.stdout.startswith("xv6...\ncpu0: starting 0\n") and
                p.stdout.endswith("init: starting sh\n$ "),
                f"xv6 reaches its shell prompt from {how} (status {p.returncode})", p.stdout + p.stderr)


COMMANDS = ["ls", "cat README", "echo hello rewind", "mkdir dir", "ln README dir/link", "wc dir/link", "rm dir/link",
            "ls dir", "grep the README", "forktest", "wc README"]


def qemu_command(work):
    fs = os.path.join(work, "fs.img")
    shutil.copyfile(os.path.join(TREE, "fs.img"), fs)
    return ["qemu-system-i386", "-display", "none", "-monitor", "none", "-serial", "stdio", "-smp", "1", "-m", "512",
            "-no-reboot", "-kernel", os.path.join(TREE, "kernel"),
            "-drive", f"file={os.path.join(TREE, 'xv6.img')},index=0,media=disk,format=raw,snapshot=on",
            "-drive", f"file={fs},index=1,media=disk,format=raw"]


def session():
    work = scratch()
    on_qemu = xv6.session(qemu_command(work), COMMANDS)
    t.check(on_qemu.count("$ ") == len(COMMANDS) + 1 and "hello rewind" in on_qemu,
            "the session runs on QEMU (every command answered)", on_qemu)
    recording = os.path.join(work, "session.rwr")
    cmd = xv6.command_line(REWIND, TREE, work, True, ["--serial-in", "stdin"])
    cmd[1:2] = ["record", "-o", recording]
    on_rewind = xv6.session(cmd, COMMANDS)
    t.check(on_rewind == on_qemu, "the session's console output is byte for byte QEMU's",
            f"rewind:\n{on_rewind}\nQEMU:\n{on_qemu}")
    # Ended by Ctrl-C after the last prompt: a finished recording, replayed to the same.
    replayed = subprocess.run([REWIND, "replay", recording], capture_output=True, text=True, timeout=300)
    t.check(replayed.returncode == 14 and replayed.stdout == on_rewind and "interrupted (Ctrl-C)" in replayed.stderr,
            f"the recorded session replays to the same output (status {replayed.returncode})",
            replayed.stdout[-1500:] + replayed.stderr)


def usertests():
    work = scratch()
    out = xv6.session(xv6.command_line(REWIND, TREE, work, True, ["--serial-in", "stdin", "--no-record"]),
                      ["usertests"], timeout=600)
    t.check("ALL TESTS PASSED" in out and "usertests: trap 13" in out and "uio test done" in out,
            "usertests: ALL TESTS PASSED (the user-mode outb traps, as on QEMU)", out[-3000:])


def gdb():
    work = scratch()
    kernel = os.path.join(TREE, "kernel")
    cmd = xv6.command_line(REWIND, TREE, work, True, ["--serial-in", "none"])
    r = Rewind(REWIND, None, extra=cmd[2:])
    try:
        out = run_gdb(None, r.port, [
            f"symbol-file {kernel}",
            "break ideintr", "continue",
            "bt 1",
            "set $b = idequeue",
            "print/x $b->flags",
            "print $b->blockno",
            "finish",
            "print/x $b->flags",
            "watch -l $b->flags",
            "reverse-continue",
            "print/x $b->flags",
            "delete",
            "reverse-finish",
            "bt 1",
            # A user program's symbols beside the kernel's (xv6 links them at 0).
            f"add-symbol-file {os.path.join(TREE, '_sh')} 0",
            "break getcmd", "continue",
            "info registers cs",
            "bt 2",
            "kill",
        ], timeout=120)
    finally:
        r.close()
    t.expect_in_order(out, [
        r"Breakpoint 1, ideintr \(\) at ide\.c:\d+",
        r"#0\s+ideintr \(\) at ide\.c",
        r"^\$1 = 0x0$",          # the read in flight: not yet valid
        r"^\$2 = \d+$",
        r"^trap \(tf=.*\) at trap\.c:\d+",  # finish: back in the trap handler
        r"^\$3 = 0x2$",          # B_VALID: the completion's data is in the buffer
        r"[Ww]atchpoint 2: -location \$b->flags",
        r"Old value = 2\s+New value = 0",  # found going back: the store that set B_VALID
        r"in ideintr \(\) at ide\.c:\d+",
        r"^\$4 = 0x0$",          # before the completion's data was marked valid
        r"^trap \(tf=.*\) at trap\.c:\d+\n\d+\s+ideintr\(\);",  # reverse-finish: at the call
        r"^#0\s+trap \(tf=",
        r"Breakpoint 3(\.1)?, getcmd \(.*\) at sh\.c:\d+",  # forward again, into the shell
        r"^cs\s+0x1b\s",      # in ring 3
        r"#1\s+.*main \(\) at sh\.c:\d+",
    ], "gdb on xv6: a breakpoint in ideintr, a watchpoint in reverse across the completion, then the shell's "
       "symbols")


SCENARIOS = {f.__name__: f for f in [build, boot, session, usertests, gdb]}
if SCENARIO != "build" and not os.path.isfile(os.path.join(TREE, "kernel")):
    t.check(False, f"xv6 is built in {TREE} (the xv6.build test, which this one requires, failed or did not run)")
else:
    SCENARIOS[SCENARIO]()
sys.exit(1 if t.failures else 0)
