#!/usr/bin/env python3
"""Damaged recordings against the real binary: a real recording mutated hundreds of ways (bit
flips, truncation at many offsets, inserted and deleted bytes, random garbage, header fields
rewritten with a valid checksum), each given to `rewind info` and `rewind replay` under a
timeout. The exit status must be a documented one (the guest's own status, 8, 22, 24, 26, 28),
never death by a signal, never a hang, and every stderr line starts with "rewind: ".

  test_corrupt_recordings.py REWIND GUEST_DIR MAKE_DISK_IMAGE --part N/M
"""
import argparse
import concurrent.futures
import os
import random
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from replay_common import Failures, checksum, documented_status  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("rewind")
ap.add_argument("guest_dir")
ap.add_argument("make_image")
ap.add_argument("--part", default="1/1", help="run the mutations i with i %% M == N-1")
args = ap.parse_args()
part, parts = (int(x) for x in args.part.split("/"))
f = Failures()
tmp = tempfile.mkdtemp(prefix="rewind-corrupt-")

records = os.path.join(tmp, "records.img")
subprocess.run([sys.executable, args.make_image, records, "128K", "--seed", "3", "--records", "128"], check=True)
original = os.path.join(tmp, "original.rwd")
subprocess.run([args.rewind, "record", "-o", original, os.path.join(args.guest_dir, "crash_demo.elf"),
                "-hda", records, "-hdc", records, "--append", "records=128", "--io-faults", "seed=5,delay=100-800",
                "--serial-in", "none"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)
data = open(original, "rb").read()
rnd = random.Random(20261125)
HEADER_LEN = struct.unpack_from("<I", data, 12)[0]


def with_header(payload):
    """A file whose header payload is `payload`, with a valid checksum, then the original rest."""
    return data[:12] + struct.pack("<II", len(payload), checksum(payload)) + payload + data[20 + HEADER_LEN:]


mutations = []  # (name, bytes)
# Truncation: every offset through the header and the first chunk header, then a stride.
for n in list(range(0, 20 + HEADER_LEN + 24)) + list(range(20 + HEADER_LEN + 24, len(data), 7)):
    mutations.append((f"truncated to {n} bytes", data[:n]))
# Single bit flips anywhere.
for i in range(250):
    pos = rnd.randrange(len(data))
    b = bytearray(data)
    b[pos] ^= 1 << rnd.randrange(8)
    mutations.append((f"bit flip at {pos}", bytes(b)))
# Bytes inserted or deleted.
for i in range(60):
    pos = rnd.randrange(len(data))
    n = rnd.randint(1, 16)
    mutations.append((f"{n} bytes inserted at {pos}", data[:pos] + bytes(rnd.randrange(256) for _ in range(n)) + data[pos:]))
    mutations.append((f"{n} bytes deleted at {pos}", data[:pos] + data[pos + n:]))
# Garbage, with and without the magic.
for i in range(40):
    junk = bytes(rnd.randrange(256) for _ in range(rnd.randint(0, 3000)))
    mutations.append((f"garbage ({len(junk)} bytes)", junk))
    mutations.append((f"magic + garbage ({len(junk)} bytes)", data[:8] + junk))
# Header fields: version, length, checksum.
for v in (0, 1, 3, 0xFFFFFFFF):
    mutations.append((f"format version {v}", data[:8] + struct.pack("<I", v) + data[12:]))
for v in (0, 1, HEADER_LEN - 1, HEADER_LEN + 1, 1 << 20, 0xFFFFFFFF):
    mutations.append((f"header length {v}", data[:12] + struct.pack("<I", v) + data[16:]))
mutations.append(("header checksum", data[:16] + struct.pack("<I", 0) + data[20:]))
# The header payload itself rewritten, checksum fixed: every byte changed in turn, and
# integers (memory size, string lengths, hashes) set to extremes.
payload = data[20:20 + HEADER_LEN]
for pos in range(len(payload)):
    b = bytearray(payload)
    b[pos] ^= rnd.choice([0x01, 0x80, 0xFF])
    mutations.append((f"header byte {pos} changed (checksum fixed)", with_header(bytes(b))))
for pos in range(0, len(payload) - 8, 3):
    b = bytearray(payload)
    b[pos:pos + 8] = rnd.choice([b"\xff" * 8, b"\x00" * 8, struct.pack("<Q", 1 << 40)])
    mutations.append((f"header word at {pos} set to an extreme (checksum fixed)", with_header(bytes(b))))
mutations.append(("header payload cut (checksum fixed)", with_header(payload[:len(payload) // 2])))
# Chunk and end record fields.
chunk = 20 + HEADER_LEN
for off, what in ((0, "chunk tag"), (4, "chunk compressed size"), (8, "chunk raw size"), (12, "chunk checksum")):
    for v in (0, 1, 0xFFFFFFFF, 64 << 20):
        mutations.append((f"{what} = {v}", data[:chunk + off] + struct.pack("<I", v) + data[chunk + off + 4:]))
end = data.rfind(b"END!")
if end > 0:
    for off, what in ((4, "end record length"), (8, "end record checksum")):
        for v in (0, 1, 0xFFFFFFFF):
            mutations.append((f"{what} = {v}", data[:end + off] + struct.pack("<I", v) + data[end + off + 4:]))
    mutations.append(("end record twice", data + data[end:]))
    mutations.append(("chunk after the end record", data + data[chunk:end]))
mutations.append(("header only", data[:chunk]))
mutations.append(("empty", b""))

mine = [m for i, m in enumerate(mutations) if i % parts == part - 1]
counts = {}


def check(item):
    i, (name, content) = item
    path = os.path.join(tmp, f"m{i}.rwd")
    with open(path, "wb") as fh:
        fh.write(content)
    out = []
    for cmd in (["info", path], ["replay", path, "--no-progress", "--serial", os.devnull]):
        try:
            p = subprocess.run([args.rewind, *cmd], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, timeout=20)
        except subprocess.TimeoutExpired:
            f.expect(False, f"{name}: rewind {cmd[0]} hangs")
            continue
        err = p.stderr.decode(errors="replace")
        f.expect(p.returncode >= 0, f"{name}: rewind {cmd[0]} killed by signal {-p.returncode}: {err[-300:]}")
        f.expect(documented_status(p.returncode), f"{name}: rewind {cmd[0]} exit status {p.returncode}: {err[-300:]}")
        f.expect(all(line.startswith("rewind: ") for line in err.splitlines()),
                 f"{name}: rewind {cmd[0]} stderr lines start with 'rewind: ': {err[-300:]!r}")
        out.append(p.returncode)
    os.unlink(path)
    return out


with concurrent.futures.ThreadPoolExecutor(2) as pool:
    for rcs in pool.map(check, enumerate(mine)):
        for rc in rcs:
            counts[rc] = counts.get(rc, 0) + 1

f.finish(f"{len(mine)} of {len(mutations)} mutations ({len(data)}-byte recording), exit statuses {sorted(counts.items())}")
