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
print(f"{len(CASES) - failures} passed, {failures} failed")
sys.exit(1 if failures else 0)
