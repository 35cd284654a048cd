#!/usr/bin/env python3
"""gdb and SSE: float and double return values, the xmm registers and MXCSR, forwards and
backwards, on the guest guest/tests/sse_debug (built -O0 -g with SSE).

Usage: sse.py REWIND GUEST_DIR BITS            gdb against `rewind run/record --gdb`
       sse.py --qemu QEMU GUEST_DIR 64         the forward part against QEMU's gdbstub

64-bit, `finish`: out of a float and a double function gdb prints the value returned in
xmm0; reverse-step back into the function and finish again; reverse-finish back to the call
and step in and finish once more; reverse-next over a line with a call (its assignment
undone), reverse-continue to an earlier line and forward again. (32-bit SSE guests return
float and double in xmm0 too, -msseregparm, but gdb expects them in st0 there, so there
is no `finish` test at 32 bits.)

Both widths, registers: at `xmm_ready` every xmm register holds a known pattern: `info
vector` lists xmm0-15 (64-bit) or xmm0-7 (32-bit, where $xmm8 does not exist) with them and
MXCSR; `p $xmm0`, `p $xmm1.v2_double[0]`, `p/x $mxcsr`; `set var $xmm2.v4_int32[1] = 7` at
the frontier is what the guest then stores and prints, and is kept in the recording (the
replay without gdb prints it too); after reverse-stepi the same write is refused.

Both widths, backwards over lazy SSE switching: a recording of sse_tasks (timer-preempted
tasks, CR0.TS, #NM, FXSAVE/FXRSTOR) replayed with frequent snapshots; the registers at a
breakpoint are the same after going on and coming back with reverse-continue.

The forward expectations were checked against QEMU 7.2's gdbstub (--qemu: `p` of the xmm
registers and MXCSR, the write seen by the guest). With QEMU's target description gdb 13
has no vector group (`info vector`: "No vector information") and hits an internal error
reading a returned float (regcache read_part), so `info vector` and `finish` were checked
against gdb's native target on the same functions built for the host (the same "Value
returned is $1 = 7.5", "0.30000000000000004", "4.25")."""
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gdbtest import (EXIT_1, Checker, Rewind, check_exit_1, check_replay, finish_commands,  # noqa: E402
                     free_port, gdb_session, run_gdb, source_lines)

ARGS = sys.argv[1:]
QEMU = None
if ARGS[0] == "--qemu":
    QEMU, ARGS = ARGS[1], [None] + ARGS[2:]
REWIND, GUEST_DIR, BITS = ARGS
ELF = os.path.join(GUEST_DIR, f"sse_debug{BITS}.elf")
SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "guest", "tests", "sse_debug",
                      "sse_debug.c")
SRC = r"sse_debug\.c"
t = Checker(f"gdb.sse{'.qemu' if QEMU else ''}.{BITS}")

line_of = source_lines(SOURCE)
SCALE_BODY = line_of("float r = x * k;")
SCALE_END = line_of("}", SCALE_BODY)
SUM_BODY = line_of("double s = a + b;")
SUM_END = line_of("}", SUM_BODY)
POLY_BODY = line_of("double y = 3.0 * x * x")
CALL_SCALE = line_of("g_scaled = scale(2.5f, 3.0f);")
CALL_SUM = line_of("g_sum = sum(0.1, 0.2);")
CALL_POLY = line_of("g_poly = poly(1.5);")
PRINT = line_of('printf("scale %08x')
RESULTS = "scale 40f00000 sum 3fd3333333333334 poly 4011000000000000\n"

# The patterns load_vectors puts in xmm0-15 (uint128, as gdb prints it in hex).
PATTERNS = ["4e6e6b283e800000c00000003fc00000", "bfe80000000000004004000000000000"]
for i in range(2, 15):
    base = i * 0x11111111
    PATTERNS.append("".join(f"{(base + lane) & 0xFFFFFFFF:08x}" for lane in (3, 2, 1, 0)))
PATTERNS.append("0000000200000001" + "00000000ffffffff")
PATTERNS = [p.lstrip("0") or "0" for p in PATTERNS]
NXMM = 16 if BITS == "64" else 8
XMM2_AFTER = "xmm2 after xmm_ready: 22222222 00000007 22222224 22222225\n"


def finish_and_reverse():
    """64-bit: finish out of float and double functions, back in and out again."""
    r = Rewind(REWIND, ELF)
    # $1, $2: the float returned in xmm0 (again after reverse-step); $3: g_scaled not assigned
    # yet at the call; $4; then $5: a double, $6, $7, $8.
    cmds = finish_commands("scale", ["g_scaled"], again=True) + finish_commands("sum", ["g_sum", "g_scaled"])
    cmds += [f"break {SRC_FILE}:{PRINT}", f"break {SRC_FILE}:{CALL_SUM}",
             "continue",                            # to the printf line
             "reverse-next",                        # back over g_poly = poly(1.5)
             "p g_poly", "p g_sum",                 # $9, $10
             "reverse-continue",                    # to the start of the g_sum line
             "p g_sum", "p g_scaled",               # $11, $12
             "next", "p g_sum",                     # $13
             "next", "p g_poly",                    # $14
             "break poly", "reverse-continue",      # back into poly
             "finish",                              # $15
             "delete", "continue", "continue"]      # the end stop, then the exit
    out, status = gdb_session(r, ELF, cmds, timeout=90)
    t.expect_in_order(out, [
        rf"Breakpoint 1, scale \(x=2\.5, k=3\) at .*{SRC}:{SCALE_BODY}",
        rf"^0x[0-9a-f]+ in kmain \(.*\) at .*{SRC}:{CALL_SCALE}$",
        r"^Value returned is \$1 = 7\.5$",
        rf"^scale \(x=2\.5, k=3\) at .*{SRC}:{SCALE_END}$",
        rf"^0x[0-9a-f]+ in kmain \(.*\) at .*{SRC}:{CALL_SCALE}$", r"^Value returned is \$2 = 7\.5$",
        rf"^scale \(x=2\.5, k=3\) at .*{SRC}:{SCALE_END}$",
        rf"^0x[0-9a-f]+ in kmain \(.*\) at .*{SRC}:{CALL_SCALE}$",
        r"^\$3 = 0$",
        rf"^scale \(x=2\.5, k=3\) at .*{SRC}:{SCALE_BODY}$",
        r"^Value returned is \$4 = 7\.5$",
        rf"Breakpoint 2, sum \(a=0\.10000000000000001, b=0\.20000000000000001\) at .*{SRC}:{SUM_BODY}",
        rf"^0x[0-9a-f]+ in kmain \(.*\) at .*{SRC}:{CALL_SUM}$", r"^Value returned is \$5 = 0\.30000000000000004$",
        rf"^sum \(a=0\.10000000000000001, b=0\.20000000000000001\) at .*{SRC}:{SUM_END}$",
        rf"^0x[0-9a-f]+ in kmain \(.*\) at .*{SRC}:{CALL_SUM}$",
        r"^\$6 = 0$", r"^\$7 = 7\.5$",
        rf"^sum \(a=0\.10000000000000001, b=0\.20000000000000001\) at .*{SRC}:{SUM_BODY}$",
        r"^Value returned is \$8 = 0\.30000000000000004$",
        rf"Breakpoint 3, kmain \(.*\) at .*{SRC}:{PRINT}",
        rf"^{CALL_POLY}\s+g_poly = poly\(1\.5\);",
        r"^\$9 = 0$", r"^\$10 = 0\.30000000000000004$",
        rf"Breakpoint 4, kmain \(.*\) at .*{SRC}:{CALL_SUM}",
        r"^\$11 = 0$", r"^\$12 = 7\.5$",
        rf"^{CALL_POLY}\s+g_poly = poly\(1\.5\);", r"^\$13 = 0\.30000000000000004$",
        rf"^{PRINT}\s+printf", r"^\$14 = 4\.25$",
        rf"Breakpoint 5, poly \(x=1\.5\) at .*{SRC}:{POLY_BODY}",
        r"^Value returned is \$15 = 4\.25$",
    ] + EXIT_1, "finish, reverse-finish, reverse-step, reverse-next over float and double functions")
    # finish stops at the return address, reverse-finish at the call (5 bytes before it).
    stops = [int(a, 16) for a in re.findall(rf"^(0x[0-9a-f]+) in kmain \(.*\) at .*{SRC}:{CALL_SCALE}$", out, re.M)]
    if t.check(len(stops) >= 4, f"four stops in kmain at line {CALL_SCALE} (got {len(stops)})", out):
        t.check(stops[0] == stops[1] == stops[3] and stops[2] == stops[0] - 5,
                f"finish returns to the return address, reverse-finish to the call ({[hex(a) for a in stops]})", out)
    t.check(r.stdout.count(RESULTS) == 1, "the guest printed its results once", r.stdout)
    check_exit_1(t, r, status)


def register_commands():
    cmds = ["break *xmm_ready", "continue",
            "info vector",
            "p $xmm0", "p $xmm1.v2_double[0]", "p $xmm1.v2_double", "p/x $mxcsr", "p $mxcsr"]
    if BITS == "64":
        cmds += ["p/x $xmm15.v4_int32", "p $xmm8.v2_int64[1]"]
    else:
        cmds += ["p $xmm8", "info registers xmm8", "p/x $xmm7.v4_int32"]
    cmds += ["set var $xmm2.v4_int32[1] = 7", "p/x $xmm2.v4_int32"]
    return cmds


def check_registers(out, what):
    """What gdb prints for register_commands()."""
    t.expect_in_order(out, [
        r"Breakpoint 1, 0x[0-9a-f]+ in load_vectors \(\)",
        r"^\$1 = \{v4_float = \{1\.5, -2, 0\.25, 1e\+09\}, .*uint128 = 104253109731959173552613296247377231872\}$",
        r"^\$2 = 2\.5$", r"^\$3 = \{2\.5, -0\.75\}$",
        r"^\$4 = 0x5f84$", r"^\$5 = \[ ZE IM DM ZM OM UM PM \]$",
    ] + ([r"^\$6 = \{0xffffffff, 0x0, 0x1, 0x2\}$", r"^\$7 = -8608480554846222198$"] if BITS == "64" else
         [r"^\$6 = void$", r"^Invalid register `xmm8'$", r"^\$7 = \{0x77777777, 0x77777778, 0x77777779, 0x7777777a\}$"])
        + [r"^\$8 = \{0x22222222, 0x7, 0x22222224, 0x22222225\}$"], what)


def check_info_vector(out, what):
    for i in range(16):
        m = re.search(rf"^xmm{i}\s+\{{.*uint128 = 0x([0-9a-f]+)\}}$", out, re.M)
        if i < NXMM:
            if t.check(m is not None, f"{what}: info vector lists xmm{i}", out):
                t.check(m.group(1) == PATTERNS[i], f"{what}: xmm{i} is 0x{PATTERNS[i]} (got 0x{m.group(1)})", out)
        else:
            t.check(m is None, f"{what}: info vector has no xmm{i} at {BITS} bits", out)
    t.check(re.search(r"^mxcsr\s+0x5f84\s+\[ ZE IM DM ZM OM UM PM \]$", out, re.M) is not None,
            f"{what}: info vector lists mxcsr 0x5f84 with its flags", out)
    m = re.search(r"^xmm1\s+\{v4_float = .*v2_double = \{0x4004000000000000, 0xbfe8000000000000\}", out, re.M)
    t.check(m is not None, f"{what}: xmm1's doubles in hex", out)


def registers_and_writes():
    """At xmm_ready: the registers, a write at the frontier the guest sees and the recording
    keeps, the same write refused in the past."""
    with tempfile.TemporaryDirectory() as tmp:
        recording = os.path.join(tmp, "sse.rwr")
        r = Rewind(REWIND, ELF, command="record", extra=["-o", recording])
        out, status = gdb_session(r, ELF, register_commands() + [
            "reverse-stepi", "p/x $xmm2.v4_int32",   # $9: before the write (and the load)
            "set var $xmm2.v4_int32[1] = 9",        # refused: the past
            "p/x $xmm2.v4_int32",                   # $10: unchanged
            "stepi", "p/x $xmm2.v4_int32",          # $11: at the frontier again, the write made again
            "delete", "continue", "continue",
        ], timeout=60)
        check_registers(out, "registers")
        check_info_vector(out, "registers")
        t.expect_in_order(out, [
            r"^\$8 = \{0x22222222, 0x7, 0x22222224, 0x22222225\}$",
            r"^\$9 = \{0x22222222, 0x22222223, 0x22222224, 0x22222225\}$",
            r'^Could not write register "xmm2"; remote failure reply',
            r"^\$10 = \{0x22222222, 0x22222223, 0x22222224, 0x22222225\}$",
            r"Breakpoint 1, 0x[0-9a-f]+ in load_vectors \(\)",
            r"^\$11 = \{0x22222222, 0x7, 0x22222224, 0x22222225\}$",
        ] + EXIT_1, "a write to xmm2 at the frontier, refused in the past")
        t.check(XMM2_AFTER in r.stdout, "the guest stored xmm2 as gdb wrote it", r.stdout)
        check_replay(t, REWIND, recording, r, status)


def reverse_lazy_switching():
    """The recording of sse_tasks (tasks preempted by the timer, SSE state switched lazily
    with CR0.TS, #NM, FXSAVE and FXRSTOR), replayed with snapshots every 300000 instructions:
    the xmm registers and MXCSR at the 6th call of spin_loop, then after going on and coming
    back to that call with reverse-continue (from a snapshot, re-executing the switches), are
    the same; the replay without gdb prints what the guest printed."""
    elf = os.path.join(GUEST_DIR, f"sse_tasks{BITS}.elf")
    expected_file = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "guests",
                                 f"sse_tasks{BITS}.expected")
    with open(expected_file) as f:
        expected = f.read()
    regs = ["p/x $xmm0.v2_int64[0]", "p/x $xmm3.uint128", "p/x $xmm5.uint128", "p/x $xmm7.uint128", "p/x $mxcsr"]
    if BITS == "64":
        regs += ["p/x $xmm15.uint128"]
    state = ["echo <<<\\n", "bt 2"] + regs + ["monitor when", "echo >>>\\n"]
    with tempfile.TemporaryDirectory() as tmp:
        recording = os.path.join(tmp, "tasks.rwr")
        rec = subprocess.run([REWIND, "record", elf, "-o", recording], capture_output=True, text=True, timeout=60)
        t.check(rec.returncode == 1 and rec.stdout == expected,
                f"rewind record of sse_tasks{BITS} prints the expected output (status {rec.returncode})",
                rec.stdout + rec.stderr)
        rep = subprocess.run([REWIND, "replay", recording], capture_output=True, text=True, timeout=60)
        t.check(rep.returncode == 1 and rep.stdout == expected,
                f"its replay prints it again (status {rep.returncode})", rep.stdout + rep.stderr)
        r = Rewind(REWIND, elf, replay=recording, extra=["--snapshot-interval", "300000"])
        out = gdb_until_exit(r, elf, ["break spin_loop"] + ["continue"] * 6 + state + ["continue"] * 3 +
                             ["reverse-continue"] * 3 + state + ["delete", "continue", "continue"], 1)
    blocks = re.findall(r"^<<<\n(.*?)^>>>$", out, re.M | re.S)
    if t.check(len(blocks) == 2, f"two register dumps (got {len(blocks)})", out):
        a, b = (re.sub(r"^\$\d+ = ", "", blk, flags=re.M).replace("\n", " | ") for blk in blocks)
        a = re.sub(r"\d+ snapshots.*", "", a)
        b = re.sub(r"\d+ snapshots.*", "", b)
        t.check(a == b, f"the same registers after reverse-continue\n  forward:  {a}\n  backward: {b}", out)
        t.check("in spin_task" in a and "icount" in a, "the dumps are at spin_loop, with an icount", out)
    t.expect_in_order(out, EXIT_1, "the replay's end")


def gdb_until_exit(r, elf, commands, status):
    out, got = gdb_session(r, elf, commands, timeout=90)
    t.check(got == status, f"rewind exits {status} (got {got})", "\n".join(r.stderr_lines))
    return out


def qemu_forward():
    """The forward part against QEMU's gdbstub (the 64-bit guest's ELF32 copy boots there)."""
    port = free_port()
    qemu_elf = ELF[:-len(".elf")] + ".qemu.elf"
    with tempfile.TemporaryDirectory() as tmp:
        serial = os.path.join(tmp, "serial.txt")
        q = subprocess.Popen([QEMU, "-kernel", qemu_elf, "-display", "none", "-monitor", "none",
                              "-serial", f"file:{serial}", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
                              "-no-reboot", "-m", "128", "-cpu", "max", "-gdb", f"tcp:127.0.0.1:{port}", "-S"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(100):  # until QEMU listens
                with socket.socket() as s:
                    if s.connect_ex(("127.0.0.1", port)) == 0:
                        break
                time.sleep(0.1)
            out = run_gdb(ELF, port, register_commands() + ["delete", "continue"], timeout=60)
            q.wait(30)
        finally:
            if q.poll() is None:
                q.kill()
                q.wait()
        with open(serial) as f:
            guest_out = f.read()
    check_registers(out, "QEMU's gdbstub")
    t.check(XMM2_AFTER in guest_out, "the guest stored xmm2 as gdb wrote it (QEMU)", guest_out)


SRC_FILE = "sse_debug.c"
if QEMU:
    qemu_forward()
else:
    if BITS == "64":
        finish_and_reverse()
    registers_and_writes()
    reverse_lazy_switching()
t.finish()
