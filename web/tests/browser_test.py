#!/usr/bin/env python3
"""The web timeline's page in a real browser: headless Chromium driven through the DevTools
protocol (standard library only: the WebSocket client of websocket.py), over the real rewind
binary. Screenshots go to ARTIFACT_DIR.

Usage: browser_test.py REWIND GUEST_DIR ARTIFACT_DIR SCENARIO"""
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "gdb-tests"))
sys.path.insert(0, HERE)
from gdbtest import Checker  # noqa: E402
import web_test_support as support  # noqa: E402
from websocket import WebSocket  # noqa: E402

REWIND, GUEST_DIR, ARTIFACTS, SCENARIO = sys.argv[1:5]
DISKS = os.path.join(GUEST_DIR, "..", "disks")
SOURCE = os.path.abspath(os.path.join(HERE, "..", ".."))
t = Checker(f"browser.{SCENARIO}")

CHROMIUM_MISSING = ("chromium is not installed: the browser tests need Debian's `chromium` package "
                    "(scripts/install-deps installs it; or: sudo apt-get install chromium)")


class Chromium:
    """Headless Chromium with one page, spoken to over its DevTools WebSocket."""

    def __init__(self, tmp, width=1400, height=1000):
        binary = shutil.which("chromium") or shutil.which("chromium-browser")
        if not binary:
            t.check(False, CHROMIUM_MISSING)
            t.finish()
        profile = os.path.join(tmp, "chromium-profile")
        self.proc = subprocess.Popen([binary, "--headless=new", "--remote-debugging-port=0", f"--user-data-dir={profile}",
                                      "--no-sandbox", "--no-first-run", "--disable-gpu", "--hide-scrollbars",
                                      f"--window-size={width},{height}", "about:blank"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = os.path.join(profile, "DevToolsActivePort")
        deadline = time.time() + 30
        while not (os.path.exists(port_file) and open(port_file).read().count("\n") >= 1):
            if time.time() > deadline or self.proc.poll() is not None:
                self.close()
                raise RuntimeError("chromium did not start its DevTools server")
            time.sleep(0.05)
        port = int(open(port_file).read().split("\n")[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as r:
            pages = [p for p in json.load(r) if p["type"] == "page"]
        path = re.sub(r"^ws://[^/]+", "", pages[0]["webSocketDebuggerUrl"])
        self.ws = WebSocket(port, path=path, timeout=30)
        self.next_id = 0
        self.call("Page.enable")
        self.call("Runtime.enable")
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False)

    def call(self, method, timeout=30, **params):
        self.next_id += 1
        self.ws.send({"id": self.next_id, "method": method, "params": params})
        deadline = time.time() + timeout
        while time.time() < deadline:
            m = self.ws.receive(max(0.1, deadline - time.time()))
            if m is not None and m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError(f"{method}: {m['error']}")
                return m["result"]
        raise RuntimeError(f"{method}: no answer")

    def evaluate(self, expression):
        r = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            raise RuntimeError(f"{expression}: {r['exceptionDetails']}")
        return r["result"].get("value")

    def wait_for(self, expression, timeout=20):
        """Polls a JavaScript expression until it is truthy; returns its value (None on timeout)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.05)
        return None

    def state(self):
        return self.evaluate("window.rewindTimeline ? window.rewindTimeline.state() : null")

    def mouse(self, kind, x, y, **extra):
        self.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, **extra)

    def click(self, x, y):
        self.mouse("mouseMoved", x, y)
        self.mouse("mousePressed", x, y, button="left", clickCount=1)
        self.mouse("mouseReleased", x, y, button="left", clickCount=1)

    def wheel(self, x, y, delta):
        self.mouse("mouseWheel", x, y, deltaX=0, deltaY=delta)

    def click_element(self, element_id):
        r = self.evaluate(f"(() => {{ const r = document.getElementById('{element_id}').getBoundingClientRect();"
                          f" return {{x: r.left + r.width / 2, y: r.top + r.height / 2}}; }})()")
        self.click(r["x"], r["y"])

    def screenshot(self, name):
        """Saves a PNG of the whole page into the artifacts directory; returns its path."""
        metrics = self.call("Page.getLayoutMetrics")["cssContentSize"]
        shot = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                         clip={"x": 0, "y": 0, "width": metrics["width"], "height": metrics["height"], "scale": 1})
        os.makedirs(ARTIFACTS, exist_ok=True)
        path = os.path.join(ARTIFACTS, name)
        with open(path, "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        return path

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def open_page(browser, web):
    browser.call("Page.navigate", url=f"http://127.0.0.1:{web.port}/")
    ok = browser.wait_for("window.rewindTimeline && window.rewindTimeline.state().loaded && "
                          "window.rewindTimeline.state().live && window.rewindTimeline.state().live.type === 'status'")
    t.check(bool(ok), "the page loads and its WebSocket says where the machine is", str(browser.state()))
    return browser.state()


def zoom_onto(browser, number, steps=30):
    """Wheel-zooms in at a completion's delivery until a click there would hit it (or one
    delivered at the same boundary), at least 8 times."""
    at = None
    for step in range(steps):
        at = browser.evaluate(f"window.rewindTimeline.whereIs({number})")
        if at is None or (step >= 8 and at["hit"] is not None and
                          browser.evaluate(f"window.rewindTimeline.whereIs({at['hit']}).icount") == at["icount"]):
            return at
        browser.wheel(at["x"], at["y"], -100)
        time.sleep(0.02)
    return at


def click_and_go(browser, web, event):
    """Clicks a completion where it is drawn, checks the details, presses "Go here"."""
    at = zoom_onto(browser, event["number"])
    t.check(at is not None, f"completion #{event['number']} is drawn (zoomed in on it)", str(browser.state()))
    if at is None:
        return
    browser.click(at["x"], at["y"])
    selected = browser.wait_for("window.rewindTimeline.state().selected", timeout=5)
    t.check(selected and selected.get("icount") == event["icount"] and selected.get("kind") == "disk_completion",
            f"a click on it selects completion #{event['number']} (or one delivered with it)", str(selected))
    browser.click_element("go")


def crash_demo():
    """The crash demo's recording replayed with --web: the disk lanes, exactly the journal's
    completions, a click on a completion and "Go here" seek there (the JSON API says so)."""
    with tempfile.TemporaryDirectory() as tmp:
        recording, info = support.record_crash_demo(REWIND, GUEST_DIR, DISKS, tmp, t)
        completions = [e for e in info["events"] if e["kind"] == "disk_completion"]
        web = support.Web(REWIND, ["replay", recording])
        browser = Chromium(tmp)
        try:
            s = open_page(browser, web)
            t.check("primary master" in s["lanes"] and "secondary master" in s["lanes"],
                    "the page shows both disk lanes", str(s["lanes"]))
            t.check(s["completions"] == len(completions) and s["drawn"].get("disk_completion") == len(completions),
                    f"the page has and draws the journal's {len(completions)} completions "
                    f"({s['completions']} known, {s['drawn'].get('disk_completion')} drawn)", json.dumps(s["drawn"]))
            t.check(s["cursor"] == 0 and not s["goDisabled"], "the cursor at 0; Go here allowed", str(s))
            # Seek to the end first, so the serial log and the crash are on the page too.
            status, _, _ = web.post("/api/seek", {"icount": info["end"]})
            t.check(status == 200, "seek to the end (the serial lines appear)")
            browser.wait_for(f"window.rewindTimeline.state().cursor === {info['end']} && "
                             "window.rewindTimeline.state().serial > 0")
            browser.wait_for("window.rewindTimeline.state().registers.startsWith('icount')", timeout=5)
            shot = browser.screenshot("crash_demo.png")
            t.check(os.path.getsize(shot) > 10000, f"a screenshot saved ({shot})")
            # The completion delivered at one boundary with another: the demo's story.
            nested = next((e for e in completions if "same_boundary_as" in e), completions[len(completions) // 2])
            click_and_go(browser, web, nested)
            moved = browser.wait_for(f"window.rewindTimeline.state().cursor === {nested['icount']}", timeout=10)
            status, st, _ = web.get("/api/state")
            t.check(status == 200 and st["icount"] == nested["icount"],
                    f"Go here seeks to the completion (GET /api/state at {st.get('icount')}, "
                    f"{nested['icount']} expected)", str(st))
            t.check(bool(moved), "the cursor moved there (WebSocket)", str(browser.state()))
            browser.screenshot("crash_demo_zoomed.png")
        finally:
            browser.close()
            web.close()


def gdb_follow():
    """With --gdb too: gdb's stepi and reverse-stepi move the page's cursor (WebSocket); with
    plain gdb, Go here is off with the reason shown; with stub/gdb/rewind.py loaded, a click on
    a completion and Go here move the machine, and gdb's next prompt shows the new place."""
    with tempfile.TemporaryDirectory() as tmp:
        recording, info = support.record_crash_demo(REWIND, GUEST_DIR, DISKS, tmp, t)
        completions = [e for e in info["events"] if e["kind"] == "disk_completion"]
        elf = os.path.join(GUEST_DIR, "crash_demo.elf")
        web = support.Web(REWIND, ["replay", recording], gdb=True, wait_gdb=True)
        browser = Chromium(tmp)
        gdb = None
        try:
            open_page(browser, web)
            gdb = support.Gdb(elf, web.gdb_port)
            out = gdb.cmd("break chunk_done") + gdb.cmd("continue")
            at = browser.wait_for("(() => { const s = window.rewindTimeline.state();"
                                  " return s.live.debugger && !s.live.running && s.cursor > 0 && s.cursor; })()")
            t.check(bool(at) and "chunk_done" in out, f"the cursor follows gdb to a completion handler (icount {at})",
                    str(browser.state()) + out)
            s = browser.state()
            t.check(s["goDisabled"] and "gdb" in s["goWhy"], "plain gdb: Go here is off, saying why", s["goWhy"])
            out = gdb.cmd("stepi")
            after = browser.wait_for(f"window.rewindTimeline.state().cursor > {at} && window.rewindTimeline.state().cursor")
            t.check(after and after > at, f"stepi: the cursor moves forward ({at} -> {after})", str(browser.state()) + out)
            gdb.cmd("reverse-stepi")
            back = browser.wait_for(f"window.rewindTimeline.state().cursor === {at}")
            t.check(bool(back), f"reverse-stepi: the cursor moves back to {at}", str(browser.state()))
            browser.screenshot("gdb_follow.png")

            # The script: the page may seek while gdb is stopped, and gdb follows.
            out = gdb.cmd(f"source {os.path.join(SOURCE, 'stub', 'gdb', 'rewind.py')}")
            enabled = browser.wait_for("!window.rewindTimeline.state().goDisabled", timeout=5)
            t.check(bool(enabled), "with the script loaded: Go here allowed while gdb is stopped",
                    str(browser.state()) + out)
            target = next((e for e in completions if e["icount"] > at), completions[0])
            click_and_go(browser, web, target)
            browser.wait_for(f"window.rewindTimeline.state().cursor === {target['icount']}", timeout=10)
            status, st, _ = web.get("/api/state")
            t.check(st["icount"] == target["icount"], f"Go here moved the machine to {target['icount']}", str(st))
            out = gdb.cmd("rewind when")
            t.check(f"the web timeline moved the guest to icount {target['icount']}" in out,
                    "gdb's next prompt follows the page", out)
            regs = gdb.cmd("info registers eip")
            t.check(st["registers"]["rip"] in regs, f"gdb's registers are the new place's (eip {st['registers']['rip']})",
                    regs)
            out = gdb.cmd("monitor icount")
            t.check(f"icount {target['icount']}" in out, "monitor icount agrees", out)
        finally:
            if gdb:
                gdb.close()
            browser.close()
            web.close()


SCENARIOS = {f.__name__: f for f in [crash_demo, gdb_follow]}

if __name__ == "__main__":
    SCENARIOS[SCENARIO]()
    t.finish()
