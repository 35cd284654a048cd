"""Shared helpers for the record/replay CLI tests (tests/replay/)."""
import ctypes
import os
import re
import subprocess
import sys
import threading
import zlib

# Exit statuses `rewind replay` and `rewind info` may end with (cli/exit_codes.h): the
# recorded guest's own status (odd: isa-debug-exit; or one of the stop statuses), or one of
# the replay outcomes (8: an image the recording names cannot be read, as for `run`).
REPLAY_STATUSES = {8, 22, 24, 26, 28, 30}  # 30: a trimmed window's end
GUEST_STOP_STATUSES = {4, 6, 12, 14}
BAD_RECORDING, IMAGE_MISMATCH, DIVERGENCE, CUT_SHORT = 22, 24, 26, 28


_xxhash = None


def checksum(data, version=4):
    """A recording's checksum of `data` (docs/recording-format.md): the low 32 bits of XXH3-64,
    seed 0, from version 4 on (from libxxhash, which rewind links); CRC-32 before."""
    global _xxhash
    if version < 4:
        return zlib.crc32(data)
    if _xxhash is None:
        _xxhash = ctypes.CDLL("libxxhash.so.0")
        _xxhash.XXH3_64bits.restype = ctypes.c_uint64
        _xxhash.XXH3_64bits.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
    return _xxhash.XXH3_64bits(bytes(data), len(data)) & 0xFFFFFFFF


def documented_status(rc):
    return rc >= 0 and (rc % 2 == 1 or rc == 0 or rc in REPLAY_STATUSES or rc in GUEST_STOP_STATUSES)


class Result:
    def __init__(self, rc, out, err):
        self.rc, self.out, self.err = rc, out, err

    def stat(self, name):
        m = re.search(r"^rewind: stats: " + re.escape(name) + r": (\d+)$", self.err.decode(errors="replace"), re.M)
        return int(m.group(1)) if m else None

    @property
    def instructions(self):
        v = self.stat("instructions retired")
        return v if v is not None else self.stat("instructions replayed")


def run(cmd, timeout=60, stdin=subprocess.DEVNULL):
    p = subprocess.run(cmd, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    return Result(p.returncode, p.stdout, p.stderr)


class CpuHog:
    """Busy processes that compete with the runs for the host's CPUs (different host timing)."""

    def __init__(self, n=1):
        self.n = n
        self.procs = []

    def __enter__(self):
        for _ in range(self.n):
            self.procs.append(subprocess.Popen([sys.executable, "-c", "while True: pass"]))
        return self

    def __exit__(self, *exc):
        for p in self.procs:
            p.kill()
            p.wait()


class Failures:
    def __init__(self):
        self.items = []
        self.lock = threading.Lock()
        self.checks = 0

    def expect(self, cond, what):
        with self.lock:
            self.checks += 1
            if not cond:
                self.items.append(what)
                print("FAIL:", what, flush=True)

    def finish(self, summary):
        if self.items:
            print(f"{len(self.items)} failure(s) of {self.checks} checks; {summary}")
            sys.exit(1)
        print(f"ok: {self.checks} checks; {summary}")
