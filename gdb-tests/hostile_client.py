#!/usr/bin/env python3
"""A hostile gdb client against the real binary (`rewind run --gdb` and `rewind replay --gdb`):
the packets of issue 8's reproducers. Every one gets an answer, none reaches host memory
(ASan would abort the process; a plain build would crash or corrupt guest memory), and none
costs memory in proportion to the numbers it carries (the process's peak resident size is
checked). Timeouts here only guard against hangs.

Usage: hostile_client.py REWIND GUEST_DIR"""
import os
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gdbtest import Checker, Rewind  # noqa: E402

REWIND, GUEST_DIR = sys.argv[1], sys.argv[2]
ELF = os.path.join(GUEST_DIR, "debug64.elf")
t = Checker("gdb.hostile_client")
PEAK_LIMIT_KB = 256 * 1024  # the guest's RAM is mapped lazily; the debug guest touches little


class Rsp:
    """The protocol by hand, in no-ack mode after the first exchange."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=60)
        self.buf = b""
        self.ack = True
        self.ask("QStartNoAckMode")
        self.ack = False

    def send(self, payload):
        data = payload.encode("latin-1") if isinstance(payload, str) else payload
        self.sock.sendall(b"$" + data + b"#%02x" % (sum(data) & 0xFF))

    def reply(self):
        while True:
            start = self.buf.find(b"$")
            end = self.buf.find(b"#", start + 1) if start >= 0 else -1
            if start >= 0 and end >= 0 and len(self.buf) >= end + 3:
                payload = self.buf[start + 1:end]
                self.buf = self.buf[end + 3:]
                if self.ack:
                    self.sock.sendall(b"+")
                return self.expand(payload.decode("latin-1"))
            chunk = self.sock.recv(65536)
            if not chunk:
                raise AssertionError("rewind closed the connection")
            self.buf += chunk

    @staticmethod
    def expand(payload):
        """Run-length encoding: 'c*N' is c repeated N - 29 more times."""
        out = []
        i = 0
        while i < len(payload):
            if payload[i] == "*" and out and i + 1 < len(payload):
                out.append(out[-1] * (ord(payload[i + 1]) - 29))
                i += 2
            else:
                out.append(payload[i])
                i += 1
        return "".join(out)

    def ask(self, payload):
        self.send(payload)
        return self.reply()


def symbol(name):
    out = subprocess.run(["nm", ELF], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        fields = line.split()
        if len(fields) == 3 and fields[2] == name:
            return int(fields[0], 16)
    raise AssertionError(f"no symbol {name} in {ELF}")


def peak_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return -1


def attack(rsp, pid, where):
    def expect(packet, pattern_ok, what):
        got = rsp.ask(packet)
        shown = packet if len(packet) < 60 else packet[:60] + "..."
        t.check(pattern_ok(got), f"{where}: {shown} -> {what} (got {got[:40]!r})")

    is_error = lambda r: r.startswith("E") and len(r) == 3  # noqa: E731
    # In 64-bit mode, with the guest's page tables in force.
    expect("Z0,%x,1" % symbol("kmain"), lambda r: r == "OK", "OK")
    expect("c", lambda r: r.startswith("T05"), "a stop at kmain")
    expect("z0,%x,1" % symbol("kmain"), lambda r: r == "OK", "OK")
    # 1. Ranges that wrap past 2^64, or leave the 32-bit address space the guest is in now.
    expect("Mffffffffffffff00,100:" + "41" * 0x100, is_error, "an error")
    expect("Mffffffffffffffff,1:41", is_error, "an error")
    expect("Mffffffffffffffff,2:4141", is_error, "an error")
    expect("Xfffffffffffff000,1000:" + "A" * 0x1000, is_error, "an error")
    expect("mffffffffffffff00,200", is_error, "an error")
    expect("mfffffffffffffff0,20", is_error, "an error")
    expect("m0,10", lambda r: len(r) == 32 and not is_error(r), "low memory reads")
    # 2. Watch ranges of any length cost the same; those that wrap or miss every address an
    #    x86-64 guest can use are refused.
    for packet in ["Z2,1000,ffffffffffff", "Z4,0,ffffffffffffffff", "Z2,1000,1000000000", "Z3,0,fffffffffffffff"]:
        expect(packet, lambda r: r == "OK", "OK")
    for packet in ["Z2,ffffffffffffff00,200", "Z2,0000800000000000,1000", "Z4,2,ffffffffffffffff", "Z2,1000,0"]:
        expect(packet, is_error, "an error")
    for packet in ["z2,1000,ffffffffffff", "z4,0,ffffffffffffffff", "z2,1000,1000000000", "z3,0,fffffffffffffff"]:
        expect(packet, lambda r: r == "OK", "OK")
    # 3. Twenty thousand breakpoints, none where the guest goes.
    replies = set()
    for i in range(20000):
        replies.add(rsp.ask("Z0,%x,1" % (0x40000000 + 16 * i)))
    t.check(replies == {"OK"}, f"{where}: 20,000 breakpoints set (replies {replies})")
    expect("?", lambda r: r.startswith("T05"), "the stop reply")
    peak = peak_kb(pid)
    t.check(0 < peak < PEAK_LIMIT_KB, f"{where}: peak resident size {peak} KiB < {PEAK_LIMIT_KB} KiB")
    # The guest still runs to its end with all of them set. The end is a stop first, told in
    # console output ("O" packets, which a client may get while the target runs), then the exit.
    rsp.send("c")
    console, got = "", rsp.reply()
    while got.startswith("O") and got != "OK":
        console += bytes.fromhex(got[1:]).decode()
        got = rsp.reply()
    t.check(got.startswith("T05") and "the guest is exiting with status 7" in console,
            f"{where}: c -> the end stop (got {got[:40]!r}, console {console!r})")
    expect("c", lambda r: r == "W07", "the guest's exit")


def attack_until_exit(r, where):
    try:
        attack(Rsp(r.port), r.proc.pid, where)
        status = r.wait()
        t.check(status == 7, f"{where}: rewind exits 7 (got {status})", "\n".join(r.stderr_lines))
    finally:
        r.close()


def main():
    attack_until_exit(Rewind(REWIND, ELF), "run")
    with tempfile.TemporaryDirectory() as tmp:
        recording = os.path.join(tmp, "debug.rwr")
        rec = subprocess.run([REWIND, "record", ELF, "-o", recording], capture_output=True, text=True, timeout=30)
        t.check(rec.returncode == 7, f"rewind record exits 7 (got {rec.returncode})", rec.stderr)
        attack_until_exit(Rewind(REWIND, ELF, replay=recording), "replay")
    t.finish()


main()
