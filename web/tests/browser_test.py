#!/usr/bin/env python3
"""The web timeline's page in a real browser: headless Chromium driven through the DevTools
protocol (standard library only: the WebSocket client of websocket.py), over the real rewind
binary. Screenshots go to ARTIFACT_DIR.

Usage: browser_test.py REWIND GUEST_DIR ARTIFACT_DIR SCENARIO"""
import json
import os
import re
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "gdb-tests"))
sys.path.insert(0, HERE)
from gdbtest import Checker  # noqa: E402
import web_test_support as support  # noqa: E402
from chromium import Chromium, ChromiumMissing  # noqa: E402

REWIND, GUEST_DIR, ARTIFACTS, SCENARIO = sys.argv[1:5]
DISKS = os.path.join(GUEST_DIR, "..", "disks")
SOURCE = os.path.abspath(os.path.join(HERE, "..", ".."))
t = Checker(f"browser.{SCENARIO}")

def start_chromium(tmp):
    try:
        return Chromium(tmp, ARTIFACTS)
    except ChromiumMissing as e:
        t.check(False, str(e))
        t.finish()


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


def disassembly_panel(browser, rip, timeout=5):
    """The panel's instruction lines once its marked line is the one at `rip`, else None."""
    return browser.wait_for(
        "(() => { const marked = document.querySelectorAll('#disassembly .current');"
        f" if (marked.length !== 1 || !marked[0].textContent.startsWith('=> {rip} ')) return null;"
        " return [...document.querySelectorAll('#disassembly .insn')].map((l) => l.textContent); })()",
        timeout=timeout)


def check_disassembly_panel(browser, st):
    """The registers panel lists /api/state's instructions, the one at rip first and marked."""
    rip = st["registers"]["rip"]
    lines = disassembly_panel(browser, rip)
    listing = st["disassembly"]
    t.check(bool(lines) and len(lines) == len(listing) and len(listing) > 1 and
            all(line[:3] == ("=> " if k == 0 else "   ") and line[3:].split()[0] == i["address"] and
                f" {i['bytes']} " in line and line.rstrip().endswith(i["text"])
                for k, (line, i) in enumerate(zip(lines, listing))),
            f"the panel shows the instructions from rip {rip}, that one first and marked",
            f"{lines}\n{listing}")


def hover_tip(browser, number, kind):
    """Moves the pointer onto drawn event `number` of `kind`: the tooltip's text, or None."""
    at = browser.evaluate(f"window.rewindTimeline.whereIs({number}, '{kind}')")
    if not at:
        return None
    browser.mouse("mouseMoved", at["x"], at["y"])
    return browser.wait_for("!document.getElementById('tip').hidden && "
                            "document.getElementById('tip').textContent", timeout=5)


def crash_demo():
    """The crash demo's recording replayed with --web: the disk lanes, exactly the journal's
    completions, a click on a completion and "Go here" seek there (the JSON API says so)."""
    with tempfile.TemporaryDirectory() as tmp:
        recording, info = support.record_crash_demo(REWIND, GUEST_DIR, DISKS, tmp, t)
        completions = [e for e in info["events"] if e["kind"] == "disk_completion"]
        web = support.Web(REWIND, ["replay", recording])
        browser = start_chromium(tmp)
        try:
            s = open_page(browser, web)
            t.check("primary master" in s["lanes"] and "secondary master" in s["lanes"],
                    "the page shows both disk lanes", str(s["lanes"]))
            t.check(s["completions"] == len(completions) and s["drawn"].get("disk_completion") == len(completions),
                    f"the page has and draws the journal's {len(completions)} completions "
                    f"({s['completions']} known, {s['drawn'].get('disk_completion')} drawn)", json.dumps(s["drawn"]))
            t.check(s["cursor"] == 0 and not s["goDisabled"], "the cursor at 0; Go here allowed", str(s))
            # The serial output and the interrupts come from the recording's output index: on the
            # page before anything ran.
            _, serial, _ = web.get("/api/serial")
            _, taken, _ = web.get("/api/interrupts")
            external = [x for x in taken["interrupts"] if x["kind"] == "external"]
            t.check(s["serial"] == len(serial["lines"]) > 0, "the page has the serial lines at once", str(s))
            t.check("exceptions" in s["lanes"] and "interrupts" in s["lanes"] and
                    s["interrupts"] == len(external) > 0 and s["drawn"].get("external") == len(external) and
                    s["exceptions"] == len(taken["interrupts"]) - len(external),
                    f"the page has and draws the {len(external)} interrupts taken", json.dumps(s["drawn"]))
            # Hovering an interrupt says what it was.
            irq = external[-1]
            tip = hover_tip(browser, irq["number"], "external")
            t.check(bool(tip) and f"{irq['icount']}: {irq['name']}, returns to {irq['return_rip']}" in tip.split("\n"),
                    f"hovering an interrupt shows what it was ({irq['name']})", str(tip))
            browser.mouse("mouseMoved", 5, 5)
            # To the end, so the crash is where the cursor is.
            status, _, _ = web.post("/api/seek", {"icount": info["end"]})
            t.check(status == 200, "seek to the end")
            browser.wait_for(f"window.rewindTimeline.state().cursor === {info['end']}")
            browser.wait_for("window.rewindTimeline.state().registers.startsWith('icount')", timeout=5)
            # Hovering a serial line shows its text: the last one, the guest's panic.
            last = serial["lines"][-1]
            tip = hover_tip(browser, last["number"], "serial_output")
            t.check(bool(tip) and f"{last['icount']}: {last['text']}" in tip.split("\n"),
                    f"hovering the last serial line shows its text ({last['text']!r})", str(tip))
            browser.mouse("mouseMoved", 5, 5)
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
            browser.wait_for(f"window.rewindTimeline.state().registers.startsWith('icount {nested['icount']},')",
                             timeout=5)
            check_disassembly_panel(browser, st)
            browser.screenshot("crash_demo_zoomed.png")
            t.check(not browser.errors, "no errors on the page", "\n".join(map(str, browser.errors)))
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
        browser = start_chromium(tmp)
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
            check_disassembly_panel(browser, st)
            pc = re.search(r"^=> (0x[0-9a-f]+)", gdb.cmd("x/i $pc"), re.M)
            t.check(pc is not None and pc.group(1) == st["registers"]["rip"],
                    "the panel's marked instruction is gdb's x/i $pc", str(pc and pc.group(0)))
            t.check(not browser.errors, "no errors on the page", "\n".join(map(str, browser.errors)))
        finally:
            if gdb:
                gdb.close()
            browser.close()
            web.close()


SCENARIOS = {f.__name__: f for f in [crash_demo, gdb_follow]}

if __name__ == "__main__":
    SCENARIOS[SCENARIO]()
    t.finish()
