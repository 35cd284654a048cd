#!/usr/bin/env python3
"""LLDB against `rewind run --gdb`: `gdb-remote` connects, registers and memory read, a
breakpoint is set and hit, the guest continues to its end (a stop) and exits.

Usage: lldb_session.py REWIND GUEST_DIR BITS"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gdbtest import Checker, Rewind  # noqa: E402

REWIND, GUEST_DIR, BITS = sys.argv[1], sys.argv[2], sys.argv[3]
ELF = os.path.join(GUEST_DIR, f"debug{BITS}.elf")
PC, AX = ("rip", "rax") if BITS == "64" else ("eip", "eax")
t = Checker(f"lldb.session.{BITS}")

r = Rewind(REWIND, ELF)
commands = [f"gdb-remote 127.0.0.1:{r.port}", f"register read {PC} {AX}", "register read --all",
            "breakpoint set -n add", "continue", "frame variable", "memory read -s4 -fx -c2 &origin",
            "expression global_value", "memory read -f s &greeting[0]", "continue"]
# lldb's batch mode takes the end stop (a SIGTRAP) for a crash and runs the -k commands then.
cmd = ["lldb", "--no-lldbinit", "--batch", "-k", "continue"]
for c in commands:
    cmd += ["-o", c]
cmd.append(ELF)
try:
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    out = p.stdout + p.stderr
finally:
    status = r.wait()
t.expect_in_order(out, [
    rf"{PC} = 0x0*10000c\s+debug{BITS}\.elf`_start",
    rf"{AX} = 0x0*2badb002",
    r"fs_base = 0x0",
    r"Breakpoint 1: where = debug\d\d\.elf`add \+ \d+ at debug\.c:21",
    r"stop reason = breakpoint 1\.1",
    r"add\(a=7, b=5\) at debug\.c:21",
    r"\(int\) a = 7", r"\(int\) b = 5",
    r"0x[0-9a-f]+: 0x00000003 0x00000004",
    r"\(int\) \$\d+ = 42",
    r'"hello from the debug guest"',
    # The guest's end is a stop first (rewind's console line), then the exit.
    r"rewind: the guest is exiting with status 7: `continue` ends it",
    r"Process 1 exited with status = 7",
], "lldb")
t.check(status == 7, f"rewind exits with the guest's status 7 (got {status})", "\n".join(r.stderr_lines))
t.finish()
