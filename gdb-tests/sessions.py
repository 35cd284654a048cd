#!/usr/bin/env python3
"""Scripted gdb sessions against `rewind run --gdb`, one scenario per ctest.

Usage: sessions.py REWIND GUEST_DIR BITS SCENARIO
The guest is GUEST_DIR/debugBITS.elf (guest/tests/debug/debug.c, built -O0 -g)."""
import json
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


def session(commands, append="", extra=(), **kw):
    """One rewind + one gdb; returns (gdb output, rewind)."""
    r = Rewind(REWIND, ELF, append=append, extra=extra)
    try:
        out = run_gdb(ELF, r.port, commands, **kw)
    except Exception:
        r.close()
        raise
    return out, r


def at_end(status=None, how=None):
    """What gdb shows at the guest's end: rewind's console line, then a SIGTRAP stop (the end
    is a place to look at and go back from; `continue` once more ends the guest)."""
    what = how or f"is exiting with status {status}"
    return [rf"^rewind: the guest {what}: `continue` ends it", r"Program received signal SIGTRAP"]


def before_end(out):
    """gdb's output up to the end stop."""
    return out.split("rewind: the guest ")[0]


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
        "continue", "continue", "continue", "continue", "info breakpoints", "continue", "continue",
    ])
    t.expect_in_order(out, [
        r"Breakpoint 1 at 0x[0-9a-f]+: file .*debug\.c, line 21",
        r"Temporary breakpoint 2 at 0x[0-9a-f]+: file .*debug\.c, line 26",
        r"Hardware assisted breakpoint 3 at 0x[0-9a-f]+: file .*debug\.c, line 31",
        rf"Breakpoint 1, add \(a=7, b=5\) at .*{SRC}:21",
        rf"Breakpoint 3, count_up \(n=5\) at .*{SRC}:31",
        rf"Temporary breakpoint 2, square \(v=12\) at .*{SRC}:26",
        *at_end(7),
        r"\[Inferior 1 \(Remote target\) exited with code 07\]",
    ], "breakpoints")
    t.expect_absent(before_end(out), r"SIGTRAP", "breakpoints")
    expect_exit(r, 7)


def stepping():
    out, r = session([
        "break kmain", "continue",
        "next", "step", "next", "finish",
        "stepi", "nexti", "info line *$pc",
        "break count_up", "continue", "next", "next", "next", "until", "until", "until 34",
        "print counter",
        "advance read_global",
        "continue", "continue",
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
        *at_end(7),
        r"exited with code 07",
    ], "stepping")
    expect_exit(r, 7)


def watchpoints():
    out, r = session([
        "break count_up", "continue",
        "watch counter", "continue", "continue", "delete",
        "rwatch global_value", "continue", "delete",
        "awatch counter", "continue", "delete",
        "continue", "continue",
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
        *at_end(7),
        r"exited with code 07",
    ], "watchpoints")
    expect_exit(r, 7)


def exit_code():
    """The guest's end is first a stop, with the guest as it left things (at its exit
    instruction); `continue` ends it, and so do `detach` and `kill` there, with the guest's
    status. `--end-stop=no` ends it at once."""
    out, r = session(["continue", "print/x $pc", "continue"], append="exit=4")
    t.expect_in_order(out, [*at_end(9), r"in outl ", r"^\$1 = 0x",
                            r"\[Inferior 1 \(Remote target\) exited with code 011\]"], "exit=4 -> status 9")
    expect_exit(r, 9)
    t.check("square: 144" in r.stdout, "the guest's output went to stdout", r.stdout)
    for last in ("detach", "kill"):
        out, r = session(["continue", last], append="exit=4")
        t.expect_in_order(out, at_end(9), f"{last} at the end stop")
        expect_exit(r, 9, f"{last} at the end stop: the guest's status")
    out, r = session(["continue"], append="exit=4", extra=["--end-stop=no"])
    t.expect_in_order(out, [r"\[Inferior 1 \(Remote target\) exited with code 011\]"], "--end-stop=no")
    t.expect_absent(out, r"SIGTRAP|rewind: the guest", "--end-stop=no")
    expect_exit(r, 9, "--end-stop=no")


def exceptions():
    cases = [("crash=1", "SIGSEGV", "Segmentation fault", 57), ("crash=2", "SIGILL", "Illegal instruction", 58),
             ("crash=3", "SIGFPE", "Arithmetic exception", 59)]
    if BITS == "64":
        cases.append(("crash=4", "SIGSEGV", "Segmentation fault", 62))
    for append, sig, text, line in cases:
        out, r = session(["continue", "print how", "continue", "continue"], append=append)
        t.expect_in_order(out, [
            rf"Program received signal {sig}, {text}\.",
            rf"crash \(how=\d\) at .*{SRC}:{line}|in crash \(how=\d\)",
            r"^\$1 = \d",
            *at_end(how="is dying: triple fault: .*"),
            rf"Program terminated with signal {sig}, {text}\.",
        ], f"{append} is {sig}")
        expect_exit(r, 12, f"{append}: rewind's exit status (triple fault)")


def catch_exceptions():
    out, r = session(["monitor catch exceptions on", "continue", "print how", "continue", "continue"], append="crash=5")
    t.expect_in_order(out, [
        r"catch exceptions: on",
        r"Program received signal SIGILL, Illegal instruction\.",
        rf"crash \(how=5\) at .*{SRC}:69|in crash \(how=5\)",
        r"^\$1 = 5",
        *at_end(7),
        r"exited with code 07",
    ], "catch exceptions")
    expect_exit(r, 7)
    t.check("ud2 handled 1" in r.stdout, "the guest handled the #UD after the stop", r.stdout)
    # Without catching, the guest handles it without gdb noticing.
    out, r = session(["continue", "continue"], append="crash=5")
    t.expect_in_order(out, [*at_end(7), r"exited with code 07"], "no catch")
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
        out3 = run_gdb(ELF, r.port, ["frame", "continue", "continue"])
    finally:
        pass
    t.expect_in_order(out1, [rf"Breakpoint 1, add \(a=7, b=5\) at .*{SRC}:21"], "first")
    t.expect_in_order(out2, [r"#0\s+add \(a=7, b=5\) at .*debug\.c:21", r"^\$1 = 7", r"^22\s+return sum;"], "second")
    t.expect_in_order(out3, [r"#0\s+add \(a=7, b=5\) at .*debug\.c:22", *at_end(7), r"exited with code 07"], "third")
    t.expect_absent(before_end(out3), r"SIGTRAP", "the first session's breakpoint is gone")
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
        r"monitor commands:", r"catch exceptions on\|off", r"^  web-follow \[on\|off\]",
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


def check_step_states(out):
    """The four STATE lines of `reverse` and `live_reverse`: A at line 32 with i == 2, B after
    `stepi 3` (AX = counter + i = 3), C after reverse-stepi (one instruction back, AX undone),
    D after stepi (B again)."""
    states = re.findall(r"^STATE (0x[0-9a-f]+) (0x[0-9a-f]+)", out, re.M)
    if t.check(len(states) == 4, f"four register states printed (got {len(states)})", out):
        a, b, c, d = states
        t.check(b[1] == "0x3" and a[1] == "0x2", f"{AX} is i (2), then counter + i (3): {a[1]}, {b[1]}", out)
        t.check(int(c[0], 16) < int(b[0], 16), f"reverse-stepi goes back to the previous instruction ({b[0]} -> {c[0]})",
                out)
        t.check(c[1] == a[1], f"reverse-stepi changes {AX} back ({b[1]} -> {c[1]})", out)
        t.check(d == b, f"stepi forward again gives the same state ({d} == {b})", out)


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
                "continue", "reverse-stepi", 'printf "BACK %#lx\\n", $pc', "continue", "continue",
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
            # The recorded end is a stop: going back from it and forward again stops there again.
            rf"^rewind: the guest is exiting with status 7: `continue` ends it, or go back", r"SIGTRAP",
            r"^BACK 0x",
            rf"^rewind: the guest is exiting with status 7: `continue` ends it, or go back", r"SIGTRAP",
            r"\[Inferior 1 \(Remote target\) exited with code 07\]",
        ], "reverse")
        check_step_states(out)
        expect_exit(r, 7)


def gdb_until_exit(r, elf, commands, status, pre=()):
    """gdb's output for `commands` against the rewind process `r`, once `r` has ended with
    `status` (it is killed if gdb fails)."""
    try:
        out = run_gdb(elf, r.port, commands, pre=pre, timeout=60)
    except Exception:
        r.close()
        raise
    expect_exit(r, status)
    return out


def replay_session(commands, pre=(), elf=ELF, status=7, extra=(), record_extra=()):
    """`rewind record` of a guest (the debug guest by default; `record_extra`: more options),
    then gdb against `rewind replay --gdb`; returns gdb's output once rewind has ended with the
    recorded status."""
    with tempfile.TemporaryDirectory() as tmp:
        recording = os.path.join(tmp, "guest.rwr")
        rec = subprocess.run([REWIND, "record", elf, "-o", recording, *record_extra], capture_output=True, text=True,
                             timeout=30)
        t.check(rec.returncode == status, f"rewind record exits {status} (got {rec.returncode})", rec.stderr)
        return gdb_until_exit(Rewind(REWIND, elf, replay=recording, extra=extra), elf, commands, status, pre)


def live_session(commands, append="", extra=(), status=7, pre=()):
    """gdb against a live `rewind run --gdb` of the debug guest (recorded in memory as it
    runs, so that it can go back); returns gdb's output and the guest's serial output once
    rewind has ended with `status`."""
    r = Rewind(REWIND, ELF, append=append, extra=extra)
    return gdb_until_exit(r, ELF, commands, status, pre), r.stdout


def live_reverse():
    """Reverse debugging where the user is: `rewind run --gdb` goes back over the run's own
    history (reverse-stepi, reverse-continue to an earlier breakpoint, a watchpoint in reverse),
    refuses writes in the past, and going forward replays up to where the run had got and
    continues live from there, to the end stop and the guest's exit."""
    state = f'printf "STATE %#lx %#lx\\n", $pc, ${AX}'
    out, serial = live_session([
        "break count_up", "continue", "break 32", "continue", "continue", "continue",
        "print i", state,                      # A: line 32 with i == 2, the frontier
        "stepi 3", state,                      # B: live, after `add`: AX = counter + i = 3
        "reverse-stepi", state,                # C: in the past, AX is i again
        "stepi", state,                        # D: B again, at the frontier
        "reverse-continue", "print i",         # this iteration's breakpoint: i == 2
        "reverse-continue", "print i",         # the previous iteration's: i == 1
        "set var global_value = 99", "print global_value",  # refused in the past
        "delete", "watch counter",
        "continue", "continue",                # i=1's write (replayed), i=2's (past the frontier: live)
        "reverse-continue", "print counter", "print i",  # before i=2's write: counter still 1
        "monitor when",
        "delete", "continue",                  # to the end stop, live
        "reverse-stepi", 'printf "BACK %#lx\\n", $pc', "monitor when",
        "continue", "continue",                # the end stop again (replayed to it), then the exit
    ])
    t.expect_in_order(out, [
        rf"Breakpoint 2, count_up \(n=5\) at .*{SRC}:32",
        r"^\$1 = 2",
        rf"Breakpoint 2, count_up \(n=5\) at .*{SRC}:32",
        r"^\$2 = 2",
        rf"Breakpoint 2, count_up \(n=5\) at .*{SRC}:32",
        r"^\$3 = 1",
        r"Cannot access memory at address 0x",
        r"^\$4 = 42",
        r"Hardware watchpoint 3: counter\s+Old value = 0\s+New value = 1",
        r"Hardware watchpoint 3: counter\s+Old value = 1\s+New value = 3",
        r"Hardware watchpoint 3: counter\s+Old value = 3\s+New value = 1",
        r"^\$5 = 1", r"^\$6 = 2",
        r"^icount (\d+) of (\d+) recorded",
        rf"^rewind: the guest is exiting with status 7: `continue` ends it, or go back", r"SIGTRAP",
        r"^BACK 0x",
        r"^icount (\d+) of (\d+) recorded",
        rf"^rewind: the guest is exiting with status 7: `continue` ends it, or go back", r"SIGTRAP",
        r"\[Inferior 1 \(Remote target\) exited with code 07\]",
    ], "live reverse")
    check_step_states(out)
    # The past's serial output was shown when it ran: going back and forth shows it once.
    for line in ("add: 12", "square: 144 counter: 10"):
        t.check(serial.count(line) == 1, f"{line!r} printed once (got {serial.count(line)})", serial)
    whens = re.findall(r"^icount (\d+) of (\d+) recorded", out, re.M)
    if t.check(len(whens) == 2, f"two `monitor when` answers (got {whens})", out):
        t.check(int(whens[0][0]) + 1 == int(whens[0][1]),
                f"the reverse watch stop is one instruction before the frontier ({whens[0]})", out)
        t.check(int(whens[1][0]) + 1 == int(whens[1][1]) and int(whens[1][1]) > int(whens[0][1]),
                f"reverse-stepi at the end goes back one from the new frontier ({whens[1]})", out)


def live_writes():
    """A debugger's writes at a live run's frontier are journaled: going back over them and
    forward again makes them again at the same instruction, and the recording file replays
    them (`rewind replay` without gdb ends as the run did, the guest printing the new value)."""
    with tempfile.TemporaryDirectory() as tmp:
        recording = os.path.join(tmp, "writes.rwr")
        r = Rewind(REWIND, ELF, command="record", extra=["-o", recording])
        try:
            out = run_gdb(ELF, r.port, [
                "break add", "continue",
                "set var global_value = 1234", f"set ${AX} = 0x5a5a",  # AX is dead here (add computes it)
                "print global_value", f"print/x ${AX}",
                "reverse-stepi", "print global_value", f"print/x ${AX}",  # before the writes
                "stepi", "print global_value", f"print/x ${AX}",          # replayed across them
                "delete", "continue", "continue",                         # the end stop, then the exit
            ], timeout=60)
        except Exception:
            r.close()
            raise
        expect_exit(r, 7)
        t.expect_in_order(out, [
            rf"Breakpoint 1, add \(a=7, b=5\) at .*{SRC}",
            r"^\$1 = 1234", r"^\$2 = 0x5a5a",
            r"^\$3 = 42", r"^\$4 = 0x(?!5a5a$)[0-9a-f]+$",
            r"^\$5 = 1234", r"^\$6 = 0x5a5a",
            r"^rewind: the guest is exiting with status 7: `continue` ends it, or go back", r"SIGTRAP",
            r"\[Inferior 1 \(Remote target\) exited with code 07\]",
        ], "writes at the frontier, replayed across")
        t.check("global: 1234" in r.stdout, "the guest printed the value written", r.stdout)
        t.check(not any("diverge" in line for line in r.stderr_lines), "no divergence live", "\n".join(r.stderr_lines))
        rep = subprocess.run([REWIND, "replay", recording], capture_output=True, text=True, timeout=30)
        t.check(rep.returncode == 7, f"rewind replay exits 7 as the run did (got {rep.returncode})", rep.stderr)
        t.check(rep.stdout == r.stdout, "the replay's serial output is the live run's",
                f"live:\n{r.stdout}\nreplay:\n{rep.stdout}\n{rep.stderr}")
        info = subprocess.run([REWIND, "info", recording], capture_output=True, text=True, timeout=30)
        t.check(re.search(r"debugger writes\s+2$", info.stdout, re.M) is not None,
                "the recording holds the two writes", info.stdout)


def live_no_record():
    """`rewind run --gdb --no-record` keeps no history: a reverse command says why, and the
    guest stays where it was."""
    out, _ = live_session(["break count_up", "continue", "reverse-stepi", "print $pc", "reverse-continue",
                        "print $pc", "continue"], extra=["--no-record"])
    refusal = r"^rewind: reverse execution needs the run's recording \(it was started with --no-record\)"
    t.expect_in_order(out, [
        r"Breakpoint 1, count_up",
        refusal, r"Remote failure reply", r"^\$1 = .*<count_up\+(\d+)>",
        refusal, r"Remote failure reply", r"^\$2 = .*<count_up\+(\d+)>",
        rf"^rewind: the guest is exiting with status 7: `continue` ends it$",
    ], "--no-record refuses reverse execution")
    pcs = re.findall(r"^\$\d = .*<count_up\+(\d+)>", out, re.M)
    t.check(len(pcs) == 2 and pcs[0] == pcs[1], f"the refused commands did not move the guest ({pcs})", out)


def reverse_watch():
    """Going backwards, a watchpoint stops just BEFORE the access (PC at the accessing
    instruction, memory as it was); forwards just after it; both agree where it happened."""
    out = replay_session([
        "break count_up", "continue",
        "watch counter", "continue", "continue",  # i=1: 0 -> 1, i=2: 1 -> 3
        "reverse-continue", "print counter", "print i", "x/i $pc",  # before i=2's write
        "reverse-continue", "print i",                               # before i=1's write
        "reverse-continue",                                          # i=0 wrote 0 over 0: to the breakpoint
        "continue", "print i", "continue", "print i",                # forwards: i=1's and i=2's again
        "delete",
        "rwatch global_value", "continue", 'printf "READ_AFTER %#lx\\n", $pc',
        "reverse-continue", 'printf "READ_BEFORE %#lx\\n", $pc', "x/i $pc",
        "delete",
        "awatch counter", "reverse-continue", "print i", "print counter",
    ])
    t.expect_in_order(out, [
        r"Hardware watchpoint 2: counter",
        r"Old value = 0\s+New value = 1",
        r"Old value = 1\s+New value = 3",
        # reverse: before the write of i=2, counter still 1
        r"Hardware watchpoint 2: counter\s+Old value = 3\s+New value = 1",
        rf"count_up \(n=5\) at .*{SRC}:32",
        r"^\$1 = 1", r"^\$2 = 2", r"=> 0x[0-9a-f]+ <count_up\+\d+>:\s+mov\s+%[er][ad]x,0x[0-9a-f]+(\(%rip\))?",
        r"Hardware watchpoint 2: counter\s+Old value = 1\s+New value = 0",
        r"^\$3 = 1",
        rf"Breakpoint 1, count_up \(n=5\) at .*{SRC}:31",
        r"Hardware watchpoint 2: counter\s+Old value = 0\s+New value = 1", r"^\$4 = 1",
        r"Hardware watchpoint 2: counter\s+Old value = 1\s+New value = 3", r"^\$5 = 2",
        r"Hardware read watchpoint 3: global_value\s+Value = 42",
        r"READ_AFTER 0x",
        r"Hardware read watchpoint 3: global_value\s+Value = 42",
        rf"read_global \(\) at .*{SRC}:37",
        r"READ_BEFORE 0x",
        r"=> 0x[0-9a-f]+ <read_global\+\d+>:\s+mov\s+0x[0-9a-f]+(\(%rip\))?,%eax",
        r"Hardware access \(read/write\) watchpoint 4: counter",
        r"^\$6 = 4", r"^\$7 = 6",
    ], "reverse watchpoints")
    after = re.search(r"READ_AFTER (0x[0-9a-f]+)", out)
    before = re.search(r"READ_BEFORE (0x[0-9a-f]+)", out)
    if t.check(bool(after and before), "read watchpoint positions printed", out):
        t.check(int(before.group(1), 16) < int(after.group(1), 16),
                f"the reverse read-watch stop is before the reading instruction ({before.group(1)} < {after.group(1)})",
                out)


def reverse_watch_sw():
    """Software watchpoints (gdb single-steps and compares) backwards: each reverse step is a
    `bs`; the stop is where the value changed."""
    out = replay_session([
        "break count_up", "continue", "set can-use-hw-watchpoints 0",
        "watch counter", "continue", "continue",
        "reverse-continue", "print counter", "print i",
        "continue", "print counter",
    ])
    t.expect_in_order(out, [
        r"^Watchpoint 2: counter",
        r"Old value = 0\s+New value = 1",
        r"Old value = 1\s+New value = 3",
        r"Watchpoint 2: counter\s+Old value = 3\s+New value = 1",
        r"^\$1 = 1", r"^\$2 = 2",
        r"Watchpoint 2: counter\s+Old value = 1\s+New value = 3", r"^\$3 = 3",
    ], "reverse software watchpoint")


def reverse_watch_rep_fault():
    """Writes that are not one plain store: an iteration of REP STOSB (the instruction is
    interrupted between iterations) and the exception frame a faulting UD2 makes the CPU
    write on the stack."""
    slot = "((long)$esp - 12)" if BITS == "32" else "(((long)$rsp & ~15) - 40)"
    word = "unsigned int" if BITS == "32" else "unsigned long"
    cx = "ecx" if BITS == "32" else "rcx"
    pos = 'printf "POS %#lx\\n", $pc'
    out = replay_session([
        'printf "SITES %#lx %#lx\\n", &fill_site, &fault_site',
        "break fill_buffer", "continue", "delete",
        "watch buffer[40]", "continue", f"print ${cx}", pos,
        "continue", "reverse-continue", f"print ${cx}", pos,
        "print buffer[39]", "print buffer[40]", "continue", f"print ${cx}",
        "delete", "break fault_site", "continue", "delete",
        f"set $slot = {slot}", f"watch *({word} *)$slot", "continue", pos,
        "reverse-continue", pos, "print handled_ud",
        "continue", pos, "print handled_ud",
    ])
    t.expect_in_order(out, [
        r"Hardware watchpoint \d+: buffer\[40\]",
        r"Old value = 0 '\\000'\s+New value = 17 '\\021'",
        r"^\$1 = 23",                                               # 64 - 41 iterations left
        r"Old value = 17 '\\021'\s+New value = 34 '\"'",
        r"Old value = 34 '\"'\s+New value = 17 '\\021'",         # reverse: before that iteration
        r"^\$2 = 24",
        r"^\$3 = 34 '\"'", r"^\$4 = 17 '\\021'",
        r"Old value = 17 '\\021'\s+New value = 34 '\"'", r"^\$5 = 23",
        r"Breakpoint \d+, fault_once",
        r"Hardware watchpoint \d+: \*\(" + word.replace(" ", r"\s") + r" \*\)\$slot",
        r"New value = \d+",
        r"Old value = \d+\s+New value = \d+",
        r"^\$6 = 0",                                                # the handler has not run yet
        r"New value = \d+",
        r"^\$7 = 0",                                                # nor now: the stop is at its entry
    ], "reverse watchpoints: REP and a faulting instruction")
    sites = re.search(r"^SITES (0x[0-9a-f]+) (0x[0-9a-f]+)", out, re.M)
    positions = re.findall(r"^POS (0x[0-9a-f]+)", out, re.M)
    if t.check(bool(sites) and len(positions) == 5, f"sites and five positions printed (got {positions})", out):
        fill_site, fault_site = sites.group(1), sites.group(2)
        t.check(positions[0] == fill_site and positions[1] == fill_site,
                f"REP STOSB: stopped on the REP instruction in both directions ({positions[:2]}, {fill_site})", out)
        t.check(positions[2] != fault_site, f"forwards, the stop is after the delivery ({positions[2]})", out)
        t.check(positions[3] == fault_site, f"backwards, the stop is at the faulting UD2 ({positions[3]})", out)
        t.check(positions[4] == positions[2], f"forwards again, the same stop ({positions[4]} == {positions[2]})", out)


def reverse_watch_interrupt():
    """An interrupt's delivery writes its frame on the stack without an instruction retiring.
    Stopped at the interrupt stub's first instruction (past the delivery), going back stops
    before the delivery, at the interrupted instruction; forwards again, at the stub."""
    elf = os.path.join(GUEST_DIR, f"timer{BITS}.elf")
    word = "unsigned int" if BITS == "32" else "unsigned long"
    pos = 'printf "POS %#lx\\n", $pc'
    out = replay_session([
        "break isr_stub_32", "continue", "continue", "delete",
        'printf "ENTRY %#lx\\n", $pc',
        f"watch -l *({word} *)$sp",
        "reverse-continue", pos,
        "continue", pos,
        "delete", "reverse-stepi", pos,
        "stepi", pos,
    ], elf=elf, status=1)
    t.expect_in_order(out, [
        r"Breakpoint 1, 0x[0-9a-f]+ in isr_stub_32",
        r"Breakpoint 1, 0x[0-9a-f]+ in isr_stub_32",
        r"^ENTRY 0x",
        r"Hardware watchpoint 2: -location",
        r"Hardware watchpoint 2: -location.*\s+Old value = \d+\s+New value = \d+", r"^POS 0x",
        r"Hardware watchpoint 2: -location.*\s+Old value = \d+\s+New value = \d+", r"^POS 0x",
        r"^POS 0x", r"^POS 0x",
    ], "reverse watchpoint on an interrupt frame")
    entry = re.search(r"^ENTRY (0x[0-9a-f]+)", out, re.M)
    positions = re.findall(r"^POS (0x[0-9a-f]+)", out, re.M)
    if t.check(bool(entry) and len(positions) == 4, f"entry and four positions printed (got {positions})", out):
        entry = entry.group(1)
        t.check(positions[0] != entry, f"backwards: before the delivery, not at the stub ({positions[0]})", out)
        t.check(positions[1] == entry, f"forwards: after the delivery, at the stub ({positions[1]})", out)
        t.check(positions[2] == positions[0],
                f"reverse-stepi from the stub goes back to the interrupted instruction ({positions[2]})", out)
        # A step retires one instruction: the interrupt is taken and the stub's first one runs.
        t.check(int(entry, 16) < int(positions[3], 16) < int(entry, 16) + 16,
                f"stepi takes the interrupt again and runs the stub's first instruction ({positions[3]})", out)
    vals = re.findall(r"Old value = (\d+)\s+New value = (\d+)", out)
    if t.check(len(vals) == 2, f"two watchpoint reports (got {vals})", out):
        t.check(vals[0] == (vals[1][1], vals[1][0]), f"forwards undoes backwards ({vals})", out)
        t.check(int(vals[1][1]) == int(positions[0], 16) if len(positions) == 4 else False,
                "the frame holds the interrupted instruction's address", out)


def reverse_snapshots():
    """Forward execution under gdb takes snapshots (so going back from where it stopped
    replays at most one interval): a guest with a billion instructions of guest time."""
    elf = os.path.join(GUEST_DIR, f"timer{BITS}.elf")
    out = replay_session([
        "monitor when", "break exit_emulator", "continue", "monitor when",
        "reverse-stepi", "monitor when",
    ], elf=elf, status=1)
    t.expect_in_order(out, [
        r"icount 0 of (\d+) recorded; 1 snapshots \(\d+\.\d MiB\), the nearest at or before now at 0 \(0 "
        r"instructions back\)",
        r"Breakpoint 1, exit_emulator",
        r"icount (\d+) of \d+ recorded; (\d+) snapshots",
        r"icount \d+ of \d+ recorded; \d+ snapshots",
    ], "snapshots under gdb")
    nearest = re.findall(r"the nearest at or before now at (\d+) \((\d+) instructions back\)", out)
    if t.check(len(nearest) == 3, f"three nearest snapshots named (got {nearest})", out):
        t.check(0 < int(nearest[1][0]) and int(nearest[1][1]) <= 50_000_000,
                f"after the forward run the nearest snapshot is at most one interval back ({nearest[1]})", out)
    whens = re.findall(r"^icount (\d+) of (\d+) recorded; (\d+) snapshots", out, re.M)
    if t.check(len(whens) == 3, f"three `monitor when` answers (got {whens})", out):
        end = int(whens[0][1])
        t.check(int(whens[1][0]) > end * 9 // 10, f"the breakpoint is near the end ({whens[1][0]} of {end})", out)
        t.check(int(whens[1][2]) > 10, f"snapshots were taken on the way ({whens[1][2]})", out)
        t.check(int(whens[2][0]) == int(whens[1][0]) - 1, f"reverse-stepi went back one ({whens[2][0]})", out)
    # --snapshot-interval 0: only the snapshot at instruction 0 (and where a seek arrives), of a
    # recording without stored snapshots (a replay loads those whatever its interval).
    out = replay_session(["break exit_emulator", "continue", "monitor when"], elf=elf, status=1,
                         extra=["--snapshot-interval", "0"], record_extra=["--no-snapshots"])
    t.expect_in_order(out, [r"Breakpoint 1, exit_emulator", r"icount \d+ of \d+ recorded; 1 snapshots"],
                      "--snapshot-interval 0")
    # A live `rewind run --gdb` takes them too: the history recorded so far ends at the present.
    r = Rewind(REWIND, elf, extra=["--snapshot-interval", "10000000"])
    try:
        out = run_gdb(elf, r.port, ["monitor when", "break exit_emulator", "continue", "monitor when"], timeout=60)
    except Exception:
        r.close()
        raise
    expect_exit(r, 1)
    t.expect_in_order(out, [
        r"icount 0 of 0 recorded; 1 snapshots \(\d+\.\d MiB\), the nearest at or before now at 0",
        r"Breakpoint 1, exit_emulator",
        r"icount (\d+) of \1 recorded; (\d+) snapshots",
    ], "snapshots in a live run under gdb")
    live = re.findall(r"^icount (\d+) of \d+ recorded; (\d+) snapshots", out, re.M)
    if t.check(len(live) == 2, f"two `monitor when` answers in the live run (got {live})", out):
        t.check(int(live[1][1]) > 10, f"a live forward run takes snapshots ({live[1][1]})", out)
    # A budget the snapshot at instruction 0 does not fit in is a clear error.
    with tempfile.TemporaryDirectory() as tmp:
        recording = os.path.join(tmp, "timer.rwr")
        subprocess.run([REWIND, "record", elf, "-o", recording], capture_output=True, timeout=30)
        small = subprocess.run([REWIND, "replay", recording, "--gdb", "127.0.0.1:0", "--snapshot-memory", "1K"],
                               capture_output=True, text=True, timeout=30)
        t.check(small.returncode == 2 and "rewind: error: --snapshot-memory: the snapshot at instruction 0 alone "
                "takes" in small.stderr, f"--snapshot-memory 1K: exit 2 (got {small.returncode}: {small.stderr!r})")


def reverse_interrupt(live=False):
    """^C stops a long reverse-continue where the search has got to, a position like any
    other: registers and memory can be read, and stepping back and forth returns to it. The
    search is long on purpose: a breakpoint in the guest's inner loop, and only the snapshot
    at instruction 0, so it replays the whole history stopping at every iteration. With
    `live`, the same in a live `rewind run --gdb` (the run goes back over its own history)."""
    elf = os.path.join(GUEST_DIR, f"intloop{BITS}.elf")
    with tempfile.TemporaryDirectory() as tmp:
        recording = os.path.join(tmp, "intloop.rwr")
        rec = subprocess.run([REWIND, "record", elf, "--append", "iters=30000000", "-o", recording],
                             capture_output=True, text=True, timeout=60)
        t.check(rec.returncode == 1, f"rewind record exits 1 (got {rec.returncode})", rec.stderr)
        if live:
            r = Rewind(REWIND, elf, append="iters=30000000", extra=["--snapshot-interval", "0"])
        else:
            r = Rewind(REWIND, elf, replay=recording, extra=["--snapshot-interval", "0"])
        try:
            # ^C half a second into the search (which, uninterrupted, takes several seconds).
            out = run_gdb(elf, r.port, [
                "break exit_emulator", "continue", "monitor when",
                "break intloop.c:11", "echo SEARCHING\\n", "reverse-continue",
                "monitor when", 'printf "AT %#lx\\n", $pc',
                "reverse-stepi", "stepi", 'printf "AT %#lx\\n", $pc', "monitor when",
                "kill",
            ], timeout=120, interrupt_after=0.5, interrupt_when="SEARCHING")
        except Exception:
            r.close()
            raise
        expect_exit(r, 18, "rewind's exit status after gdb's kill")
    t.expect_in_order(out, [
        r"Breakpoint 1, exit_emulator",
        r"^icount \d+ of \d+ recorded",
        r"^SEARCHING",
        r"Program received signal SIGINT, Interrupt\.",
        r"^icount \d+ of \d+ recorded",
        r"^AT 0x",
        r"^AT 0x",
        r"^icount \d+ of \d+ recorded",
    ], "^C during reverse-continue")
    whens = [int(n) for n in re.findall(r"^icount (\d+) of \d+ recorded", out, re.M)]
    # The search starts at the breakpoint, a few instructions before the recorded end.
    pcs = re.findall(r"^AT (0x[0-9a-f]+)", out, re.M)
    if t.check(len(whens) == 3 and len(pcs) == 2, f"three positions and two PCs (got {whens}, {pcs})", out):
        start, stopped, again = whens
        t.check(0 < stopped < start, f"the search stopped inside the history ({stopped}, started at {start})", out)
        t.check(again == stopped and pcs[0] == pcs[1],
                f"back and forth one step returns to the same place ({again}, {pcs})", out)
    t.expect_absent(out, r"No more reverse-execution history", "the search did not run to the start")


def live_reverse_interrupt():
    reverse_interrupt(live=True)


def live_reverse_steps():
    """In a live `rewind run --gdb`: the reverse commands gdb builds on reverse-stepi and
    reverse-continue (reverse-finish, reverse-next, reverse-step), and read and access
    watchpoints backwards, then forward through the past and live to the end."""
    out, serial = live_session([
        "break square", "continue",                # the frontier: square's entry
        "reverse-finish", "bt 1",                  # back to the call in kmain (line 81)
        "reverse-next", "bt 1",                    # to the start of that line
        "reverse-step", "bt 1",                    # into the end of the call before: read_global
        "delete", "rwatch global_value",
        "continue",                                # the next read (printf's, line 82), replayed
        "reverse-continue",                        # backwards: before the same read
        "delete", "awatch counter",
        "reverse-continue", "bt 1",                # count_up's last write of counter (6 -> 10)
        "delete", "continue", "continue",          # through the frontier, live to the end
    ])
    t.expect_in_order(out, [
        rf"Breakpoint 1, square \(v=12\) at .*{SRC}:26",
        r"^#0\s+0x[0-9a-f]+ in kmain .*debug\.c:81",
        r"^#0\s+kmain .*debug\.c:81",
        r"^#0\s+read_global \(\) at .*debug\.c:38",
        r"Hardware read watchpoint 2: global_value\s+Value = 42", r"kmain .*debug\.c:82",
        r"Hardware read watchpoint 2: global_value\s+Value = 42", r"kmain .*debug\.c:82",
        r"Hardware access \(read/write\) watchpoint 3: counter\s+Old value = 10\s+New value = 6",
        r"^#0\s+0x[0-9a-f]+ in count_up \(n=5\) at .*debug\.c:32",
        rf"^rewind: the guest is exiting with status 7: `continue` ends it, or go back", r"SIGTRAP",
        r"\[Inferior 1 \(Remote target\) exited with code 07\]",
    ], "live reverse-finish, reverse-next, reverse-step and read/access watchpoints")
    t.check(serial.count("add: 12") == 1, f"the past's output printed once (got {serial!r})", serial)


def live_disk_record():
    """`rewind record --gdb` of a disk guest whose host I/O is random (--io-faults): a write
    at the frontier (`set var`), back into the past (before it, requests in flight at the
    frontier), forward again through the frontier (the write applied again, the host's
    completions delivered once) to the end; the recording written meanwhile replays exactly."""
    elf = os.path.join(GUEST_DIR, "disk_sum.elf")
    disks = os.path.join(GUEST_DIR, "..", "disks")
    with tempfile.TemporaryDirectory() as tmp:
        recording = os.path.join(tmp, "disk.rwr")
        r = Rewind(REWIND, elf, append="irq=1 chunk=8",
                   extra=["-o", recording, "-hda", os.path.join(disks, "pattern-a.img"),
                          "-hdc", os.path.join(disks, "pattern-b.img"), "--io-faults", "seed=5,delay=50-500"],
                   command="record")
        try:
            out = run_gdb(elf, r.port, [
                "break finished", "continue", "continue", "continue", "monitor events",
                "set var retries = 7", "print retries",       # at the frontier: journaled
                "reverse-continue", "print retries",          # the previous chunk: before the write
                "reverse-stepi", "monitor when",
                "delete", "continue",                         # replayed, then live, to the end stop
                "print retries", "continue",
            ], timeout=60)
        except Exception:
            r.close()
            raise
        expect_exit(r, 1, "rewind record --gdb")
        live_serial = r.stdout
        replay = subprocess.run([REWIND, "replay", recording], capture_output=True, text=True, timeout=60)
    t.expect_in_order(out, [
        r"Breakpoint 1, .*finished",
        r"^\d+ events journaled so far; now at icount \d+",
        r"^#\d+ +icount \d+ +disk completion +(primary|secondary) master +(READ|WRITE) +LBA \d+ x\d+ ok  started \d+ \(\+\d+\)",
        r"^--> now: icount \d+",
        r"^\$1 = 7",
        r"Breakpoint 1, .*finished",
        r"^\$2 = 0",
        r"^icount \d+ of \d+ recorded",
        r"^rewind: the guest is exiting with status 1: `continue` ends it, or go back",
        r"^\$3 = 7",
        r"exited with code 01",
    ], "a write at the frontier, back before it and forward through it")
    t.check("retries: 7" in live_serial and "PASS" in live_serial, "the live run saw the write", live_serial)
    t.check(replay.returncode == 1, f"the recording replays with the recorded status 1 (got {replay.returncode})",
            replay.stderr)
    t.check("diverged" not in replay.stderr, "the replay does not diverge", replay.stderr)
    t.check(replay.stdout == live_serial, "the replay prints what the live run printed",
            f"live:\n{live_serial}\nreplay:\n{replay.stdout}")


def monitor_seek():
    """`monitor seek ICOUNT` (and `seek event N`) moves in the recorded history; gdb's cached
    registers and frames follow after `maintenance flush register-cache`; no seek past the end."""
    out = replay_session([
        "break count_up", "continue", "monitor when",
        "monitor seek 1000", "maintenance flush register-cache", "monitor when",
        "monitor seek 99999999999999", "monitor seek event 1", "monitor seek lots",
        "delete", "continue", "monitor when",  # forward from 1000: to the end stop
        "monitor seek 1000", "maintenance flush register-cache", "break count_up", "continue", "bt 1",
        "delete", "continue", "continue",
    ])
    t.expect_in_order(out, [
        rf"Breakpoint 1, count_up \(n=5\) at .*{SRC}:31",
        r"^icount (\d+) of (\d+) recorded",
        r"^now at icount 1000; gdb shows the old registers",
        r"^icount 1000 of \d+ recorded",
        r"^icount 99999999999999 is past the end of the recorded history \(\d+\)$",
        r"^there is no event 1: 0 journaled|^now at icount \d+",
        r"^usage: monitor seek ICOUNT \| monitor seek event N",
        r"^rewind: the guest is exiting with status 7",
        r"^icount (\d+) of \1 recorded",
        r"^now at icount 1000",
        rf"Breakpoint 2, count_up \(n=5\) at .*{SRC}:31",
        r"^#0\s+count_up \(n=5\)",
        r"exited with code 07",
    ], "monitor seek")


def gdb_commands():
    """stub/gdb/rewind.py: `rewind when`, `rewind events`, `rewind seek`, `rewind goto event`,
    with gdb's view refreshed after a move (a frame at the new place, registers re-read)."""
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "stub", "gdb", "rewind.py")
    out = replay_session([
        f"source {script}",
        "break count_up", "continue", 'printf "PC %#lx\\n", $pc', "rewind when",
        "rewind seek 1000", 'printf "PC %#lx\\n", $pc', "rewind when",
        "rewind events", "rewind goto event 1", "rewind seek 99999999999999",
        "delete", "continue", "continue",
    ])
    t.expect_in_order(out, [
        rf"Breakpoint 1, count_up \(n=5\) at .*{SRC}:31",
        r"^PC (0x[0-9a-f]+)",
        r"^icount \d+ of \d+ recorded",
        r"^now at icount 1000",
        r"^#0 ",
        r"^PC (0x[0-9a-f]+)",
        r"^icount 1000 of \d+ recorded",
        r"^0 events journaled; now at icount 1000",
        r"^there is no event 1: 0 journaled",
        r"is past the end of the recorded history",
        r"exited with code 07",
    ], "rewind's gdb commands")
    pcs = re.findall(r"^PC (0x[0-9a-f]+)", out, re.M)
    t.check(len(pcs) == 2 and pcs[0] != pcs[1], f"after `rewind seek`, gdb reads the new registers ({pcs})", out)


def io_stops(out):
    """The stops `monitor catch io` made, in order: (the console lines naming the events
    delivered there, without the "of N [so far]" count, which grows in a live run; the pc)."""
    stops, lines = [], []
    for line in out.splitlines():
        m = re.match(r"^rewind: ((?:disk completion|serial input) \d+)(?: of \d+(?: so far)?)(:.*)$", line)
        if m:
            lines.append(m.group(1) + m.group(2))
        m = re.match(r"^PC (0x[0-9a-f]+)", line)
        if m:
            stops.append((tuple(lines), m.group(1)))
            lines = []
    return stops


def disk_guest(tmp, extra=(), command="record"):
    """A disk_sum guest (interrupt-driven, both channels at once, 8 sectors a command) with host
    I/O that is slow and sometimes fails (--io-faults: which requests fail follows from the seed;
    seed 2 fails the secondary channel's first read), recorded to tmp/disk.rwr."""
    elf = os.path.join(GUEST_DIR, "disk_sum.elf" if BITS == "32" else "disk_sum64.elf")
    disks = os.path.join(GUEST_DIR, "..", "disks")
    recording = os.path.join(tmp, "disk.rwr")
    args = ["-o", recording, "-hda", os.path.join(disks, "pattern-a.img"), "-hdc", os.path.join(disks, "pattern-b.img"),
            "--io-faults", "seed=2,delay=50-500,fail=25", *extra]
    return elf, recording, args


def check_io_stops(forward, backward, what):
    """Forward stops F1..Fn, then reverse-continue stops: the same boundaries in reverse order,
    with the same events and the same pc; every forward stop names at least one event, and
    the events are numbered without a gap (no boundary with deliveries was skipped)."""
    t.check(all(lines for lines, _ in forward), f"{what}: every forward stop names its events", str(forward))
    numbers = [int(re.search(r"\d+", line).group(0)) for lines, _ in forward for line in lines]
    t.check(numbers == list(range(numbers[0], numbers[0] + len(numbers))) if numbers else False,
            f"{what}: forward, every boundary with deliveries stops, in order ({numbers})", str(forward))
    expected = list(reversed(forward[:-1]))[:len(backward)]
    t.check(backward == expected, f"{what}: backwards, the same stops in reverse (same events, same pc)",
            f"forward {forward}\nbackward {backward}")


def catch_io():
    """`monitor catch io on` over a recording of a disk guest using both channels at once with
    failing host I/O: forward stops at every boundary with disk completions (the events named,
    a failed read among them, two completions at one boundary flagged as two lines), backward
    the same stops in reverse order at the same place, `continue` forward again the same; off,
    a breakpoint and the end work as before."""
    pc = 'printf "PC %#lx\\n", $pc'
    with tempfile.TemporaryDirectory() as tmp:
        elf, recording, args = disk_guest(tmp)
        rec = subprocess.run([REWIND, "record", elf, "--append", "irq=1 chunk=8", *args], capture_output=True,
                             text=True, timeout=60)
        t.check(rec.returncode == 1 and "PASS" in rec.stdout, f"the guest passes (status {rec.returncode})", rec.stdout)
        # Far enough forward to meet both channels: host timing decides how many completions of
        # one come before the first of the other; the recording says.
        info = subprocess.run([REWIND, "info", recording, "--events", "--json"], capture_output=True, text=True,
                              timeout=30)
        events = json.loads(info.stdout)["events"]
        other = next(e["number"] for e in events if e["drive"] != events[0]["drive"])
        forward_n, back_n = max(8, other), 5
        out = gdb_until_exit(Rewind(REWIND, elf, replay=recording), elf, [
            "monitor catch io", "monitor catch io on", "monitor help",
            *[c for _ in range(forward_n) for c in ("continue", pc)],
            *[c for _ in range(back_n) for c in ("reverse-continue", pc)],
            *[c for _ in range(2) for c in ("continue", pc)],
            "monitor catch io off", "break finished", "continue", "delete", "continue", "continue",
        ], 1)
    t.expect_in_order(out, [
        r"^catch io: off",
        r"^catch io: on \(every boundary",
        r"^  catch io on\|off",
        r"^rewind: disk completion \d+ of \d+: secondary master READ LBA 0 x8 failed \(I/O error\), started at icount "
        r"\d+, delivered at \d+$",
        r"Program received signal SIGTRAP",
        r"^catch io: off",
        r"Breakpoint \d+, .*finished",
        r"^rewind: the guest is exiting with status 1",
        r"exited with code 01",
    ], "catch io over a recording")
    stops = io_stops(out)
    forward, backward, again = stops[:forward_n], stops[forward_n:forward_n + back_n], stops[forward_n + back_n:]
    t.check(len(stops) == forward_n + back_n + 2, f"{len(stops)} stops", out)
    check_io_stops(forward, backward, "replay")
    t.check(again == forward[forward_n - back_n:forward_n - back_n + 2],
            "forward again from the past: the same stops", f"forward {forward}\nagain {again}")
    t.check(any("primary" in l for s in forward for l in s[0]) and any("secondary" in l for s in forward for l in s[0]),
            "completions on both channels", str(forward))


def live_catch_io():
    """`monitor catch io on` in a live `rewind record --gdb` of the disk guest: forward at the
    frontier it stops where the host's completions are delivered ("of N so far"), backwards
    the same stops in reverse, forward again through the run's past to the frontier and on
    live; the recording made meanwhile replays exactly."""
    pc = 'printf "PC %#lx\\n", $pc'
    with tempfile.TemporaryDirectory() as tmp:
        elf, recording, args = disk_guest(tmp)
        r = Rewind(REWIND, elf, append="irq=1 chunk=8", extra=args, command="record")
        forward_n, back_n = 6, 4
        out = gdb_until_exit(r, elf, [
            "monitor catch io on",
            *[c for _ in range(forward_n) for c in ("continue", pc)],
            *[c for _ in range(back_n) for c in ("reverse-continue", pc)],
            *[c for _ in range(back_n + 2) for c in ("continue", pc)],
            "monitor catch io off", "continue", "continue",
        ], 1)
        live_serial = r.stdout
        replay = subprocess.run([REWIND, "replay", recording], capture_output=True, text=True, timeout=60)
    t.expect_in_order(out, [
        r"^catch io: on",
        r"^rewind: disk completion 1 of \d+ so far: \S+ master READ LBA 0 x8 (ok|failed \(I/O error\)), started at",
        r"Program received signal SIGTRAP",
        r"^catch io: off",
        r"^rewind: the guest is exiting with status 1",
        r"exited with code 01",
    ], "catch io live")
    stops = io_stops(out)
    forward, backward = stops[:forward_n], stops[forward_n:forward_n + back_n]
    again = stops[forward_n + back_n:]
    t.check(len(stops) == forward_n + 2 * back_n + 2, f"{len(stops)} stops", out)
    check_io_stops(forward, backward, "live")
    t.check(again[:back_n] == forward[forward_n - back_n:], "forward again through the past: the same stops",
            f"forward {forward}\nagain {again}")
    after = [int(re.search(r"\d+", l).group(0)) for s in again[back_n:] for l in s[0]]
    t.check(len(after) >= 2 and after[0] == int(re.search(r"\d+", forward[-1][0][-1]).group(0)) + 1,
            f"and on live past the old frontier, without a gap ({after})", str(again))
    t.check("PASS" in live_serial, "the live run passed", live_serial)
    t.check(replay.returncode == 1 and "diverged" not in replay.stderr,
            f"the recording replays exactly (status {replay.returncode})", replay.stderr)


def catch_io_serial():
    """`monitor catch io on` stops where serial input is delivered too (a file given to
    --serial-in reaches the UART as the host reads it: at one boundary or a few), one stop per
    boundary naming all the bytes delivered there; backwards from the guest's end, the same
    stops in reverse, at the same places. `rewind info --events --json` says where they are."""
    pc = 'printf "PC %#lx\\n", $pc'
    elf = os.path.join(GUEST_DIR, f"serial_echo{BITS}.elf")
    with tempfile.TemporaryDirectory() as tmp:
        recording, typed = os.path.join(tmp, "serial.rwr"), os.path.join(tmp, "typed.txt")
        with open(typed, "w") as f:
            f.write("ab\ncd\nquit\n")
        rec = subprocess.run([REWIND, "record", elf, "-o", recording, "--serial-in", typed], capture_output=True,
                             text=True, timeout=30)
        t.check(rec.returncode == 1 and "quit" in rec.stdout, f"the guest echoes its input (status {rec.returncode})",
                rec.stdout + rec.stderr)
        info = subprocess.run([REWIND, "info", recording, "--events", "--json"], capture_output=True, text=True,
                              timeout=30)
        events = json.loads(info.stdout)["events"]
        t.check([e["byte"] for e in events] == list(b"ab\ncd\nquit\n") and all(e["kind"] == "serial_input" for e in events),
                "rewind info --events --json lists the 11 bytes", info.stdout)
        boundaries = sorted({e["icount"] for e in events})
        n = len(boundaries)
        out = gdb_until_exit(Rewind(REWIND, elf, replay=recording), elf, [
            "monitor catch io on",
            *[c for _ in range(n) for c in ("continue", pc)], "continue",
            *[c for _ in range(n) for c in ("reverse-continue", pc)], "reverse-continue",
            "monitor catch io off", "continue", "continue",
        ], 1)
    t.expect_in_order(out, [
        r"^rewind: serial input 1 of 11: byte 0x61 'a', delivered at \d+$",
        r"^rewind: serial input 2 of 11: byte 0x62 'b', delivered at \d+$",
        r"^rewind: serial input 3 of 11: byte 0x0a, delivered at \d+$",
        r"^rewind: serial input 11 of 11: byte 0x0a, delivered at \d+$",
        r"^rewind: the guest is exiting with status 1",
        r"^rewind: serial input \d+ of 11: byte",
        r"No more reverse-execution history",
        r"^rewind: the guest is exiting with status 1",
        r"exited with code 01",
    ], "catch io on serial input")
    stops = io_stops(out)
    forward, backward = stops[:n], stops[n:]
    t.check(len(stops) == 2 * n and sum(len(lines) for lines, _ in forward) == 11,
            f"a stop per boundary ({n}), naming the 11 bytes", str(stops))
    delivered = [int(re.search(r"delivered at (\d+)", lines[0]).group(1)) for lines, _ in forward if lines]
    t.check(delivered == boundaries, f"at the boundaries the journal lists ({boundaries})", str(forward))
    t.check(backward == list(reversed(forward)), "backwards, the same stops in reverse", str(stops))


def strip_snapshots(src, dst):
    """`src` without its 'SNAP' chunks (the same recording as if made without --snapshots)."""
    data = open(src, "rb").read()
    pos = 20 + int.from_bytes(data[12:16], "little")
    out = bytearray(data[:pos])
    while pos < len(data):
        tag = data[pos:pos + 4]
        if tag == b"END!":
            out += data[pos:]
            break
        size = 16 + int.from_bytes(data[pos + 4:pos + 8], "little")
        if tag != b"SNAP":
            out += data[pos:pos + size]
        pos += size
    open(dst, "wb").write(out)


def stored_snapshots():
    """A recording made with --snapshots: its replay under gdb starts with them (seeks far
    into it replay at most one interval), and seek, reverse-stepi and reverse-continue give the
    same registers as the same recording without them."""
    elf = os.path.join(GUEST_DIR, f"timer{BITS}.elf")
    state = f'printf "STATE %#lx %#lx %#lx\\n", $pc, $sp, ${AX}'
    commands = [
        "monitor when",
        "monitor seek 700000000", "maintenance flush register-cache", state, "monitor when",
        "monitor seek 300000000", "maintenance flush register-cache", state,
        "break exit_emulator", "continue", state, "reverse-stepi", state,
        "break printf", "reverse-continue", state, "reverse-continue", state,
    ]
    with tempfile.TemporaryDirectory() as tmp:
        stored = os.path.join(tmp, "stored.rwr")
        rec = subprocess.run([REWIND, "record", elf, "-o", stored, "--snapshots"], capture_output=True, text=True,
                             timeout=60)
        t.check(rec.returncode == 1, f"rewind record --snapshots exits 1 (got {rec.returncode})", rec.stderr)
        plain = os.path.join(tmp, "plain.rwr")
        strip_snapshots(stored, plain)
        outs = {}
        for name, path in (("stored", stored), ("plain", plain)):
            outs[name] = gdb_until_exit(Rewind(REWIND, elf, replay=path), elf, commands, 1)
    first = re.search(r"^icount 0 of (\d+) recorded; (\d+) snapshots", outs["stored"], re.M)
    t.check(first is not None and int(first.group(2)) >= 20,
            f"the replay starts with the recording's snapshots ({first.group(2) if first else None})", outs["stored"])
    plain_first = re.search(r"^icount 0 of \d+ recorded; 1 snapshots", outs["plain"], re.M)
    t.check(plain_first is not None, "without them, one snapshot at the start", outs["plain"])
    near = re.search(r"^icount 700000000 of \d+ recorded; \d+ snapshots .*\((\d+) instructions back\)", outs["stored"],
                     re.M)
    t.check(near is not None and int(near.group(1)) <= 50_000_000,
            f"a seek far in lands within one interval of a stored snapshot ({near.group(1) if near else None})",
            outs["stored"])
    t.expect_in_order(outs["stored"], [r"^STATE ", r"^STATE ", r"Breakpoint 1, exit_emulator", r"^STATE ", r"^STATE ",
                                       r"Breakpoint 2, .*printf", r"^STATE ", r"Breakpoint 2, .*printf", r"^STATE "],
                      "seek, reverse-stepi, reverse-continue with stored snapshots")
    states = {name: re.findall(r"^STATE .*$", out, re.M) for name, out in outs.items()}
    t.check(len(states["stored"]) == 6 and states["stored"] == states["plain"],
            f"the same registers with and without stored snapshots ({states})", outs["stored"] + outs["plain"])
    # Live: `rewind record --snapshots --gdb` travelling back and forth (seeks leave snapshots
    # in the past; the file's chain takes only those at the frontier), then the file replays
    # from its snapshots to the recorded end with every digest checked.
    with tempfile.TemporaryDirectory() as tmp:
        live = os.path.join(tmp, "live.rwr")
        r = Rewind(REWIND, elf, command="record", extra=["-o", live, "--snapshots", "--snapshot-interval", "20000000"])
        gdb_until_exit(r, elf, ["break printf", "continue", "continue", "continue", "reverse-continue", "reverse-stepi",
                                "monitor seek 100000000", "monitor seek 5000000", "delete", "continue"], 1)
        replay = subprocess.run([REWIND, "replay", live, "--stats", "--serial", os.devnull], capture_output=True,
                                text=True, timeout=60)
        t.check(replay.returncode == 1 and "diverged" not in replay.stderr and "warning" not in replay.stderr,
                f"the live recording replays from its snapshots (exit {replay.returncode})", replay.stderr)
        loaded = re.search(r"(\d+) loaded from the recording", replay.stderr)
        t.check(loaded is not None and int(loaded.group(1)) >= 20, "with its stored snapshots", replay.stderr)
        # A trimmed window of it under gdb: its history starts at the window's start.
        window = os.path.join(tmp, "window.rwr")
        trim = subprocess.run([REWIND, "trim", live, "--from", "300000000", "--to", "600000000", "-o", window],
                              capture_output=True, text=True, timeout=60)
        t.check(trim.returncode == 0, f"rewind trim exits 0 (got {trim.returncode})", trim.stderr)
        out = gdb_until_exit(Rewind(REWIND, elf, replay=window), elf, [
            "monitor when", "reverse-stepi", "stepi", "monitor when", "reverse-continue", "monitor when",
            "monitor seek 100", "monitor seek 400000000", "maintenance flush register-cache", "continue",
            "monitor when", "continue"], 30)
        t.expect_in_order(out, [
            r"^icount 300000000 of 600000000 recorded",
            r"No more reverse-execution history",
            r"^icount 300000001 of 600000000 recorded",
            r"No more reverse-execution history",
            r"^icount 300000000 of 600000000 recorded",
            r"^icount 100 is before the start of the recorded history \(300000000: a trimmed window\)",
            r"^now at icount 400000000",
            r"^rewind: the guest reached the end of the trimmed window \(600000000 instructions; exit status 30\)",
            r"^icount 600000000 of 600000000 recorded",
        ], "a trimmed window under gdb")


def gdb_commands_io():
    """The gdb script over a disk guest's recording: `rewind events` lists the completions with
    their requests, `rewind goto event N` lands on event N's boundary with gdb's view refreshed,
    and `monitor catch io` from there stops at the next boundary's first event (event N+1, or
    later when N+1 was delivered with N); an event that does not exist is said."""
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "stub", "gdb", "rewind.py")
    pc = 'printf "PC %#lx\\n", $pc'
    with tempfile.TemporaryDirectory() as tmp:
        elf, recording, args = disk_guest(tmp)
        rec = subprocess.run([REWIND, "record", elf, "--append", "irq=1 chunk=8", *args], capture_output=True,
                             text=True, timeout=60)
        t.check(rec.returncode == 1, f"the disk guest is recorded (status {rec.returncode})", rec.stderr)
        # Where the first events are depends on the host's timing when recorded: the file says.
        info = subprocess.run([REWIND, "info", recording, "--events", "--json", "--to", "100000000"],
                              capture_output=True, text=True, timeout=30)
        events = json.loads(info.stdout)["events"]
        third = events[2]["icount"]
        # catch io stops at the next boundary: events delivered with event 3 are behind.
        following = next(e["number"] for e in events if e["icount"] > third)
        out = gdb_until_exit(Rewind(REWIND, elf, replay=recording), elf, [
            f"source {script}", pc,
            f"rewind events 0 {third}", "rewind goto event 3", pc, "rewind when",
            "monitor catch io on", "continue", "monitor catch io off",
            "rewind goto event 999999", "continue", "continue",
        ], 1)
    t.expect_in_order(out, [
        r"^PC (0x[0-9a-f]+)",
        r"^\d+ events journaled; now at icount 0",
        r"^#1 +icount (\d+) +disk completion +\S+ master +READ +LBA 0 x8 (ok|failed \(I/O error\))  started \d+ \(\+\d+\)",
        r"^#3 +icount (\d+) +disk completion",
        r"^now at icount (\d+)",
        r"^PC (0x[0-9a-f]+)",
        r"^icount (\d+) of \d+ recorded",
        rf"^rewind: disk completion {following} of \d+: ",
        r"^there is no event 999999: \d+ journaled",
        r"exited with code 01",
    ], "rewind's gdb commands over disk I/O")
    third = re.search(r"^#3 +icount (\d+)", out, re.M)
    when = re.search(r"^icount (\d+) of \d+ recorded", out, re.M)
    t.check(bool(third and when) and third.group(1) == when.group(1),
            "`rewind goto event 3` lands on event 3's boundary", out)
    pcs = re.findall(r"^PC (0x[0-9a-f]+)", out, re.M)
    t.check(len(pcs) == 2 and pcs[0] != pcs[1], f"and gdb reads the registers there ({pcs})", out)


SCENARIOS = {f.__name__: f for f in [inspect, breakpoints, stepping, watchpoints, exit_code, exceptions,
                                     catch_exceptions, interrupt, reconnect, detach, attach_running, monitor,
                                     protocol_clean, reverse, reverse_watch, reverse_watch_sw,
                                     reverse_watch_rep_fault, reverse_watch_interrupt,
                                     reverse_snapshots, reverse_interrupt, live_reverse_interrupt,
                                     reverse_snapshots, reverse_interrupt, live_reverse_interrupt,
                                     live_reverse_steps, live_reverse, live_no_record, live_writes,
                                     live_disk_record, monitor_seek, gdb_commands, catch_io, live_catch_io,
                                     catch_io_serial, stored_snapshots,
                                     gdb_commands_io]}
SCENARIOS[SCENARIO]()
t.finish()
