"""A raw RTSP client for tests and the soak: requests over a socket, RTP
interleaved on the connection, every answer as the server sent it."""

import re
import socket


class RtspConnection:
    """RTSP requests over a raw socket, answers read past the RTP packets
    interleaved with them ($, channel, length, packet)."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""
        self.cseq = 0

    def fill(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("the server closed the connection")
            self.buf += chunk

    def next(self):
        """None for an RTP packet, else (status line, fields, body)."""
        self.fill(4)
        if self.buf[:1] == b"$":
            size = 4 + int.from_bytes(self.buf[2:4], "big")
            self.fill(size)
            self.buf = self.buf[size:]
            return None
        while b"\r\n\r\n" not in self.buf:
            self.fill(len(self.buf) + 1)
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        fields = {k.strip().lower(): v.strip() for k, _, v in
                  (line.partition(":") for line in lines[1:])}
        size = int(fields.get("content-length", "0"))
        self.fill(size)
        body, self.buf = self.buf[:size], self.buf[size:]
        return lines[0], fields, body

    def ask(self, method, url, *headers):
        self.cseq += 1
        self.sock.sendall(("%s %s RTSP/1.0\r\nCSeq: %d\r\n%s\r\n" % (
            method, url, self.cseq,
            "".join(h + "\r\n" for h in headers))).encode())
        answer = None
        while answer is None:
            answer = self.next()
        return answer


def rtsp_session(port, url, timeout=30):
    """One session: DESCRIBE, SETUP (RTP interleaved on the connection),
    PLAY, the first RTP packet, TEARDOWN. None, or what went wrong."""
    with socket.create_connection(("127.0.0.1", port),
                                  timeout=timeout) as sock:
        rtsp = RtspConnection(sock)
        try:
            status, fields, sdp = rtsp.ask("DESCRIBE", url,
                                           "Accept: application/sdp")
            if status != "RTSP/1.0 200 OK":
                return "DESCRIBE: " + status
            track = [c for c in re.findall(r"^a=control:(\S+)\s*$",
                                           sdp.decode(), re.M) if c != "*"]
            status, fields, _ = rtsp.ask(
                "SETUP", fields.get("content-base", url + "/") + track[0],
                "Transport: RTP/AVP/TCP;unicast;interleaved=0-1")
            if status != "RTSP/1.0 200 OK":
                return "SETUP: " + status
            session = "Session: " + fields["session"].split(";")[0]
            status, _, _ = rtsp.ask("PLAY", url, session)
            if status != "RTSP/1.0 200 OK":
                return "PLAY: " + status
            while rtsp.next() is not None:
                pass  # an answer unasked for
            status, _, _ = rtsp.ask("TEARDOWN", url, session)
        except (ConnectionError, OSError) as e:
            return repr(e)
        return None if status == "RTSP/1.0 200 OK" else "TEARDOWN: " + status
