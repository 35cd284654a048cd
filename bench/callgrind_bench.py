#!/usr/bin/env python3
"""Host instructions per guest instruction, counted by callgrind: independent of host load
and vendor, so two builds of rewind compare exactly.

Each guest runs under callgrind twice, with N and 2N iterations, `--no-record`; the
difference in host instructions (callgrind's total for the whole process) over the
difference in guest instructions (rewind's `--stats`) is the steady-state cost, free of
start-up. Prints a Markdown table, one column per rewind binary.

    bench/callgrind_bench.py --guest-dir build/guest build/bin/rewind [/tmp/base/rewind ...]
    bench/callgrind_bench.py --guest-dir build/guest --engines interp,jit build/bin/rewind   # both engines
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

GUESTS = {  # name: iterations for the first run (the second has twice as many)
    "intloop64": 1_000_000,
    "intloop32": 1_000_000,
    "checksum64": 10,
    "sort64": 1,
    "compress64": 5,
    "compress32": 5,
    # Floating point (not in the default set): SSE2 and x87.
    "fpkernel64": 20,
    "fpkernel32": 20,
    "fpkernel87": 20,
}
DEFAULT_GUESTS = [g for g in GUESTS if not g.startswith("fpkernel")]


def measure(rewind, elf, iters, engine=None):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "cg.out")
        cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", rewind, "run", elf,
               "--append", f"iters={iters}", "--no-record", "--serial-in", "none", "--stats"]
        if engine:
            cmd += ["--engine", engine]
            # The translator writes code at run time: callgrind must look for it everywhere.
            cmd.insert(1, "--smc-check=all")
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
        guest = re.search(r"instructions retired: (\d+)", p.stderr)
        if p.returncode != 1 or not guest:
            sys.exit(f"{' '.join(cmd)}: status {p.returncode}\n{p.stderr[-2000:]}")
        with open(out) as f:
            total = next(int(line.split()[1]) for line in f if line.startswith("summary:"))
    return total, int(guest.group(1))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("rewind", nargs="+", help="rewind binaries to compare")
    ap.add_argument("--guest-dir", default="build/guest", help="where the guests' ELF files are")
    ap.add_argument("--guests", default=",".join(DEFAULT_GUESTS), help="comma-separated guest names")
    ap.add_argument("--engines", default="", help="comma-separated --engine values, each a column per binary "
                    "(default: the binaries' default engine only)")
    args = ap.parse_args()
    names = args.guests.split(",")
    engines = args.engines.split(",") if args.engines else [None]
    columns = [(b, e) for b in args.rewind for e in engines]
    print("| guest | " + " | ".join(b + (f" --engine {e}" if e else "") for b, e in columns) + " |")
    print("| --- |" + " ---: |" * len(columns))
    for name in names:
        elf = os.path.join(args.guest_dir, name + ".elf")
        cells = []
        for binary, engine in columns:
            n = GUESTS[name]
            host1, guest1 = measure(binary, elf, n, engine)
            host2, guest2 = measure(binary, elf, 2 * n, engine)
            cells.append(f"{(host2 - host1) / (guest2 - guest1):.4f}")
        print(f"| {name} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
