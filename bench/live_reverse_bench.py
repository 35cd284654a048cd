#!/usr/bin/env python3
"""Reverse debugging in a live session (`rewind run --gdb`), and what recording costs forward.

Usage:

  bench/live_reverse_bench.py [--build BUILD] [--iters N] [--repeat R]

For the intloop64 guest with `iters=N` (about 12 instructions per iteration; default 1e8,
1.2e9 instructions), R times:

  1. forward, no debugger: `rewind run ... --stats` with the journal and snapshots (the
     default) and with `--no-record`, alternating; the wall time of each run.
  2. under gdb, live: `rewind run ... --gdb 127.0.0.1:PORT --wait-gdb`, gdb in batch mode
     with a Python script timing each command: `break exit_emulator`, `continue` (the whole
     run, live), five `reverse-stepi` (the first is the figure: the issue's bound is 10 ms),
     `delete`, `break kmain`, `reverse-continue` (back across the whole history), `continue`
     (replayed to the frontier, then live to the end), and the end.

Prints a Markdown table of medians (min - max), the machine and the commands.
"""
import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time

GDB_SCRIPT = r'''
import gdb, time
def timed(name, cmd):
    t0 = time.monotonic()
    out = gdb.execute(cmd, to_string=True)
    print("TIME %s %.6f" % (name, time.monotonic() - t0))
    return out
gdb.execute("set pagination off")
gdb.execute("set confirm off")
gdb.execute("target remote 127.0.0.1:PORT")
gdb.execute("break exit_emulator")
timed("continue", "continue")
print("WHEN " + gdb.execute("monitor when", to_string=True).strip())
for i in range(5):
    timed("rsi%d" % i, "reverse-stepi")
gdb.execute("delete")
gdb.execute("break kmain")
timed("rc", "reverse-continue")
print("WHEN " + gdb.execute("monitor when", to_string=True).strip())
gdb.execute("delete")
timed("forward", "continue")
timed("end", "continue")
'''


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fmt(values):
    if not values:
        return "-"
    med = statistics.median(values)
    unit = (lambda v: f"{v * 1000:.2f} ms") if med < 1 else (lambda v: f"{v:.2f} s")
    return f"{unit(med)} ({unit(min(values))} - {unit(max(values))})"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--iters", type=int, default=100_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    rewind = os.path.join(a.build, "bin", "rewind")
    elf = os.path.join(a.build, "guest", "intloop64.elf")
    append = f"iters={a.iters}"
    times = {}
    instructions = None
    for _ in range(a.repeat):
        for mode in ("recorded", "no-record"):
            cmd = [rewind, "run", elf, "--append", append, "--stats"] + (["--no-record"] if mode == "no-record" else [])
            t0 = time.monotonic()
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
            times.setdefault(f"run {mode}", []).append(time.monotonic() - t0)
            m = re.search(r"instructions retired: (\d+)", p.stderr)
            instructions = int(m.group(1)) if m else instructions
        with tempfile.TemporaryDirectory() as tmp:
            port = free_port()
            script = os.path.join(tmp, "bench.py")
            with open(script, "w") as f:
                f.write(GDB_SCRIPT.replace("PORT", str(port)))
            r = subprocess.Popen([rewind, "run", elf, "--append", append, "--gdb", f"127.0.0.1:{port}", "--wait-gdb"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            for line in r.stderr:
                if "waiting for gdb" in line:
                    break
            g = subprocess.run(["gdb", "-nx", "-batch", "-x", script, elf], capture_output=True, text=True, timeout=900)
            r.wait(timeout=60)
            for name, secs in re.findall(r"^TIME (\S+) ([\d.]+)", g.stdout, re.M):
                times.setdefault(name, []).append(float(secs))
            whens = re.findall(r"^WHEN icount (\d+) of (\d+)", g.stdout, re.M)
            if len(whens) != 2 or int(whens[1][0]) > 1_000_000 or r.returncode != 1:
                sys.exit(f"unexpected session (status {r.returncode}): {g.stdout[-2000:]}{g.stderr[-2000:]}")
    model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    print(f"intloop64 {append}: {instructions} instructions; {model}, {os.cpu_count()} cores; median (min - max) of {a.repeat}\n")
    print("| | time |\n|---|---:|")
    rows = [("`rewind run` to the end, recorded (journal + snapshots)", "run recorded"),
            ("`rewind run --no-record` to the end", "run no-record"),
            ("under gdb, live: `continue` to the end", "continue"),
            ("first `reverse-stepi`", "rsi0"),
            ("next `reverse-stepi` (2-5)", "rsi*"),
            ("`reverse-continue` back across the history (to kmain)", "rc"),
            ("`continue` from there: replay to the frontier, then live", "forward")]
    for label, key in rows:
        vals = [v for k, vs in times.items() if (k.startswith("rsi") and k != "rsi0" if key == "rsi*" else k == key) for v in vs]
        print(f"| {label} | {fmt(vals)} |")
    print(f"\ncommand: {' '.join(sys.argv)}")


if __name__ == "__main__":
    main()
