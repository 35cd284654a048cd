#!/usr/bin/env python3
"""Recording sizes with and without stored snapshots (`rewind record --snapshots`), per guest
second (10^9 instructions), on the disk guests: disk-sum (reads two images end to end, both
channels), disktest (reads and writes both disks, interrupt-driven) and diskwrite (fills a
disk, then rewrites a hot region with computing in between). Prints a Markdown table
(docs/PERFORMANCE.md, "Snapshots in recordings and trim").

    bench/recording_size_bench.py --build build [--interval 50000000] [--size 16M]
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

ap = argparse.ArgumentParser()
ap.add_argument("--build", default="build")
ap.add_argument("--interval", default="50000000", help="--snapshot-interval (default: rewind's, 50,000,000)")
ap.add_argument("--size", default="16M", help="disk image size for disk-sum and diskwrite")
args = ap.parse_args()
rewind = os.path.join(args.build, "bin", "rewind")
guests = os.path.join(args.build, "guest")
make_image = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts", "make-disk-image")
tmp = tempfile.mkdtemp(prefix="rewind-size-bench-")


def image(name, size, *extra):
    path = os.path.join(tmp, name)
    subprocess.run([sys.executable, make_image, path, size, *extra], check=True)
    return path


a = image("a.img", args.size, "--seed", "1")
b = image("b.img", args.size, "--seed", "2")
small_a = image("small-a.img", "4M", "--seed", "1")
small_b = image("small-b.img", "3M", "--seed", "2")
blank = image("blank.img", args.size, "--seed", "3")
mb = int(args.size.rstrip("M")) // 2
WORKLOADS = [
    ("disk-sum, polling", "disk_sum.elf", [], ["-hda", a, "-hdc", b]),
    ("disk-sum, interrupts", "disk_sum.elf", ["irq=1"], ["-hda", a, "-hdc", b]),
    ("disktest, interrupts", "disktest.elf", ["irq=1"], ["-hda", small_a, "-hdc", small_b]),
    ("diskwrite", "diskwrite32.elf", [f"mb={mb}", "passes=8"], ["-hda", blank]),
]

print(f"| guest | guest time | without snapshots | with (every {int(args.interval) / 1e6:g} M) | snapshots stored | "
      "per guest second without | with |")
print("|---|---|---|---|---|---|---|")
for label, elf, append, disks in WORKLOADS:
    sizes = {}
    for snapshots in ("--no-snapshots", "--snapshots"):
        out = os.path.join(tmp, "r.rwd")
        cmd = [rewind, "record", os.path.join(guests, elf), "-o", out, snapshots, "--snapshot-interval",
               args.interval, "--serial", os.devnull, "--serial-in", "none", "--stats", *disks]
        if append:
            cmd += ["--append", " ".join(append)]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        n = int(re.search(r"instructions retired: (\d+)", p.stderr).group(1))
        stored = int(re.search(r"in (\d+) stored snapshots", p.stderr).group(1))
        sizes[snapshots] = (os.path.getsize(out), n, stored)
    (plain, n, _), (with_snaps, _, stored) = sizes["--no-snapshots"], sizes["--snapshots"]
    seconds = n / 1e9
    print(f"| {label} | {seconds:.3f} s | {plain / 1024:.1f} KiB | {with_snaps / 1024:.1f} KiB | {stored} | "
          f"{plain / seconds / 1024:.1f} KiB | {with_snaps / seconds / 1048576:.2f} MiB |")
