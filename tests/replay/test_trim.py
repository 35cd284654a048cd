#!/usr/bin/env python3
"""Recordings with stored snapshots, and `rewind trim`, against the real binary, on a disk
guest (disktest, interrupt-driven, writing to both disks):

- a recording made with --snapshots replays from its stored snapshots ("loaded from the
  recording") to the recorded end, and as one made without them;
- windows [A, B] trimmed from it replay with every digest check passing, end at B with the
  original's status there (its exit at its end, else 30, "window end"), and reach the state the
  original has at B: the final digest of a window's replay equals that of the window [0, B]
  (a replay of the original from instruction 0) and, at the end, the original's own; and the
  serial output of [0, A] followed by that of [A, B] is the output of [0, B];
- `rewind info` names the window and the original; a window of a window works too;
- a damaged snapshot chunk is a warning naming the chunk, and the replay still works from the
  journal; a trimmed recording whose start snapshot is damaged is refused (22);
- A > B, a window beyond the recording, a missing -o: exit 2 with a message.

  test_trim.py REWIND GUEST_DIR MAKE_DISK_IMAGE
"""
import argparse
import json
import os
import re
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from replay_common import Failures, run  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("rewind")
ap.add_argument("guest_dir")
ap.add_argument("make_image")
args = ap.parse_args()
f = Failures()
tmp = tempfile.mkdtemp(prefix="rewind-trim-")
WINDOW_END, BAD_RECORDING, USAGE = 30, 22, 2


def make_image(name, size, *extra):
    path = os.path.join(tmp, name)
    subprocess.run([sys.executable, args.make_image, path, size, *extra], check=True)
    return path


def check(ok, what, detail=b""):
    f.expect(bool(ok), what)
    if ok:
        print(f"ok   {what}")
    elif detail:
        print(detail.decode(errors="replace") if isinstance(detail, bytes) else detail)


def final_digest(result):
    m = re.search(r"final state digest: ([0-9a-f]{16})", result.err.decode(errors="replace"))
    return m.group(1) if m else None


def path(name):
    return os.path.join(tmp, name)


a = make_image("a.img", "4M", "--seed", "1")
b = make_image("b.img", "3M", "--seed", "2")
guest = os.path.join(args.guest_dir, "disktest.elf")
record = [args.rewind, "record", guest, "--append", "irq=1", "-hda", a, "-hdc", b, "--serial-in", "none", "--snapshots",
          "--snapshot-interval", "1000000"]
rec = run(record + ["-o", path("orig.rwd"), "--serial", path("orig.out"), "--stats"])
check(rec.rc == 1, f"record exits 1 (got {rec.rc})", rec.err)
stored = re.search(rb"in (\d+) stored snapshots", rec.err)
check(stored and int(stored.group(1)) >= 3, "the recording stores snapshots", rec.err)
plain = run(record + ["-o", path("plain.rwd"), "--serial", os.devnull, "--no-snapshots", "--stats"])
check(re.search(rb"in 0 stored snapshots", plain.err) is not None, "--no-snapshots stores none", plain.err)
end = int(re.search(rb"instructions retired: (\d+)", rec.err).group(1))

# The whole recording, from its stored snapshots and without them.
full = run([args.rewind, "replay", path("orig.rwd"), "--stats", "--serial", path("replay.out")])
check(full.rc == 1, f"replay of the recording with snapshots exits 1 (got {full.rc})", full.err)
loaded = re.search(rb"(\d+) loaded from the recording", full.err)
check(loaded and int(loaded.group(1)) >= 3, "the replay loads the stored snapshots", full.err)
check(open(path("replay.out"), "rb").read() == open(path("orig.out"), "rb").read(), "the same serial output")
end_digest = final_digest(full)
check(end_digest is not None, "the replay's final digest is printed", full.err)


def trim(src, lo, hi, out, *extra):
    return run([args.rewind, "trim", src, "--from", str(lo), "--to", str(hi), "-o", out, *extra])


def replay_window(name):
    r = run([args.rewind, "replay", path(name), "--stats", "--serial", path(name + ".out")])
    return r, open(path(name + ".out"), "rb").read()


windows = {}
for lo, hi in [(0, 2_500_000), (1_500_000, 3_500_000), (0, 1_500_000), (1_500_000, 2_500_000), (2_500_000, end),
               (0, end), (3_000_000, 3_000_000)]:
    name = f"w{lo}-{hi}.rwd"
    t = trim(path("orig.rwd"), lo, hi, path(name))
    check(t.rc == 0, f"trim [{lo}, {hi}] exits 0 (got {t.rc})", t.err)
    info = run([args.rewind, "info", path(name)])
    check(f"trimmed window [{lo}, {hi}] of {path('orig.rwd')}".encode() in info.out,
          f"info names the window [{lo}, {hi}] and the original", info.out)
    check(b"hash unknown" not in info.out and b"not hashed" not in info.out,
          f"[{lo}, {hi}] carries the original's image hashes", info.out)
    listed = run([args.rewind, "info", path(name), "--events"])
    completions = [l for l in listed.out.splitlines() if b"disk completion" in l]
    check(all(b" LBA " in l for l in completions),
          f"each of the {len(completions)} completions in [{lo}, {hi}] has its request (started before it or not)",
          listed.out)
    r, out = replay_window(name)
    want = 1 if hi == end else WINDOW_END
    check(r.rc == want, f"the window [{lo}, {hi}] replays to its end with status {want} (got {r.rc})", r.err)
    check(b"diverged" not in r.err, f"no divergence in [{lo}, {hi}]", r.err)
    digests = re.search(rb"state digests checked: (\d+)", r.err)
    check(digests and int(digests.group(1)) >= 1, f"digests checked in [{lo}, {hi}]", r.err)
    windows[(lo, hi)] = (final_digest(r), out)

# A window that starts while requests are in flight (slow host I/O): the completions it holds
# keep their requests, started before it. The windows come from the recording (its requests
# and completions land where host timing put them): each starts in the middle of a request
# and ends just after its completion.
slow = run([args.rewind, "record", os.path.join(args.guest_dir, "disk_sum.elf"), "--append", "irq=1 chunk=8", "-hda", a,
            "-hdc", b, "--io-faults", "seed=2,delay=200-500", "--serial-in", "none", "-o", path("slow.rwd"),
            "--serial", os.devnull])
check(slow.rc == 1, f"a disk guest with slow host I/O is recorded (got {slow.rc})", slow.err)
events = json.loads(run([args.rewind, "info", path("slow.rwd"), "--events", "--json"]).out)["events"]
in_flight = [e for e in events if e["kind"] == "disk_completion" and e["icount"] - e["started"] > 2]
check(len(in_flight) >= 4, f"the slow recording has completions long after their requests ({len(in_flight)})")
started_before = 0
for e in in_flight[:4]:
    lo, hi = (e["started"] + e["icount"]) // 2, e["icount"] + 1
    t = trim(path("slow.rwd"), lo, hi, path("slow-window.rwd"))
    check(t.rc == 0, f"trim [{lo}, {hi}] of the slow recording exits 0 (got {t.rc})", t.err)
    listed = run([args.rewind, "info", path("slow-window.rwd"), "--events"]).out.decode()
    completions = [l for l in listed.splitlines() if "disk completion" in l]
    check(completions and all(" LBA " in l for l in completions), f"[{lo}, {hi}]: every completion has its request",
          listed)
    started_before += sum(1 for l in completions if int(re.search(r"started (\d+)", l).group(1)) < lo)
check(started_before >= 4, f"{started_before} of those requests were started before their window")

# The same states at every window's end, whichever snapshot the replay started from.
for (lo, hi), (digest, _) in windows.items():
    if (0, hi) in windows:
        check(digest == windows[(0, hi)][0], f"[{lo}, {hi}] ends in the state [0, {hi}] does ({digest})")
    if hi == end:
        check(digest == end_digest, f"[{lo}, {hi}] ends in the original's final state ({digest}, {end_digest})")
for lo, mid, hi in [(0, 1_500_000, 2_500_000)]:
    joined = windows[(lo, mid)][1] + windows[(mid, hi)][1]
    check(joined == windows[(lo, hi)][1], f"the output of [{lo}, {mid}] then [{mid}, {hi}] is that of [{lo}, {hi}]")
check(windows[(0, end)][1] == open(path("orig.out"), "rb").read(), "the window [0, end] prints what the run printed")

# A window of a window.
t = trim(path(f"w1500000-3500000.rwd"), 2_000_000, 3_000_000, path("ww.rwd"))
check(t.rc == 0, f"a window of a window is trimmed (got {t.rc})", t.err)
r, _ = replay_window("ww.rwd")
check(r.rc == WINDOW_END and b"diverged" not in r.err, f"and replays (got {r.rc})", r.err)
bad = trim(path("w1500000-3500000.rwd"), 1_000_000, 2_000_000, path("x.rwd"))
check(bad.rc == USAGE and b"not within the recording" in bad.err, f"before a window's start: exit 2 (got {bad.rc})",
      bad.err)

# Usage errors.
for extra, what in [(["--from", "5", "--to", "4", "-o", path("x.rwd")], "after it ends"),
                    (["--from", "0", "--to", str(end + 1), "-o", path("x.rwd")], "not within the recording"),
                    (["--from", "0", "--to", "5"], "--output is required"),
                    (["--from", str(end), "--to", str(end), "-o", path("x.rwd")], "holds no instruction")]:
    r = run([args.rewind, "trim", path("orig.rwd"), *extra])
    check(r.rc == USAGE and what.encode() in r.err, f"trim {' '.join(extra)}: exit 2, '{what}' (got {r.rc})", r.err)
r = run([args.rewind, "trim", path("missing.rwd"), "--from", "0", "--to", "5", "-o", path("x.rwd")])
check(r.rc == BAD_RECORDING, f"trim of a missing file: exit 22 (got {r.rc})", r.err)


def snap_chunks(data):
    """(offset, compressed length) of each 'SNAP' chunk, walking the file's framing."""
    pos = 20 + struct.unpack_from("<I", data, 12)[0]
    out = []
    while pos + 12 <= len(data):
        tag = data[pos:pos + 4]
        if tag == b"END!":
            break
        clen = struct.unpack_from("<I", data, pos + 4)[0]
        if tag == b"SNAP":
            out.append((pos, clen))
        pos += 16 + clen
    return out


# A damaged snapshot chunk: a warning naming it; the replay goes on from the journal.
data = bytearray(open(path("orig.rwd"), "rb").read())
chunks = snap_chunks(data)
check(len(chunks) >= 3, f"the file has snapshot chunks ({len(chunks)})")
at, clen = chunks[1]
data[at + 16 + clen // 2] ^= 0x40
open(path("damaged.rwd"), "wb").write(data)
r = run([args.rewind, "replay", path("damaged.rwd"), "--stats", "--serial", os.devnull])
check(r.rc == 1 and b"diverged" not in r.err, f"a recording with a damaged snapshot still replays (got {r.rc})", r.err)
check(f"rewind: warning: {path('damaged.rwd')}: snapshot chunk at byte {at}: checksum mismatch".encode() in r.err,
      "a warning names the damaged snapshot chunk", r.err)
check(final_digest(r) == end_digest, "to the same final state")
info = run([args.rewind, "info", path("damaged.rwd")])
check(info.rc == 0 and f"snapshot chunk at byte {at}".encode() in info.out, "info shows the warning", info.out)
# A trimmed recording whose start snapshot is damaged cannot be replayed: refused.
data = bytearray(open(path("w1500000-3500000.rwd"), "rb").read())
at, clen = snap_chunks(data)[0]
data[at + 16 + clen // 2] ^= 0x40
open(path("damaged-window.rwd"), "wb").write(data)
r = run([args.rewind, "replay", path("damaged-window.rwd"), "--serial", os.devnull])
check(r.rc == BAD_RECORDING and b"start snapshot" in r.err, f"a window without its start: exit 22 (got {r.rc})", r.err)

f.finish("stored snapshots and trimmed windows")
