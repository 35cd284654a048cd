#!/usr/bin/env python3
"""Record a disk guest many times with randomized host I/O timing (--io-faults seeds: random
latency, so completions arrive reordered and at arbitrary instruction boundaries; optionally
failing requests), then replay every recording several times under different host timing:
alone, and concurrently with other replays and a CPU hog. Each replay must give the recorded
run's serial output byte for byte, its exit status and its instruction count; replay itself
checks the journaled state digests and the recorded end, and exits 26 on any difference.

  test_record_replay.py REWIND GUEST_DIR MAKE_DISK_IMAGE --workload W --seeds FIRST-LAST [--replays N]
"""
import argparse
import concurrent.futures
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from replay_common import CpuHog, Failures, run  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("rewind")
ap.add_argument("guest_dir")
ap.add_argument("make_image")
ap.add_argument("--workload", required=True, choices=["crash", "disksum", "disksum-fail", "disksum-poll"])
ap.add_argument("--seeds", required=True)
ap.add_argument("--replays", type=int, default=2)
args = ap.parse_args()
first, last = (int(x) for x in args.seeds.split("-"))
seeds = range(first, last + 1)
f = Failures()
tmp = tempfile.mkdtemp(prefix="rewind-replay-")


def make_image(name, size, *extra):
    path = os.path.join(tmp, name)
    subprocess.run([sys.executable, args.make_image, path, size, *extra], check=True)
    return path


if args.workload == "crash":
    records = make_image("records.img", "256K", "--seed", "3", "--records", "256")
    guest = os.path.join(args.guest_dir, "crash_demo.elf")
    machine = ["-hda", records, "-hdc", records]
    # records: 128..256 in chunks of 8, varied by seed (most seeds crash at 256).
    def command_line(seed):
        return f"records={256 - 8 * (seed % 17)}"
    def faults(seed):
        return f"seed={seed},delay=200-2000"
else:
    a = make_image("a.img", "192K", "--seed", "1")
    b = make_image("b.img", "128K", "--seed", "2")
    guest = os.path.join(args.guest_dir, "disk_sum.elf")
    machine = ["-hda", a, "-hdc", b]
    def command_line(seed):
        if args.workload == "disksum-poll":
            return f"chunk={[8, 16, 32][seed % 3]}"
        return f"irq=1 chunk={[8, 16, 32][seed % 3]}" + (" ext=1" if seed % 2 else "")
    def faults(seed):
        if args.workload == "disksum-fail":
            return f"seed={seed},delay=0-{300 + 100 * (seed % 5)},fail={10 + seed % 4 * 5}%"
        return f"seed={seed},delay={seed % 3 * 50}-{400 + 150 * (seed % 7)}"


def record(seed):
    path = os.path.join(tmp, f"{args.workload}-{seed}.rwd")
    cmd = [args.rewind, "record", "-o", path, guest, *machine, "--append", command_line(seed),
           "--io-faults", faults(seed), "--serial-in", "none", "--stats"]
    r = run(cmd)
    return seed, path, r


def replay(path):
    return run([args.rewind, "replay", path, "--stats", "--no-progress"])


recorded = {}
# Two recordings at a time: the host is busy, completions land in different places.
with concurrent.futures.ThreadPoolExecutor(2) as pool:
    for seed, path, r in pool.map(record, seeds):
        f.expect(r.instructions is not None and r.rc not in (2, 8, 10, 20),
                 f"seed {seed}: recording ran (status {r.rc}): {r.err.decode(errors='replace')[-400:]}")
        f.expect(b"rewind: error" not in r.err, f"seed {seed}: no error while recording")
        recorded[seed] = (path, r)

statuses = sorted({r.rc for _, r in recorded.values()})
pairs = 0


def check(seed, k, rep):
    global pairs
    path, rec = recorded[seed]
    where = f"{args.workload} seed {seed} replay {k}"
    f.expect(rep.rc == rec.rc, f"{where}: exit status {rep.rc}, recorded {rec.rc}: "
                               f"{rep.err.decode(errors='replace')[-1500:]}")
    f.expect(rep.out == rec.out, f"{where}: serial output differs ({len(rep.out)} bytes, recorded {len(rec.out)})")
    f.expect(rep.instructions == rec.instructions,
             f"{where}: {rep.instructions} instructions, recorded {rec.instructions}")
    f.expect(b"diverged" not in rep.err, f"{where}: no divergence report")
    pairs += 1


for k in range(args.replays):
    if k == 0:
        # Alone, one after another.
        for seed in seeds:
            check(seed, k, replay(recorded[seed][0]))
    else:
        # Concurrently with each other and with CPU hogs: other host timing entirely.
        with CpuHog(k), concurrent.futures.ThreadPoolExecutor(1 + k) as pool:
            for seed, rep in zip(seeds, pool.map(lambda s: replay(recorded[s][0]), seeds)):
                check(seed, k, rep)

f.finish(f"{args.workload}: {len(recorded)} recordings, {pairs} record/replay pairs, recorded statuses {statuses}")
