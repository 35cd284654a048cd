#!/usr/bin/env python3
"""Recordings and recorded images that cannot be used end promptly, with one clear line and
the documented status (timeouts here only guard against a hang; nothing measures speed):
- the issue's recording: valid checksums, one event at instruction 2^63-1 (later events then
  out of order). Its chunk is damaged (past the state digest due at 10,000,000) and dropped
  whole, with everything after it: `info` says cut short with nothing recovered (status 0),
  `replay` replays nothing and ends with 28, instead of running "forever";
- a recorded guest or disk image replaced by a FIFO: replay refuses it at once (8), instead
  of waiting in open() for a writer that never comes.

  test_unreadable_inputs.py REWIND GUEST_DIR MAKE_DISK_IMAGE
"""
import os
import shutil
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from replay_common import CUT_SHORT, Failures, checksum, run  # noqa: E402

EXIT_BAD_IMAGE = 8
HANG_GUARD = 60  # seconds; the runs take well under one
CHUNK_TAG = 0x4B4E4843
SERIAL_INPUT = 2

rewind, guest_dir, make_image = sys.argv[1:4]
f = Failures()
tmp = tempfile.mkdtemp(prefix="rewind-unreadable-")


def text(r):
    return r.err.decode(errors="replace")


def lz4_literals(raw):
    """An LZ4 block holding `raw` as literals only (a valid block the reader decompresses)."""
    n = len(raw)
    out = bytearray([min(n, 15) << 4])
    if n >= 15:
        rest = n - 15
        while rest >= 255:
            out.append(255)
            rest -= 255
        out.append(rest)
    return bytes(out) + raw


def chunk(events):
    """A chunk of (icount, kind, id) events, serialized as cereal does, with a valid checksum."""
    raw = b"\x01" + struct.pack("<Q", len(events))  # little-endian flag, element count
    for icount, kind, ident in events:
        raw += struct.pack("<QBBQiQ", icount, kind, 0, ident, 0, 0)  # no data words
    data = lz4_literals(raw)
    return struct.pack("<IIII", CHUNK_TAG, len(data), len(raw), checksum(data)) + data


guest = os.path.join(tmp, "hello.elf")
shutil.copy(os.path.join(guest_dir, "hello.elf"), guest)
disk = os.path.join(tmp, "disk.img")
subprocess.run([sys.executable, make_image, disk, "64K"], check=True)
rec_path = os.path.join(tmp, "hello.rwd")
rec = run([rewind, "record", "-o", rec_path, guest, "-hda", disk, "--serial-in", "none"], timeout=HANG_GUARD)
f.expect(rec.rc == 1, f"hello recorded (status {rec.rc}): {text(rec)}")
data = open(rec_path, "rb").read()
header_end = 20 + struct.unpack_from("<I", data, 12)[0]

# --- the recording: one event at 2^63-1 --------------------------------------------
far = (1 << 63) - 1
crafted = os.path.join(tmp, "far.rwd")
with open(crafted, "wb") as fh:
    fh.write(data[:header_end] + chunk([(far, SERIAL_INPUT, 0x41)]) + data[header_end:])
damage = f"event at instruction {far} lies past the state digest due at instruction 10000000"

info = run([rewind, "info", crafted], timeout=HANG_GUARD)
out = info.out.decode(errors="replace")
f.expect(info.rc == 0, f"info on the issue's recording: status 0, got {info.rc}: {text(info)}")
f.expect("instructions   0 (at least; the recording was cut short)" in out,
         f"info does not claim 2^63-1 instructions: {out!r}")
f.expect("cut short; 0 events recovered" in out and damage in out, f"info says what was dropped and why: {out!r}")

replay = run([rewind, "replay", crafted], timeout=HANG_GUARD)
err = text(replay)
f.expect(replay.rc == CUT_SHORT, f"replay of the issue's recording ends with 28, got {replay.rc}: {err}")
f.expect(f"rewind: warning: {crafted}: the recording was cut short; 0 events recovered" in err and damage in err,
         f"replay warns what was dropped and why: {err!r}")
f.expect("replayed the recovered part of a recording that was cut short: 0 of 0 events, up to instruction 0" in err,
         f"replay says it replayed nothing: {err!r}")
f.expect(all(line.startswith("rewind: ") for line in err.splitlines()), f"every stderr line is rewind's: {err!r}")

# The same event alone (no later chunks, no end record): the same answer.
alone = os.path.join(tmp, "far-alone.rwd")
with open(alone, "wb") as fh:
    fh.write(data[:header_end] + chunk([(far, SERIAL_INPUT, 0x41)]))
replay = run([rewind, "replay", alone], timeout=HANG_GUARD)
f.expect(replay.rc == CUT_SHORT and damage in text(replay), f"lone far event: 28 and why ({replay.rc}): {text(replay)}")

# --- recorded images replaced by FIFOs -------------------------------------------------------
for what, path in (("guest", guest), ("disk", disk)):
    os.rename(path, path + ".real")
    os.mkfifo(path)
    try:
        r = run([rewind, "replay", rec_path], timeout=HANG_GUARD)
    finally:
        os.unlink(path)
        os.rename(path + ".real", path)
    want = (f"rewind: error: cannot read the recorded {what} image for replay: {path}: is a FIFO (named pipe), "
            "not a regular file or block device")
    f.expect(r.rc == EXIT_BAD_IMAGE, f"recorded {what} image now a FIFO: status 8, got {r.rc}")
    f.expect(text(r).splitlines() == [want], f"recorded {what} image now a FIFO: one line {want!r}, got {text(r)!r}")

again = run([rewind, "replay", rec_path], timeout=HANG_GUARD)
f.expect(again.rc == 1 and again.out == rec.out, f"with the images back the recording replays ({again.rc})")

shutil.rmtree(tmp)
f.finish("unreadable recordings and images")
