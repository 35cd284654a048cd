#!/usr/bin/env python3
"""The hardware oracle of the x87 guests: builds a guest's source for the host (HOST_CHECK:
stdio, SIGFPE for #MF) with the guest's own code generation flags, runs it on the host CPU
and checks that it prints what the guest's expected output says, so that an expected file
taken from QEMU is known to be what the hardware does too (and a rewind-only one is checked
at all). Lines that only the guest can print (ring 0, the IDT) are left out of the
comparison: those of the expected output between "-- guest only" and the next "-- " line.
It also fails when the host says that a value printed to 15 digits is one QEMU's
double-precision FSIN/FCOS/FPTAN would round differently (x87_common.h).

Usage: x87_host.py CC SOURCE_DIR GUEST WORK_DIR"""
import difflib
import os
import re
import subprocess
import sys

cc, src, guest, work = sys.argv[1:5]
x87 = os.path.join(src, "guest", "tests", "x87_math")
GUESTS = {
    "x87_math32": (32, ["x87_math.c", "f80fmt.c"], "x87_math32.expected"),
    "x87_ldouble32": (32, ["x87_ldouble.c", "f80fmt.c"], "x87_ldouble32.expected"),
    "x87_ldouble64": (64, ["x87_ldouble.c", "f80fmt.c"], "x87_ldouble64.expected"),
    "x87_fpexact32": (32, ["x87_fpexact.c", "f80fmt.c", "host_trap.c"], "x87_fpexact32.rewind.expected"),
    "x87_fpexact64": (64, ["x87_fpexact.c", "f80fmt.c", "host_trap.c"], "x87_fpexact64.rewind.expected"),
    "x87_mf32": (32, ["-DX87_MF_ONLY", "x87_fpexact.c", "f80fmt.c", "host_trap.c"], "x87_mf32.expected"),
    "x87_mf64": (64, ["-DX87_MF_ONLY", "x87_fpexact.c", "f80fmt.c", "host_trap.c"], "x87_mf64.expected"),
}
bits, sources, expected_name = GUESTS[guest]
defines = [s for s in sources if s.startswith("-D")]
sources = [s for s in sources if not s.startswith("-D")]
paths = [os.path.join(src, "guest", s[1:]) if s.startswith("@") else os.path.join(x87, s) for s in sources]
# f80fmt.c formats with the SDK's fmt_exact_decimal.
paths.append(os.path.join(src, "guest", "sdk", "src", "fpfmt.c"))
# The guest's code generation (cmake/Guest.cmake, X87), without its freestanding link.
flags = (["-m32", "-march=i686", "-mfpmath=387"] if bits == 32 else ["-m64", "-mno-red-zone"]) + [
    "-mno-sse", "-mno-mmx", "-fno-math-errno", "-O2", "-fno-pic", "-fno-pie", "-no-pie", "-ffreestanding",
    "-fno-stack-protector", "-fno-omit-frame-pointer", "-fno-asynchronous-unwind-tables"]
os.makedirs(work, exist_ok=True)
exe = os.path.join(work, f"{guest}_host")
build = subprocess.run([cc, *flags, "-DHOST_CHECK", *defines, "-I", os.path.join(src, "guest", "sdk", "include"), "-I", x87,
                        "-o", exe, *paths], capture_output=True, text=True)
if build.returncode != 0:
    print(f"cannot build the host check:\n{build.stdout}{build.stderr}")
    sys.exit(1)
run = subprocess.run([exe], capture_output=True, text=True, timeout=120)
with open(os.path.join(src, "tests", "guests", expected_name)) as f:
    expected = f.read()
expected_host = re.sub(r"^-- guest only.*?(?=^-- |\Z)", "", expected, flags=re.M | re.S)
ok = run.returncode == 0 and run.stdout == expected_host and not run.stderr
if not ok:
    print(f"the host CPU disagrees with {expected_name} (status {run.returncode}):")
    sys.stdout.writelines(difflib.unified_diff(expected_host.splitlines(True), run.stdout.splitlines(True),
                                               "expected", "host"))
    print(run.stderr)
    sys.exit(1)
print(f"ok: the host CPU prints {expected_name}" + (" (guest-only parts aside)" if expected_host != expected else ""))
