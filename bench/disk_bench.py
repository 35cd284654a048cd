#!/usr/bin/env python3
"""Disk-bound guest speed: rewind against QEMU on the same guest (disk-sum) and images.

disk-sum reads two pattern images (primary master and secondary master) end to end, both
channels at once. For each mode it reports wall time, sectors per second, guest MIPS, and, for
rewind, the delay from the host finishing a request to the guest seeing it (in guest
instructions, from --stats). QEMU's MIPS uses rewind's instruction count for the same run
(the guest does the same work; polling loops aside). Prints a Markdown table.

    bench/disk_bench.py --build build [--size 32M] [--repeat 3]
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

MODES = [("polling, 128 sectors/command", "chunk=128"),
         ("interrupts, READ MULTIPLE, 128/command", "irq=1 mult=1 chunk=128"),
         ("interrupts, LBA48, 256/command", "irq=1 ext=1 chunk=256"),
         ("interrupts, 8/command", "irq=1 chunk=8")]


def rewind_run(build, images, append, extra=()):
    cmd = [os.path.join(build, "bin", "rewind"), "run", os.path.join(build, "guest", "disk_sum.elf"),
           "-hda", images[0], "-hdc", images[1], "--append", append, "--stats", *extra]
    start = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    wall = time.perf_counter() - start
    if p.returncode != 1:
        sys.exit(f"rewind failed: status {p.returncode}\n{p.stdout}\n{p.stderr}")
    insns = int(re.search(r"instructions retired: (\d+)", p.stderr).group(1))
    sectors = int(re.search(r"sectors read: (\d+)", p.stderr).group(1))
    m = re.search(r"mean (\d+) instructions, max (\d+)", p.stderr)
    return wall, insns, sectors, int(m.group(1)), int(m.group(2))


def qemu_run(build, images, append):
    cmd = ["qemu-system-x86_64", "-kernel", os.path.join(build, "guest", "disk_sum.elf"), "-append", append,
           "-display", "none", "-serial", "stdio", "-monitor", "none", "-no-reboot", "-m", "128", "-cpu", "max",
           "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
    for index, image in ((0, images[0]), (2, images[1])):
        cmd += ["-drive", f"file={image},format=raw,if=ide,index={index},snapshot=on"]
    start = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    wall = time.perf_counter() - start
    if p.returncode != 1:
        sys.exit(f"qemu failed: status {p.returncode}\n{p.stdout}")
    return wall


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--size", default="32M")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    make = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts", "make-disk-image")
    with tempfile.TemporaryDirectory() as tmp:
        images = [os.path.join(tmp, "a.img"), os.path.join(tmp, "b.img")]
        for seed, image in enumerate(images, 1):
            subprocess.run([sys.executable, make, image, args.size, "--seed", str(seed)], check=True)
        # QEMU's start-up (SeaBIOS) is not disk work: subtract a run that reads nothing much.
        q_boot = min(qemu_run_boot(args.build) for _ in range(args.repeat))
        print("| mode | sectors | instructions | rewind s | rewind MIPS | rewind sectors/s | delay mean / max (insns) "
              "| QEMU s (minus boot) | QEMU sectors/s | QEMU MIPS (rewind's count) |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for name, append in MODES:
            runs = [rewind_run(args.build, images, append) for _ in range(args.repeat)]
            wall, insns, sectors, mean, mx = min(runs)
            q = min(qemu_run(args.build, images, append) for _ in range(args.repeat)) - q_boot
            print(f"| {name} | {sectors} | {insns:,} | {wall:.3f} | {insns / wall / 1e6:.0f} | {sectors / wall:,.0f} "
                  f"| {mean:,} / {mx:,} | {q:.3f} | {sectors / q:,.0f} | {insns / q / 1e6:.0f} |", flush=True)


def qemu_run_boot(build):
    """Wall time of QEMU booting the hello guest: its fixed start-up cost."""
    cmd = ["qemu-system-x86_64", "-kernel", os.path.join(build, "guest", "hello.elf"), "-display", "none",
           "-serial", "stdio", "-monitor", "none", "-no-reboot", "-m", "128", "-cpu", "max",
           "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
    start = time.perf_counter()
    subprocess.run(cmd, capture_output=True, timeout=60)
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
