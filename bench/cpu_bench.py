#!/usr/bin/env python3
"""CPU-bound guest speed: rewind's engines against QEMU TCG with and without -icount.

Each guest runs with a large and with a tiny iteration count; the difference in wall time
over the difference in retired instructions (as rewind counts them) is the steady-state
speed, free of process start-up and boot. QEMU runs the same ELF (its ELF32 copy for
64-bit guests). The runs are interleaved (every configuration of a guest once, then again,
--repeat times) so that a change in the host's load falls on all of them alike; each figure
is the median. Prints the host, then a Markdown table with the geometric mean last.

    bench/cpu_bench.py --build build [--repeat 5] [--guests intloop64,sort64] [--engines interp,jit]
    bench/cpu_bench.py --build build --guests fpkernel64,fpkernel32    # SSE2 floating point
    bench/cpu_bench.py --build build --guests fpkernel87               # x87 floating point
"""
import argparse
import datetime
import math
import os
import re
import statistics
import subprocess
import sys
import time

GUESTS = {  # name: (large iteration count, tiny iteration count)
    "intloop64": (200_000_000, 1),
    "intloop32": (200_000_000, 1),
    "checksum64": (3000, 1),
    "sort64": (60, 1),
    "compress64": (600, 1),
    "compress32": (600, 1),
    # Floating point (SSE2): not in the default set, which is the integer figures' own.
    "fpkernel64": (20000, 1),
    "fpkernel32": (20000, 1),
    "fpkernel87": (20000, 1),  # the same with x87 floating point
}
DEFAULT_GUESTS = [g for g in GUESTS if not g.startswith("fpkernel")]


def rewind_run(build, guest, iters, engine):
    cmd = [os.path.join(build, "bin", "rewind"), "run", os.path.join(build, "guest", guest + ".elf"),
           "--append", f"iters={iters}", "--stats", "--no-record", "--engine", engine]
    start = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    wall = time.perf_counter() - start
    m = re.search(r"instructions retired: (\d+)", p.stderr)
    if p.returncode != 1 or not m:
        sys.exit(f"rewind failed on {guest}: status {p.returncode}\n{p.stderr}")
    return wall, int(m.group(1)), p.stdout


def qemu_run(build, guest, iters, icount):
    elf = os.path.join(build, "guest", guest + ".elf")
    qemu_elf = os.path.join(build, "guest", guest + ".qemu.elf")
    cmd = ["qemu-system-x86_64", "-kernel", qemu_elf if os.path.exists(qemu_elf) else elf,
           "-append", f"iters={iters}", "-display", "none", "-serial", "stdio", "-monitor", "none",
           "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-no-reboot", "-m", "128", "-cpu", "max"]
    if icount:
        cmd += ["-icount", "shift=auto"]
    start = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    wall = time.perf_counter() - start
    if p.returncode != 1:
        sys.exit(f"qemu failed on {guest}: status {p.returncode}\n{p.stderr}")
    return wall, p.stdout


def host_description():
    model = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    qemu = subprocess.run(["qemu-system-x86_64", "--version"], capture_output=True, text=True).stdout.split("\n")[0]
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                cwd=os.path.dirname(os.path.abspath(__file__))).stdout.strip()
    except OSError:
        commit = "unknown"
    return (f"host: {model}, {os.cpu_count()} CPUs; {qemu}; rewind at {commit}; "
            f"{datetime.date.today().isoformat()}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--guests", default=",".join(DEFAULT_GUESTS))
    ap.add_argument("--engines", default="interp,jit", help="rewind's engines to measure (--engine)")
    args = ap.parse_args()
    engines = args.engines.split(",")
    guests = args.guests.split(",")

    print(host_description())
    print(f"median of {args.repeat} interleaved runs; MIPS = million guest instructions per second\n")
    cols = [f"rewind {e} MIPS" for e in engines] + ["QEMU -icount shift=auto MIPS", "QEMU (no icount) MIPS"]
    cols += [f"{e} / QEMU-icount" for e in engines] + [f"{e} / QEMU" for e in engines]
    print("| guest | instructions | " + " | ".join(cols) + " |")
    print("|---|---:|" + "---:|" * len(cols))
    ratios = {e: [] for e in engines}
    ratios_plain = {e: [] for e in engines}
    for guest in guests:
        big, tiny = GUESTS[guest]
        _, insns_big, out_ref = rewind_run(args.build, guest, big, engines[0])
        _, insns_tiny, _ = rewind_run(args.build, guest, tiny, engines[0])
        insns = insns_big - insns_tiny
        times = {k: [] for k in engines + ["qemu-icount", "qemu"]}
        for _ in range(args.repeat):
            for e in engines:
                t_big, n, out = rewind_run(args.build, guest, big, e)
                if n != insns_big or out != out_ref:
                    sys.exit(f"{guest}: engine {e} differs from {engines[0]} ({n} instructions)")
                times[e].append(t_big - rewind_run(args.build, guest, tiny, e)[0])
            for key, icount in (("qemu-icount", True), ("qemu", False)):
                t_big, _ = qemu_run(args.build, guest, big, icount)
                times[key].append(t_big - qemu_run(args.build, guest, tiny, icount)[0])
        mips = {k: insns / statistics.median(v) / 1e6 for k, v in times.items()}
        row = [f"{mips[e]:.0f}" for e in engines] + [f"{mips['qemu-icount']:.0f}", f"{mips['qemu']:.0f}"]
        for e in engines:
            ratios[e].append(mips[e] / mips["qemu-icount"])
            ratios_plain[e].append(mips[e] / mips["qemu"])
        row += [f"{mips[e] / mips['qemu-icount']:.2f}x" for e in engines]
        row += [f"{mips[e] / mips['qemu']:.2f}x" for e in engines]
        print(f"| {guest} | {insns_big:,} | " + " | ".join(row) + " |", flush=True)

    def geo(xs):
        return math.exp(sum(math.log(x) for x in xs) / len(xs))
    row = [""] * (len(engines) + 2) + [f"{geo(ratios[e]):.2f}x" for e in engines]
    row += [f"{geo(ratios_plain[e]):.2f}x" for e in engines]
    print("| geometric mean | | " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
