"""What the web tests and the browser tests share: a rewind process serving the web timeline,
the crash demo's recording, and gdb driven command by command (its prompts, so that
gdb.events.before_prompt hooks run as they do for a user)."""
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "gdb-tests"))
from gdbtest import free_port  # noqa: E402


class Web:
    """A rewind process serving the web timeline (and gdb, with gdb_port) on free ports."""

    def __init__(self, rewind, args, gdb=False, wait_gdb=False):
        self.port = free_port()
        self.gdb_port = free_port() if gdb else None
        cmd = [rewind, *args, "--web", f"127.0.0.1:{self.port}"]
        if gdb:
            cmd += ["--gdb", f"127.0.0.1:{self.gdb_port}"] + (["--wait-gdb"] if wait_gdb else [])
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.stderr_lines = []
        self.ready = threading.Event()
        threading.Thread(target=self._read_stderr, daemon=True).start()
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()
        if not self.ready.wait(15):
            self.proc.kill()
            raise RuntimeError(f"rewind did not serve the web timeline: {self.stderr_lines}")

    def _read_stderr(self):
        for line in self.proc.stderr:
            self.stderr_lines.append(line.rstrip("\n"))
            if "web timeline on http://" in line:
                self.ready.set()
        self.ready.set()

    def request(self, method, path, body=None, headers=None, host=None):
        """(status, parsed JSON or text, headers)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        conn.putheader("Host", host if host is not None else f"127.0.0.1:{self.port}")
        for k, v in (headers or {}).items():
            conn.putheader(k, v)
        data = body.encode() if isinstance(body, str) else body
        if data is not None:
            conn.putheader("Content-Length", str(len(data)))
        conn.endheaders(data)
        r = conn.getresponse()
        raw = r.read()
        conn.close()
        kind = r.getheader("Content-Type", "")
        return r.status, json.loads(raw) if kind.startswith("application/json") else raw.decode(), r

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, obj=None, raw=None, **kw):
        return self.request("POST", path, body=raw if raw is not None else json.dumps(obj), **kw)

    def raw(self, data, timeout=10):
        """Sends bytes as they are; returns what comes back until the server closes."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as s:
            s.sendall(data)
            out = b""
            try:
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    out += chunk
            except (socket.timeout, ConnectionResetError):
                pass
        return out

    def interrupt(self, timeout=15):
        self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def record_crash_demo(rewind, guest_dir, disk_dir, tmp, checker):
    """A recording of the crash demo that crashed (as gdb-tests/crash_demo.py makes it; the
    crash depends on host I/O timing, so seeds are tried), and `rewind info --events --json`."""
    elf = os.path.join(guest_dir, "crash_demo.elf")
    records = os.path.join(disk_dir, "records.img")
    recording = os.path.join(tmp, "crash.rwr")
    status = 1
    for seed in range(1, 41):
        status = subprocess.run([rewind, "record", "-o", recording, elf, "-hda", records, "-hdc", records,
                                 "--append", "records=256", "--io-faults", f"seed={seed},delay=200-2000",
                                 "--serial-in", "none"], capture_output=True, timeout=60).returncode
        if status != 1:
            break
    checker.check(status == 255, f"a recorded run of the crash demo crashed (status {status}, 255 expected)")
    info = json.loads(subprocess.run([rewind, "info", recording, "--events", "--json"], capture_output=True,
                                     text=True, timeout=60).stdout)
    summary = json.loads(subprocess.run([rewind, "info", recording, "--json"], capture_output=True, text=True,
                                        timeout=60).stdout or "{}")
    info["end"] = summary["instructions"]
    return recording, info


class Gdb:
    """gdb on a pipe, one command at a time: it prints its prompt (and runs before_prompt
    hooks) between commands, as for a user at a terminal."""
    PROMPT = "(gdb) "

    def __init__(self, elf, port):
        self.proc = subprocess.Popen(["gdb", "-nx", "-q", "-iex", "set pagination off", "-iex", "set confirm off",
                                      "-iex", "set width 0", elf], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, bufsize=0)
        self.out = ""
        self.lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()
        self._wait(0)
        self.cmd(f"target remote 127.0.0.1:{port}")

    def _read(self):
        while True:
            c = self.proc.stdout.read(1)
            if not c:
                return
            with self.lock:
                self.out += c

    def _wait(self, since, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                if self.out.endswith(self.PROMPT) and len(self.out) > since:
                    return self.out[since:-len(self.PROMPT)]
            if self.proc.poll() is not None:
                break
            time.sleep(0.01)
        with self.lock:
            return self.out[since:]

    def cmd(self, command, timeout=60):
        """Runs a command; returns what gdb printed up to its next prompt."""
        with self.lock:
            since = len(self.out)
        self.proc.stdin.write(command + "\n")
        return self._wait(since, timeout)

    def output(self):
        with self.lock:
            return self.out

    def close(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write("detach\nquit\n")
                self.proc.wait(10)
            except (subprocess.TimeoutExpired, BrokenPipeError):
                self.proc.kill()
                self.proc.wait()
