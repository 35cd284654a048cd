"""Headless Chromium driven through its DevTools protocol with the standard library only (the
WebSocket client of websocket.py): the browser tests (browser_test.py) and the page's frame
time benchmark (bench/web_bench.py)."""
import base64
import json
import os
import re
import shutil
import subprocess
import time
import urllib.request

from websocket import WebSocket


class ChromiumMissing(RuntimeError):
    pass


class Chromium:
    """Headless Chromium with one page, spoken to over its DevTools WebSocket."""

    def __init__(self, tmp, artifacts, width=1400, height=1000):
        binary = shutil.which("chromium") or shutil.which("chromium-browser")
        if not binary:
            raise ChromiumMissing("chromium is not installed: the browser tests need Debian's `chromium` package "
                                  "(scripts/install-deps installs it; or: sudo apt-get install chromium)")
        self.artifacts = artifacts
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
        self.errors = []
        self.call("Page.enable")
        self.call("Log.enable")
        self.call("Runtime.enable")
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False)

    def call(self, method, timeout=30, **params):
        self.next_id += 1
        self.ws.send({"id": self.next_id, "method": method, "params": params})
        deadline = time.time() + timeout
        while time.time() < deadline:
            m = self.ws.receive(max(0.1, deadline - time.time()))
            if m is not None and m.get("method") in ("Runtime.exceptionThrown", "Log.entryAdded"):
                self.note(m)
            if m is not None and m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError(f"{method}: {m['error']}")
                return m["result"]
        raise RuntimeError(f"{method}: no answer")

    def note(self, m):
        """Keeps the page's uncaught exceptions and logged errors (self.errors)."""
        p = m["params"]
        if m["method"] == "Runtime.exceptionThrown":
            d = p["exceptionDetails"]
            self.errors.append(d.get("exception", {}).get("description") or d.get("text"))
        elif p["entry"].get("level") == "error":
            self.errors.append(f"{p['entry'].get('source')}: {p['entry'].get('text')} {p['entry'].get('url', '')}")

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
        os.makedirs(self.artifacts, exist_ok=True)
        path = os.path.join(self.artifacts, name)
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
