"""The reference sender: bare GStreamer, no server (one pipeline, a tee
per track, a webrtcbin per viewer), with the subset of Ant Media
signalling the viewers use, and the reference command."""

import json
import socketserver
import sys
import threading

from .common import GLib, Gst, GstWebRTC, no_upnp, out, webrtc_client
from .ws_server import WsConnection


# What Tollgate offers (pipelines/tg-viewer.c tg_viewer_caps).
VIDEO_PREFS = ("application/x-rtp,media=video,encoding-name=H264,payload=96,"
               "clock-rate=90000,packetization-mode=(string)1,"
               "profile-level-id=(string)%s")
AUDIO_PREFS = ("application/x-rtp,media=audio,encoding-name=OPUS,payload=111,"
               "clock-rate=48000,encoding-params=(string)2")

REFERENCE_PIPELINE = (
    "fdsrc fd=0 ! flvdemux name=demux "
    "demux.video ! queue max-size-buffers=0 max-size-bytes=0 "
    "max-size-time=1000000000 leaky=downstream ! h264parse config-interval=-1"
    " ! rtph264pay name=vpay config-interval=-1 pt=96 mtu=1200"
    " aggregate-mode=zero-latency ! tee name=vtee allow-not-linked=true "
    "demux.audio ! queue max-size-buffers=0 max-size-bytes=0 "
    "max-size-time=1000000000 leaky=downstream ! aacparse ! avdec_aac"
    " ! audioconvert ! audioresample ! opusenc"
    " ! rtpopuspay name=apay pt=111 mtu=1200 ! tee name=atee"
    " allow-not-linked=true")
MAX_QUEUED = 2 * 1024 * 1024


class RefSession:
    """One viewer of the reference: a webrtcbin in the shared pipeline."""

    def __init__(self, ref, conn, stream_id):
        self.ref, self.conn, self.stream_id = ref, conn, stream_id
        self.lock = threading.Lock()
        self.closed = False
        self.linked = False
        self.mids = []
        self.branches = []      # (tee, tee pad, queue)
        self.webrtc = Gst.ElementFactory.make("webrtcbin")
        self.webrtc.set_property("bundle-policy",
                                 GstWebRTC.WebRTCBundlePolicy.MAX_BUNDLE)
        no_upnp(self.webrtc)
        self.sinks = []
        for prefs in ref.prefs:
            pad = self.webrtc.request_pad_simple("sink_%u")
            trans = pad.get_property("transceiver")
            trans.set_property(
                "direction", GstWebRTC.WebRTCRTPTransceiverDirection.SENDONLY)
            trans.set_property("codec-preferences", prefs)
            self.sinks.append(pad)
        self.handlers = [
            self.webrtc.connect("on-ice-candidate", self._on_candidate),
            self.webrtc.connect("notify::ice-connection-state", self._on_ice)]
        self.channel = None

    def start(self):
        ref = self.ref
        ref.pipeline.add(self.webrtc)
        self.webrtc.sync_state_with_parent()
        self.channel = self.webrtc.emit("create-data-channel", "data", None)
        self.webrtc.emit("create-offer", None,
                         Gst.Promise.new_with_change_func(self._on_offer,
                                                          None))

    def _on_offer(self, promise, *unused):
        promise.wait()
        reply = promise.get_reply()
        offer = reply.get_value("offer") if reply else None
        if offer is None:
            self.conn.send({"command": "error",
                            "definition": "notSetLocalDescription",
                            "streamId": self.stream_id})
            return
        offer = offer.copy()
        text = offer.sdp.as_text()
        self.mids = webrtc_client.sdp_mids(text)
        with self.lock:
            if self.closed:
                return
            self.webrtc.emit("set-local-description", offer, None)
        self.conn.send({"command": "takeConfiguration",
                        "streamId": self.stream_id, "type": "offer",
                        "sdp": text, "idMapping": {}})

    def _on_candidate(self, webrtc, mline, candidate):
        with self.lock:
            if self.closed:
                return
        mid = self.mids[mline] if mline < len(self.mids) else ""
        self.conn.send({"command": "takeCandidate",
                        "streamId": self.stream_id, "label": mline,
                        "id": mid, "candidate": candidate})

    def _on_ice(self, webrtc, pspec):
        state = webrtc.get_property("ice-connection-state")
        S = GstWebRTC.WebRTCICEConnectionState
        if state in (S.CONNECTED, S.COMPLETED):
            with self.lock:
                go = not self.linked and not self.closed
                self.linked = True
            if go:  # never from webrtcbin's own thread
                GLib.idle_add(self._link)

    def take_answer(self, sdp):
        answer = webrtc_client.session_description(
            GstWebRTC.WebRTCSDPType.ANSWER, sdp)
        with self.lock:
            if not self.closed:
                self.webrtc.emit("set-remote-description", answer, None)

    def take_candidate(self, label, candidate):
        with self.lock:
            if not self.closed and candidate:
                self.webrtc.emit("add-ice-candidate", int(label), candidate)

    def _link(self):
        with self.lock:
            if self.closed:
                return False
            for tee, sink in zip(self.ref.tees, self.sinks):
                queue = Gst.ElementFactory.make("queue")
                queue.set_property("leaky", 2)      # downstream
                queue.set_property("max-size-buffers", 0)
                queue.set_property("max-size-time", 0)
                queue.set_property("max-size-bytes", MAX_QUEUED)
                self.ref.pipeline.add(queue)
                queue.get_static_pad("src").link(sink)
                queue.sync_state_with_parent()
                teepad = tee.request_pad_simple("src_%u")
                teepad.link(queue.get_static_pad("sink"))
                self.branches.append((tee, teepad, queue))
        self.conn.send({"command": "notification",
                        "definition": "play_started",
                        "streamId": self.stream_id})
        return False

    def close(self, finished=False):
        """Ends it; on any thread but webrtcbin's."""
        with self.lock:
            if self.closed:
                return
            self.closed = True
        if finished:
            self.conn.send({"command": "notification",
                            "definition": "play_finished",
                            "streamId": self.stream_id})
        GLib.idle_add(self._detach)

    def _detach(self):
        pending = len(self.branches)
        if not pending:
            GLib.idle_add(self._drop)
            return False
        left = [pending]
        lock = threading.Lock()

        def branch_done(tee, teepad, queue):
            tee.release_request_pad(teepad)
            queue.set_state(Gst.State.NULL)
            self.ref.pipeline.remove(queue)
            with lock:
                left[0] -= 1
                last = left[0] == 0
            if last:
                self._drop()
            return False

        for tee, teepad, queue in self.branches:
            def idle(pad, info, tee=tee, queue=queue):
                pad.unlink(queue.get_static_pad("sink"))
                GLib.idle_add(branch_done, tee, pad, queue)
                return Gst.PadProbeReturn.REMOVE
            teepad.add_probe(Gst.PadProbeType.IDLE, idle)
        return False

    def _drop(self):
        webrtc = self.webrtc
        # The handlers hold this session, which holds webrtcbin: without
        # this, neither would ever be freed (nor its ICE agent's thread).
        for handler in self.handlers:
            webrtc.disconnect(handler)
        self.handlers = []
        webrtc.set_state(Gst.State.NULL)
        self.ref.pipeline.remove(webrtc)
        self.webrtc = self.channel = None
        self.sinks = []
        self.branches = []
        self.ref.sessions_changed(-1)
        return False


class Reference:

    def __init__(self, port):
        self.pipeline = Gst.parse_launch(REFERENCE_PIPELINE)
        self.tees = [self.pipeline.get_by_name("vtee"),
                     self.pipeline.get_by_name("atee")]
        self.prefs = None
        self.caps = {}
        self.ready = threading.Event()
        self.live = 0
        self.live_lock = threading.Lock()
        for name in ("vpay", "apay"):
            pad = self.pipeline.get_by_name(name).get_static_pad("src")
            pad.add_probe(Gst.PadProbeType.BUFFER, self._first_buffer, name)
        self.loop = GLib.MainLoop()
        bus = self.pipeline.get_bus()
        bus.add_signal_watch()
        bus.connect("message", self._on_message)
        ref = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self):
                ref.serve(self.request)

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        socketserver.ThreadingTCPServer.daemon_threads = True
        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", port),
                                                      Handler)
        self.port = self.server.server_address[1]

    def sessions_changed(self, delta):
        with self.live_lock:
            self.live += delta

    def _first_buffer(self, pad, info, name):
        caps = pad.get_current_caps()
        if caps is not None and name not in self.caps:
            self.caps[name] = caps.get_structure(0)
            if len(self.caps) == 2:
                plid = (self.caps["vpay"].get_string("profile-level-id")
                        or "42e01f")
                self.prefs = [Gst.Caps.from_string(VIDEO_PREFS % plid),
                              Gst.Caps.from_string(AUDIO_PREFS)]
                self.ready.set()
        return Gst.PadProbeReturn.REMOVE

    def _on_message(self, bus, msg):
        if msg.type == Gst.MessageType.ERROR:
            err, debug = msg.parse_error()
            src = msg.src.get_name() if msg.src else "?"
            sys.stderr.write("reference: error from %s: %s (%s)\n"
                             % (src, err.message, debug))
            # The source side failing ends it; a viewer's does not.
            if not src.startswith(("webrtcbin", "queue", "nice", "dtls",
                                   "sctp", "srtp", "rtp")):
                self.loop.quit()
        elif msg.type == Gst.MessageType.EOS:
            sys.stderr.write("reference: end of the input\n")
            self.loop.quit()
        elif msg.type == Gst.MessageType.WARNING:
            err, debug = msg.parse_warning()
            sys.stderr.write("reference: warning: %s\n" % err.message)

    def serve(self, sock):
        conn = WsConnection(sock)
        sessions = {}
        try:
            if not conn.handshake():
                return
            while True:
                text = conn.recv_text()
                if text is None:
                    break
                try:
                    m = json.loads(text)
                except ValueError:
                    continue
                cmd, sid = m.get("command"), m.get("streamId")
                s = sessions.get(sid)
                if cmd == "play":
                    if s is not None:
                        conn.send({"command": "error", "streamId": sid,
                                   "definition": "already_playing"})
                        continue
                    s = sessions[sid] = RefSession(self, conn, sid)
                    self.sessions_changed(1)
                    s.start()
                elif cmd == "takeConfiguration" and s is not None \
                        and m.get("type") == "answer":
                    s.take_answer(m.get("sdp", ""))
                elif cmd == "takeCandidate" and s is not None:
                    s.take_candidate(m.get("label", 0), m.get("candidate"))
                elif cmd == "stop" and s is not None:
                    sessions.pop(sid).close(finished=True)
                elif cmd == "ping":
                    conn.send({"command": "pong"})
        finally:
            for s in sessions.values():
                s.close()
            try:
                sock.close()
            except OSError:
                pass

    def run(self):
        self.pipeline.set_state(Gst.State.PLAYING)
        threading.Thread(target=self._announce, daemon=True).start()
        self.loop.run()
        self.pipeline.set_state(Gst.State.NULL)

    def _announce(self):
        if not self.ready.wait(60):
            sys.stderr.write("reference: no media within 60 s\n")
            GLib.idle_add(self.loop.quit)
            return
        threading.Thread(target=self.server.serve_forever,
                         daemon=True).start()
        out("reference: ready ws=%d" % self.port)


def cmd_reference(args):
    ref = Reference(args.port)
    ref.run()
    return 1
