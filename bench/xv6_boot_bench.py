#!/usr/bin/env python3
"""Wall time from start to xv6's shell prompt (`init: starting sh` then `$ ` on COM1), on
rewind (recording on, the default; and --no-record) and on QEMU (plain TCG and -icount
shift=auto), through both boot paths: the kernel as a Multiboot image and the boot disk.
Interleaved, median of N. Prints a Markdown table (docs/PERFORMANCE.md, "Issue 13").

    bench/xv6_boot_bench.py --build build --xv6 DIR [--repeat 5]

DIR holds kernel, xv6.img and fs.img, built as README's "xv6" says (tests/xv6/xv6_boot.py
builds them in build/xv6/xv6)."""
import argparse
import os
import platform
import select
import shutil
import statistics
import subprocess
import tempfile
import time

ap = argparse.ArgumentParser()
ap.add_argument("--build", default="build")
ap.add_argument("--xv6", default="build/xv6/xv6")
ap.add_argument("--repeat", type=int, default=5)
args = ap.parse_args()
rewind = os.path.join(args.build, "bin", "rewind")
tmp = tempfile.mkdtemp(prefix="rewind-xv6-bench-")
kernel, boot_disk = os.path.join(args.xv6, "kernel"), os.path.join(args.xv6, "xv6.img")
PROMPT = b"init: starting sh\n$ "


def to_prompt(cmd):
    """Seconds from start until the prompt is on COM1 (the process is killed then)."""
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = b""
    try:
        while PROMPT not in out.replace(b"\r", b""):
            ready, _, _ = select.select([proc.stdout], [], [], 60)
            chunk = os.read(proc.stdout.fileno(), 4096) if ready else b""
            if not chunk:
                raise RuntimeError(f"no prompt from {' '.join(cmd)}: {out[-300:]!r}")
            out += chunk
        return time.monotonic() - start
    finally:
        proc.kill()
        proc.wait()


def fs_copy():
    path = os.path.join(tmp, "fs.img")
    shutil.copyfile(os.path.join(args.xv6, "fs.img"), path)
    return path


def rewind_cmd(multiboot, record):
    fs = fs_copy()
    cmd = [rewind, "run"] + ([kernel] if multiboot else [])
    cmd += ["-hda", boot_disk, "-hdb", fs, "--memory", "512M", "--serial-in", "none"]
    return cmd + ([] if record else ["--no-record"])


def qemu_cmd(multiboot, icount):
    fs = fs_copy()
    cmd = ["qemu-system-i386", "-nographic", "-monitor", "none", "-serial", "stdio", "-smp", "1", "-m", "512",
           "-drive", f"file={boot_disk},index=0,media=disk,format=raw,snapshot=on",
           "-drive", f"file={fs},index=1,media=disk,format=raw"]
    if multiboot:
        cmd += ["-kernel", kernel]
    return cmd + (["-icount", "shift=auto"] if icount else [])


CONFIGS = [
    ("rewind run (recording)", lambda mb: rewind_cmd(mb, True)),
    ("rewind run --no-record", lambda mb: rewind_cmd(mb, False)),
    ("QEMU TCG", lambda mb: qemu_cmd(mb, False)),
    ("QEMU -icount shift=auto", lambda mb: qemu_cmd(mb, True)),
]
times = {(name, mb): [] for name, _ in CONFIGS for mb in (True, False)}
for _ in range(args.repeat):
    for mb in (True, False):
        for name, make in CONFIGS:
            times[(name, mb)].append(to_prompt(make(mb)))

def host_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine()


print(f"host: {host_model()}, {os.cpu_count()} CPUs; median of {args.repeat}, interleaved")
print()
print("| | kernel (Multiboot) | boot disk (real mode) |")
print("| --- | ---: | ---: |")
for name, _ in CONFIGS:
    cells = [f"{statistics.median(times[(name, mb)]) * 1000:.0f} ms" for mb in (True, False)]
    print(f"| {name} | {cells[0]} | {cells[1]} |")
