#!/usr/bin/env python3
"""The web timeline (`--web`) of the real rewind binary, driven over HTTP and its WebSocket
with the standard library only (and gdb, for the scenario with both servers).

Usage: web_test.py REWIND GUEST_DIR SCENARIO"""
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "gdb-tests"))
sys.path.insert(0, HERE)
from gdbtest import Checker, free_port, run_gdb  # noqa: E402
import web_test_support as support  # noqa: E402
from websocket import WebSocket  # noqa: E402

REWIND, GUEST_DIR, SCENARIO = sys.argv[1], sys.argv[2], sys.argv[3]
DISKS = os.path.join(GUEST_DIR, "..", "disks")
t = Checker(f"web.{SCENARIO}")


def Web(args, gdb=False, wait_gdb=False):
    return support.Web(REWIND, args, gdb=gdb, wait_gdb=wait_gdb)


def record_disk_guest(tmp):
    """A disk_sum guest over both channels with slow, sometimes failing host I/O (as
    gdb-tests' disk_guest): its recording, with disk completions and a failed read."""
    elf = os.path.join(GUEST_DIR, "disk_sum.elf")
    recording = os.path.join(tmp, "disk.rwr")
    rec = subprocess.run([REWIND, "record", elf, "--append", "irq=1 chunk=8", "-o", recording,
                          "-hda", os.path.join(DISKS, "pattern-a.img"), "-hdc", os.path.join(DISKS, "pattern-b.img"),
                          "--io-faults", "seed=2,delay=50-500,fail=25"], capture_output=True, text=True, timeout=60)
    t.check(rec.returncode == 1 and "PASS" in rec.stdout, f"the disk guest passes (status {rec.returncode})",
            rec.stdout + rec.stderr)
    return elf, recording, rec.stdout


def api():
    """Summary, events (the shape of `rewind info --events --json`, paged), state, seek, the
    page's files and the WebSocket over `rewind replay --web` of a disk guest."""
    with tempfile.TemporaryDirectory() as tmp:
        elf, recording, output = record_disk_guest(tmp)
        info = json.loads(subprocess.run([REWIND, "info", recording, "--events", "--json"], capture_output=True,
                                         text=True, timeout=30).stdout)
        w = Web(["replay", recording])
        try:
            status, s, _ = w.get("/api/summary")
            t.check(status == 200 and s["mode"] == "replay" and s["position"] == 0 and not s["running"],
                    "summary: a replay at instruction 0, not running", str(s))
            t.check([d["position"] for d in s["disks"]] == ["primary master", "secondary master"],
                    "summary: both disks", str(s["disks"]))
            t.check(s["end"] is not None and s["end"]["exit_status"] == 1 and s["history"]["end"] > 0,
                    "summary: the recorded end (status 1)", str(s))
            t.check(s["events"] == info["total"] and s["can_seek"], "summary: the events counted, seeking allowed", str(s))

            status, ev, _ = w.get("/api/events")
            t.check(status == 200 and ev["events"] == info["events"] and ev["next"] is None,
                    "events: the same list as `rewind info --events --json`", json.dumps(ev)[:2000])
            kinds = {e["kind"] for e in ev["events"]}
            t.check(any(e.get("status") == "failed" for e in ev["events"]), "events: a failed read among them", str(kinds))

            _, page1, _ = w.get("/api/events?limit=3")
            _, page2, _ = w.get(f"/api/events?limit=3&cursor={page1['next']}")
            t.check([e["number"] for e in page1["events"]] == [1, 2, 3] and page1["next"] == 4 and
                    [e["number"] for e in page2["events"]] == [4, 5, 6], "events: paged with next",
                    f"{page1}\n{page2}")
            mid = info["events"][len(info["events"]) // 2]["icount"]
            _, ranged, _ = w.get(f"/api/events?from={mid}&to={mid}")
            t.check(ranged["events"] and all(e["icount"] == mid for e in ranged["events"]),
                    "events: from/to select by instruction count", str(ranged))
            _, disk_only, _ = w.get("/api/events?kind=disk_completion")
            t.check(all(e["kind"] == "disk_completion" for e in disk_only["events"]) and disk_only["events"],
                    "events: by kind", str(disk_only)[:500])
            status, bad, _ = w.get("/api/events?kind=bogus")
            t.check(status == 400 and "bogus" in bad["error"], "events: an unknown kind is a 400", str(bad))
            status, bad, _ = w.get("/api/events?from=20&to=10")
            t.check(status == 400, "events: from after to is a 400", str(bad))

            ws = WebSocket(w.port)
            first = ws.receive()
            t.check(ws.status == 101 and first and first["icount"] == 0 and first["type"] == "status",
                    "WebSocket: the status at once", str(first))

            target = info["events"][2]["icount"]
            status, moved, _ = w.post("/api/seek", {"icount": target})
            t.check(status == 200 and moved["icount"] == target, f"seek to {target}", str(moved))
            _, st, _ = w.get("/api/state")
            t.check(st["icount"] == target and st["registers"]["rip"].startswith("0x"), "state at the new position",
                    str(st))
            t.check(st["disassembly"] and st["disassembly"][0]["address"] == st["registers"]["rip"],
                    "state: the disassembly starts at rip", str(st))
            pushed = ws.until(lambda m: m["icount"] == target)
            t.check(pushed is not None, "WebSocket: the seek is pushed", str(pushed))
            status, back, _ = w.post("/api/seek", {"icount": 5})
            t.check(status == 200 and back["icount"] == 5, "seek backwards", str(back))
            end = s["history"]["end"]
            status, err, _ = w.post("/api/seek", {"icount": end + 1})
            t.check(status == 400 and "past the end" in err["error"], "seek past the end: 400", str(err))
            status, err, _ = w.post("/api/seek", {"icount": 2 ** 64 - 1})
            t.check(status == 400, "seek to 2^64-1: 400", str(err))
            status, err, _ = w.post("/api/seek", {"icount": -1})
            t.check(status == 400, "seek to -1: 400", str(err))
            _, st, _ = w.get("/api/state")
            t.check(st["icount"] == 5, "refused seeks move nothing", str(st))

            # Serial output comes from the recording's output index: all of it at once, before
            # anything ran, and the same however often the machine goes back and through it.
            status, serial, _ = w.get("/api/serial")
            texts = [l["text"] for l in serial["lines"]]
            t.check(status == 200 and texts == output.splitlines() and serial["full_from"] is None,
                    "serial: the guest's output from the recording, each line once", f"{texts}\n{output}")
            for _ in range(2):
                w.post("/api/seek", {"icount": end})
                w.post("/api/seek", {"icount": 1000})
            _, again, _ = w.get("/api/serial")
            t.check(again["lines"] == serial["lines"], "serial: passing again adds nothing", str(again)[:500])
            t.check(all(a["icount"] < b["icount"] for a, b in zip(serial["lines"], serial["lines"][1:])) and
                    all(l["start"] <= l["icount"] <= end for l in serial["lines"]), "serial: lines in order, placed",
                    str(serial["lines"][:5]))
            last = serial["lines"][-1]
            _, one, _ = w.get(f"/api/serial?from={last['icount']}&to={last['icount']}")
            t.check([l["text"] for l in one["lines"]] == [last["text"]], "serial: from/to", str(one))
            _, page, _ = w.get("/api/serial?limit=1")
            t.check(len(page["lines"]) == 1 and page["next"] == 2, "serial: paged", str(page))
            indexed = json.loads(subprocess.run([REWIND, "info", recording, "--json"], capture_output=True, text=True,
                                                timeout=30).stdout)["outputs_indexed"]
            pushed = ws.until(lambda m: m.get("serial") == len(texts))
            t.check(pushed is not None and pushed.get("interrupts") == indexed["cpu_events"],
                    "WebSocket: the numbers of serial lines and of interrupts taken", str(pushed))

            # Exceptions and interrupts taken, from the output index: as many as `rewind info`
            # counts; the disk guest's completions raise IRQs (irq=1), so each completion is
            # boundary with completions is followed by an external interrupt before the next one.
            taken, cursor = [], None
            while True:
                status, page, _ = w.get("/api/interrupts" + (f"?cursor={cursor}" if cursor else ""))
                t.check(status == 200, "interrupts: 200", str(page)[:300])
                taken += page["interrupts"]
                cursor = page["next"]
                if cursor is None or status != 200:
                    break
            t.check(len(taken) == indexed["cpu_events"] > 0 and page["total"] == len(taken),
                    "interrupts: every one the recording indexed", f"{len(taken)} {indexed}")
            t.check(all(a["icount"] <= b["icount"] for a, b in zip(taken, taken[1:])) and
                    [x["number"] for x in taken] == list(range(1, len(taken) + 1)), "interrupts: numbered, in order",
                    str(taken[:5]))
            external = [x for x in taken if x["kind"] == "external"]
            completions = sorted({e["icount"] for e in info["events"] if e["kind"] == "disk_completion"})
            unanswered = [c for c, n in zip(completions, completions[1:] + [end + 1])
                          if not any(c <= x["icount"] < n for x in external)]
            t.check(external and not unanswered, "interrupts: an IRQ taken after each disk completion",
                    f"{len(external)} external; completions without one: {unanswered[:5]}")
            _, ext_only, _ = w.get("/api/interrupts?kind=external&limit=5")
            t.check(len(ext_only["interrupts"]) == 5 and all(x["kind"] == "external" and x["name"].startswith("vector")
                                                             for x in ext_only["interrupts"]),
                    "interrupts: by kind, named by vector", str(ext_only))
            mid = external[len(external) // 2]["icount"]
            _, ranged, _ = w.get(f"/api/interrupts?from={mid}&to={mid}")
            t.check(ranged["interrupts"] and all(x["icount"] == mid for x in ranged["interrupts"]),
                    "interrupts: from/to", str(ranged))
            status, bad, _ = w.get("/api/interrupts?kind=nmi")
            t.check(status == 400 and "nmi" in bad["error"], "interrupts: an unknown kind is a 400", str(bad))
            ws.close()

            status, page, r = w.get("/")
            t.check(status == 200 and "timeline.js" in page and r.getheader("Content-Type").startswith("text/html"),
                    "GET / is the page", page[:200])
            status, js, r = w.get("/static/timeline.js")
            t.check(status == 200 and r.getheader("Content-Type").startswith("text/javascript"), "the script",
                    str(status))
            for path in ["/static/../CMakeLists.txt", "/static/..%2fCMakeLists.txt", "/static/%2e%2e/CMakeLists.txt",
                         "/static/", "/static/.hidden", "/../../etc/passwd", "/etc/passwd", "/static/nothing.js"]:
                status, _, _ = w.get(path)
                t.check(status == 404, f"{path}: 404", str(status))
        finally:
            w.close()


def bad_requests():
    """Errors for bad requests, and the server (and the replay) carries on after each."""
    with tempfile.TemporaryDirectory() as tmp:
        _, recording, _ = record_disk_guest(tmp)
        w = Web(["replay", recording])
        try:
            w.post("/api/seek", {"icount": 1000})
            cases = [
                ("unknown API path", lambda: w.get("/api/nothing"), 404),
                ("wrong method", lambda: w.post("/api/summary", {}), 405),
                ("GET on seek", lambda: w.get("/api/seek"), 405),
                ("malformed JSON", lambda: w.post("/api/seek", raw="{icount: 5"), 400),
                ("JSON not an object", lambda: w.post("/api/seek", raw="[1, 2]"), 400),
                ("icount a string", lambda: w.post("/api/seek", {"icount": "5"}), 400),
                ("icount a fraction", lambda: w.post("/api/seek", raw='{"icount": 5.5}'), 400),
                ("empty body", lambda: w.post("/api/seek", raw=""), 400),
                ("bad query", lambda: w.get("/api/events?from=%zz"), 400),
                ("unknown parameter", lambda: w.get("/api/events?everything=1"), 400),
                ("huge number", lambda: w.get("/api/events?from=99999999999999999999999"), 400),
                ("another site's Host", lambda: w.get("/api/summary", host="evil.example"), 403),
                ("rebinding Host with our port", lambda: w.get("/api/summary", host=f"evil.example:{w.port}"), 403),
                ("another port", lambda: w.get("/api/summary", host="127.0.0.1:1"), 403),
                ("cross-site POST", lambda: w.post("/api/seek", {"icount": 5}, headers={"Origin": "http://evil.example"}), 403),
                ("https Origin", lambda: w.post("/api/seek", {"icount": 5}, headers={"Origin": f"https://127.0.0.1:{w.port}"}), 403),
                ("null Origin", lambda: w.post("/api/seek", {"icount": 5}, headers={"Origin": "null"}), 403),
                ("oversized header", lambda: w.get("/api/summary", headers={"X-Big": "a" * 9000}), 431),
                ("oversized body", lambda: w.post("/api/seek", raw='{"icount": 5, "pad": "' + "a" * 5000 + '"}'), 413),
                ("bad serial range", lambda: w.get("/api/serial?from=9&to=1"), 400),
                ("POST on serial", lambda: w.post("/api/serial", {}), 405),
            ]
            for what, call, expected in cases:
                status, body, _ = call()
                t.check(status == expected and isinstance(body, dict) and "error" in body,
                        f"{what}: {expected}", f"{status} {body}")
            status, body, _ = w.post("/api/seek", {"icount": 7}, headers={"Origin": f"http://localhost:{w.port}"})
            t.check(status == 200, "our own page's Origin is fine", str(body))
            reply = w.raw(b"GET /api/summary HTTP/1.0\r\n\r\n")
            t.check(reply.startswith(b"HTTP/1.1 403") or reply.startswith(b"HTTP/1.0 403"), "no Host: 403", reply[:100])
            reply = w.raw(b"\x16\x03\x01 garbage, no HTTP at all\r\n\r\n")
            t.check(reply.startswith(b"HTTP/1.1 400"), "garbage: 400", reply[:100])
            reply = w.raw(b"GET /" + b"a" * 10000 + b" HTTP/1.1\r\n\r\n")
            t.check(reply.startswith(b"HTTP/1.1 431"), "an oversized request line: 431", reply[:100])
            ws = WebSocket(w.port, origin="http://evil.example")
            t.check(ws.status == 403, f"WebSocket from another site's page: 403 (got {ws.status})")
            ws.close()
            ws = WebSocket(w.port, host="evil.example")
            t.check(ws.status == 403, f"WebSocket with another Host: 403 (got {ws.status})")
            ws.close()
            ws = WebSocket(w.port, origin=f"http://127.0.0.1:{w.port}")
            t.check(ws.status == 101 and ws.receive()["icount"] == 7, "WebSocket from our page: accepted")
            ws.close()
            status, st, _ = w.get("/api/state")
            t.check(status == 200 and st["icount"] == 7, "after all that, the server works and the replay is where it was",
                    str(st))
            t.check(w.proc.poll() is None, "rewind is still running")
        finally:
            w.close()


def limits():
    """Clients beyond 8 at once get 503; idle connections time out; the events answer is paged."""
    with tempfile.TemporaryDirectory() as tmp:
        _, recording, _ = record_disk_guest(tmp)
        w = Web(["replay", recording])
        try:
            idle = [socket.create_connection(("127.0.0.1", w.port), timeout=10) for _ in range(8)]
            time.sleep(0.5)
            reply = w.raw(b"GET /api/summary HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % w.port)
            t.check(reply.startswith(b"HTTP/1.1 503"), "a ninth client: 503", reply[:200])
            for s in idle[:2]:
                s.close()
            time.sleep(0.5)
            status, _, _ = w.get("/api/summary")
            t.check(status == 200, "with places free again: 200")
            sockets = [WebSocket(w.port) for _ in range(2)]
            t.check(all(ws.status == 101 for ws in sockets), "WebSockets take places too")
            extra = WebSocket(w.port)
            t.check(extra.status == 503, f"a ninth client, a WebSocket: 503 (got {extra.status})")
            extra.close()
            for ws in sockets:
                ws.close()
            # The idle ones are dropped after the request timeout (10 s).
            start = time.time()
            idle[2].settimeout(20)
            got = idle[2].recv(100)
            t.check(got == b"" and time.time() - start < 15, f"an idle connection is closed ({time.time() - start:.1f} s)")
            for s in idle[2:]:
                s.close()
            status, s, _ = w.get("/api/summary")
            t.check(s["limits"] == {"events_per_answer": 10000, "header_bytes": 8192, "body_bytes": 4096, "clients": 8,
                                    "pushes_per_second": 10}, "the summary states the limits", str(s["limits"]))
        finally:
            w.close()
        # 12,605 serial input bytes: two pages of events.
        elf = os.path.join(GUEST_DIR, "serial_echo32.elf")
        typed, recording = os.path.join(tmp, "typed.txt"), os.path.join(tmp, "echo.rwr")
        with open(typed, "w") as f:
            f.write("abcde\n" * 2100 + "quit\n")
        rec = subprocess.run([REWIND, "record", elf, "-o", recording, "--serial-in", typed], capture_output=True,
                             text=True, timeout=60)
        t.check(rec.returncode == 1, f"the echo guest records (status {rec.returncode})", rec.stderr)
        w = Web(["replay", recording])
        try:
            status, first, _ = w.get("/api/events?limit=100000")
            t.check(status == 200 and len(first["events"]) == 10000 and first["next"] == 10001 and
                    first["total"] == 12605, "an answer holds at most 10,000 events, then next",
                    str({k: v for k, v in first.items() if k != "events"}))
            _, second, _ = w.get(f"/api/events?cursor={first['next']}")
            t.check(len(second["events"]) == 2605 and second["next"] is None and second["events"][0]["number"] == 10001,
                    "the next page has the rest", str({k: v for k, v in second.items() if k != "events"}))
        finally:
            w.close()


def live_run():
    """`rewind run --web` of a long guest: it runs at once, the page pauses it, seeks back in
    its history, resumes it; after its end rewind stays up; Ctrl-C ends it with the guest's status."""
    elf = os.path.join(GUEST_DIR, "intloop32.elf")
    w = Web(["run", elf, "--append", "iters=30000000"])
    try:
        status, s, _ = w.get("/api/summary")
        t.check(status == 200 and s["mode"] == "live" and s["running"] and not s["can_seek"],
                "a live run runs at once, and cannot be moved while it runs", str(s))
        status, err, _ = w.post("/api/seek", {"icount": 10})
        t.check(status == 409 and "pause" in err["error"], "seek while running: 409", str(err))
        # Bad requests while the guest runs change nothing for it (its end and status below).
        for bad in [lambda: w.get("/api/summary", headers={"X-Big": "a" * 9000}),
                    lambda: w.post("/api/pause", {}, headers={"Origin": "http://evil.example"}),
                    lambda: w.post("/api/seek", raw="{"), lambda: w.get("/nothing")]:
            status, _, _ = bad()
            t.check(status in (400, 403, 404, 431), f"a bad request while running: {status}")
        _, s, _ = w.get("/api/summary")
        t.check(s["running"], "still running", str(s))
        status, paused, _ = w.post("/api/pause")
        t.check(status == 200 and not paused["running"], "pause", str(paused))
        _, a, _ = w.get("/api/state")
        time.sleep(0.3)
        _, b, _ = w.get("/api/state")
        t.check(a["icount"] == b["icount"] and a["icount"] > 0, f"paused at {a['icount']}")
        status, moved, _ = w.post("/api/seek", {"icount": a["icount"] // 2})
        t.check(status == 200 and moved["icount"] == a["icount"] // 2, "seek back into the run's past", str(moved))
        status, err, _ = w.post("/api/seek", {"icount": a["icount"] + 1})
        t.check(status == 400, "seek past the frontier: 400", str(err))
        ws = WebSocket(w.port)
        ws.receive()
        status, resumed, _ = w.post("/api/resume")
        t.check(status == 200 and resumed["running"], "resume", str(resumed))
        ended = ws.until(lambda m: not m["running"] and m.get("ended"), timeout=60)
        t.check(ended is not None and ended["icount"] > a["icount"], "the guest runs to its end, pushed", str(ended))
        _, s, _ = w.get("/api/summary")
        t.check(s["end"] is not None and s["end"]["exit_status"] == 1, "the end in the summary", str(s["end"]))
        status, err, _ = w.post("/api/resume")
        t.check(status == 409, "resume at the end: 409", str(err))
        status, moved, _ = w.post("/api/seek", {"icount": 1000})
        t.check(status == 200, "after the end, the whole history can still be visited", str(moved))
        time.sleep(0.3)
        t.check(w.proc.poll() is None, "rewind stays up after the guest's end")
        ws.close()
        code = w.interrupt()
        t.check(code == 1, f"Ctrl-C: rewind ends with the guest's status 1 (got {code})", "\n".join(w.stderr_lines))
    finally:
        w.close()


def gdb_together():
    """`rewind replay --gdb --web`: gdb's stepi moves the position the WebSocket reports, the
    page may not seek while gdb is attached, and after gdb detaches the page serves on."""
    elf = os.path.join(GUEST_DIR, "debug32.elf")
    with tempfile.TemporaryDirectory() as tmp:
        recording = os.path.join(tmp, "debug.rwr")
        subprocess.run([REWIND, "record", elf, "-o", recording], capture_output=True, timeout=30)
        w = Web(["replay", recording], gdb=True, wait_gdb=True)
        try:
            status, s, _ = w.get("/api/summary")
            t.check(status == 200 and not s["can_seek"] and "gdb" in s["seek_refusal"],
                    "waiting for gdb: the page may not seek", str(s))
            ws = WebSocket(w.port)
            seen, refusals = [], []

            stop = threading.Event()

            def watch():
                while not stop.is_set():
                    try:
                        m = ws.receive(timeout=0.5)
                    except (EOFError, OSError):
                        return
                    if m is None:
                        continue
                    seen.append(m)
                    if m["debugger"] and not refusals:
                        refusals.append(w.post("/api/seek", {"icount": 1}))

            watcher = threading.Thread(target=watch, daemon=True)
            watcher.start()
            out = run_gdb(elf, w.gdb_port, ["stepi", "shell sleep 0.5", "stepi", "shell sleep 0.5", "stepi",
                                            "shell sleep 0.5", "monitor icount", "detach"])
            time.sleep(0.5)
            icounts = [m["icount"] for m in seen if m["debugger"]]
            t.check(len(set(icounts)) >= 3 and icounts == sorted(icounts),
                    f"the WebSocket follows gdb's stepi ({icounts})", out)
            t.check(refusals and refusals[0][0] == 409 and "gdb" in refusals[0][1]["error"],
                    "seek while gdb is attached: 409, saying why", str(refusals))
            # Detached: the replay runs on to its end, the page still serves.
            deadline = time.time() + 30
            while time.time() < deadline and not (seen and not seen[-1]["debugger"] and not seen[-1]["running"]):
                time.sleep(0.1)
            stop.set()
            watcher.join(5)
            t.check(seen and not seen[-1]["debugger"] and not seen[-1]["running"],
                    "gdb detached: the replay runs on to its end, pushed", str(seen[-3:]))
            status, s, _ = w.get("/api/summary")
            t.check(status == 200 and not s["debugger"] and s["can_seek"], "gdb gone: the page may seek", str(s))
            status, moved, _ = w.post("/api/seek", {"icount": 100})
            t.check(status == 200 and moved["icount"] == 100, "and seeks", str(moved))
            ws.close()
            code = w.interrupt()
            t.check(code == 0, f"Ctrl-C ends replay --web with status 0 (got {code})", "\n".join(w.stderr_lines))
        finally:
            w.close()
    # Live: gdb continues the guest to its end; rewind stays up for the page until Ctrl-C,
    # then exits with the guest's status.
    w = Web(["run", elf], gdb=True, wait_gdb=True)
    try:
        ws = WebSocket(w.port)
        ws.receive()
        out = run_gdb(elf, w.gdb_port, ["break add", "continue", "continue", "continue"])
        t.check("Breakpoint 1, add" in out and "exited with code 07" in out, "gdb runs the live guest to its end", out)
        ended = ws.until(lambda m: m.get("ended") and not m["debugger"])
        t.check(ended is not None, "the page sees the end, gdb gone", str(ended))
        status, s, _ = w.get("/api/summary")
        t.check(status == 200 and s["end"]["exit_status"] == 7 and s["can_seek"], "the summary has the end", str(s))
        status, moved, _ = w.post("/api/seek", {"icount": 50})
        t.check(status == 200, "the page may seek in the history gdb made", str(moved))
        ws.close()
        code = w.interrupt()
        t.check(code == 7, f"Ctrl-C: the guest's status 7 (got {code})", "\n".join(w.stderr_lines))
    finally:
        w.close()


def gdb_listing(out):
    """gdb's `x/Ni` lines as (address, text): its "=>" mark, <symbol+offset> and "# 0x..."
    notes dropped."""
    listing = []
    for line in out.splitlines():
        m = re.match(r"^(?:=>)?\s+(0x[0-9a-f]+)(?: <[^>]*>)?:\s+(.*)$", line)
        if m:
            listing.append((int(m.group(1), 16), re.sub(r"\s*#.*$|\s*<[^>]*>", "", m.group(2))))
    return listing


def same_text(ours, gdbs):
    """The same instruction text but for spacing (gdb pads mnemonics with spaces and prints
    no space after a comma)."""
    return re.sub(r"\s+", "", ours) == re.sub(r"\s+", "", gdbs)


def objdump_i386_listing(elf, address):
    """objdump's 32-bit reading of the ELF from `address` on, as (address, text)."""
    out = subprocess.run(["objdump", "-d", "-w", "-M", "i386", f"--start-address={address:#x}",
                          f"--stop-address={address + 12 * 15:#x}", elf], capture_output=True, text=True,
                         timeout=30).stdout
    return [(int(m.group(1), 16), m.group(2)) for m in re.finditer(r"^\s*([0-9a-f]+):\t(?:[0-9a-f]{2} )+\s*\t(.*)$",
                                                                    out, re.M)][:12]


def check_disassembly(w, gdb, where, reference=None):
    """/api/state's disassembly against gdb's `x/12i $pc` (or `reference(rip)`, then only the
    addresses) and against the guest's memory as gdb reads it (`x/Nxb $pc`)."""
    _, st, _ = w.get("/api/state")
    listing = st.get("disassembly", [])
    rip = int(st["registers"]["rip"], 16)
    t.check(len(listing) == 12 and int(listing[0]["address"], 16) == rip and "disassembly_note" not in st,
            f"{where}: 12 instructions from rip {st['registers']['rip']}", json.dumps(st))
    expected = reference(rip) if reference else gdb_listing(gdb.cmd("x/12i $pc"))
    t.check([int(i["address"], 16) for i in listing] == [a for a, _ in expected],
            f"{where}: the instructions' addresses are {'the reference' if reference else 'gdb'}'s",
            f"{json.dumps(listing)}\n{expected}")
    if not reference:
        t.check(all(same_text(i["text"], text) for i, (_, text) in zip(listing, expected)) and len(expected) == 12,
                f"{where}: the instructions read as gdb's x/12i $pc",
                "\n".join(f"{i['text']!r:40} {text!r}" for i, (_, text) in zip(listing, expected)))
    ours = " ".join(i["bytes"] for i in listing).split()
    memory = re.findall(r"\b0x([0-9a-f]{2})\b", gdb.cmd(f"x/{len(ours)}xb $pc"))
    t.check(ours == memory and len(ours) > 12, f"{where}: the bytes are the guest's memory (gdb's x/{len(ours)}xb $pc)",
            f"{ours}\n{memory}")
    return st


def disassembly():
    """GET /api/state's disassembly at the cursor where gdb is stopped: the same instructions
    as gdb's `x/12i $pc`, in 32- and 64-bit guests. At instruction 0 even the 64-bit guest
    runs 32-bit code, and the listing decodes it so (gdb would read it as 64-bit code)."""
    for bits in (32, 64):
        elf = os.path.join(GUEST_DIR, f"debug{bits}.elf")
        w = Web(["run", elf], gdb=True, wait_gdb=True)
        gdb = None
        try:
            gdb = support.Gdb(elf, w.gdb_port)
            out = gdb.cmd("break add") + gdb.cmd("continue")
            t.check("Breakpoint 1, add" in out, f"{bits}-bit: gdb stops in add", out)
            st = check_disassembly(w, gdb, f"{bits}-bit, in add")
            t.check(st.get("mode") == f"{bits}-bit", f"{bits}-bit: the CPU's mode", str(st.get("mode")))
            for _ in range(3):
                gdb.cmd("stepi")
            check_disassembly(w, gdb, f"{bits}-bit, 3 stepi later")
            # The boot code, against objdump's 32-bit reading (the text is not compared:
            # assemblers spell segment moves and far jumps differently).
            gdb.cmd("monitor seek 0")
            gdb.cmd("maintenance flush register-cache")
            st = check_disassembly(w, gdb, f"{bits}-bit guest at instruction 0",
                                   reference=lambda rip: objdump_i386_listing(elf, rip))
            t.check(st.get("mode") == "32-bit" and st["disassembly"][0]["text"] == "cli",
                    f"{bits}-bit guest at instruction 0: 32-bit mode, cli", json.dumps(st))
        finally:
            if gdb:
                gdb.close()
            w.close()


def sigint():
    """`rewind replay --web` without gdb: the page is there at once, nothing runs; Ctrl-C
    ends it with status 0 (and so does SIGTERM)."""
    elf = os.path.join(GUEST_DIR, "debug32.elf")
    with tempfile.TemporaryDirectory() as tmp:
        recording = os.path.join(tmp, "debug.rwr")
        subprocess.run([REWIND, "record", elf, "-o", recording], capture_output=True, timeout=30)
        w = Web(["replay", recording])
        try:
            _, s, _ = w.get("/api/summary")
            time.sleep(0.3)
            _, s2, _ = w.get("/api/summary")
            t.check(s["position"] == 0 and s2["position"] == 0 and not s2["running"],
                    "the replay waits at instruction 0", str(s2))
            code = w.interrupt()
            t.check(code == 0, f"Ctrl-C: status 0 (got {code})", "\n".join(w.stderr_lines))
        finally:
            w.close()
        w = Web(["replay", recording])
        try:
            w.proc.send_signal(signal.SIGTERM)
            code = w.proc.wait(15)
            t.check(code == 0, f"SIGTERM: status 0 (got {code})", "\n".join(w.stderr_lines))
        finally:
            w.close()
        # `record --web` interrupted while running, and while parked in its past: the run ends at
        # its frontier as at an instruction limit (status 14), and the recording replays to there.
        loop = os.path.join(GUEST_DIR, "intloop32.elf")
        for parked in (False, True):
            rec_path = os.path.join(tmp, f"loop{int(parked)}.rwr")
            w = Web(["record", loop, "--append", "iters=300000000", "-o", rec_path])
            try:
                time.sleep(0.3)
                if parked:
                    w.post("/api/pause")
                    w.post("/api/seek", {"icount": 1000})
                _, s, _ = w.get("/api/summary")
                code = w.interrupt()
                t.check(code == 14, f"record --web, Ctrl-C{' in the past' if parked else ''}: status 14 (got {code})",
                        "\n".join(w.stderr_lines))
                t.check(any(f"interrupted (Ctrl-C) at instruction {s['history']['end']}" in l for l in w.stderr_lines)
                        or not parked, "says where: the frontier", "\n".join(w.stderr_lines))
            finally:
                w.close()
            rep = subprocess.run([REWIND, "replay", rec_path], capture_output=True, text=True, timeout=60)
            t.check(rep.returncode == 14 and s["history"]["end"] > 1000, f"the recording replays to there (status {rep.returncode})",
                    rep.stderr)
        bad = subprocess.run([REWIND, "replay", recording, "--web", "nonsense"], capture_output=True, text=True,
                             timeout=30)
        t.check(bad.returncode == 2 and "--web" in bad.stderr, "a bad --web address: usage error", bad.stderr)
        bad = subprocess.run([REWIND, "run", elf, "--web", ":0", "--no-record"], capture_output=True, text=True,
                             timeout=30)
        t.check(bad.returncode == 2 and "--no-record" in bad.stderr, "--web with --no-record: usage error", bad.stderr)


SCENARIOS = {f.__name__: f for f in [api, bad_requests, limits, live_run, gdb_together, disassembly, sigint]}

if __name__ == "__main__":
    SCENARIOS[SCENARIO]()
    t.finish()
