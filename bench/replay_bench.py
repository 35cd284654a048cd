#!/usr/bin/env python3
"""Record/replay benchmark (docs/PERFORMANCE.md, "Record and replay"); not a timed test.

  bench/replay_bench.py BUILD_DIR [--repeat N] [--qemu qemu-system-x86_64]

For each workload: wall time of `rewind run --no-record`, `rewind run` (in-memory journal),
`rewind record -o FILE` and `rewind replay FILE`, best of N; journal size, events, bytes per
event and per second of guest time; and QEMU's -icount rr=record / rr=replay on the same guest
where QEMU runs it.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ap = argparse.ArgumentParser()
ap.add_argument("build")
ap.add_argument("--repeat", type=int, default=3)
ap.add_argument("--qemu", default=shutil.which("qemu-system-x86_64"))
ap.add_argument("--iters", default="200000000")
args = ap.parse_args()
B = args.build
rewind = os.path.join(B, "bin", "rewind")
tmp = tempfile.mkdtemp(prefix="rewind-bench-")
rec_file = os.path.join(tmp, "r.rwd")


def best(cmd, n=args.repeat, timeout=120):
    times = []
    for _ in range(n):
        t = time.perf_counter()
        try:
            p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                               timeout=timeout)
        except subprocess.TimeoutExpired:
            return float("inf"), subprocess.CompletedProcess(cmd, -1, None, b"timed out")
        times.append(time.perf_counter() - t)
    return min(times), p


disks = os.path.join(B, "disks")
workloads = [
    ("intloop64 (CPU-bound)", [os.path.join(B, "guest", "intloop64.elf"), "--append", f"iters={args.iters}"],
     ["-kernel", os.path.join(B, "guest", "intloop64.qemu.elf"), "-append", f"iters={args.iters}"]),
    ("disk_sum irq, 4M+3M", [os.path.join(B, "guest", "disk_sum.elf"), "-hda", f"{disks}/pattern-a.img", "-hdc",
                             f"{disks}/pattern-b.img", "--append", "irq=1 ext=1 chunk=256"],
     ["-kernel", os.path.join(B, "guest", "disk_sum64.qemu.elf"), "-append", "irq=1 ext=1 chunk=256",
      "-drive", f"file={disks}/pattern-a.img,if=none,snapshot=on,id=a",
      "-drive", "driver=blkreplay,if=none,image=a,id=ra", "-device", "ide-hd,drive=ra,bus=ide.0",
      "-drive", f"file={disks}/pattern-b.img,if=none,snapshot=on,id=b",
      "-drive", "driver=blkreplay,if=none,image=b,id=rb", "-device", "ide-hd,drive=rb,bus=ide.1"]),
    ("crash_demo records=4096, io delay 200-2000us",
     [os.path.join(B, "guest", "crash_demo.elf"), "-hda", f"{disks}/records.img", "-hdc", f"{disks}/records.img",
      "--append", "records=4096 fixed=1", "--io-faults", "seed=3,delay=200-2000"], None),
]

for name, guest, qemu in workloads:
    common = ["--serial-in", "none"]
    t_off, _ = best([rewind, "run", *guest, *common, "--no-record"])
    t_mem, _ = best([rewind, "run", *guest, *common])
    t_rec, p = best([rewind, "record", "-o", rec_file, *guest, *common, "--stats"])
    t_rep, rp = best([rewind, "replay", rec_file, "--stats", "--no-progress"])
    info = subprocess.run([rewind, "info", rec_file], stdout=subprocess.PIPE, text=True).stdout
    events = int(re.search(r"events +(\d+)", info).group(1))
    insns = int(re.search(r"instructions +(\d+)", info).group(1))
    size = os.path.getsize(rec_file)
    guest_s = insns / 1e9
    print(f"== {name}")
    print(f"  instructions {insns}, guest time {guest_s:.3f} s, replay status {rp.returncode}")
    print(f"  run --no-record   {t_off:.3f} s")
    print(f"  run (in memory)   {t_mem:.3f} s  ({(t_mem / t_off - 1) * 100:+.1f}%)")
    print(f"  record -o FILE    {t_rec:.3f} s  ({(t_rec / t_off - 1) * 100:+.1f}%)")
    print(f"  replay            {t_rep:.3f} s  ({t_rec / t_rep:.2f}x the recording's speed)")
    print(f"  journal           {size} bytes, {events} events, {size / max(events, 1):.1f} bytes/event, "
          f"{size / guest_s:.0f} bytes per guest second")
    if qemu and args.qemu:
        q = [args.qemu, "-display", "none", "-serial", "null", "-monitor", "none", "-no-reboot",
             "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", *qemu]
        rr = os.path.join(tmp, "q.rr")
        t_qn, _ = best(q)
        t_qi, _ = best(q + ["-icount", "shift=auto"])
        t_qr, qp = best(q + ["-icount", f"shift=auto,rr=record,rrfile={rr}"])
        t_qp, qpp = best(q + ["-icount", f"shift=auto,rr=replay,rrfile={rr}"])
        qsize = os.path.getsize(rr) if os.path.exists(rr) else 0
        print(f"  qemu (TCG)        {t_qn:.3f} s; -icount {t_qi:.3f} s; rr=record {t_qr:.3f} s (status {qp.returncode}); "
              f"rr=replay {t_qp:.3f} s (status {qpp.returncode}); rr file {qsize} bytes")
        if qp.returncode not in (1, 3) or qpp.returncode not in (1, 3):
            print("  qemu stderr:", (qp.stderr or b"").decode(errors="replace")[-300:],
                  (qpp.stderr or b"").decode(errors="replace")[-300:])
    sys.stdout.flush()
