#!/usr/bin/env python3
"""The hardware oracle of sse_fpexact: builds guest/tests/sse_fpexact/fpexact.c for the host
(with host_trap.c: #XM is SIGFPE, #GP SIGSEGV) and checks that the host CPU prints what
tests/guests/sse_fpexactBITS.rewind.expected says rewind must print, but for part C (CR4
changes need ring 0). QEMU 7.2 cannot be the oracle here: it raises no #XM and sets no DE.

Usage: sse_fpexact_host.py CC SOURCE_DIR BITS WORK_DIR"""
import os
import subprocess
import sys

cc, src, bits, work = sys.argv[1:5]
guest = os.path.join(src, "guest", "tests", "sse_fpexact")
expected_file = os.path.join(src, "tests", "guests", f"sse_fpexact{bits}.rewind.expected")
exe = os.path.join(work, f"sse_fpexact{bits}_host")
os.makedirs(work, exist_ok=True)
flags = ["-m64"] if bits == "64" else ["-m32", "-msse2", "-mfpmath=sse"]
build = subprocess.run([cc, *flags, "-O2", "-mno-red-zone", "-fno-pie", "-no-pie", "-DHOST_CHECK",
                        "-I", os.path.join(src, "guest", "sdk", "include"), "-o", exe,
                        os.path.join(guest, "fpexact.c"), os.path.join(guest, "host_trap.c")],
                       capture_output=True, text=True)
if build.returncode != 0:
    print(f"cannot build the host check:\n{build.stdout}{build.stderr}")
    sys.exit(1)
run = subprocess.run([exe], capture_output=True, text=True, timeout=60)
with open(expected_file) as f:
    expected = f.read()
# Part C runs only in the guest: drop it from the expectation.
head, sep, rest = expected.partition("-- C. ")
expected_host = head + rest[rest.index(f"sse_fpexact{bits} done"):] if sep else expected
if run.returncode != 0 or run.stdout != expected_host:
    import difflib
    print(f"the host CPU disagrees with {expected_file} (status {run.returncode}):")
    sys.stdout.writelines(difflib.unified_diff(expected_host.splitlines(True), run.stdout.splitlines(True),
                                               "expected", "host"))
    sys.exit(1)
print(f"ok: the host CPU prints {expected_file} (part C aside)")
