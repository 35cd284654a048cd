"""Helpers for scripted gdb (and lldb) sessions against the real rewind binary.

Each session starts its own `rewind run GUEST --gdb 127.0.0.1:PORT` on a free port, runs the
debugger in batch mode with a list of commands, and returns everything the debugger printed,
so that tests can assert on exactly what a user would see."""
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Rewind:
    """A `rewind run` (or another `command`, such as record) process serving gdb, or `rewind
    replay RECORDING` with replay=; stderr is collected line by line."""

    def __init__(self, rewind, guest, append="", wait=True, extra=(), replay=None, command="run"):
        self.port = free_port()
        if replay:
            cmd = [rewind, "replay", replay, "--gdb", f"127.0.0.1:{self.port}"]
        else:
            # No guest: the machine boots the disk given with -hda (in extra).
            cmd = [rewind, command] + ([guest] if guest else []) + ["--gdb", f"127.0.0.1:{self.port}"]
        if wait:
            cmd.append("--wait-gdb")
        if append:
            cmd += ["--append", append]
        cmd += list(extra)
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.stderr_lines = []
        self.stdout = ""
        self._listening = threading.Event()
        self._err_thread = threading.Thread(target=self._read_stderr, daemon=True)
        self._err_thread.start()
        self._out_thread = threading.Thread(target=self._read_stdout, daemon=True)
        self._out_thread.start()
        if not self._listening.wait(10):
            self.proc.kill()
            raise RuntimeError(f"rewind did not start listening: {self.stderr_lines}")

    def _read_stderr(self):
        for line in self.proc.stderr:
            self.stderr_lines.append(line.rstrip("\n"))
            if "waiting for gdb on" in line:
                self._listening.set()
        self._listening.set()

    def _read_stdout(self):
        self.stdout = self.proc.stdout.read()

    def wait(self, timeout=15):
        try:
            status = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("rewind did not exit")
        self._out_thread.join(5)
        self._err_thread.join(5)
        return status

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def run_gdb(elf, port, commands, timeout=30, interrupt_after=None, connect=True, pre=(), interrupt_when=None):
    """Runs gdb in batch mode; returns its combined output. With interrupt_after, SIGINT is
    sent to gdb that many seconds after it started (gdb then sends 0x03 to the stub), or,
    with interrupt_when too, that many seconds after gdb printed a line starting with it."""
    cmd = ["gdb", "-nx", "-batch", "-ex", "set pagination off", "-ex", "set confirm off"]
    for c in pre:
        cmd += ["-ex", c]
    if connect:
        cmd += ["-ex", f"target remote 127.0.0.1:{port}"]
    for c in commands:
        cmd += ["-ex", c]
    if elf:  # None: no program file (the commands may load symbols with symbol-file)
        cmd.append(elf)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            stdin=subprocess.DEVNULL)
    timers = []

    def interrupt_later():
        timer = threading.Timer(interrupt_after, lambda: proc.send_signal(signal.SIGINT))
        timers.append(timer)
        timer.start()

    if interrupt_after is not None and interrupt_when is None:
        interrupt_later()
    watchdog = threading.Timer(timeout, proc.kill)
    watchdog.start()
    lines = []
    try:
        for line in proc.stdout:
            lines.append(line)
            if interrupt_when is not None and not timers and line.startswith(interrupt_when):
                interrupt_later()
        proc.wait()
    finally:
        watchdog.cancel()
        for timer in timers:
            timer.cancel()
    out = "".join(lines)
    if proc.returncode == -signal.SIGKILL:
        raise AssertionError("gdb timed out; output so far:\n" + out)
    return out


class Checker:
    """Collects failed expectations; the test fails at the end if there was any."""

    def __init__(self, name):
        self.name = name
        self.failures = 0

    def check(self, ok, what, context=""):
        print(("ok   " if ok else "FAIL ") + what)
        if not ok:
            self.failures += 1
            if context:
                print("----- output -----\n" + context + "\n------------------")
        return ok

    def expect_in_order(self, output, patterns, what):
        """Each regex must match, after the previous match."""
        pos = 0
        for p in patterns:
            m = re.compile(p, re.M).search(output, pos)
            if not self.check(m is not None, f"{what}: /{p}/", output):
                return False
            pos = m.end()
        return True

    def expect_absent(self, output, pattern, what):
        return self.check(re.search(pattern, output, re.M) is None, f"{what}: no /{pattern}/", output)

    def finish(self):
        print(f"{self.name}: {'PASS' if self.failures == 0 else f'{self.failures} FAILED'}")
        sys.exit(1 if self.failures else 0)


# The end of a session whose guest exits with status 1: `continue` from the end stop ends it.
EXIT_1 = [r"^rewind: the guest is exiting with status 1: `continue` ends it", r"SIGTRAP",
          r"\[Inferior 1 \(Remote target\) exited with code 01\]"]


def source_lines(path):
    """line_of(text, after=0) for the source file `path`: the number of the first line after
    line `after` that contains `text`."""
    with open(path) as f:
        lines = f.read().split("\n")

    def line_of(text, after=0):
        for i in range(after, len(lines)):
            if text in lines[i]:
                return i + 1
        raise AssertionError(f"{text!r} not in {path}")

    return line_of


def finish_commands(function, prints, again=False):
    """gdb commands out of `function` and back: break at it, continue, finish (gdb prints the
    value returned), delete the breakpoints (reverse-finish would stop at them); with `again`,
    reverse-step back into it (at its end) and finish again (the same value); reverse-step and
    reverse-finish back to the call, `p` each of `prints`, step into it and finish once more."""
    return ([f"break {function}", "continue", "finish", "delete"] + (["reverse-step", "finish"] if again else [])
            + ["reverse-step", "reverse-finish"] + [f"p {p}" for p in prints] + ["step", "finish"])


def gdb_session(r, elf, commands, timeout=30):
    """run_gdb against the Rewind `r` (killed if gdb fails), then rewind's exit: (gdb's output,
    rewind's status)."""
    try:
        out = run_gdb(elf, r.port, commands, timeout=timeout)
    except Exception:
        r.close()
        raise
    return out, r.wait()


def check_exit_1(t, r, status):
    """The Checker `t`: the Rewind `r` exited with `status` 1, the guest's."""
    t.check(status == 1, f"rewind exits with the guest's status 1 (got {status})", "\n".join(r.stderr_lines))


def check_replay(t, rewind, recording, r, status):
    """The recorded session `r` (which exited with `status`): the guest's status 1, and `rewind
    replay` of its recording (without gdb) prints what the guest printed live, writes made by
    gdb included."""
    check_exit_1(t, r, status)
    rep = subprocess.run([rewind, "replay", recording], capture_output=True, text=True, timeout=60)
    t.check(rep.returncode == 1 and rep.stdout == r.stdout,
            f"the recording replays the write (status {rep.returncode})",
            f"live:\n{r.stdout}\nreplay:\n{rep.stdout}{rep.stderr}")
