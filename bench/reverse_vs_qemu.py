#!/usr/bin/env python3
"""Reverse debugging, rewind against QEMU record/replay, on the same guest and history.

Usage:

  bench/reverse_vs_qemu.py [--build BUILD] [--iters N [N ...]] [--repeat R]
                           [--tools rewind,qemu] [--step-timeout S] [--keep]

  e.g.  bench/reverse_vs_qemu.py --build build --iters 10000000 --repeat 3

For each size (the intloop64 guest with `iters=N`, about 12 guest instructions per
iteration) and each tool, R times (the tools take turns, so machine noise hits both):

  1. record: wall time of the recording run
       rewind: rewind record intloop64.elf -o FILE.rwr --append iters=N
       QEMU:   qemu-system-x86_64 -kernel intloop64.qemu.elf ... -append iters=N
               -icount shift=auto,rr=record,rrfile=FILE,rrsnapshot=init
               -drive file=EMPTY.qcow2,if=none,id=rr -net none -global apic-common.vapic=off
  2. replay under gdb (rewind replay FILE --gdb 127.0.0.1:PORT --wait-gdb; QEMU the same
     command line with rr=replay and -gdb tcp:127.0.0.1:PORT -S), driven by gdb in batch
     mode with a generated Python script that times every gdb.execute() with
     time.monotonic():
       - `break exit_emulator`, `continue` until it is hit (forward replay of the whole
         history; rewind takes its periodic snapshots on the way, QEMU takes none);
       - `reverse-stepi` five times (the first one is the interesting one: rewind steps back
         from its nearest snapshot, QEMU reloads the initial snapshot and replays the whole
         history up to one instruction before);
       - `delete`, `break kmain` (hit once, near the beginning), `reverse-continue` (a search
         back across nearly the whole history).
     The position is read with `monitor when` (rewind: "icount N of M recorded") and
     `monitor info replay` (QEMU: "instruction count = N") at the start, at the end
     breakpoint and after the reverse-continue. Every stop is checked (the breakpoint's hit
     count, or the pc moving for a reverse-stepi) so a wrong answer is not reported as fast.

The QEMU snapshot image (an empty qcow2 that only stores the VM snapshots) is written by this
script, so qemu-img is not needed. Every step that takes longer than --step-timeout seconds
is killed (gdb and the emulator) and reported as a timeout.

Output: progress on stderr; on stdout a Markdown table (median and min-max over the runs),
the machine, the versions and the exact command lines, ready for docs/PERFORMANCE.md.
Temporary files go to a fresh directory under /tmp (kept with --keep, or when a step fails);
the raw figures are also written there as results.json.

Standard library only; needs gdb (with Python) and qemu-system-x86_64 on PATH (or --gdb,
--qemu).
"""
import argparse
import datetime
import json
import os
import platform
import queue
import re
import shlex
import shutil
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))

# The gdb side: runs inside gdb (-batch -x), parameters in RVQ_* environment variables.
# Each line it prints that starts with "RVQ " is one JSON event for the driver below.
GDB_SCRIPT = r'''
import gdb, json, os, sys, time

P = {k[4:].lower(): v for k, v in os.environ.items() if k.startswith("RVQ_")}

def emit(**kw):
    sys.stdout.write("RVQ " + json.dumps(kw) + "\n")
    sys.stdout.flush()

def pc():
    return int(gdb.parse_and_eval("$pc")) & 0xFFFFFFFFFFFFFFFF

def position():
    cmd = "monitor when" if P["tool"] == "rewind" else "monitor info replay"
    try:
        return gdb.execute(cmd, to_string=True).strip()
    except gdb.error as e:
        return "(%s failed: %s)" % (cmd, e)

def timed(step, command):
    emit(begin=step)
    t0 = time.monotonic()
    try:
        gdb.execute(command, to_string=True)
        err = None
    except gdb.error as e:
        err = str(e)
    dt = time.monotonic() - t0
    return dt, err

gdb.execute("set pagination off")
gdb.execute("set confirm off")
gdb.execute("set width 0")
gdb.execute("file " + P["elf"])

deadline = time.monotonic() + float(P["connect_timeout"])
while True:
    try:
        gdb.execute("target remote 127.0.0.1:" + P["port"], to_string=True)
        break
    except gdb.error as e:
        if time.monotonic() > deadline:
            emit(fatal="cannot connect: %s" % e)
            sys.exit(1)
        time.sleep(0.1)
emit(connected=True, pc=pc(), where=position())

end_bp = gdb.Breakpoint(P["end"])
dt, err = timed("continue", "continue")
ok = err is None and end_bp.hit_count == 1
emit(step="continue", seconds=dt, ok=ok, error=err, pc=pc(), where=position())
if not ok:
    sys.exit(1)

if P["rsi_breakpoints"] == "delete":
    gdb.execute("delete")
last = pc()
for i in range(int(P["rsteps"])):
    dt, err = timed("reverse-stepi %d" % (i + 1), "reverse-stepi")
    now = pc()
    ok = err is None and now != last
    emit(step="reverse-stepi", index=i + 1, seconds=dt, ok=ok, error=err, pc=now)
    last = now
    if err is not None:
        sys.exit(1)
emit(after_rsteps=True, where=position())

gdb.execute("delete")
start_bp = gdb.Breakpoint(P["start"])
dt, err = timed("reverse-continue", "reverse-continue")
ok = err is None and start_bp.hit_count == 1
emit(step="reverse-continue", seconds=dt, ok=ok, error=err, pc=pc(), where=position())

try:
    gdb.execute("kill", to_string=True)
except gdb.error:
    pass
emit(done=True)
'''

STEPS = ["record", "continue", "rsi1", "rsi_next", "rcont"]
HEAD = ["record", "continue to the end", "first reverse-stepi",
        "next reverse-stepi (median of 2-5)", "reverse-continue across the history"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_empty_qcow2(path, size=1 << 30):
    """An empty qcow2 (version 3, 64 KiB clusters): header, refcount table, one refcount
    block and the L1 table, one cluster each. QEMU only stores VM snapshots in it."""
    bits = 16
    cluster = 1 << bits
    per_l2 = (cluster // 8) * cluster
    l1_entries = (size + per_l2 - 1) // per_l2
    header = struct.pack(
        ">4sIQIIQIIQQIIQQQQII",
        b"QFI\xfb", 3,          # magic, version
        0, 0,                   # no backing file
        bits, size,
        0,                      # no encryption
        l1_entries, 3 * cluster,  # L1 table in cluster 3
        1 * cluster, 1,         # refcount table in cluster 1, one cluster long
        0, 0,                   # no snapshots yet
        0, 0, 0,                # incompatible, compatible, autoclear features
        4, 104)                 # 16-bit refcounts, header length
    image = bytearray(4 * cluster)
    image[:len(header)] = header
    struct.pack_into(">Q", image, cluster, 2 * cluster)       # refcount block in cluster 2
    for index in range(4):
        struct.pack_into(">H", image, 2 * cluster + 2 * index, 1)
    with open(path, "wb") as f:
        f.write(image)


def log(msg):
    sys.stderr.write(msg + "\n")
    sys.stderr.flush()


def kill(proc):
    if proc is not None and proc.poll() is None:
        proc.kill()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            pass


class Bench:
    def __init__(self, args):
        self.a = args
        self.tmp = tempfile.mkdtemp(prefix="reverse-vs-qemu-", dir="/tmp")
        self.gdb_script = os.path.join(self.tmp, "drive_gdb.py")
        with open(self.gdb_script, "w") as f:
            f.write(GDB_SCRIPT)
        self.commands = {}  # one example of every command line, for the report
        self.failed = False

    # ----- command lines -----
    def qemu_base(self, n):
        return [self.a.qemu, "-kernel", self.a.qemu_guest, "-display", "none", "-monitor", "none",
                "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04", "-no-reboot", "-m", "128",
                "-cpu", "max", "-append", f"iters={n}", "-net", "none",
                "-global", "apic-common.vapic=off"]

    def record_cmd(self, tool, n, d):
        if tool == "rewind":
            return [self.a.rewind, "record", self.a.guest, "-o", os.path.join(d, "history.rwr"),
                    "--append", f"iters={n}"]
        return self.qemu_base(n) + [
            "-serial", "stdio",
            "-icount", f"shift=auto,rr=record,rrfile={os.path.join(d, 'history.qrr')},rrsnapshot=init",
            "-drive", f"file={os.path.join(d, 'snapshots.qcow2')},if=none,id=rr"]

    def replay_cmd(self, tool, n, d, port):
        if tool == "rewind":
            return [self.a.rewind, "replay", os.path.join(d, "history.rwr"),
                    "--serial", os.path.join(d, "replay-serial.txt"),
                    "--gdb", f"127.0.0.1:{port}", "--wait-gdb"]
        return self.qemu_base(n) + [
            "-serial", f"file:{os.path.join(d, 'replay-serial.txt')}",
            "-icount", f"shift=auto,rr=replay,rrfile={os.path.join(d, 'history.qrr')},rrsnapshot=init",
            "-drive", f"file={os.path.join(d, 'snapshots.qcow2')},if=none,id=rr",
            "-gdb", f"tcp:127.0.0.1:{port}", "-S"]

    def gdb_cmd(self):
        return [self.a.gdb, "-batch", "-nx", "-x", self.gdb_script]

    # ----- one run -----
    def record(self, tool, n, d):
        if tool == "qemu":
            write_empty_qcow2(os.path.join(d, "snapshots.qcow2"))
        cmd = self.record_cmd(tool, n, d)
        self.commands.setdefault(f"{tool} record", cmd)
        out_path = os.path.join(d, "record.out")
        with open(out_path, "wb") as out:
            t0 = time.monotonic()
            try:
                p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                   timeout=self.a.step_timeout)
            except subprocess.TimeoutExpired:
                return None, "timeout"
            dt = time.monotonic() - t0
        with open(out_path, "rb") as f:
            text = f.read().decode("utf-8", "replace")
        if "PASS" not in text:
            return None, f"record failed (exit {p.returncode}), see {out_path}"
        return dt, None

    def session(self, tool, n, d):
        """Replay under gdb; returns (events, error). Events are the gdb script's RVQ lines."""
        port = free_port()
        server_cmd = self.replay_cmd(tool, n, d, port)
        self.commands.setdefault(f"{tool} replay", server_cmd)
        self.commands.setdefault("gdb", self.gdb_cmd())
        env = dict(os.environ, RVQ_TOOL=tool, RVQ_PORT=str(port), RVQ_ELF=self.a.guest,
                   RVQ_END=self.a.end, RVQ_START=self.a.start, RVQ_RSTEPS=str(self.a.rsteps),
                   RVQ_RSI_BREAKPOINTS=self.a.rsi_breakpoints,
                   RVQ_CONNECT_TIMEOUT="30")
        server_log = open(os.path.join(d, "replay.out"), "wb")
        gdb_log = open(os.path.join(d, "gdb.out"), "w")
        server = subprocess.Popen(server_cmd, stdin=subprocess.DEVNULL, stdout=server_log,
                                  stderr=subprocess.STDOUT)
        gdbp = subprocess.Popen(self.gdb_cmd(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, env=env, text=True)
        lines = queue.Queue()

        def reader():
            for line in gdbp.stdout:
                gdb_log.write(line)
                gdb_log.flush()
                lines.put(line)
            lines.put(None)

        threading.Thread(target=reader, daemon=True).start()
        events, error, pending = [], None, "connect"
        deadline = time.monotonic() + self.a.step_timeout
        try:
            while True:
                try:
                    line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    error = f"timeout in {pending} (> {self.a.step_timeout:g} s)"
                    break
                if line is None:
                    break
                if not line.startswith("RVQ "):
                    continue
                ev = json.loads(line[4:])
                events.append(ev)
                if "begin" in ev:
                    pending = ev["begin"]
                    deadline = time.monotonic() + self.a.step_timeout
                    log(f"    {tool}: {pending} ...")
                elif "step" in ev:
                    log(f"    {tool}: {ev['step']}{' ' + str(ev['index']) if 'index' in ev else ''}"
                        f" {ev['seconds']:.3f} s{'' if ev['ok'] else ' NOT OK: ' + str(ev.get('error'))}")
                elif "fatal" in ev:
                    error = ev["fatal"]
                elif "where" in ev:
                    log(f"    {tool}: {ev['where']}")
        finally:
            kill(gdbp)
            if error is None:  # after gdb's kill the emulator exits by itself
                try:
                    server.wait(30)
                except subprocess.TimeoutExpired:
                    pass
            kill(server)
            server_log.close()
            gdb_log.close()
        if error is None and not any(e.get("done") for e in events):
            error = f"gdb stopped early in {pending}; see {d}/gdb.out and {d}/replay.out"
        return events, error

    def run_once(self, tool, n, rep):
        d = os.path.join(self.tmp, f"{tool}-{n}-{rep}")
        os.makedirs(d)
        r = {"tool": tool, "iters": n, "run": rep, "dir": d, "errors": []}
        log(f"  [{tool} iters={n} run {rep + 1}/{self.a.repeat}] record ...")
        r["record"], err = self.record(tool, n, d)
        if err:
            r["errors"].append(f"record: {err}")
            self.failed = True
            return r
        log(f"    {tool}: record {r['record']:.3f} s")
        events, err = self.session(tool, n, d)
        if err:
            r["errors"].append(err)
            self.failed = True
        rsi = []
        for ev in events:
            if "connected" in ev:
                r["where_start"] = ev["where"]
            if ev.get("step") == "continue":
                r["continue"] = ev["seconds"]
                r["where_end"] = ev["where"]
            elif ev.get("step") == "reverse-stepi":
                rsi.append(ev["seconds"])
            elif ev.get("step") == "reverse-continue":
                r["rcont"] = ev["seconds"]
                r["where_rcont"] = ev["where"]
            if "step" in ev and not ev["ok"]:
                r["errors"].append(f"{ev['step']} did not stop where expected: {ev.get('error') or ev.get('pc')}")
                self.failed = True
        r["rsi"] = rsi
        if rsi:
            r["rsi1"] = rsi[0]
        if len(rsi) > 1:
            r["rsi_next"] = statistics.median(rsi[1:])
        if err and err.startswith("timeout in "):
            step = err.split()[2]
            key = {"connect": "continue", "continue": "continue", "reverse-stepi": "rsi1",
                   "reverse-continue": "rcont"}.get(step)
            if key == "rsi1" and rsi:
                key = "rsi_next"
            if key:
                r[key] = "timeout"
        return r

    def run(self):
        results = []
        for n in self.a.iters:
            for rep in range(self.a.repeat):
                for tool in self.a.tools:
                    results.append(self.run_once(tool, n, rep))
        with open(os.path.join(self.tmp, "results.json"), "w") as f:
            json.dump(results, f, indent=1)
        return results


# ----- report -----
def fmt_time(s):
    if s < 0.01:
        return f"{s * 1000:.2f} ms"
    if s < 1:
        return f"{s * 1000:.0f} ms"
    if s < 10:
        return f"{s:.2f} s"
    return f"{s:.1f} s"


def cell(values):
    if any(v == "timeout" for v in values):
        return f"timeout (> {ARGS.step_timeout:g} s)"
    values = [v for v in values if isinstance(v, (int, float))]
    if not values:
        return "n/a"
    med = fmt_time(statistics.median(values))
    if len(values) == 1:
        return med
    return f"{med} ({fmt_time(min(values))} - {fmt_time(max(values))})"


def first_int(pattern, text):
    m = re.search(pattern, text or "")
    return int(m.group(1)) if m else None


def history_cell(tool, runs):
    for r in runs:
        if tool == "rewind":
            total = first_int(r"of (\d+) recorded", r.get("where_end"))
            if total is not None:
                return f"{total:,}"
        else:
            at_end = first_int(r"instruction count = (\d+)", r.get("where_end"))
            if at_end is not None:
                return f"{at_end:,} at the end breakpoint"
    return "n/a"


def report(results, bench):
    a = ARGS
    out = []
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass

    def version(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout.splitlines()[0]
        except (OSError, subprocess.SubprocessError, IndexError):
            return "unknown"

    out.append(f"Guest `{os.path.basename(a.guest)}` (QEMU: `{os.path.basename(a.qemu_guest)}`), "
               f"breakpoints `{a.end}` (end) and `{a.start}` (start), the end breakpoint "
               f"{'kept' if a.rsi_breakpoints == 'keep' else 'deleted'} during the reverse-stepi; "
               f"{a.repeat} run(s) each, "
               f"median (min - max). {datetime.date.today().isoformat()}.")
    out.append("")
    out.append(f"Machine: {cpu}, {os.cpu_count()} cores (nproc), {platform.system()} {platform.release()}; "
               f"{version([a.qemu, '--version'])}; {version([a.gdb, '--version'])}.")
    out.append("")
    out.append("| tool | iters | instructions in the history | " + " | ".join(HEAD) + " |")
    out.append("|---|---:|---:|" + "---:|" * len(HEAD))
    for n in a.iters:
        for tool in a.tools:
            runs = [r for r in results if r["tool"] == tool and r["iters"] == n]
            name = "rewind" if tool == "rewind" else "QEMU rr (-icount shift=auto)"
            cells = [cell([r.get(k) for r in runs]) for k in STEPS]
            out.append(f"| {name} | {n:,} | {history_cell(tool, runs)} | " + " | ".join(cells) + " |")
    out.append("")
    out.append("Positions (first run of each):")
    out.append("")
    for n in a.iters:
        for tool in a.tools:
            runs = [r for r in results if r["tool"] == tool and r["iters"] == n]
            if not runs:
                continue
            r = runs[0]
            for label, key in (("at the end breakpoint", "where_end"),
                               ("after reverse-continue", "where_rcont")):
                if r.get(key):
                    where = r[key].replace(r["dir"], "DIR")
                    out.append(f"- {tool} iters={n}, {label}: `{where}`")
    out.append("")
    out.append("All reverse-stepi times, per run (s):")
    out.append("")
    for r in results:
        if r.get("rsi"):
            out.append(f"- {r['tool']} iters={r['iters']} run {r['run'] + 1}: "
                       + ", ".join(f"{s:.3f}" for s in r["rsi"]))
    errors = [(r, e) for r in results for e in r["errors"]]
    if errors:
        out.append("")
        out.append("Problems:")
        out.append("")
        for r, e in errors:
            out.append(f"- {r['tool']} iters={r['iters']} run {r['run'] + 1}: {e} (files in {r['dir']})")
    out.append("")
    out.append("Command:")
    out.append("")
    out.append("```sh")
    out.append(" ".join(shlex.quote(x) for x in [os.path.relpath(os.path.abspath(sys.argv[0]))] + sys.argv[1:]))
    out.append("```")
    out.append("")
    out.append("Command lines it ran (first run; DIR is a fresh directory per run):")
    out.append("")
    out.append("```sh")
    for key in ("rewind record", "rewind replay", "qemu record", "qemu replay", "gdb"):
        if key in bench.commands:
            d = None
            for r in results:
                if r["dir"] in " ".join(bench.commands[key]):
                    d = r["dir"]
            line = " ".join(shlex.quote(x) for x in bench.commands[key])
            if d:
                line = line.replace(d, "DIR")
            line = line.replace(bench.tmp, "TMP")
            out.append(line)
    out.append("```")
    out.append("")
    out.append("Notes: the QEMU history starts at the reset vector (SeaBIOS and the -kernel loader "
               "option ROM run before the guest's entry point) and its instruction count is "
               "QEMU's icount (`monitor info replay`); rewind starts at the multiboot entry point. "
               "The QEMU snapshot image is an empty qcow2 written by the script; the only snapshot "
               "is `init` at the start of the recording (rrsnapshot=init), so every reverse "
               "command replays from there. QEMU (6.1 and later, accel/tcg/cpu-exec.c) runs code on "
               "the same guest page as any gdb breakpoint one instruction per translation block "
               "without block chaining; whether the hot loop shares a page with an inserted "
               "breakpoint decides most of QEMU's figures (see `--start` and `--rsi-breakpoints`).")
    print("\n".join(out))


def main():
    global ARGS
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(HERE, "..", "build"),
                    help="rewind build directory (bin/rewind, guest/*.elf)")
    ap.add_argument("--rewind", help="rewind binary (default BUILD/bin/rewind)")
    ap.add_argument("--guest", help="guest ELF for rewind and gdb (default BUILD/guest/intloop64.elf)")
    ap.add_argument("--qemu-guest", help="the same guest for QEMU's -kernel (default GUEST with .qemu.elf)")
    ap.add_argument("--qemu", default=shutil.which("qemu-system-x86_64") or "qemu-system-x86_64")
    ap.add_argument("--gdb", default=shutil.which("gdb") or "gdb")
    ap.add_argument("--iters", type=int, nargs="+", default=[10000000],
                    help="guest iterations, about 12 instructions each (default 10000000)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--tools", default="rewind,qemu", help="comma-separated: rewind, qemu")
    ap.add_argument("--end", default="exit_emulator", help="breakpoint at the end of the history")
    ap.add_argument("--start", default="kmain", help="breakpoint hit once near the beginning")
    ap.add_argument("--rsi-breakpoints", choices=["keep", "delete"], default="keep",
                    help="keep the end breakpoint during the reverse-stepi (gdb's default "
                         "behaviour, the measurement asked for) or delete it first")
    ap.add_argument("--rsteps", type=int, default=5, help="reverse-stepi count (at least 2)")
    ap.add_argument("--step-timeout", type=float, default=600.0,
                    help="seconds before one step (record, continue, one reverse command) is killed")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    ARGS = a = ap.parse_args()
    a.build = os.path.abspath(a.build)
    a.rewind = a.rewind or os.path.join(a.build, "bin", "rewind")
    a.guest = os.path.abspath(a.guest or os.path.join(a.build, "guest", "intloop64.elf"))
    if not a.qemu_guest:
        alt = a.guest[: -len(".elf")] + ".qemu.elf"
        a.qemu_guest = alt if os.path.exists(alt) else a.guest
    a.tools = [t.strip() for t in a.tools.split(",") if t.strip()]
    for t in a.tools:
        if t not in ("rewind", "qemu"):
            ap.error(f"unknown tool {t}")
    if a.rsteps < 2:
        ap.error("--rsteps must be at least 2")
    for path in [a.guest] + ([a.rewind] if "rewind" in a.tools else []) + \
            ([a.qemu_guest] if "qemu" in a.tools else []):
        if not os.path.exists(path):
            ap.error(f"missing {path}")

    bench = Bench(a)
    log(f"reverse_vs_qemu: temporary files in {bench.tmp}")
    results = bench.run()
    report(results, bench)
    if a.keep or bench.failed:
        log(f"reverse_vs_qemu: kept {bench.tmp}")
    else:
        shutil.rmtree(bench.tmp, ignore_errors=True)
    return 1 if bench.failed else 0


if __name__ == "__main__":
    sys.exit(main())
