#!/usr/bin/env python3
"""What the web timeline (`--web`) costs: docs/PERFORMANCE.md, "Issue 12".

Usage:

  bench/web_bench.py [--build BUILD] callgrind [--iters N]
  bench/web_bench.py [--build BUILD] forward [--iters N] [--repeat R]
  bench/web_bench.py [--build BUILD] frames [--events-mib M]

callgrind: host instructions (callgrind's Ir, the whole process) of `rewind run intloop64
  --append iters=N` and iters=2N, with and without `--web` (no browser connected; the web run
  is ended by SIGINT once it says the guest ended). The difference between the two lengths,
  over the difference in guest instructions, is the cost per guest instruction with start-up
  and shutdown taken out.
forward: wall time of `rewind run intloop64 --append iters=N --web` from "web timeline on"
  to "the guest ended", with no client and with a WebSocket client on /api/live reading every
  status push (what a connected page costs), R times each, interleaved; medians.
frames: a real recording with about 1e5 disk completions (disk_sum, chunk=1, four sparse
  12.5 MiB disks), replayed with --web and opened in headless Chromium: the page's draw time
  (performance.now() around each draw, timeline.js) while wheel-zooming from the whole run in
  to single instructions and back and dragging to pan, the input dispatched through DevTools.
"""
import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "web", "tests"))
sys.path.insert(0, os.path.join(ROOT, "gdb-tests"))
from chromium import Chromium  # noqa: E402
from gdbtest import free_port  # noqa: E402
from websocket import WebSocket  # noqa: E402

ENDED = re.compile(r"the guest ended at instruction (\d+)")


def web_run(cmd, port, on_ready=None, prefix=()):
    """Runs `rewind ... --web`; returns (seconds from serving to the guest's end, guest
    instructions). on_ready(port) is called once it serves; SIGINT ends it after the end."""
    proc = subprocess.Popen([*prefix, *cmd, "--web", f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    began = None
    icount = None
    client = None
    for line in proc.stderr:
        if "web timeline on http://" in line:
            began = time.monotonic()
            if on_ready:
                client = on_ready(port)
        m = ENDED.search(line)
        if m:
            elapsed = time.monotonic() - began
            icount = int(m.group(1))
            proc.send_signal(signal.SIGINT)
            break
    for _ in proc.stderr:
        pass
    proc.wait()
    if client:
        client()
    return elapsed, icount


def callgrind(args):
    guest = os.path.join(args.build, "guest", "intloop64.elf")
    rewind = os.path.join(args.build, "bin", "rewind")
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "cg.out")
        valgrind = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"]
        for web in (False, True):
            for iters in (args.iters, 2 * args.iters):
                cmd = [rewind, "run", guest, "--append", f"iters={iters}"]
                if web:
                    _, icount = web_run(cmd, free_port(), prefix=valgrind)
                else:
                    p = subprocess.run([*valgrind, *cmd, "--stats"], capture_output=True, text=True)
                    icount = int(re.search(r"instructions retired: (\d+)", p.stderr).group(1))
                with open(out) as f:
                    ir = int(re.search(r"^summary: (\d+)", f.read(), re.M).group(1))
                rows[(web, iters)] = (ir, icount)
                print(f"{'--web' if web else 'plain'} iters={iters}: {ir:,} host instructions, {icount:,} guest",
                      file=sys.stderr)
    print("| run | host Ir, iters=N | host Ir, iters=2N | guest instructions added | host per guest |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for web in (False, True):
        (ir1, g1), (ir2, g2) = rows[(web, args.iters)], rows[(web, 2 * args.iters)]
        print(f"| {'`--web`, no browser' if web else 'without `--web`'} | {ir1:,} | {ir2:,} | {g2 - g1:,} | "
              f"{(ir2 - ir1) / (g2 - g1):.3f} |")


def forward(args):
    guest = os.path.join(args.build, "guest", "intloop64.elf")
    rewind = os.path.join(args.build, "bin", "rewind")
    cmd = [rewind, "run", guest, "--append", f"iters={args.iters}"]
    times = {"none": [], "page": []}
    pushes = []

    def connect(port):
        ws = WebSocket(port)
        count = [0]
        stop = threading.Event()

        def read():
            while not stop.is_set():
                try:
                    if ws.receive(0.2) is not None:
                        count[0] += 1
                except (EOFError, OSError):
                    return

        reader = threading.Thread(target=read, daemon=True)
        reader.start()

        def done():
            stop.set()
            reader.join(2)
            ws.close()
            pushes.append(count[0])
        return done

    for _ in range(args.repeat):
        for kind in ("none", "page"):
            seconds, icount = web_run(cmd, free_port(), connect if kind == "page" else None)
            times[kind].append(seconds)
            print(f"{kind}: {seconds:.3f} s, {icount:,} instructions", file=sys.stderr)
    a, b = statistics.median(times["none"]), statistics.median(times["page"])
    print(f"| no client | {a:.3f} s (min {min(times['none']):.3f}, max {max(times['none']):.3f}) |")
    print(f"| a WebSocket client on /api/live | {b:.3f} s (min {min(times['page']):.3f}, max {max(times['page']):.3f}) |")
    print(f"| difference | {100 * (b - a) / a:+.1f}% |")
    print(f"status pushes received per run: {pushes} (over {statistics.median(times['page']):.2f} s)")


def frames(args):
    rewind = os.path.join(args.build, "bin", "rewind")
    guest = os.path.join(args.build, "guest", "disk_sum.elf")
    with tempfile.TemporaryDirectory() as tmp:
        disks = []
        for d in "abcd":
            path = os.path.join(tmp, f"{d}.img")
            with open(path, "wb") as f:
                f.truncate(args.disk_kib * 1024)
            disks += [f"-hd{d}", path]
        recording = os.path.join(tmp, "many.rwr")
        subprocess.run([rewind, "record", "-o", recording, guest, "--append", "irq=1 chunk=1", *disks,
                        "--serial-in", "none"], capture_output=True)
        port = free_port()
        server = subprocess.Popen([rewind, "replay", recording, "--web", f"127.0.0.1:{port}"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        for line in server.stderr:
            if "web timeline on" in line:
                break
        threading.Thread(target=server.stderr.read, daemon=True).start()
        browser = Chromium(tmp, os.path.join(args.build, "browser-artifacts"))
        try:
            browser.call("Page.navigate", url=f"http://127.0.0.1:{port}/")
            began = time.monotonic()
            browser.wait_for("window.rewindTimeline && window.rewindTimeline.state().loaded", timeout=120)
            loaded = time.monotonic() - began
            s = browser.state()
            print(f"loaded {s['completions']:,} completions in {loaded:.2f} s", file=sys.stderr)
            box = browser.evaluate("(() => { const r = document.getElementById('timeline').getBoundingClientRect();"
                                   " return {x: r.left, y: r.top, w: r.width, h: r.height}; })()")
            x, y = box["x"] + box["w"] * 0.6, box["y"] + 40
            browser.evaluate("window.rewindTimeline.drawTimes().length")  # warm
            results = {}

            def measure(name, action):
                before = len(browser.evaluate("window.rewindTimeline.drawTimes()"))
                t0 = time.monotonic()
                action()
                wall = time.monotonic() - t0
                times = browser.evaluate("window.rewindTimeline.drawTimes()")[before:]
                results[name] = (times, wall)

            def zoom_in():
                for _ in range(80):  # 0.8^80: from the whole run to a few instructions
                    browser.wheel(x, y, -100)

            def zoom_out():
                for _ in range(80):
                    browser.wheel(x, y, 100)

            def pan():
                browser.mouse("mousePressed", x, y, button="left", clickCount=1)
                for k in range(60):
                    browser.mouse("mouseMoved", x - 5 * (k + 1), y, button="left", buttons=1)
                browser.mouse("mouseReleased", x - 300, y, button="left", clickCount=1)

            measure("pan, the whole run in view", pan)
            measure("zoom in, from the whole run to single instructions", zoom_in)
            measure("pan, zoomed in", pan)
            measure("zoom out to the whole run", zoom_out)
            browser.screenshot("many_events.png")
            drawn = browser.state()["drawn"]
        finally:
            browser.close()
            server.send_signal(signal.SIGINT)
            server.wait(30)
    print(f"{s['completions']:,} disk completions ({s['events']:,} events), page loaded in {loaded:.2f} s; "
          f"drawn at the whole run: {drawn}")
    print("| interaction | draws | median draw | 95th percentile | slowest |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, (times, wall) in results.items():
        times = sorted(times)
        p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
        print(f"| {name} | {len(times)} | {statistics.median(times):.2f} ms | {p95:.2f} ms | {times[-1]:.2f} ms |")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build", default=os.path.join(ROOT, "build"))
    sub = p.add_subparsers(dest="part", required=True)
    c = sub.add_parser("callgrind")
    c.add_argument("--iters", type=int, default=200000)
    f = sub.add_parser("forward")
    f.add_argument("--iters", type=int, default=20000000)
    f.add_argument("--repeat", type=int, default=5)
    r = sub.add_parser("frames")
    r.add_argument("--disk-kib", type=int, default=12800)
    args = p.parse_args()
    {"callgrind": callgrind, "forward": forward, "frames": frames}[args.part](args)


if __name__ == "__main__":
    main()
