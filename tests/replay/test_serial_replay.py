#!/usr/bin/env python3
"""Serial input is journaled: record the serial echo guest fed from a file (--serial-in FILE)
and from a pipe written at random moments (stdin), then replay each recording twice with other
bytes on stdin (a replay reads no input): the recorded output byte for byte, the same status
and instruction count.

  test_serial_replay.py REWIND GUEST_DIR DIR_WITH_serial_echo.stdin
"""
import os
import random
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from replay_common import Failures, Result, run  # noqa: E402

rewind, guest_dir, src_dir = sys.argv[1:4]
f = Failures()
tmp = tempfile.mkdtemp(prefix="rewind-serial-")
with open(os.path.join(src_dir, "serial_echo.stdin"), "rb") as fh:
    feed = fh.read()
feed_path = os.path.join(tmp, "feed.txt")
with open(feed_path, "wb") as fh:
    fh.write(feed)
pairs = 0


def record_from_pipe(cmd, seed):
    """Feeds `feed` in random pieces at random moments: the guest sees the bytes at
    host-dependent instruction counts."""
    rnd = random.Random(seed)
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = {}
    t = threading.Thread(target=lambda: out.update(o=p.stdout.read()))
    t.start()
    e = threading.Thread(target=lambda: out.update(e=p.stderr.read()))
    e.start()
    pos = 0
    while pos < len(feed):
        n = rnd.randint(1, 24)
        p.stdin.write(feed[pos:pos + n])
        p.stdin.flush()
        pos += n
        time.sleep(rnd.uniform(0, 0.01))
    p.stdin.close()
    p.wait(timeout=30)
    t.join()
    e.join()
    return Result(p.returncode, out["o"], out["e"])


for bits in ("32", "64"):
    guest = os.path.join(guest_dir, f"serial_echo{bits}.elf")
    for mode in ("file", "pipe1", "pipe2"):
        path = os.path.join(tmp, f"echo{bits}-{mode}.rwd")
        cmd = [rewind, "record", "-o", path, guest, "--stats"]
        if mode == "file":
            rec = run(cmd + ["--serial-in", feed_path], timeout=30)
        else:
            rec = record_from_pipe(cmd + ["--serial-in", "stdin"], seed=hash((bits, mode)) & 0xFFFF)
        where = f"serial_echo{bits} from {mode}"
        f.expect(rec.rc == 1 and b"bye" in rec.out, f"{where}: recorded run ends well (status {rec.rc})")
        info = run([rewind, "info", path])
        f.expect(info.rc == 0 and b"serial input bytes" in info.out, f"{where}: info counts serial input bytes")
        for k in range(2):
            # Other bytes on stdin: a replay must not read them.
            with open(os.path.join(tmp, "other.txt"), "wb") as other:
                other.write(b"something else entirely\nquit\n" * (k + 1))
            with open(os.path.join(tmp, "other.txt"), "rb") as other:
                rep = run([rewind, "replay", path, "--stats"], timeout=30, stdin=other)
            f.expect(rep.rc == rec.rc, f"{where} replay {k}: status {rep.rc}, recorded {rec.rc}: {rep.err[-600:]}")
            f.expect(rep.out == rec.out, f"{where} replay {k}: output {rep.out!r}, recorded {rec.out!r}")
            f.expect(rep.instructions == rec.instructions and rec.instructions,
                     f"{where} replay {k}: {rep.instructions} instructions, recorded {rec.instructions}")
            pairs += 1

f.finish(f"{pairs} serial record/replay pairs")
