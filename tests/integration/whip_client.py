"""WHIP and WHEP test clients (RFC 9725 and the WHEP draft), on
GStreamer's webrtcbin through PyGObject: each makes its offer, waits until
its candidates are gathered (so that they are in the offer: no trickle),
POSTs it with a Bearer token and takes the answer from the 201.

    p = WhipPublisher(server.http_port, "LiveApp", "s1", token)
    assert p.start().status == 201
    v = WhepViewer(server.http_port, "LiveApp", "s1", play_token)
    assert v.start().status == 201
    assert v.wait_for(lambda: v.decoded_frames >= 10)
    v.delete(); p.delete()

Pipeline errors and exceptions in callbacks land in .errors.
"""

import http.client
import threading

from gi.repository import GLib, Gst, GstWebRTC

from webrtc_client import (PUBLISH_PIPELINE, WebRtcViewer, _WebRtcPeer,
                           session_description)

# What a WHEP client offers to receive: H.264 in the profiles a browser
# lists (constrained baseline first), and Opus.
WHEP_VIDEO = [
    (102, "42e01f"), (104, "42001f"), (106, "4d001f"), (108, "64001f")]
WHEP_AUDIO_PT = 109


class WhipResponse:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def __repr__(self):
        return "<%d %r %r>" % (self.status, dict(self.headers), self.body[:200])


def request(port, method, path, body=None, headers=None, timeout=20):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return WhipResponse(r.status, r.headers, r.read())
    finally:
        conn.close()


class _WhipPeer:
    kind = None     # "whip" or "whep"

    def __init__(self, port, app, stream_id, token=None, timeout=20):
        self.port, self.app, self.stream_id = port, app, stream_id
        self.token, self.timeout = token, timeout
        self.path = "/%s/%s/%s" % (app, self.kind, stream_id)
        self.errors = []
        self.decoded_frames = self.audio_buffers = 0
        self.frame_size = None
        self.response = self.location = None
        self.connection_state = None
        self._cond = threading.Condition()
        self._gathered = threading.Event()
        self._ctx = GLib.MainContext.new()
        self._loop = GLib.MainLoop.new(self._ctx, False)
        self._thread = None
        self.pipeline = self.webrtc = None

    # -- public API -------------------------------------------------------

    def offer(self):
        """Builds the pipeline and makes the offer, candidates included:
        its SDP text."""
        self._build_pipeline()
        self.webrtc.connect("notify::ice-gathering-state",
                            self._guard(self._on_gathering))
        self.webrtc.connect("notify::connection-state",
                            self._guard(self._on_connection))
        self._thread = threading.Thread(target=self._run_loop, daemon=True)
        self._thread.start()
        self.pipeline.set_state(Gst.State.PLAYING)
        promise = Gst.Promise.new()
        self.webrtc.emit("create-offer", None, promise)
        promise.wait()
        reply = promise.get_reply()     # held: the offer points into it
        offer = reply.get_value("offer").copy()
        self.webrtc.emit("set-local-description", offer, None)
        if not self._gathered.wait(self.timeout):
            raise AssertionError("ICE gathering did not complete")
        return self.webrtc.get_property("local-description").sdp.as_text()

    def start(self, headers=None):
        """Offers and POSTs; on 201 takes the answer. The response."""
        sdp = self.offer()
        hdrs = {"Content-Type": "application/sdp"}
        if self.token is not None:
            hdrs["Authorization"] = "Bearer " + self.token
        hdrs.update(headers or {})
        self.response = request(self.port, "POST", self.path,
                                sdp.encode(), hdrs, self.timeout)
        if self.response.status == 201:
            self.location = self.response.headers["Location"]
            answer = session_description(GstWebRTC.WebRTCSDPType.ANSWER,
                                         self.response.body.decode())
            self.webrtc.emit("set-remote-description", answer, None)
        return self.response

    def delete(self):
        """DELETE of the session's resource: the response."""
        return request(self.port, "DELETE", self.location,
                       timeout=self.timeout)

    def wait_for(self, predicate, timeout=None):
        with self._cond:
            return self._cond.wait_for(
                predicate, self.timeout if timeout is None else timeout)

    def stop(self):
        if self.pipeline is not None:
            self.pipeline.set_state(Gst.State.NULL)
        quit = GLib.idle_source_new()
        quit.set_callback(lambda *unused: self._loop.quit())
        quit.attach(self._ctx)
        if self._thread is not None:
            self._thread.join(5)
        # The pipeline's signal handlers hold this object: dropped, the
        # pipeline and its descriptors (a dozen a session) can go.
        self.pipeline = self.webrtc = None

    # -- internals ----------------------------------------------------------

    # The threads and error bookkeeping of the WebSocket clients.
    _run_loop = _WebRtcPeer._run_loop
    _record = _WebRtcPeer._record
    _guard = _WebRtcPeer._guard
    _on_bus_message = _WebRtcPeer._on_bus_message

    def _on_gathering(self, webrtc, pspec):
        if (webrtc.get_property("ice-gathering-state")
                == GstWebRTC.WebRTCICEGatheringState.COMPLETE):
            self._gathered.set()

    def _on_connection(self, webrtc, pspec):
        with self._cond:
            self.connection_state = webrtc.get_property("connection-state")
            self._cond.notify_all()


class WhipPublisher(_WhipPeer):
    """Publishes a test pattern (H.264, 320x240) and a tone (Opus)."""

    kind = "whip"

    def __init__(self, port, app, stream_id, token=None, timeout=20,
                 pipeline=PUBLISH_PIPELINE):
        super().__init__(port, app, stream_id, token, timeout)
        self.description = pipeline

    def _build_pipeline(self):
        self.pipeline = Gst.parse_launch(self.description)
        self.webrtc = self.pipeline.get_by_name("webrtc")
        for transceiver in self._transceivers():
            transceiver.set_property(
                "direction", GstWebRTC.WebRTCRTPTransceiverDirection.SENDONLY)

    def _transceivers(self):
        found, i = [], 0
        while True:
            t = self.webrtc.emit("get-transceiver", i)
            if t is None:
                return found
            found.append(t)
            i += 1


class WhepViewer(_WhipPeer):
    """Offers to receive H.264 (the profiles of WHEP_VIDEO) and Opus, and
    decodes what comes."""

    kind = "whep"

    def __init__(self, port, app, stream_id, token=None, timeout=20,
                 video=WHEP_VIDEO):
        super().__init__(port, app, stream_id, token, timeout)
        self.video = video

    def _build_pipeline(self):
        self.pipeline = Gst.Pipeline.new("whep")
        self.webrtc = Gst.ElementFactory.make("webrtcbin", "webrtc")
        self.webrtc.set_property("bundle-policy",
                                 GstWebRTC.WebRTCBundlePolicy.MAX_BUNDLE)
        self.webrtc.connect("pad-added", self._guard(self._on_pad_added))
        self.pipeline.add(self.webrtc)
        video = "; ".join(
            "application/x-rtp,media=video,encoding-name=H264,payload=%d,"
            "clock-rate=90000,packetization-mode=(string)1,"
            "profile-level-id=(string)%s" % (pt, pli)
            for pt, pli in self.video)
        audio = ("application/x-rtp,media=audio,encoding-name=OPUS,"
                 "payload=%d,clock-rate=48000,encoding-params=(string)2"
                 % WHEP_AUDIO_PT)
        for caps in (video, audio):
            self.webrtc.emit(
                "add-transceiver",
                GstWebRTC.WebRTCRTPTransceiverDirection.RECVONLY,
                Gst.Caps.from_string(caps))

    # Received tracks are decoded and counted as by the WebSocket viewer.
    _on_pad_added = WebRtcViewer._on_pad_added
    _count = WebRtcViewer._count
