#!/usr/bin/env python3
"""xv6's `usertests` (typed at the first `$ ` prompt) to `ALL TESTS PASSED`: wall time on
rewind (recording to a file, and --no-record) and on QEMU (plain TCG and -icount
shift=auto), interleaved; the recording's size per guest second; then, on that recording
replayed under gdb, the time of a reverse-continue from the end of usertests back to the
last call of ideintr. Prints Markdown (docs/PERFORMANCE.md, "Issue 14").

    bench/xv6_usertests_bench.py --build build --xv6 build/xv6/xv6 [--repeat 1]

The xv6 tree is what scripts/xv6 (or the xv6.build test) builds."""
import argparse
import importlib.machinery
import importlib.util
import json
import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import time

ap = argparse.ArgumentParser()
ap.add_argument("--build", default="build")
ap.add_argument("--xv6", default="build/xv6/xv6")
ap.add_argument("--repeat", type=int, default=1)
args = ap.parse_args()
ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
_loader = importlib.machinery.SourceFileLoader("xv6", os.path.join(ROOT, "scripts", "xv6"))
xv6 = importlib.util.module_from_spec(importlib.util.spec_from_loader("xv6", _loader))
_loader.exec_module(xv6)
rewind = os.path.abspath(os.path.join(args.build, "bin", "rewind"))
tree = os.path.abspath(args.xv6)
tmp = tempfile.mkdtemp(prefix="rewind-usertests-bench-")
recording = os.path.join(tmp, "usertests.rwr")


def rewind_cmd(record):
    cmd = xv6.command_line(rewind, tree, tmp, True, ["--serial-in", "stdin"])
    if record:
        cmd[1:2] = ["record", "-o", recording]
    else:
        cmd.append("--no-record")
    return cmd


def qemu_cmd(icount):
    fs = os.path.join(tmp, "fs-qemu.img")  # QEMU writes to it; the recording's stays as recorded
    shutil.copyfile(os.path.join(tree, "fs.img"), fs)
    cmd = ["qemu-system-i386", "-display", "none", "-monitor", "none", "-serial", "stdio", "-smp", "1", "-m", "512",
           "-no-reboot", "-kernel", os.path.join(tree, "kernel"),
           "-drive", f"file={os.path.join(tree, 'xv6.img')},index=0,media=disk,format=raw,snapshot=on",
           "-drive", f"file={fs},index=1,media=disk,format=raw"]
    return cmd + (["-icount", "shift=auto"] if icount else [])


def timed(cmd):
    start = time.monotonic()
    out = xv6.session(cmd, ["usertests"], timeout=900)
    elapsed = time.monotonic() - start
    if "ALL TESTS PASSED" not in out:
        raise RuntimeError(f"usertests did not pass under {' '.join(cmd)}:\n{out[-2000:]}")
    return elapsed


CONFIGS = [("rewind record -o FILE", lambda: rewind_cmd(True)), ("rewind run --no-record", lambda: rewind_cmd(False)),
           ("QEMU TCG", lambda: qemu_cmd(False)), ("QEMU -icount shift=auto", lambda: qemu_cmd(True))]
times = {name: [] for name, _ in CONFIGS}
for _ in range(args.repeat):
    for name, make in CONFIGS:
        times[name].append(timed(make()))

print(f"usertests to ALL TESTS PASSED (boot included), median of {args.repeat}, interleaved:\n")
print("| | wall time |")
print("| --- | ---: |")
for name, _ in CONFIGS:
    print(f"| {name} | {statistics.median(times[name]):.1f} s |")

info = json.loads(subprocess.run([rewind, "info", recording, "--json"], capture_output=True, text=True).stdout)
n, size = info["instructions"], os.path.getsize(recording)
print(f"\nrecording: {size / 1048576:.2f} MiB for {n:,} instructions ({n / 1e9:.2f} guest seconds): "
      f"{size / (n / 1e9) / 1024:.0f} KiB per guest second; {info['events']['total']:,} events")

# Reverse-continue from the recording's end back to the last ideintr, under gdb.
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
server = subprocess.Popen([rewind, "replay", recording, "--gdb", f"127.0.0.1:{port}", "--wait-gdb"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
while "waiting for gdb" not in server.stderr.readline():
    if server.poll() is not None:
        raise RuntimeError("rewind replay --gdb did not start")
gdb = subprocess.run(["gdb", "-nx", "-batch", "-ex", "set pagination off", "-ex", f"target remote 127.0.0.1:{port}",
                      "-ex", f"symbol-file {os.path.join(tree, 'kernel')}",
                      "-ex", "python import time; t0 = time.monotonic()",
                      "-ex", "continue",
                      "-ex", "python print(f'FORWARD {time.monotonic() - t0:.2f}')",
                      "-ex", "monitor icount",
                      "-ex", "break ideintr",
                      "-ex", "python t0 = time.monotonic()",
                      "-ex", "reverse-continue",
                      "-ex", "python print(f'REVERSE {time.monotonic() - t0:.2f}')",
                      "-ex", "monitor icount", "-ex", "kill"],
                     capture_output=True, text=True, timeout=900)
server.kill()
server.wait()
lines = [l for l in gdb.stdout.splitlines() if l.startswith(("FORWARD", "REVERSE")) or "icount" in l.lower()
         or "Breakpoint 1," in l]
print("\nreplay under gdb, from the start to the recorded end (`continue`), then `reverse-continue` to the last "
      "ideintr:\n")
for l in lines:
    print("    " + l)
