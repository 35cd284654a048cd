"""A minimal WebSocket client (RFC 6455) with the standard library only: text frames in,
masked text frames out. The web tests use it for /api/live (the page's live status) and the
browser tests for Chromium's DevTools protocol."""
import base64
import json
import os
import socket
import struct
import time


class WebSocket:
    def __init__(self, port, origin=None, host=None, path="/api/live", timeout=10):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [f"GET {path} HTTP/1.1", f"Host: {host or f'127.0.0.1:{port}'}", "Upgrade: websocket",
                 "Connection: Upgrade", f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"]
        if origin:
            lines.append(f"Origin: {origin}")
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                break
            self.buf += chunk
        head, _, self.buf = self.buf.partition(b"\r\n\r\n")
        self.status = int(head.split(b" ")[1]) if head else 0

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise EOFError("closed")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def send(self, obj):
        """Sends obj as JSON in one masked text frame."""
        payload = json.dumps(obj).encode()
        n = len(payload)
        head = bytes([0x81])
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 1 << 16:
            head += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack(">Q", n)
        mask = os.urandom(4)
        self.sock.sendall(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def receive(self, timeout=10):
        """The next text message as JSON (None on timeout). Fragmented messages are joined."""
        self.sock.settimeout(timeout)
        try:
            message = b""
            while True:
                b0, b1 = self._read(2)
                n = b1 & 0x7F
                if n == 126:
                    n = struct.unpack(">H", self._read(2))[0]
                elif n == 127:
                    n = struct.unpack(">Q", self._read(8))[0]
                payload = self._read(n)
                opcode = b0 & 0x0F
                if opcode in (0, 1):
                    message += payload
                    if b0 & 0x80:
                        return json.loads(message)
        except socket.timeout:
            return None

    def until(self, predicate, timeout=15):
        """Messages until one satisfies predicate; returns it (None on timeout)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            m = self.receive(max(0.1, deadline - time.time()))
            if m is not None and predicate(m):
                return m
        return None

    def close(self):
        self.sock.close()
