#!/usr/bin/env python3
"""How a run ends: each way a guest can stop the machine gets its own exit status and
one line on stderr saying why. Usage: test_stops.py REWIND GUEST_DIR"""
import re
import subprocess
import sys

rewind, guest_dir = sys.argv[1], sys.argv[2]

CASES = [
    # (guest, cmdline, extra args, status, stderr pattern)
    ("stops32", "stop=1", [], 12, r"^rewind: triple fault: at rip=0x[0-9a-f]+, exceptions #UD -> #GP -> #DF -> #GP"),
    ("stops64", "stop=1", [], 12, r"^rewind: triple fault: at rip=0x[0-9a-f]+, exceptions #UD -> #GP -> #DF -> #GP"),
    ("stops32", "stop=2", [], 4, r"^rewind: .*hang"),
    ("stops64", "stop=2", [], 4, r"^rewind: .*hang"),
    ("stops32", "stop=3", ["--max-instructions", "200000"], 14, r"^rewind: .*instruction limit reached \(200000 instructions\)"),
    ("stops64", "stop=3", ["--max-instructions", "200000"], 14, r"^rewind: .*instruction limit reached \(200000 instructions\)"),
    ("stops32", "stop=4", [], 6, r"^rewind: .*reset"),
    ("stops64", "stop=4", [], 6, r"^rewind: .*reset"),
]

failures = 0
for guest, cmdline, extra, status, pattern in CASES:
    cmd = [rewind, "run", f"{guest_dir}/{guest}.elf", "--append", cmdline] + extra
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    lines = [l for l in p.stderr.splitlines() if l.strip()]
    ok = p.returncode == status and len(lines) == 1 and re.search(pattern, lines[0]) and "FAIL" not in p.stdout
    print(("ok  " if ok else "FAIL") + f" {guest} {cmdline}: status {p.returncode} (want {status}), stderr {p.stderr!r}")
    failures += not ok

# Ctrl-C (SIGINT) ends a run where it is, as at an instruction limit: status 14, one line
# saying so, and a recording finished there that replays to the same output and status. The
# guest is idle in HLT waiting for serial input when the signal comes.
import os  # noqa: E402
import signal  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

with tempfile.TemporaryDirectory() as tmp:
    rec = os.path.join(tmp, "echo.rwr")
    p = subprocess.Popen([rewind, "record", "-o", rec, f"{guest_dir}/serial_echo32.elf"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = b""
    deadline = time.monotonic() + 30
    while b"ready" not in out and time.monotonic() < deadline:
        out += os.read(p.stdout.fileno(), 4096)
    p.stdin.write(b"abc\n")
    p.stdin.flush()
    while b"polled" not in out and time.monotonic() < deadline:
        out += os.read(p.stdout.fileno(), 4096)
    p.send_signal(signal.SIGINT)
    rest, err = p.communicate(timeout=30)
    out += rest
    lines = [l for l in err.decode().splitlines() if l.strip()]
    ok = (p.returncode == 14 and len(lines) == 1 and re.match(r"^rewind: interrupted \(Ctrl-C\) at instruction \d+$",
                                                                lines[0]) is not None)
    print(("ok  " if ok else "FAIL") + f" Ctrl-C: status {p.returncode} (want 14), stderr {err!r}")
    failures += not ok
    r = subprocess.run([rewind, "replay", rec], capture_output=True, timeout=60)
    ok = r.returncode == 14 and r.stdout == out and r.stderr.decode().strip() == lines[0] if lines else False
    print(("ok  " if ok else "FAIL") + f" Ctrl-C: its recording replays to the same output and end (status {r.returncode})")
    failures += not ok

print(f"{len(CASES) + 2 - failures} passed, {failures} failed")
sys.exit(1 if failures else 0)
