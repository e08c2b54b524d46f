"""Self-test of webrtc_client (run by hand, not registered in meson):
/usr/bin/python3 -m unittest -v test_webrtc_client_selftest

An in-process fake signalling server (a minimal RFC 6455 server on stdlib
sockets) plays the media server's role for "play" with a sending webrtcbin:
it offers H.264 + Opus + a data channel, takes the answer, trickles ICE
both ways and says play_started once ICE is connected."""

import base64
import hashlib
import json
import re
import socket
import struct
import threading
import unittest

from webrtc_client import (PUBLISH_PIPELINE, WebRtcPublisher, WebRtcViewer,
                           sdp_mids, session_description)


from gi.repository import Gst, GstWebRTC  # noqa: E402 (versions set above)

SENDER = PUBLISH_PIPELINE  # the fake server sends what a publisher would
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class FakeServer:
    """Accepts WebSocket connections on 127.0.0.1; each gets a _Session.
    error: answer play with this error definition instead of media;
    relay: no media of its own, pass signalling between one publisher and
    one viewer (a stand-in for the server's SFU)."""

    def __init__(self, error=None, relay=False):
        self.error, self.relay = error, relay
        self.lock = threading.Lock()
        self.peers = {}     # relay: "publish"/"play" -> _Session
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = "ws://127.0.0.1:%d/live/websocket" % (
            self.listener.getsockname()[1])
        self.sessions = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            session = _Session(conn, self)
            self.sessions.append(session)
            session.thread.start()

    def close(self):
        self.listener.close()
        for session in self.sessions:
            session.close()


class _Session:

    def __init__(self, conn, server):
        self.conn, self.server, self.error = conn, server, server.error
        self.lock = threading.Lock()
        self.pipeline = self.webrtc = None
        self.mids, self.started = [], False
        self.received = []
        self.thread = threading.Thread(target=self._serve, daemon=True)

    # -- RFC 6455, text frames only ------------------------------------------

    def _read(self, n):
        data = b""
        while len(data) < n:
            chunk = self.conn.recv(n - len(data))
            if not chunk:
                raise EOFError
            data += chunk
        return data

    def _handshake(self):
        request = b""
        while b"\r\n\r\n" not in request:
            request += self._read(1)
        key = re.search(rb"Sec-WebSocket-Key:\s*(\S+)", request, re.I).group(1)
        accept = base64.b64encode(hashlib.sha1(key + GUID).digest())
        self.conn.sendall(b"HTTP/1.1 101 Switching Protocols\r\n"
                          b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
                          b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n")

    def _read_frame(self):
        b0, b1 = self._read(2)
        length = b1 & 0x7F
        if length == 126:
            length = struct.unpack(">H", self._read(2))[0]
        elif length == 127:
            length = struct.unpack(">Q", self._read(8))[0]
        mask = self._read(4) if b1 & 0x80 else b"\0\0\0\0"
        payload = self._read(length)
        return b0 & 0x0F, bytes(c ^ mask[i % 4] for i, c in enumerate(payload))

    def _frame(self, opcode, payload):
        n = len(payload)
        head = bytes([0x80 | opcode])
        if n < 126:
            head += bytes([n])
        elif n < 65536:
            head += bytes([126]) + struct.pack(">H", n)
        else:
            head += bytes([127]) + struct.pack(">Q", n)
        with self.lock:
            self.conn.sendall(head + payload)

    def send(self, **message):
        try:
            self._frame(0x1, json.dumps(message).encode())
        except OSError:
            pass    # the viewer went away

    def _serve(self):
        try:
            self._handshake()
            while True:
                opcode, payload = self._read_frame()
                if opcode == 0x8:
                    self._frame(0x8, payload[:2])
                    break
                if opcode == 0x1:
                    message = json.loads(payload)
                    self.received.append(message)
                    self._handle(message)
        except (EOFError, OSError):
            pass
        finally:
            self.close()

    def close(self):
        try:
            self.conn.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.conn.close()
        with self.lock:
            pipeline, self.pipeline = self.pipeline, None
        if pipeline is not None:
            pipeline.set_state(Gst.State.NULL)

    # -- the media server's side of "play" -----------------------------------

    def _handle(self, message):
        command, stream = message.get("command"), message.get("streamId")
        self.stream = stream
        if self.server.relay:
            self._relay(message)
        elif command == "play" and self.error:
            self.send(command="error", definition=self.error, streamId=stream)
        elif command == "play":
            self._offer()
        elif command == "takeConfiguration" and message["type"] == "answer":
            self.webrtc.emit("set-remote-description", session_description(
                GstWebRTC.WebRTCSDPType.ANSWER, message["sdp"]), None)
        elif command == "takeCandidate" and message["candidate"]:
            self.webrtc.emit("add-ice-candidate", message["label"],
                             message["candidate"])
        elif command == "stop":
            if self.pipeline is not None:
                self.send(command="notification", definition="play_finished",
                          streamId=stream)
            self.close()

    def _relay(self, message):
        command, server = message["command"], self.server
        if command in ("publish", "play"):
            self.role = command
            with server.lock:
                server.peers[command] = self
                both = len(server.peers) == 2
            if both:
                server.peers["publish"].send(command="start",
                                             streamId=self.stream)
        elif command == "stop":
            self.send(command="notification", streamId=self.stream,
                      definition=self.role + "_finished")
            self.close()
        else:
            other = server.peers["play" if self.role == "publish"
                                 else "publish"]
            if message.get("type") == "offer":
                message = dict(message, idMapping={})
            other.send(**message)
            if message.get("type") == "answer":
                for role, peer in server.peers.items():
                    peer.send(command="notification", streamId=self.stream,
                              definition=role + "_started")

    def _offer(self):
        self.pipeline = Gst.parse_launch(SENDER)
        self.webrtc = self.pipeline.get_by_name("webrtc")
        for i in range(2):
            self.webrtc.emit("get-transceiver", i).set_property(
                "direction", GstWebRTC.WebRTCRTPTransceiverDirection.SENDONLY)
        self.webrtc.connect("on-ice-candidate", self._on_candidate)
        self.webrtc.connect("notify::ice-connection-state", self._on_ice)
        self.pipeline.set_state(Gst.State.PLAYING)
        self.webrtc.emit("create-data-channel", "chat", None)
        promise = Gst.Promise.new()
        self.webrtc.emit("create-offer", None, promise)
        promise.wait()
        reply = promise.get_reply()     # must outlive get_value's result
        offer = reply.get_value("offer").copy()
        text = offer.sdp.as_text()
        self.mids = sdp_mids(text)
        self.send(command="takeConfiguration", streamId=self.stream,
                  type="offer", sdp=text, idMapping={})
        self.webrtc.emit("set-local-description", offer, None)

    def _on_candidate(self, webrtc, label, candidate):
        self.send(command="takeCandidate", streamId=self.stream, label=label,
                  id=self.mids[label], candidate=candidate)

    def _on_ice(self, webrtc, pspec):
        state = webrtc.get_property("ice-connection-state")
        if not self.started and state in (
                GstWebRTC.WebRTCICEConnectionState.CONNECTED,
                GstWebRTC.WebRTCICEConnectionState.COMPLETED):
            self.started = True
            self.send(command="notification", definition="play_started",
                      streamId=self.stream)


class WebRtcViewerSelfTest(unittest.TestCase):

    def serve(self, **kwargs):
        server = FakeServer(**kwargs)
        self.addCleanup(server.close)
        return server

    def test_viewer_decodes_video_and_audio_then_stops(self):
        server = self.serve()
        viewer = WebRtcViewer(server.url, "stream1", timeout=15)
        self.addCleanup(viewer.stop)
        viewer.start()
        self.assertTrue(viewer.wait_for(
            lambda: viewer.decoded_frames >= 10 and viewer.audio_buffers > 0),
            (viewer.decoded_frames, viewer.audio_buffers, viewer.errors))
        self.assertEqual(viewer.frame_size, (320, 240))
        self.assertTrue(viewer.wait_for_definition("play_started"),
                        viewer.definitions())
        self.assertEqual(len(viewer.data_channels), 1)
        session = server.sessions[0]
        self.assertEqual(session.received[0], {"command": "play",
                                               "streamId": "stream1"})
        answer = [m for m in session.received
                  if m["command"] == "takeConfiguration"]
        self.assertEqual(answer[0]["type"], "answer")
        self.assertTrue(any(m["command"] == "takeCandidate"
                            for m in session.received))
        viewer.stop()
        self.assertIn("play_finished", viewer.definitions())
        self.assertTrue(viewer.ws_closed)
        self.assertEqual(viewer.errors, [])
        viewer.stop()   # idempotent

    def test_error_is_recorded_and_nothing_decoded(self):
        server = self.serve(error="unauthorized_access")
        with WebRtcViewer(server.url, "stream2", token="t0k") as viewer:
            viewer.start()
            self.assertTrue(viewer.wait_for_definition("unauthorized_access"),
                            viewer.messages)
            self.assertEqual(server.sessions[0].received[0],
                             {"command": "play", "streamId": "stream2",
                              "token": "t0k"})
        self.assertEqual(viewer.definitions(), ["unauthorized_access"])
        self.assertEqual(viewer.decoded_frames, 0)
        self.assertEqual(viewer.audio_buffers, 0)

    def test_publisher_to_viewer_through_a_relay(self):
        server = self.serve(relay=True)
        publisher = WebRtcPublisher(server.url, "stream3", timeout=15)
        self.addCleanup(publisher.stop)
        viewer = WebRtcViewer(server.url, "stream3", timeout=15)
        self.addCleanup(viewer.stop)
        publisher.start()   # the relay says start once both are there
        viewer.start()
        self.assertTrue(viewer.wait_for(
            lambda: viewer.decoded_frames >= 10 and viewer.audio_buffers > 0),
            (viewer.decoded_frames, viewer.audio_buffers, viewer.errors,
             publisher.errors))
        self.assertEqual(viewer.frame_size, (320, 240))
        self.assertTrue(publisher.wait_for_definition("publish_started"))
        viewer.stop()
        publisher.stop()
        self.assertEqual(publisher.definitions(),
                         ["publish_started", "publish_finished"])
        self.assertEqual(publisher.errors + viewer.errors, [])

    def test_close_drops_the_connection_without_stop(self):
        server = self.serve()
        viewer = WebRtcViewer(server.url, "stream4", timeout=15)
        self.addCleanup(viewer.stop)
        viewer.start()
        self.assertTrue(viewer.wait_for(lambda: viewer.decoded_frames > 0))
        viewer.close()
        session = server.sessions[0]
        session.thread.join(5)
        self.assertFalse(session.thread.is_alive())
        self.assertNotIn("stop", [m["command"] for m in session.received])
        viewer.stop()   # a no-op after close()
        self.assertEqual(viewer.errors, [])


if __name__ == "__main__":
    unittest.main()
