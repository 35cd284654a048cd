#!/usr/bin/env python3
"""The demo's gdb session (guest/examples/crash_demo/find_lost_records.py) on a recording of
a crashing run of the crash demo: it must find the (latest) nested completion handler that
lost a chunk of records, a chunk missing from the index being the one that handler copied. A
replay is used so that the crash is certain; the demo runs the same script live.

Usage: crash_demo.py REWIND GUEST_DIR DISK_DIR SOURCE_DIR"""
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gdbtest import Checker, Rewind  # noqa: E402

REWIND, GUEST_DIR, DISK_DIR, SOURCE_DIR = sys.argv[1:5]
ELF = os.path.join(GUEST_DIR, "crash_demo.elf")
RECORDS = os.path.join(DISK_DIR, "records.img")
SCRIPT = os.path.join(SOURCE_DIR, "guest", "examples", "crash_demo", "find_lost_records.py")
t = Checker("gdb.crash_demo")

with tempfile.TemporaryDirectory() as tmp:
    recording = os.path.join(tmp, "crash.rwr")
    status = 1
    for seed in range(1, 41):  # the crash depends on host I/O timing
        status = subprocess.run([REWIND, "record", "-o", recording, ELF, "-hda", RECORDS, "-hdc", RECORDS,
                                 "--append", "records=256", "--io-faults", f"seed={seed},delay=200-2000",
                                 "--serial-in", "none"], capture_output=True, timeout=60).returncode
        if status != 1:
            break
    t.check(status == 255, f"a recorded run crashed (status {status}, 255 expected)")
    r = Rewind(REWIND, ELF, replay=recording)
    try:
        gdb = subprocess.run(["gdb", "-nx", "-batch", "-x", SCRIPT, ELF], capture_output=True, text=True,
                             timeout=120, env=dict(os.environ, REWIND_PORT=str(r.port)))
    finally:
        status_rewind = r.wait()
    out = gdb.stdout + gdb.stderr
    t.check(gdb.returncode == 0, f"the script found the handler (gdb exit {gdb.returncode})", out)
    t.expect_in_order(out, [
        r"^demo: the guest crashed at instruction \d+",
        r"^demo: \d+ of 256 records were stored; missing: ids \d+\.\.\d+.* \(\d+ chunks? of 8 records\)",
        r"^demo: instruction \d+: a completion handler running INSIDE another one",
        r"^#0  chunk_done .* at .*crash_demo\.c:61",
        r"^demo: it copied its chunk \(records \d+\.\.\d+, (primary|secondary) channel\) into store\[\d+\.\.\d+\]",
        r"^demo: the journal has their completions delivered at one instruction boundary:",
        r"^#\d+\s+icount (\d+)\s+disk completion\s+(primary|secondary) master\s+READ\s+LBA \d+ x8 ok  started \d+ \(\+\d+\)$",
        r"^#\d+\s+icount (\d+)\s+disk completion\s+(primary|secondary) master\s+READ\s+LBA \d+ x8 ok  started \d+ \(\+\d+\)"
        r"  \(same boundary as #\d+\)$",
        r"^demo: instruction \d+: the interrupted handler reaches the same line",
    ], "the demo's gdb session")
    line = re.search(r"^demo: (\d+) of 256 records were stored; missing: (.*) \(", out, re.M)
    copied = re.search(r"it copied its chunk \(records (\d+)\.\.", out)
    if t.check(bool(line and copied), "the missing and the copied records named", out):
        lost = re.findall(r"ids (\d+)\.\.", line.group(2))
        t.check(int(line.group(1)) == 256 - 8 * len(lost), f"the stored count matches the lost chunks ({line.group(0)})", out)
        t.check(copied.group(1) in lost,
                f"the nested handler's chunk is a lost one ({copied.group(1)} in {lost})", out)
    t.check(status_rewind == 18, f"rewind exits 18 after gdb's kill (got {status_rewind})")
t.finish()
