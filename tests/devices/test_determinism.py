#!/usr/bin/env python3
"""Timer, clock and serial input are deterministic: the same guest run twice prints the
same output and retires the same number of instructions (rewind --stats), even with
serial input and different host RTC base times only where the guest cannot see them.
A guest idling in HLT for a minute of guest time finishes (HLT skips ahead, no spinning).
Usage: test_determinism.py REWIND GUEST_DIR GUEST_TEST_DIR"""
import os
import re
import subprocess
import sys
import tempfile
import threading
import time

rewind, guest_dir, test_dir = sys.argv[1:4]
failures = 0


def run(guest, *extra, stdin=subprocess.DEVNULL):
    cmd = [rewind, "run", f"{guest_dir}/{guest}.elf", "--stats", *extra]
    start = time.monotonic()
    p = subprocess.run(cmd, stdin=stdin, capture_output=True, timeout=60)
    wall = time.monotonic() - start
    m = re.search(rb"instructions retired: (\d+)", p.stderr)
    return p.returncode, p.stdout, int(m.group(1)) if m else None, wall


def check(ok, what):
    global failures
    print(("ok   " if ok else "FAIL ") + what)
    failures += not ok


for guest in ["timer32", "timer64", "pic32", "rtc64", "time_exact32", "apic32", "apic_exact32", "mptable32"]:
    a, b = run(guest), run(guest)
    check(a[0] == b[0] == 1 and a[1] == b[1] and a[2] == b[2] and a[2] is not None,
          f"{guest}: twice the same: status {a[0]}/{b[0]}, {a[2]}/{b[2]} instructions")

# Serial input arriving at host-timed poll boundaries: the output does not depend on
# when the bytes came, through stdin or through --serial-in FILE (a FIFO here). Input
# is written once the guest says "ready": before its UART initialization resets the
# FIFO, bytes would be lost (on QEMU as on hardware).
def echo(use_stdin):
    with open(f"{test_dir}/serial_echo.stdin", "rb") as f:
        data = f.read()
    with tempfile.TemporaryDirectory() as tmp:
        fifo = os.path.join(tmp, "in")
        os.mkfifo(fifo)
        extra = [] if use_stdin else ["--serial-in", fifo]
        ready = threading.Event()

        def feed(write_end):
            ready.wait(30)
            try:
                write_end.write(data)
                write_end.close()
            except OSError:
                pass

        p = subprocess.Popen([rewind, "run", f"{guest_dir}/serial_echo32.elf", *extra],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        # Opening a FIFO blocks until both ends are open: rewind opens it before the guest starts.
        writer = threading.Thread(target=feed, args=(p.stdin if use_stdin else open(fifo, "wb"),), daemon=True)
        writer.start()
        first = p.stdout.readline()
        ready.set()
        rest = p.stdout.read()
        p.wait(30)
        return first + rest


with open(f"{test_dir}/serial_echo.expected", "rb") as f:
    expected = f.read()
check(echo(True) == echo(False) == expected, "serial_echo32: same output from stdin and from --serial-in FILE")
c = run("serial_echo32", "--serial-in", "none", "--max-instructions", "50000000")
check(c[0] != 1 and c[1] == b"ready\n", f"serial_echo32 --serial-in none: waits for input (status {c[0]})")

# A minute of guest time in HLT, timer ticks at 100 Hz: HLT skips to the next timer event
# (60e9 instructions of guest time; spinning through them would hit run()'s hang guard).
status, out, icount, wall = run("timer32", "--append", "sleep=60")
check(status == 1 and out.endswith(b"slept 6000 ticks\n") and icount and icount > 60e9,
      f"timer32 sleep=60: {icount} instructions in {wall:.2f} s of host time")

print(f"{failures} failed")
sys.exit(1 if failures else 0)
