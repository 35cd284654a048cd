#!/usr/bin/env python3
"""The 8042 keyboard controller and the CGA from the command line: `--screen FILE` writes
the text screen the CGA guest leaves (run, record and replay alike, compared with
tests/guests/cga.screen); the kbc and CGA guests record and replay with the same output,
instruction count and state digests; --stats and `rewind info` name both devices.
Usage: test_pc_devices.py REWIND GUEST_DIR GUEST_TEST_DIR"""
import os
import re
import subprocess
import sys
import tempfile

rewind, guest_dir, test_dir = sys.argv[1:4]
failures = 0


def check(ok, what):
    global failures
    print(("ok   " if ok else "FAIL ") + what)
    failures += not ok


def run(*args):
    p = subprocess.run([rewind, *args], stdin=subprocess.DEVNULL, capture_output=True, timeout=120)
    m = re.search(rb"instructions (?:retired|replayed): (\d+)", p.stderr)
    return p.returncode, p.stdout, p.stderr, int(m.group(1)) if m else None


with open(os.path.join(test_dir, "cga.screen"), "rb") as f:
    expected_screen = f.read()

with tempfile.TemporaryDirectory() as tmp:
    for guest in ["cga32", "cga64"]:
        elf = os.path.join(guest_dir, f"{guest}.elf")
        screen = os.path.join(tmp, f"{guest}.run.txt")
        rc, out, err, _ = run("run", elf, "--no-record", "--screen", screen, "--stats")
        check(rc == 1 and b"done" in out, f"{guest}: runs to its end (status {rc})")
        with open(screen, "rb") as f:
            got = f.read()
        check(got == expected_screen, f"{guest}: --screen matches cga.screen" +
              ("" if got == expected_screen else f":\n{got.decode(errors='replace')}"))
        check(b"8042 keyboard controller" in err and b"CGA text mode 80x25: cursor at row 6, column 0" in err,
              f"{guest}: --stats names the 8042 and the CGA")

    rc, _, err, _ = run("run", os.path.join(guest_dir, "cga32.elf"), "--no-record", "--screen",
                        os.path.join(tmp, "no-such-dir", "screen.txt"))
    check(rc == 2 and b"--screen" in err, f"a --screen file that cannot be created: status 2 before the run (got {rc})")

    for guest in ["cga32", "kbc32"]:
        elf = os.path.join(guest_dir, f"{guest}.elf")
        rec = os.path.join(tmp, f"{guest}.rwd")
        s1, s2 = os.path.join(tmp, f"{guest}.rec.txt"), os.path.join(tmp, f"{guest}.rep.txt")
        a = run("record", "-o", rec, elf, "--serial-in", "none", "--stats", "--screen", s1)
        b = run("replay", rec, "--stats", "--no-progress", "--screen", s2)
        same_status = a[0] == 1 and b[0] == a[0]
        check(same_status, f"{guest}: recorded status {a[0]}, replayed {b[0]}" +
              ("" if same_status else ": " + b[2].decode(errors="replace")[-600:]))
        check(a[1] == b[1] and a[3] == b[3] and a[3] is not None,
              f"{guest}: replay prints the same and retires the same {a[3]} instructions ({b[3]})")
        check(b"diverged" not in b[2], f"{guest}: the replay's state digests match")
        info = subprocess.run([rewind, "info", rec], capture_output=True, timeout=60).stdout
        check(b"8042 keyboard controller" in info and b"CGA text mode" in info, f"{guest}: rewind info names the devices")
        with open(s1, "rb") as f1, open(s2, "rb") as f2:
            check(f1.read() == f2.read(), f"{guest}: the same screen recorded and replayed")

print("all ok" if not failures else f"{failures} failed")
sys.exit(1 if failures else 0)
