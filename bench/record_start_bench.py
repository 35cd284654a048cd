#!/usr/bin/env python3
"""Time to start `rewind record` with a multi-gigabyte disk image (docs/PERFORMANCE.md,
"Issue 11" / "Hashes"): from starting the process to the guest's first serial line (hello.elf,
which prints at once), and to the end of the run (which includes the rest of the image hashing:
the end record waits for it). The disk is a sparse file (reading it costs no disk I/O: the
kernel supplies the zeros), so the figures are the hashing's, not the disk's.

Each REWIND is `LABEL=PATH` (a rewind binary); give two to compare, e.g. the parent commit's
(images hashed before the run) and this one's (beside it):

    bench/record_start_bench.py --guest build/guest/hello.elf --size 4G \\
        before=/tmp/rewind-parent after=build/bin/rewind [--repeat 5]
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time


def parse_size(text):
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    return int(text[:-1]) * units[text[-1]] if text[-1] in units else int(text)


def one_run(rewind, guest, disk, out):
    """(seconds to the first serial line, seconds to the end)."""
    start = time.perf_counter()
    p = subprocess.Popen([rewind, "record", "-o", out, guest, "-hda", disk, "--serial-in", "none"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    line = p.stdout.readline()
    first = time.perf_counter() - start
    p.stdout.read()
    err = p.stderr.read()
    p.wait()
    total = time.perf_counter() - start
    if not line or p.returncode != 1:
        sys.exit(f"{rewind}: status {p.returncode}, first line {line!r}: {err.decode(errors='replace')}")
    return first, total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("rewinds", nargs="+", metavar="LABEL=PATH")
    ap.add_argument("--guest", default="build/guest/hello.elf")
    ap.add_argument("--size", default="4G", help="the sparse disk image's size")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    rewinds = [r.split("=", 1) for r in args.rewinds]
    with tempfile.TemporaryDirectory() as tmp:
        disk = os.path.join(tmp, "big.img")
        with open(disk, "wb") as f:
            f.truncate(parse_size(args.size))
        out = os.path.join(tmp, "out.rwr")
        results = {label: ([], []) for label, _ in rewinds}
        for _ in range(args.repeat):  # interleaved, so that both see the same machine load
            for label, path in rewinds:
                first, total = one_run(path, args.guest, disk, out)
                results[label][0].append(first)
                results[label][1].append(total)
        print(f"| rewind ({args.size} sparse disk, median of {args.repeat}) | first serial line | whole run |")
        print("|---|---:|---:|")
        for label, _ in rewinds:
            firsts, totals = results[label]
            print(f"| {label} | {statistics.median(firsts) * 1000:.0f} ms | {statistics.median(totals) * 1000:.0f} ms |")


if __name__ == "__main__":
    main()
