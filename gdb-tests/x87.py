#!/usr/bin/env python3
"""gdb and the x87: long double (and, in 32-bit code, double) return values in st0, the x87
registers and status, forwards and backwards, on the guest guest/tests/x87_debug (built -O0 -g
with X87).

Usage: x87.py REWIND GUEST_DIR BITS

Both widths, `finish`: out of a function returning long double gdb prints the value returned
in st0 (1/3 to 21 digits); reverse-step back into the function and finish again; reverse-finish
back to the call (the global not assigned yet), step in and finish once more; the same for a
sum of two long doubles and, at 32 bits, a function returning double (the i386 ABI returns it
in st0 too).

Both widths, registers: at `x87_ready` the guest has FNINIT, FLDCW 0x77F (round down) and
pushed 1, 0, +inf, -2.5 and 1/3 (rounded down, raising PE): `info float` lists R7-R0 with
their tags (Valid, Zero, Special, Empty), contents and values, the status word 0x1820 (PE,
TOP 3), the control word 0x077f (round down, extended precision) and the tag word 0x183f;
`p $st0`..`p $st3`, `p/x $fctrl`, `p/x $fstat`, `p/x $ftag` and `info registers st0`.
`set var $st0 = 1.5` at the frontier is what the guest then stores and prints, and is kept in
the recording (the replay without gdb prints it too); after reverse-stepi the same write is
refused, and stepi back to the frontier shows the write again.

The expectations were checked against gdb's native target on the host running the same
instructions (AMD EPYC; the same `info float` lines but the instruction and operand pointers
and the opcode, which are vendor-dependent when no exception is pending and are not checked,
and the same "Value returned is $1 = 0.333333333333333333342"). QEMU 7.2's gdbstub is no
reference here: it sends the physical registers for st0-st7, a zero tag word and pointers, and
ignores writes to st0."""
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gdbtest import (EXIT_1, Checker, Rewind, check_exit_1, check_replay, finish_commands,  # noqa: E402
                     gdb_session, source_lines)

REWIND, GUEST_DIR, BITS = sys.argv[1:4]
ELF = os.path.join(GUEST_DIR, f"x87_debug{BITS}.elf")
SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "guest", "tests", "x87_debug", "x87_debug.c")
SRC = r"x87_debug\.c"
t = Checker(f"gdb.x87.{BITS}")

line_of = source_lines(SOURCE)
THIRD_BODY = line_of("long double r = x / 3;")
THIRD_END = line_of("}", THIRD_BODY)
SUM_BODY = line_of("long double s = a + b;")
SUM_END = line_of("}", SUM_BODY)
HALF_BODY = line_of("double h = x / 2;")
CALL_THIRD = line_of("g_third = third(1.0L);")
CALL_SUM = line_of("g_sum = lsum(g_third, 2.0L);")
CALL_HALF = line_of("g_half = half(5.0);")
THIRD = "0\\.333333333333333333342"  # 1/3 rounded to nearest in 64 bits
SUM = "2\\.33333333333333333326"      # 1/3 + 2
RESULTS = "third 3ffd:aaaaaaaaaaaaaaab\nsum 4000:9555555555555555\n"
ST0_WRITTEN = "st0 after x87_ready: 3fff:c000000000000000\n"  # 1.5
ST0_UNWRITTEN = "st0 after x87_ready: 3ffd:aaaaaaaaaaaaaaaa\n"  # 1/3 rounded down


def finish_and_reverse():
    # $1, $2: the long double returned in st0 (again after reverse-step); $3: g_third not
    # assigned yet at the call; $4; then $5: the sum, $6, $7, $8.
    cmds = finish_commands("third", ["g_third"], again=True) + finish_commands("lsum", ["g_sum", "g_third"])
    if BITS == "32":
        cmds += finish_commands("half", ["g_half"])  # $9: a double returned in st0, $10, $11
    cmds += ["delete", "continue", "continue"]     # the end stop, then the exit
    r = Rewind(REWIND, ELF)
    out, status = gdb_session(r, ELF, cmds, timeout=90)
    expected = [
        rf"Breakpoint 1, third \(x=1\) at .*{SRC}:{THIRD_BODY}",
        rf"^(?:0x[0-9a-f]+ in )?kmain \(.*\) at .*{SRC}:{CALL_THIRD}$",
        rf"^Value returned is \$1 = {THIRD}$",
        rf"^third \(x=1\) at .*{SRC}:{THIRD_END}$",
        rf"^Value returned is \$2 = {THIRD}$",
        rf"^third \(x=1\) at .*{SRC}:{THIRD_END}$",
        rf"^(?:0x[0-9a-f]+ in )?kmain \(.*\) at .*{SRC}:{CALL_THIRD}$",
        r"^\$3 = 0$",
        rf"^third \(x=1\) at .*{SRC}:{THIRD_BODY}$",
        rf"^Value returned is \$4 = {THIRD}$",
        rf"Breakpoint 2, lsum \(a={THIRD}, b=2\) at .*{SRC}:{SUM_BODY}",
        rf"^(?:0x[0-9a-f]+ in )?kmain \(.*\) at .*{SRC}:{CALL_SUM}$",
        rf"^Value returned is \$5 = {SUM}$",
        rf"^lsum \(a={THIRD}, b=2\) at .*{SRC}:{SUM_END}$",
        rf"^(?:0x[0-9a-f]+ in )?kmain \(.*\) at .*{SRC}:{CALL_SUM}$",
        r"^\$6 = 0$", rf"^\$7 = {THIRD}$",
        rf"^lsum \(a={THIRD}, b=2\) at .*{SRC}:{SUM_BODY}$",
        rf"^Value returned is \$8 = {SUM}$",
    ]
    if BITS == "32":
        expected += [
            rf"Breakpoint 3, half \(x=5\) at .*{SRC}:{HALF_BODY}",
            r"^Value returned is \$9 = 2\.5$",
            rf"^(?:0x[0-9a-f]+ in )?kmain \(.*\) at .*{SRC}:{CALL_HALF}$",
            r"^\$10 = 0$",
            rf"^half \(x=5\) at .*{SRC}:{HALF_BODY}$",
            r"^Value returned is \$11 = 2\.5$",
        ]
    expected += EXIT_1
    t.expect_in_order(out, expected, "finish and reverse-finish out of functions returning long double"
                      + (" and double" if BITS == "32" else "") + " in st0")
    # finish stops at the return address, reverse-finish at the call (gdb prints the address
    # when it is not where a line starts: at 32 bits the return address starts a line).
    stops = [a and int(a, 16) for a in re.findall(rf"^(?:(0x[0-9a-f]+) in )?kmain \(.*\) at .*{SRC}:{CALL_THIRD}$", out, re.M)]
    if t.check(len(stops) >= 4, f"four stops in kmain at line {CALL_THIRD} (got {len(stops)})", out):
        if BITS == "64":
            t.check(stops[0] == stops[1] == stops[3] and stops[2] == stops[0] - 5,
                    f"finish returns to the return address, reverse-finish to the call ({stops})", out)
        else:
            t.check(stops[0] == stops[1] == stops[3] == "" and stops[2] != "",
                    f"finish returns to the start of a line, reverse-finish to the call inside it ({stops})", out)
    t.check(r.stdout.startswith(RESULTS), "the guest printed its results", r.stdout)
    check_exit_1(t, r, status)


INFO_FLOAT = [
    r"^  R7: Valid   0x3fff8000000000000000 \+1\s*$",
    r"^  R6: Zero    0x00000000000000000000 \+0\s*$",
    r"^  R5: Special 0x7fff8000000000000000 \+Inf\s*$",
    r"^  R4: Valid   0xc000a000000000000000 -2\.5\s*$",
    r"^=>R3: Valid   0x3ffdaaaaaaaaaaaaaaaa \+0\.3333333333333333333\s*$",
    r"^  R2: Empty   0x4000c000000000000000\s*$",
    r"^  R1: Empty   0x[0-9a-f]{20}\s*$",
    r"^  R0: Empty   0x[0-9a-f]{20}\s*$",
    r"^Status Word:         0x1820                  PE\s*$",
    r"^                       TOP: 3$",
    r"^Control Word:        0x077f   IM DM ZM OM UM PM$",
    r"^                       PC: Extended Precision \(64-bits\)$",
    r"^                       RC: Round down$",
    r"^Tag Word:            0x183f$",
    r"^Instruction Pointer: 0x[0-9a-f]+:0x[0-9a-f]+$",
    r"^Operand Pointer:     0x[0-9a-f]+:0x[0-9a-f]+$",
    r"^Opcode:              0x[0-9a-f]+$",
]


def registers_and_writes():
    """At x87_ready: the registers, a write to st0 at the frontier the guest sees and the
    recording keeps, the same write refused in the past."""
    with tempfile.TemporaryDirectory() as tmp:
        recording = os.path.join(tmp, "x87.rwr")
        r = Rewind(REWIND, ELF, command="record", extra=["-o", recording])
        out, status = gdb_session(r, ELF, [
            "break *x87_ready", "continue",
            "info float",
            "p $st0", "p $st1", "p $st2", "p $st3",    # $1-$4
            "p/x $fctrl", "p/x $fstat", "p/x $ftag",   # $5-$7
            "p $fstat",                                # $8
            "info registers st0",
            "set var $st0 = 1.5", "p $st0",            # $9
            "p $st1", "p/x $ftag",                     # $10, $11: nothing else changed
            "reverse-stepi", "p $st0", "p $st1",       # $12, $13: before FDIVRP: 3, 1
            "set var $st0 = 2",                        # refused: the past
            "p $st0",                                  # $14: unchanged
            "stepi", "p $st0",                         # $15: at the frontier again, the write made again
            "delete", "continue", "continue",
        ], timeout=60)
        t.expect_in_order(out, [r"Breakpoint 1, 0x[0-9a-f]+ in load_stack \(\)"] + INFO_FLOAT + [
            r"^\$1 = 0\.333333333333333333315$", r"^\$2 = -2\.5$", r"^\$3 = inf$", r"^\$4 = 0$",
            r"^\$5 = 0x77f$", r"^\$6 = 0x1820$", r"^\$7 = 0x183f$", r"^\$8 = 6176$",
            r"^st0\s+0\.333333333333333333315 \(raw 0x3ffdaaaaaaaaaaaaaaaa\)$",
            r"^\$9 = 1\.5$", r"^\$10 = -2\.5$", r"^\$11 = 0x183f$",
            r"^\$12 = 3$", r"^\$13 = 1$",
            r'^Could not write register "st0"; remote failure reply',
            r"^\$14 = 3$",
            r"Breakpoint 1, 0x[0-9a-f]+ in load_stack \(\)",
            r"^\$15 = 1\.5$",
        ] + EXIT_1, "info float and the x87 registers at x87_ready; a write to st0 at the frontier, refused in the past")
        t.check(ST0_WRITTEN in r.stdout, "the guest stored st0 as gdb wrote it", r.stdout)
        check_replay(t, REWIND, recording, r, status)
    # Without gdb the guest stores 1/3 rounded down.
    run = subprocess.run([REWIND, "run", ELF], capture_output=True, text=True, timeout=60)
    t.check(run.returncode == 1 and run.stdout == RESULTS + ST0_UNWRITTEN,
            f"without gdb the guest prints its own st0 (status {run.returncode})", run.stdout + run.stderr)


finish_and_reverse()
registers_and_writes()
t.finish()
