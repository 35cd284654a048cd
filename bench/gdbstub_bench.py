#!/usr/bin/env python3
"""GDB stub benchmark (not a test): protocol round trips per second over loopback, and the
cost of a breakpoint on the same page as a hot loop but not in it.

Usage: bench/gdbstub_bench.py [--build build] [--iters N] [--repeat R]
Speaks the remote protocol itself (no gdb in the loop), in no-ack mode, as gdb does."""
import argparse
import os
import socket
import statistics
import subprocess
import sys
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Stub:
    def __init__(self, rewind, guest, append=""):
        self.port = free_port()
        cmd = [rewind, "run", guest, "--gdb", f"127.0.0.1:{self.port}", "--wait-gdb", "--serial", os.devnull]
        if append:
            cmd += ["--append", append]
        self.proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
        for line in self.proc.stderr:
            if "waiting for gdb" in line:
                break
        self.sock = socket.create_connection(("127.0.0.1", self.port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.ack = True
        self.request("qSupported:swbreak+;hwbreak+")
        self.request("QStartNoAckMode")
        self.ack = False

    def send(self, payload):
        data = payload.encode()
        self.sock.sendall(b"$" + data + b"#" + b"%02x" % (sum(data) & 0xFF))

    def receive(self):
        while True:
            start = self.buf.find(b"$")
            end = self.buf.find(b"#", start)
            if start >= 0 and end >= 0 and len(self.buf) >= end + 3:
                payload = self.buf[start + 1:end]
                self.buf = self.buf[end + 3:]
                if self.ack:
                    self.sock.sendall(b"+")
                return payload.decode("latin-1")
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError
            self.buf += chunk

    def request(self, payload):
        self.send(payload)
        return self.receive()

    def close(self):
        try:
            self.send("k")
        except OSError:
            pass
        self.sock.close()
        self.proc.wait(10)


def symbol(elf, name):
    out = subprocess.run(["nm", elf], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] == name:
            return int(parts[0], 16)
    raise KeyError(name)


def round_trips(stub, packet, seconds=1.0):
    n = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        stub.request(packet)
        n += 1
    return n / (time.perf_counter() - start)


def timed_continue(rewind, guest, append, breakpoint=None):
    stub = Stub(rewind, guest, append)
    if breakpoint is not None:
        assert stub.request(f"Z0,{breakpoint:x},1") == "OK"
    start = time.perf_counter()
    reply = stub.request("vCont;c")
    elapsed = time.perf_counter() - start
    assert reply.startswith("W"), reply
    stub.sock.close()
    stub.proc.wait(10)
    return elapsed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--iters", type=int, default=100_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    rewind = os.path.join(args.build, "bin", "rewind")
    debug_guest = os.path.join(args.build, "guest", "debug64.elf")
    loop_guest = os.path.join(args.build, "guest", "intloop32.elf")

    stub = Stub(rewind, debug_guest, "spin=1")  # spins forever: steps never reach the end
    kmain = symbol(debug_guest, "kmain")
    stub.request(f"Z0,{kmain:x},1")
    stub.request("vCont;c")  # into 64-bit code, where stepping is representative
    stub.request(f"z0,{kmain:x},1")
    print(f"g (all registers)       {round_trips(stub, 'g'):10.0f} round trips/s")
    print(f"p10 (one register)      {round_trips(stub, 'p10'):10.0f} round trips/s")
    print(f"m (64 bytes)            {round_trips(stub, f'm{kmain:x},40'):10.0f} round trips/s")
    print(f"m (4096 bytes)          {round_trips(stub, f'm{kmain & ~0xFFF:x},1000'):10.0f} round trips/s")
    print(f"vCont;s (single step)   {round_trips(stub, 'vCont;s:1'):10.0f} round trips/s")
    stub.close()

    # The hot loop is in kmain; mb_mmap_first is on the same 4 KiB page and never runs.
    loop_page = symbol(loop_guest, "kmain") >> 12
    bp = symbol(loop_guest, "mb_mmap_first")
    assert bp >> 12 == loop_page, "the breakpoint must be on the hot loop's page"
    append = f"iters={args.iters}"
    plain, without, with_bp = [], [], []
    for _ in range(args.repeat):  # interleaved, so that drifting machine load hits all three alike
        start = time.perf_counter()
        subprocess.run([rewind, "run", loop_guest, "--append", append, "--serial", os.devnull], check=False)
        plain.append(time.perf_counter() - start)
        without.append(timed_continue(rewind, loop_guest, append))
        with_bp.append(timed_continue(rewind, loop_guest, append, bp))
    p, w, b = min(plain), min(without), min(with_bp)
    print(f"intloop32 iters={args.iters} (best of {args.repeat}):")
    print(f"  rewind run, no stub:                      {p:.3f} s")
    print(f"  under the stub, no breakpoint:            {w:.3f} s ({(w / p - 1) * 100:+.1f}% vs no stub)")
    print(f"  breakpoint at 0x{bp:x}, same page:        {b:.3f} s ({(b / w - 1) * 100:+.1f}% vs no breakpoint)")
    print(f"  medians: {statistics.median(plain):.3f} / {statistics.median(without):.3f} / "
          f"{statistics.median(with_bp):.3f} s")


if __name__ == "__main__":
    sys.exit(main())
