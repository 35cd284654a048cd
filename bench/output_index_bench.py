#!/usr/bin/env python3
"""What the output index ('OUTS' chunks, docs/recording-format.md) costs a recording: for guests
that print, fault and take interrupts, the serial bytes and CPU events indexed, the bytes of
the file's 'OUTS' chunks (read off the chunk headers), their share of the file, and per guest
second (10^9 instructions). Prints a Markdown table (docs/PERFORMANCE.md, "Issue 12").

    bench/output_index_bench.py --build build
"""
import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile

ap = argparse.ArgumentParser()
ap.add_argument("--build", default="build")
args = ap.parse_args()
rewind = os.path.join(args.build, "bin", "rewind")
guests = os.path.join(args.build, "guest")
disks = os.path.join(args.build, "disks")
tmp = tempfile.mkdtemp(prefix="rewind-outputs-bench-")

WORKLOADS = [
    ("disk-sum, interrupts", "disk_sum.elf", "irq=1 chunk=8",
     ["-hda", os.path.join(disks, "pattern-a.img"), "-hdc", os.path.join(disks, "pattern-b.img")]),
    ("crash demo", "crash_demo.elf", "records=256",
     ["-hda", os.path.join(disks, "records.img"), "-hdc", os.path.join(disks, "records.img")]),
    ("timer (PIT interrupts)", "timer64.elf", "", []),
    ("exceptions64", "exceptions64.elf", "", []),
    ("compress64", "compress64.elf", "", []),
]

TAGS = {0x4B4E4843: "CHNK", 0x53514552: "REQS", 0x48534148: "HASH", 0x50414E53: "SNAP", 0x5354554F: "OUTS"}


def chunk_bytes(path):
    """Bytes per chunk tag (header included), walking the file's framing."""
    data = open(path, "rb").read()
    (length,) = struct.unpack_from("<I", data, 12)
    pos, sizes = 20 + length, {}
    while pos + 12 <= len(data):
        tag, a = struct.unpack_from("<II", data, pos)
        if tag == 0x21444E45:  # END!
            break
        sizes[TAGS.get(tag, hex(tag))] = sizes.get(TAGS.get(tag, hex(tag)), 0) + 16 + a
        pos += 16 + a
    return sizes


print("| guest | instructions | serial bytes | CPU events | 'OUTS' bytes | share of the file | per guest second |")
print("|---|---:|---:|---:|---:|---:|---:|")
for label, elf, append, drives in WORKLOADS:
    path = os.path.join(guests, elf)
    if not os.path.exists(path):
        print(f"| {label} | (no {elf} in the build) | | | | | |")
        continue
    out = os.path.join(tmp, "r.rwd")
    cmd = [rewind, "record", path, "-o", out, "--serial", os.devnull, "--serial-in", "none", *drives]
    if append:
        cmd += ["--append", append]
    subprocess.run(cmd, capture_output=True, timeout=600)
    info = json.loads(subprocess.run([rewind, "info", out, "--json"], capture_output=True, text=True).stdout)
    n, indexed = info["instructions"], info["outputs_indexed"]
    outs = chunk_bytes(out).get("OUTS", 0)
    total = os.path.getsize(out)
    print(f"| {label} | {n:,} | {indexed['serial_bytes']:,} | {indexed['cpu_events']:,} | {outs:,} | "
          f"{100 * outs / total:.1f}% of {total / 1024:.1f} KiB | {outs / (n / 1e9) / 1024:.1f} KiB |")
