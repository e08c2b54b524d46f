"""Slow and stalled clients on the RTMP, SRT and WebSocket doors (HTTP's
are test_http_limits'), all at once, each ended by its deadline (README,
"Limits") while healthy clients beside them are served as before:

- RTMP: a handshake trickled a byte a second is closed 10 s after it came
  (no publish); a publisher stopped mid-stream (SIGSTOP: its connection
  open, nothing sent) is closed after 30 s of silence, and its stream ends
  and is finalised.
- SRT: a caller that publishes and sends nothing is cut off after 30 s.
- WebSocket: a client that never answers the server's pings, nor sends a
  message, is closed after 30 s; one that says nothing but answers them
  (as every browser does) stays.

Healthy: ffmpeg publishing over RTMP and SRT as users do (H.264 High with
B-frames, AAC 48 kHz), and a WebSocket client whose ping is answered."""

import json
import queue
import signal
import socket
import threading
import time
import unittest

import websocket

from raw_clients import drip, rtmp_c0_c1, srt_caller, stop_callers
from test_rtmp import wait_for
from test_rtmp_play import LOG_ENV
from test_srt import SrtTestCase
from tollgate_fixture import APP, unique_id

# The deadlines (README, "Limits"), s, and what a busy machine may add.
RTMP_PUBLISH_WITHIN = 10
SILENCE = 30
SLACK = 8


def ws_upgrade(port):
    """A raw WebSocket on /APP/websocket: upgraded, then silent."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(("GET /%s/websocket HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                  "Sec-WebSocket-Version: 13\r\n\r\n" % APP).encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(4096)
        if not chunk:
            raise EOFError("closed before the upgrade")
        head += chunk
    assert head.startswith(b"HTTP/1.1 101"), head
    return sock


class SlowClientsTest(SrtTestCase):
    SERVER_KW = {"env": LOG_ENV,
                 "extra_args": ["--rtmp-port", "1", "--srt-port", "1"]}

    def setUp(self):
        super().setUp()
        self.server.set_settings({"publishTokenControlEnabled": False})
        self.info = ""

    def log(self):
        """What the server has logged so far (info lines go to stdout)."""
        self.info += "".join(line.decode("utf-8", "replace")
                             for line in self.server.stdout_lines())
        return self.info + self.server.stderr()

    def said(self, text):
        """Whether the server logs text within SLACK s (its stdout is read
        by a thread, a little behind)."""
        return wait_for(lambda: text in self.log(), SLACK)

    @staticmethod
    def read_texts(ws, texts):
        """Reads ws (answering pings, as websocket-client does while it
        reads), putting each text message on texts; at the end None, or
        what went wrong."""
        try:
            while True:
                opcode, data = ws.recv_data()
                if opcode == websocket.ABNF.OPCODE_CLOSE:
                    break
                if opcode == websocket.ABNF.OPCODE_TEXT:
                    texts.put(data)
        except Exception as e:  # closed under it
            texts.put(e)
        texts.put(None)

    def test_stalled_clients_end_alone(self):
        start = time.monotonic()
        # The stalled and slow ones.
        trickle = rtmp_c0_c1(self.server.rtmp_port)
        stalled = unique_id()
        publisher = self.ffmpeg(self.url(stalled), seconds=120, wait=False)
        self.addCleanup(publisher.kill)
        self.assertTrue(wait_for(lambda: "%s000000001.ts" % stalled
                                 in self.playlist(stalled)),
                        self.log()[-2000:])
        publisher.send_signal(signal.SIGSTOP)
        stopped = time.monotonic()
        silent = unique_id()
        silent_srt = srt_caller(self.srt_url("%s/%s" % (APP, silent)))
        self.addCleanup(stop_callers, [silent_srt])
        deaf_ws = ws_upgrade(self.server.http_port)
        self.addCleanup(deaf_ws.close)
        quiet_ws = websocket.create_connection(
            "ws://127.0.0.1:%d/%s/websocket" % (self.server.http_port, APP),
            timeout=SILENCE + SLACK)
        self.addCleanup(quiet_ws.close)
        texts = queue.Queue()
        threading.Thread(target=self.read_texts, args=(quiet_ws, texts),
                         daemon=True).start()

        # Healthy publishers beside them, served as before.
        over_rtmp, over_srt = unique_id(), unique_id()
        for s, p in ((over_rtmp, self.ffmpeg(self.url(over_rtmp))),
                     (over_srt, self.srt_ffmpeg("%s/%s" % (APP, over_srt)))):
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertTrue(wait_for(lambda: self.ended(s)),
                            self.log()[-2000:])

        # The trickled handshake: closed once it has not published in time.
        closed = drip([trickle], RTMP_PUBLISH_WITHIN + SLACK)
        self.assertIn(trickle, closed, "the trickling RTMP client is open")
        self.assertTrue(self.said("RTMP 127.0.0.1: closing: no publish "
                                  "within %d s" % RTMP_PUBLISH_WITHIN))
        trickle.close()

        # The silent WebSocket client that answers pings (websocket-client
        # answers them as it reads) outlives the deaf one.
        deaf_ws.settimeout(SILENCE + SLACK)
        while deaf_ws.recv(4096):
            pass
        deaf_closed = time.monotonic() - start
        self.assertGreaterEqual(deaf_closed, SILENCE)
        self.assertTrue(self.said("WebSocket 127.0.0.1: closed: nothing "
                                  "received for %d s" % SILENCE))
        quiet_ws.send(json.dumps({"command": "ping"}))
        answer = texts.get(timeout=SLACK)
        self.assertIsInstance(answer, bytes, answer)
        self.assertEqual(json.loads(answer)["command"], "pong")

        # The stopped RTMP publisher: closed after its silence, its stream
        # ended and finalised.
        self.assertTrue(wait_for(lambda: self.ended(stalled),
                                 SILENCE + SLACK - (time.monotonic()
                                                    - stopped)),
                        self.log()[-2000:])
        self.assertGreaterEqual(time.monotonic() - stopped, SILENCE)
        self.assertTrue(self.said("RTMP 127.0.0.1: closing: nothing "
                                  "received for %d s" % SILENCE))
        # Each end said once, with why.
        self.assertTrue(self.said("%s/%s: publish ended: the publisher sent "
                                  "nothing for %d s\n" % (APP, stalled,
                                                          SILENCE)))
        # The silent SRT publisher: cut off.
        self.assertTrue(self.said("SRT 127.0.0.1: closing: nothing received "
                                  "for %d s" % SILENCE), self.log()[-2000:])
        self.assertRegex(self.log(), "%s/%s: publish ended: .*the publisher "
                         "sent nothing for %d s" % (APP, silent, SILENCE))
        for s in (stalled, silent, over_rtmp, over_srt):
            self.assertEqual(self.log().count("%s/%s: publish ended" % (APP, s)),
                             1, s)
        self.assertTrue(self.said("%s/%s: publish ended: the publisher "
                                  % (APP, over_rtmp)))
        self.assertHealthy()


if __name__ == "__main__":
    unittest.main()
