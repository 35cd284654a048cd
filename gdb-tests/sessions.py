#!/usr/bin/env python3
"""Scripted gdb sessions against `rewind run --gdb`, one scenario per ctest.

Usage: sessions.py REWIND GUEST_DIR BITS SCENARIO
The guest is GUEST_DIR/debugBITS.elf (guest/tests/debug/debug.c, built -O0 -g)."""
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gdbtest import Checker, Rewind, run_gdb  # noqa: E402

REWIND, GUEST_DIR, BITS, SCENARIO = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
ELF = os.path.join(GUEST_DIR, f"debug{BITS}.elf")
PC = "rip" if BITS == "64" else "eip"
AX = "rax" if BITS == "64" else "eax"
SRC = r"guest/tests/debug/debug\.c"
t = Checker(f"gdb.{SCENARIO}.{BITS}")


def session(commands, append="", **kw):
    """One rewind + one gdb; returns (gdb output, rewind)."""
    r = Rewind(REWIND, ELF, append=append)
    try:
        out = run_gdb(ELF, r.port, commands, **kw)
    except Exception:
        r.close()
        raise
    return out, r


def expect_exit(r, status, what="rewind's exit status"):
    got = r.wait()
    t.check(got == status, f"{what} is {status} (got {got})", "\n".join(r.stderr_lines))


def inspect():
    out, r = session([
        "info registers",
        "break add", "continue",
        "print a", "print b", "info locals",
        "print global_value", "print origin", "print greeting", "print/x origin.y",
        "x/4xb &origin", "x/s greeting",
        "x/2wx 0x10000000" if BITS == "32" else "x/2wx 0x80000000",
        "set var global_value = 1234", "print global_value",
        f"set ${AX} = 0x5a5a", f"print/x ${AX}",
        "print $pc",
        "up", "print local", "print local = 70", "print local",
        "kill",
    ])
    t.expect_in_order(out, [
        rf"^{PC}\s+0x10000c\s+0x10000c <_start>",
        r"^eflags\s+0x2\s+\[ \]",
        r"^cs\s+0x8\s+8",
        r"^fs_base\s+0x0\s+0",
        r"^gs_base\s+0x0\s+0",
        rf"Breakpoint 1, add \(a=7, b=5\) at .*{SRC}:21",
        r"^\$1 = 7", r"^\$2 = 5", r"^sum = ",
        r"^\$3 = 42", r"^\$4 = \{x = 3, y = 4\}", r'^\$5 = "hello from the debug guest"', r"^\$6 = 0x4",
        r"<origin>:\s+0x03\s+0x00\s+0x00\s+0x00",
        r'<greeting>:\s+"hello from the debug guest"',
        r"Cannot access memory at address 0x(10000000|80000000)",
        r"^\$7 = 1234",
        r"^\$8 = 0x5a5a",
        r"^\$9 = \(void \(\*\)\(\)\) 0x[0-9a-f]+ <add\+\d+>",
        r"^#1 .* in kmain .*debug\.c:77",
        r"^\$10 = 7", r"^\$11 = 70", r"^\$12 = 70",
        r"\[Inferior 1 \(Remote target\) killed\]",
    ], "inspect")
    expect_exit(r, 18)


def breakpoints():
    out, r = session([
        "break add", "tbreak square", "hbreak count_up", "break *0x%x" % 0,  # 0: never reached
        "continue", "continue", "continue", "continue", "info breakpoints", "continue",
    ])
    t.expect_in_order(out, [
        r"Breakpoint 1 at 0x[0-9a-f]+: file .*debug\.c, line 21",
        r"Temporary breakpoint 2 at 0x[0-9a-f]+: file .*debug\.c, line 26",
        r"Hardware assisted breakpoint 3 at 0x[0-9a-f]+: file .*debug\.c, line 31",
        rf"Breakpoint 1, add \(a=7, b=5\) at .*{SRC}:21",
        rf"Breakpoint 3, count_up \(n=5\) at .*{SRC}:31",
        rf"Temporary breakpoint 2, square \(v=12\) at .*{SRC}:26",
        r"\[Inferior 1 \(Remote target\) exited with code 07\]",
    ], "breakpoints")
    t.expect_absent(out, r"SIGTRAP", "breakpoints")
    expect_exit(r, 7)


def stepping():
    out, r = session([
        "break kmain", "continue",
        "next", "step", "next", "finish",
        "stepi", "nexti", "info line *$pc",
        "break count_up", "continue", "next", "next", "next", "until", "until", "until 34",
        "print counter",
        "advance read_global",
        "continue",
    ])
    t.expect_in_order(out, [
        rf"Breakpoint 1, kmain \(.*\) at .*{SRC}:76",
        r"^77\s+int result = add\(local, 5\);",
        rf"^add \(a=7, b=5\) at .*{SRC}:21",
        r"^22\s+return sum;",
        r"^0x[0-9a-f]+ in kmain .*debug\.c:77",
        r"Value returned is \$1 = 12",
        r"^78\s+printf",                     # stepi to the start of the next line
        r"^0x[0-9a-f]+\s+78\s+printf",       # nexti within it
        r"^Line 78 of",
        rf"Breakpoint 2, count_up \(n=5\) at .*{SRC}:31",
        r"^32\s+counter = counter \+ i;",
        r"^31\s+for \(int i = 0; i < n; i\+\+\) \{",
        r"^32\s+counter = counter \+ i;",
        r"count_up \(n=5\) at .*debug\.c:34|^34\s+\}",
        r"^\$2 = 10",
        rf"read_global \(\) at .*{SRC}:37",
        r"exited with code 07",
    ], "stepping")
    expect_exit(r, 7)


def watchpoints():
    out, r = session([
        "break count_up", "continue",
        "watch counter", "continue", "continue", "delete",
        "rwatch global_value", "continue", "delete",
        "awatch counter", "continue", "delete",
        "continue",
    ])
    t.expect_in_order(out, [
        r"Hardware watchpoint 2: counter",
        r"Old value = 0\s+New value = 1",
        rf"count_up \(n=5\) at .*{SRC}:31",
        r"Old value = 1\s+New value = 3",
        r"Hardware read watchpoint 3: global_value",
        r"Value = 42",
        rf"in read_global \(\) at .*{SRC}:37",
        r"Hardware access \(read/write\) watchpoint 4: counter",
        r"Value = 10",
        r"in kmain|kmain \(",
        r"exited with code 07",
    ], "watchpoints")
    expect_exit(r, 7)


def exit_code():
    out, r = session(["continue"], append="exit=4")
    t.expect_in_order(out, [r"\[Inferior 1 \(Remote target\) exited with code 011\]"], "exit=4 -> status 9")
    expect_exit(r, 9)
    t.check("square: 144" in r.stdout, "the guest's output went to stdout", r.stdout)


def exceptions():
    cases = [("crash=1", "SIGSEGV", "Segmentation fault", 57), ("crash=2", "SIGILL", "Illegal instruction", 58),
             ("crash=3", "SIGFPE", "Arithmetic exception", 59)]
    if BITS == "64":
        cases.append(("crash=4", "SIGSEGV", "Segmentation fault", 62))
    for append, sig, text, line in cases:
        out, r = session(["continue", "print how", "continue"], append=append)
        t.expect_in_order(out, [
            rf"Program received signal {sig}, {text}\.",
            rf"crash \(how=\d\) at .*{SRC}:{line}|in crash \(how=\d\)",
            r"^\$1 = \d",
            rf"Program terminated with signal {sig}, {text}\.",
        ], f"{append} is {sig}")
        expect_exit(r, 12, f"{append}: rewind's exit status (triple fault)")


def catch_exceptions():
    out, r = session(["monitor catch exceptions on", "continue", "print how", "continue"], append="crash=5")
    t.expect_in_order(out, [
        r"catch exceptions: on",
        r"Program received signal SIGILL, Illegal instruction\.",
        rf"crash \(how=5\) at .*{SRC}:69|in crash \(how=5\)",
        r"^\$1 = 5",
        r"exited with code 07",
    ], "catch exceptions")
    expect_exit(r, 7)
    t.check("ud2 handled 1" in r.stdout, "the guest handled the #UD after the stop", r.stdout)
    # Without catching, the guest handles it without gdb noticing.
    out, r = session(["continue"], append="crash=5")
    t.expect_in_order(out, [r"exited with code 07"], "no catch")
    t.expect_absent(out, r"SIGILL", "no catch")
    expect_exit(r, 7)


def interrupt():
    out, r = session(["continue", "print spin_count > 0", "print $pc", "kill"], append="spin=1", interrupt_after=1.5)
    t.expect_in_order(out, [
        r"Program received signal SIGINT, Interrupt\.",
        r"kmain .*debug\.c:85|85\s+for \(;;\) spin_count\+\+;",
        r"^\$1 = 1",
        r"kmain\+\d+",
        r"\[Inferior 1 \(Remote target\) killed\]",
    ], "Ctrl-C")
    expect_exit(r, 18)


def reconnect():
    r = Rewind(REWIND, ELF)
    try:
        out1 = run_gdb(ELF, r.port, ["break add", "continue", "disconnect"])
        out2 = run_gdb(ELF, r.port, ["bt 1", "print a", "next", "disconnect"])
        out3 = run_gdb(ELF, r.port, ["frame", "continue"])
    finally:
        pass
    t.expect_in_order(out1, [rf"Breakpoint 1, add \(a=7, b=5\) at .*{SRC}:21"], "first")
    t.expect_in_order(out2, [r"#0\s+add \(a=7, b=5\) at .*debug\.c:21", r"^\$1 = 7", r"^22\s+return sum;"], "second")
    t.expect_in_order(out3, [r"#0\s+add \(a=7, b=5\) at .*debug\.c:22", r"exited with code 07"], "third")
    t.expect_absent(out3, r"SIGTRAP", "the first session's breakpoint is gone")
    expect_exit(r, 7)


def detach():
    out, r = session(["break square", "continue", "detach"])
    t.expect_in_order(out, [
        rf"Breakpoint 1, square \(v=12\) at .*{SRC}:26",
        r"\[Inferior 1 \(Remote target\) detached\]",
    ], "detach")
    expect_exit(r, 7)
    t.check("square: 144 counter: 10" in r.stdout, "the guest ran on to its end after detaching", r.stdout)


def attach_running():
    r = Rewind(REWIND, ELF, append="spin=1", wait=False)
    time.sleep(1.0)
    out = run_gdb(ELF, r.port, ["print spin_count > 1000", "bt 1", "kill"])
    t.expect_in_order(out, [r"^\$1 = 1", r"#0\s+.*kmain .*debug\.c:85", r"killed"], "attach to a running guest")
    expect_exit(r, 18)


def monitor():
    out, r = session(["monitor help", "monitor icount", "stepi", "monitor icount", "break add", "continue",
                      "monitor info registers", "monitor stats", "monitor frobnicate", "kill"])
    t.expect_in_order(out, [
        r"monitor commands:", r"catch exceptions on\|off",
        r"^icount 0$", r"^icount 1$",
        r"^rax\s+0x0*0*7\b|^rax\s+0x", r"^cr0\s+0x", r"^cr3\s+0x", r"^efer\s+0x", r"^gdtr\s+base 0x", r"^idtr\s+base 0x",
        r"^instructions retired: \d+", r"^speed: [\d.]+ MIPS", r"unimplemented-opcode #UDs: 0",
        r"unknown monitor command 'frobnicate'",
    ], "monitor")
    expect_exit(r, 18)


def protocol_clean():
    """`set debug remote 1`: no complaint about the 'g' reply or anything else."""
    out, r = session(["info registers", "stepi", "info all-registers", "x/4i $pc",
                      "break add", "continue", "set debug remote 0", "kill"], pre=["set debug remote 1"])
    for bad in [r"too long", r"[Ww]arning", r"Remote failure", r"Bad register", r"Invalid remote reply",
                r"Remote replied unexpectedly", r"internal-error"]:
        t.expect_absent(out, bad, "debug remote")
    t.expect_in_order(out, [r"qXfer:features:read:target\.xml", r"Breakpoint 1, add"], "debug remote")
    expect_exit(r, 18)


def reverse():
    """`rewind record`, then `rewind replay --gdb`: reverse-stepi, reverse-continue."""
    with tempfile.TemporaryDirectory() as tmp:
        recording = os.path.join(tmp, "debug.rwr")
        rec = subprocess.run([REWIND, "record", ELF, "-o", recording], capture_output=True, text=True, timeout=30)
        t.check(rec.returncode == 7, f"rewind record exits 7 (got {rec.returncode})", rec.stderr)
        r = Rewind(REWIND, ELF, replay=recording)
        state = f'printf "STATE %#lx %#lx\\n", $pc, ${AX}'
        try:
            out = run_gdb(ELF, r.port, [
                "break count_up", "continue", "break 32", "continue", "continue", "continue",
                "print i", state,                 # A: at line 32 with i == 2, before its first instruction
                "stepi 3", state,                 # B: after `add`: AX = counter + i = 3
                "reverse-stepi", state,           # C: back before `add`: AX is i again
                "stepi", state,                   # D: B again
                "reverse-continue", "print i",    # this iteration's breakpoint hit: i == 2
                "reverse-continue", "print i",    # the previous iteration's: i == 1
                "delete", "reverse-continue", "print $pc",
                "continue",
            ])
        except Exception:
            r.close()
            raise
        t.expect_in_order(out, [
            rf"Breakpoint 1, count_up \(n=5\) at .*{SRC}:31",
            rf"Breakpoint 2, count_up \(n=5\) at .*{SRC}:32",
            r"^\$1 = 2",
            rf"Breakpoint 2, count_up \(n=5\) at .*{SRC}:32",
            r"^\$2 = 2",
            rf"Breakpoint 2, count_up \(n=5\) at .*{SRC}:32",
            r"^\$3 = 1",
            r"No more reverse-execution history\.",
            r"^\$4 = .*<_start>",
            r"\[Inferior 1 \(Remote target\) exited with code 07\]",
        ], "reverse")
        states = re.findall(r"^STATE (0x[0-9a-f]+) (0x[0-9a-f]+)", out, re.M)
        if t.check(len(states) == 4, f"four register states printed (got {len(states)})", out):
            a, b, c, d = states
            t.check(b[1] == "0x3" and a[1] == "0x2", f"{AX} is i (2), then counter + i (3): {a[1]}, {b[1]}", out)
            t.check(c[0] != b[0] and int(c[0], 16) < int(b[0], 16),
                    f"reverse-stepi goes back to the previous instruction ({b[0]} -> {c[0]})", out)
            t.check(c[1] == a[1], f"reverse-stepi changes {AX} back ({b[1]} -> {c[1]})", out)
            t.check(d == b, f"stepi forward again gives the same state ({d} == {b})", out)
        expect_exit(r, 7)


SCENARIOS = {f.__name__: f for f in [inspect, breakpoints, stepping, watchpoints, exit_code, exceptions,
                                     catch_exceptions, interrupt, reconnect, detach, attach_running, monitor,
                                     protocol_clean, reverse]}
SCENARIOS[SCENARIO]()
t.finish()
