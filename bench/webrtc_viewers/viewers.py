"""The viewers: TimedViewer (webrtc_client's decoding viewer, timing each
step of a play) and CountingViewer (counts frames without decoding), and
the wait-playable command (a bare WebSocket play)."""

import json
import threading
import time

from .common import (IMPORT_ERROR, Gst, GstWebRTC, WebRtcViewer, no_upnp,
                     out, websocket)


class TimedViewer(WebRtcViewer if IMPORT_ERROR is None else object):
    """The stock decoding viewer, with the time of each step recorded
    (time.monotonic()): play sent, offer received, ICE connected,
    play_started, first decoded frame."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.t = {}

    def _mark(self, what):
        if what not in self.t:
            self.t[what] = time.monotonic()

    def _build_pipeline(self):
        super()._build_pipeline()
        no_upnp(self.webrtc)
        self.webrtc.connect("notify::connection-state",
                            self._guard(self._on_connection_state))

    def send(self, message):
        super().send(message)
        if message.get("command") == "play":
            self._mark("play")

    def _on_text(self, text):
        now = time.monotonic()
        message = json.loads(text)
        if (message.get("command") == "takeConfiguration"
                and "offer" not in self.t):
            self.t["offer"] = now
        elif message.get("definition") == "play_started":
            self.t.setdefault("started", now)
        super()._on_text(text)

    def _on_ice_state(self, webrtc, pspec):
        state = webrtc.get_property("ice-connection-state")
        if state in (GstWebRTC.WebRTCICEConnectionState.CONNECTED,
                     GstWebRTC.WebRTCICEConnectionState.COMPLETED):
            self._mark("ice")
        super()._on_ice_state(webrtc, pspec)

    def _on_connection_state(self, webrtc, pspec):
        # Connected once ICE and DTLS are.
        if (webrtc.get_property("connection-state")
                == GstWebRTC.WebRTCPeerConnectionState.CONNECTED):
            self._mark("dtls")

    def _count(self, attr):
        probe = super()._count(attr)
        if attr != "decoded_frames":
            return probe

        def first(pad, info):
            self._mark("frame")
            return probe(pad, info)
        return first


class CountingViewer(TimedViewer):
    """Does not decode: counts the access units rtph264depay puts out."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.frames = 0
        self.arrivals = []      # time.monotonic() of each frame

    def _on_frame(self, pad, info):
        now = time.monotonic()
        if self.frames == 0:
            self._mark("frame")
        self.arrivals.append(now)   # one writer: the depayloader's thread
        self.frames += 1
        if self.frames == 1:
            with self._cond:
                self._cond.notify_all()
        return Gst.PadProbeReturn.OK

    def _on_pad_added(self, webrtc, pad):
        if pad.direction != Gst.PadDirection.SRC:
            return
        caps = pad.get_current_caps() or pad.query_caps(None)
        encoding = caps.get_structure(0).get_string("encoding-name") or ""
        if encoding.upper() == "H264":
            ok, ssrc = caps.get_structure(0).get_uint("ssrc")
            self._video_ssrc = ssrc if ok else None
            branch = Gst.parse_bin_from_description(
                "rtph264depay name=depay ! video/x-h264,alignment=au"
                " ! fakesink sync=false async=false", True)
            branch.get_by_name("depay").get_static_pad("src").add_probe(
                Gst.PadProbeType.BUFFER, self._on_frame)
        else:
            branch = Gst.parse_bin_from_description(
                "fakesink sync=false async=false", True)
        self.pipeline.add(branch)
        branch.sync_state_with_parent()
        if pad.link(branch.get_static_pad("sink")) != Gst.PadLinkReturn.OK:
            raise RuntimeError("cannot link a branch for %s" % caps)

    def video_stats(self):
        """(packets pushed, packets lost or dropped late) by the video
        stream's rtpjitterbuffer inside webrtcbin; None if not there.
        (webrtcbin's get-stats has no usable packets-lost in 1.22.)"""
        jb = getattr(self, "_video_jb", None)
        if jb is None:
            it = self.webrtc.iterate_recurse()
            while True:
                res, element = it.next()
                if res != Gst.IteratorResult.OK:
                    break
                factory = element.get_factory()
                if factory is None or factory.get_name() != "rtpjitterbuffer":
                    continue
                # Its caps name only the SSRC; the video pad's caps too.
                caps = element.get_static_pad("sink").get_current_caps()
                if caps is None:
                    continue
                ok, ssrc = caps.get_structure(0).get_uint("ssrc")
                if ok and ssrc == getattr(self, "_video_ssrc", None):
                    jb = self._video_jb = element
                    break
        if jb is None:
            return None
        st = jb.get_property("stats")
        return (st.get_value("num-pushed"),
                st.get_value("num-lost") + st.get_value("num-late"))


def close_all(viewers):
    threads = [threading.Thread(target=v.close, daemon=True) for v in viewers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(15)


def cmd_wait_playable(args):
    """Until the stream plays: a play answered with no_stream_exist waits
    for streaming_started; any other answer (an offer) means it plays."""
    deadline = time.monotonic() + args.timeout
    while True:
        try:
            ws = websocket.create_connection(args.url, timeout=5)
        except OSError as exc:
            if time.monotonic() > deadline:
                out("playable no (%s)" % exc)
                return 1
            time.sleep(0.2)
            continue
        try:
            ws.settimeout(max(1, deadline - time.monotonic()))
            ws.send(json.dumps({"command": "play", "streamId": args.stream}))
            reply = json.loads(ws.recv())
            if reply.get("definition") == "no_stream_exist":
                while True:
                    m = json.loads(ws.recv())
                    if m.get("definition") == "streaming_started":
                        break
                continue    # play again, to see it start
            if reply.get("command") == "error":
                out("playable no (%s)" % reply.get("definition"))
                return 1
            out("playable yes")
            return 0
        except (OSError, websocket.WebSocketException, ValueError) as exc:
            if time.monotonic() > deadline:
                out("playable no (%r)" % exc)
                return 1
        finally:
            ws.close()
