"""The server side of a WebSocket, for the reference sender's signalling."""

import base64
import hashlib
import json
import struct
import threading


WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class WsConnection:
    """The server side of one WebSocket (RFC 6455): text frames only,
    answers pings, no extensions."""

    def __init__(self, sock):
        self.sock = sock
        self.lock = threading.Lock()
        self.rfile = sock.makefile("rb")

    def handshake(self):
        head = b""
        while not head.endswith(b"\r\n\r\n"):
            line = self.rfile.readline()
            if not line:
                return False
            head += line
        key = None
        for line in head.decode("latin-1").split("\r\n")[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "sec-websocket-key":
                key = value.strip()
        if key is None:
            self.sock.sendall(b"HTTP/1.1 400 Bad Request\r\n"
                              b"Content-Length: 0\r\n\r\n")
            return False
        accept = base64.b64encode(hashlib.sha1(
            (key + WS_GUID).encode()).digest()).decode()
        self.sock.sendall(("HTTP/1.1 101 Switching Protocols\r\n"
                           "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                           "Sec-WebSocket-Accept: %s\r\n\r\n"
                           % accept).encode())
        return True

    def _read(self, n):
        data = self.rfile.read(n)
        if len(data) < n:
            raise EOFError
        return data

    def recv_text(self):
        """The next text message; None when the connection ends."""
        parts = []
        try:
            while True:
                b0, b1 = self._read(2)
                opcode, fin = b0 & 0x0F, b0 & 0x80
                n = b1 & 0x7F
                if n == 126:
                    n = struct.unpack("!H", self._read(2))[0]
                elif n == 127:
                    n = struct.unpack("!Q", self._read(8))[0]
                mask = self._read(4) if b1 & 0x80 else b"\0\0\0\0"
                data = bytearray(self._read(n))
                for i in range(n):
                    data[i] ^= mask[i % 4]
                if opcode == 0x8:
                    self._send(0x8, bytes(data[:2]))
                    return None
                if opcode == 0x9:
                    self._send(0xA, bytes(data))
                    continue
                if opcode in (0x1, 0x0):
                    parts.append(bytes(data))
                    if fin:
                        return b"".join(parts).decode("utf-8")
        except (EOFError, OSError, ValueError):
            return None

    def _send(self, opcode, payload):
        n = len(payload)
        if n < 126:
            head = struct.pack("!BB", 0x80 | opcode, n)
        elif n < 65536:
            head = struct.pack("!BBH", 0x80 | opcode, 126, n)
        else:
            head = struct.pack("!BBQ", 0x80 | opcode, 127, n)
        with self.lock:
            self.sock.sendall(head + payload)

    def send(self, message):
        try:
            self._send(0x1, json.dumps(message).encode("utf-8"))
        except OSError:
            pass
