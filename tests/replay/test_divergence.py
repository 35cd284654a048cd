#!/usr/bin/env python3
"""Replay refuses what it cannot reproduce, and says why:
- another disk image than the recorded one: refused (24) with a clear message; with --force
  it stops with 26, naming the instruction count and what differs;
- another guest image: refused (24);
- a recording cut short (its end record lost, or the recording process killed): replay runs
  what was recovered and ends with 28, saying so; `rewind info` says it was cut short;
- a recording that ended at --max-instructions replays to the same end (status 14).

  test_divergence.py REWIND GUEST_DIR MAKE_DISK_IMAGE
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from replay_common import CUT_SHORT, DIVERGENCE, IMAGE_MISMATCH, Failures, run  # noqa: E402

rewind, guest_dir, make_image = sys.argv[1:4]
f = Failures()
tmp = tempfile.mkdtemp(prefix="rewind-divergence-")


def image(name, size, *extra):
    path = os.path.join(tmp, name)
    subprocess.run([sys.executable, make_image, path, size, *extra], check=True)
    return path


def poke(path, offset, data):
    with open(path, "r+b") as fh:
        fh.seek(offset)
        fh.write(data)


def text(r):
    return r.err.decode(errors="replace")


# --- another disk image ---------------------------------------------------------------
disk = image("disk.img", "1M", "--seed", "1")
guest = os.path.join(guest_dir, "disk_sum.elf")
rec_path = os.path.join(tmp, "disk_sum.rwd")
rec = run([rewind, "record", "-o", rec_path, guest, "-hda", disk, "--append", "irq=1 chunk=16",
           "--io-faults", "seed=4,delay=100-900", "--serial-in", "none", "--stats"])
f.expect(rec.rc == 1, f"disk_sum recorded (status {rec.rc})")
same = run([rewind, "replay", rec_path, "--stats"])
f.expect(same.rc == 1 and same.out == rec.out, "replay on the recorded image: same output and status")
for where, sector in (("early", 3), ("late", 2040)):
    changed = os.path.join(tmp, "disk.img")
    shutil.copy(disk, disk + ".orig")
    poke(changed, sector * 512 + 100, b"\xde\xad\xbe\xef")
    r = run([rewind, "replay", rec_path])
    f.expect(r.rc == IMAGE_MISMATCH, f"changed disk ({where}): refused with 24, got {r.rc}")
    f.expect(re.search(r"^rewind: error: disk .*disk\.img is not the one recorded.*--force", text(r), re.M),
             f"changed disk ({where}): the message names the disk and --force: {text(r)!r}")
    f.expect(r.out == b"", f"changed disk ({where}): the guest did not run")
    r = run([rewind, "replay", rec_path, "--force"])
    f.expect(r.rc == DIVERGENCE, f"changed disk ({where}) --force: 26, got {r.rc}: {text(r)}")
    f.expect("warning: disk" in text(r) and "--force" in text(r), f"changed disk ({where}) --force: warned")
    m = re.search(r"^rewind:   machine state differs at instruction (\d+)$", text(r), re.M)
    f.expect(m is not None, f"changed disk ({where}) --force: the report names the instruction: {text(r)}")
    f.expect(re.search(r"^rewind:   (memory differs in the pages at 0x[0-9a-f]+|register |device )", text(r), re.M),
             f"changed disk ({where}) --force: the report says what differs: {text(r)}")
    if m:
        f.expect(int(m.group(1)) <= rec.instructions, f"changed disk ({where}): divergence within the run")
    shutil.move(disk + ".orig", disk)

# --- another guest image -----------------------------------------------------------------
hello = os.path.join(tmp, "hello.elf")
shutil.copy(os.path.join(guest_dir, "hello.elf"), hello)
hello_rec = os.path.join(tmp, "hello.rwd")
r = run([rewind, "record", "-o", hello_rec, hello, "--serial-in", "none"])
f.expect(r.rc == 1, "hello recorded")
with open(hello, "ab") as fh:
    fh.write(b"\0" * 16)
r = run([rewind, "replay", hello_rec])
f.expect(r.rc == IMAGE_MISMATCH and re.search(r"^rewind: error: guest .* is not the one recorded", text(r), re.M),
         f"changed guest: refused with 24 ({r.rc}): {text(r)!r}")

# --- a recording that ended at the instruction limit ------------------------------------
limit_rec = os.path.join(tmp, "limit.rwd")
r = run([rewind, "record", "-o", limit_rec, os.path.join(guest_dir, "intloop64.elf"), "--max-instructions", "3000000",
         "--serial-in", "none", "--stats"])
f.expect(r.rc == 14 and r.instructions == 3000000, f"recorded to the instruction limit ({r.rc}, {r.instructions})")
rr = run([rewind, "replay", limit_rec, "--stats"])
f.expect(rr.rc == 14 and rr.instructions == 3000000 and rr.out == r.out,
         f"replayed to the same instruction limit ({rr.rc}, {rr.instructions}): {text(rr)}")

# --- a recording cut short: the end record lost -------------------------------------------
data = open(rec_path, "rb").read()
end = data.rfind(b"END!")
cut = os.path.join(tmp, "cut.rwd")
with open(cut, "wb") as fh:
    fh.write(data[:end + 5])  # the end record itself incomplete
info = run([rewind, "info", cut])
f.expect(info.rc == 0 and b"cut short" in info.out, f"info on a cut recording says so: {info.out!r}")
r = run([rewind, "replay", cut, "--stats"])
f.expect(r.rc == CUT_SHORT, f"replay of a cut recording: 28, got {r.rc}: {text(r)}")
f.expect(re.search(r"^rewind: warning: .*cut short; \d+ events recovered", text(r), re.M),
         f"replay of a cut recording: warns what was recovered: {text(r)}")
f.expect(re.search(r"^rewind: replayed the recovered part .* up to instruction \d+", text(r), re.M),
         f"replay of a cut recording: says how far it replayed: {text(r)}")
f.expect(r.out and rec.out.startswith(r.out), "replay of a cut recording: a prefix of the recorded output")

# --- a recording cut short: the recording process killed ----------------------------------
killed = os.path.join(tmp, "killed.rwd")
p = subprocess.Popen([rewind, "record", "-o", killed, os.path.join(guest_dir, "intloop64.elf"), "--append",
                      "iters=2000000000", "--serial-in", "none"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
time.sleep(1.5)
p.send_signal(signal.SIGKILL)
p.wait()
info = run([rewind, "info", killed])
m = re.search(rb"events +(\d+) in (\d+) chunks", info.out)
f.expect(info.rc == 0 and b"cut short" in info.out and m and int(m.group(1)) > 0,
         f"killed recording: info says cut short and shows what was recovered: {info.out!r}")
r = run([rewind, "replay", killed, "--stats"], timeout=60)
f.expect(r.rc == CUT_SHORT and "cut short" in text(r), f"killed recording: replay ends with 28 ({r.rc}): {text(r)}")
f.expect(r.instructions and r.instructions > 10_000_000, f"killed recording: replayed {r.instructions} instructions")
f.expect("diverged" not in text(r), f"killed recording: the recovered part replays without divergence: {text(r)}")

f.finish("divergence, mismatched images, cut-short recordings")
