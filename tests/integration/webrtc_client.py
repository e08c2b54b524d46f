"""WebRTC test clients for the Ant Media style WebSocket signalling
(PROTOCOL.md 5): a viewer that plays a stream and a publisher that sends
one, both on GStreamer's webrtcbin through PyGObject.

    with WebRtcViewer("ws://127.0.0.1:5080/live/websocket", "s1") as v:
        v.start()
        assert v.wait_for(lambda: v.decoded_frames >= 10)
        print(v.frame_size, v.audio_buffers, v.definitions())

Each client owns a GLib main context run by a daemon thread (bus watch)
and a daemon thread reading the WebSocket; every received message and
every decoded buffer notifies a Condition that wait_for() waits on.
Exceptions raised in callbacks and pipeline errors land in .errors.
stop() and close() must not be called from a webrtcbin signal handler
(GStreamer 1.22 deadlocks setting webrtcbin to NULL from its own threads).
"""

import json
import socket
import threading
import time
import traceback

import gi
gi.require_version("Gst", "1.0")
gi.require_version("GstSdp", "1.0")
gi.require_version("GstWebRTC", "1.0")
from gi.repository import GLib, Gst, GstSdp, GstWebRTC  # noqa: E402

import websocket  # noqa: E402

import gst_client  # noqa: E402

gst_client.init()

# This client is a test tool, not what is tested: the tests'
# G_DEBUG=fatal-warnings would abort the test process for GStreamer's own
# complaints in it. libnice's UPnP lookup warns when a random local port it
# tries is taken, and 1.22.0's rtpsession, with many webrtcbins in one
# process, now and then trips GLib's "g_hash_table_foreach: assertion
# 'version == hash_table->version'" critical in its RTCP thread (a table
# changed while it is walked; the bare-GStreamer sender of bench/webrtc hits
# it too). Only errors are fatal here; the server, under test, keeps fatal
# warnings and criticals.
GLib.log_set_always_fatal(GLib.LogLevelFlags.LEVEL_ERROR)


def _load_wrappers():
    """PyGObject builds its wrapper classes lazily, and not thread-safely:
    two streaming threads meeting a type (Gst.Caps, ...) for the first time
    at once can leave a class without its methods for good (AttributeError:
    'Caps' object has no attribute 'get_structure'). Build them all here."""
    skip = (gi._gi.FunctionInfo, gi._gi.ConstantInfo, gi._gi.CallbackInfo)
    for module in (GLib, Gst, GstSdp, GstWebRTC):
        for info in gi.Repository.get_default().get_infos(module._namespace):
            if not isinstance(info, skip):
                getattr(module, info.get_name())


_load_wrappers()

# Receiving branches, chosen by the encoding-name of webrtcbin's src pad.
_DEPAYLOADERS = {
    "H264": ("rtph264depay ! h264parse ! avdec_h264 name=dec"
             " ! fakesink sync=false async=false", "decoded_frames"),
    "OPUS": ("rtpopusdepay ! opusdec name=dec"
             " ! fakesink sync=false async=false", "audio_buffers"),
}

PUBLISH_PIPELINE = (
    "webrtcbin name=webrtc bundle-policy=max-bundle "
    "videotestsrc is-live=true ! video/x-raw,width=320,height=240,"
    "framerate=30/1 ! videoconvert ! x264enc tune=zerolatency "
    "speed-preset=ultrafast key-int-max=30 ! rtph264pay config-interval=-1"
    " ! application/x-rtp,media=video,encoding-name=H264,payload=96,"
    "clock-rate=90000 ! webrtc. "
    "audiotestsrc is-live=true ! audioconvert ! audioresample ! opusenc"
    " ! rtpopuspay ! application/x-rtp,media=audio,encoding-name=OPUS,"
    "payload=111,clock-rate=48000 ! webrtc.")


def sdp_mids(sdp):
    """The a=mid of every m-line of an SDP text, by m-line index."""
    mids = []
    for line in sdp.splitlines():
        if line.startswith("m="):
            mids.append("")
        elif line.startswith("a=mid:") and mids:
            mids[-1] = line[len("a=mid:"):].strip()
    return mids


def session_description(kind, sdp):
    """A GstWebRTCSessionDescription of kind OFFER or ANSWER from text."""
    res, msg = GstSdp.SDPMessage.new_from_text(sdp)
    if res != GstSdp.SDPResult.OK:
        raise ValueError("unparsable SDP: %r" % sdp[:200])
    return GstWebRTC.WebRTCSessionDescription.new(kind, msg)


class _WebRtcPeer:
    """Signalling, threads and bookkeeping shared by viewer and publisher."""

    start_command = None        # "play" or "publish"
    finished = None             # notification that ends the session

    def __init__(self, ws_url, stream_id, token=None, timeout=20):
        self.ws_url, self.stream_id = ws_url, stream_id
        self.token, self.timeout = token, timeout
        self.messages = []      # every JSON message received, in order
        self.errors = []        # tracebacks from callbacks, pipeline errors
        self.decoded_frames = 0
        self.frame_size = None
        self.audio_buffers = 0
        self.data_channels = []
        self.ice_connection_state = None
        self.ws_closed = False  # the reader saw the connection end
        self._cond = threading.Condition()
        self._send_lock = threading.Lock()
        self._ctx = GLib.MainContext.new()
        self._loop = GLib.MainLoop.new(self._ctx, False)
        self._threads = []
        self._done = False
        self._mids = []
        self._ws = self.pipeline = self.webrtc = None

    # -- public API -------------------------------------------------------

    def start(self):
        self._build_pipeline()
        for signal, handler in (
                ("on-ice-candidate", self._on_local_candidate),
                ("on-data-channel", self._on_data_channel),
                ("notify::ice-connection-state", self._on_ice_state)):
            self.webrtc.connect(signal, self._guard(handler))
        self._spawn(self._run_loop, "glib")
        self.pipeline.set_state(Gst.State.PLAYING)
        self._ws = websocket.create_connection(self.ws_url,
                                               timeout=self.timeout)
        self._ws.settimeout(None)       # the reader blocks; close() unblocks
        self._spawn(self._read_ws, "ws-reader")
        message = {"command": self.start_command, "streamId": self.stream_id}
        if self.token is not None:
            message["token"] = self.token
        self.send(message)
        return self

    def send(self, message):
        with self._send_lock:
            self._ws.send(json.dumps(message))

    def wait_for(self, predicate, timeout=None):
        """Wait until predicate() is true; False on timeout."""
        with self._cond:
            return self._cond.wait_for(
                predicate, self.timeout if timeout is None else timeout)

    def wait_for_definition(self, definition, timeout=None):
        return self.wait_for(lambda: definition in self.definitions(), timeout)

    def offer_sdp(self):
        """The SDP of the first offer received (the server's, for a
        viewer), or None."""
        with self._cond:
            for m in self.messages:
                if (m.get("command") == "takeConfiguration"
                        and m.get("type") == "offer"):
                    return m.get("sdp")
        return None

    def definitions(self):
        with self._cond:
            return [m.get("definition") for m in self.messages
                    if m.get("command") in ("error", "notification")]

    def stop(self, wait=3.0):
        """Send stop, wait briefly for the finished notification, close the
        WebSocket and tear everything down. Idempotent."""
        if not self._begin_teardown():
            return
        if self._ws is not None and not self.ws_closed:
            try:
                self.send({"command": "stop", "streamId": self.stream_id})
                self.wait_for(lambda: self.finished in self.definitions()
                              or self.ws_closed, wait)
            except Exception:
                self._record("stop")
        self._teardown(graceful=True)

    def close(self):
        """Drop the WebSocket without stop or close frame; tear down."""
        if self._begin_teardown():
            self._teardown(graceful=False)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    # -- threads and teardown ---------------------------------------------

    def _spawn(self, target, name):
        thread = threading.Thread(target=target, name=name, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _run_loop(self):
        self._ctx.push_thread_default()
        bus = self.pipeline.get_bus()
        bus.add_watch(GLib.PRIORITY_DEFAULT, self._guard(self._on_bus_message))
        try:
            self._loop.run()
        finally:
            bus.remove_watch()
            self._ctx.pop_thread_default()

    def _read_ws(self):
        try:
            while True:
                opcode, data = self._ws.recv_data()
                if opcode == websocket.ABNF.OPCODE_CLOSE:
                    break
                if opcode == websocket.ABNF.OPCODE_TEXT:
                    self._on_text(data.decode("utf-8"))
        except Exception as exc:  # closed underneath us, or a broken frame
            if not self._done:
                self._record("WebSocket reader: %r" % exc, tb=False)
        finally:
            with self._cond:
                self.ws_closed = True
                self._cond.notify_all()

    def _begin_teardown(self):
        with self._cond:
            done, self._done = self._done, True
        return not done

    def _teardown(self, graceful):
        ws = self._ws
        if ws is not None:
            try:
                if graceful and not self.ws_closed:
                    with self._send_lock:
                        ws.send_close()
                ws.sock.shutdown(socket.SHUT_RDWR)
            except Exception:
                pass        # already gone
            ws.shutdown()
        if self.pipeline is not None:
            self.pipeline.set_state(Gst.State.NULL)
        quit = GLib.idle_source_new()   # also if the loop is not running yet
        quit.set_callback(lambda *unused: self._loop.quit())
        quit.attach(self._ctx)
        me = threading.current_thread()
        for thread in self._threads:
            if thread is not me:
                thread.join(5)

    # -- callbacks ----------------------------------------------------------

    def _record(self, what, tb=True):
        with self._cond:
            self.errors.append(traceback.format_exc() if tb else what)
            self._cond.notify_all()

    def _guard(self, fn):
        """Wrap a callback so that an exception is recorded, not lost."""
        def wrapper(*args):
            try:
                return fn(*args)
            except Exception:
                self._record(fn.__name__)
            return True     # keeps a bus watch installed
        return wrapper

    def _on_text(self, text):
        message = json.loads(text)
        with self._cond:
            self.messages.append(message)
            self._cond.notify_all()
        try:
            self._handle(message)
        except Exception:
            self._record("handling %r" % message)

    def _handle(self, message):
        command = message.get("command")
        if command == "takeCandidate" and message.get("candidate"):
            label = message.get("label")
            if label is None:
                label = self._mids.index(message.get("id"))
            self.webrtc.emit("add-ice-candidate", int(label),
                             message["candidate"])

    def _on_bus_message(self, bus, msg):
        if msg.type == Gst.MessageType.ERROR:
            err, debug = msg.parse_error()
            self._record("pipeline error: %s (%s)" % (err.message, debug),
                         tb=False)
        return True

    def _on_local_candidate(self, webrtc, mlineindex, candidate):
        if self._done or not candidate:
            return
        mid = self._mids[mlineindex] if mlineindex < len(self._mids) else ""
        self.send({"command": "takeCandidate", "streamId": self.stream_id,
                   "label": mlineindex, "id": mid, "candidate": candidate})

    def _on_data_channel(self, webrtc, channel):
        self.data_channels.append(channel)

    def _on_ice_state(self, webrtc, pspec):
        with self._cond:
            self.ice_connection_state = webrtc.get_property(
                "ice-connection-state")
            self._cond.notify_all()

    def _count(self, attr):
        """A buffer probe adding one to attr; decoded video sets frame_size."""
        def probe(pad, info):
            with self._cond:
                setattr(self, attr, getattr(self, attr) + 1)
                if attr == "decoded_frames" and self.frame_size is None:
                    s = pad.get_current_caps().get_structure(0)
                    self.frame_size = (s.get_value("width"),
                                       s.get_value("height"))
                self._cond.notify_all()
            return Gst.PadProbeReturn.OK
        return self._guard(probe)

    def _promise(self, fn):
        """A GstPromise whose reply goes to fn(reply), errors recorded.
        Values taken from the reply point into it: copy() them (PyGObject
        frees its copy of the reply with the Python wrapper)."""
        def changed(promise, *unused):
            promise.wait()
            reply = promise.get_reply()
            if reply is not None and reply.has_field("error"):
                raise RuntimeError("webrtcbin: %s" % reply.get_value("error"))
            fn(reply)
        return Gst.Promise.new_with_change_func(self._guard(changed), None)


class ReceiveLimit:
    """A bottleneck on what a viewer receives: media packets (SRTP; not
    STUN, DTLS or RTCP) beyond kbps, with a burst of a quarter of a second,
    are dropped as they leave webrtcbin's nicesrc, as a link of that
    capacity with no queue drops them. Counts what it let through and
    dropped."""

    def __init__(self, kbps):
        self.rate = kbps * 1000 / 8       # bytes a second
        self.burst = self.rate / 4
        self.tokens, self.last = self.burst, None
        self.passed = self.dropped = 0

    def watch(self, nicesrc):
        nicesrc.get_static_pad("src").add_probe(Gst.PadProbeType.BUFFER,
                                                self._probe)

    def _probe(self, pad, info):
        buffer = info.get_buffer()
        head = buffer.extract_dup(0, 2)
        now = time.monotonic()
        if self.last is not None:
            self.tokens = min(self.burst,
                              self.tokens + (now - self.last) * self.rate)
        self.last = now
        media = (len(head) == 2 and head[0] & 0xC0 == 0x80
                 and not 192 <= head[1] <= 223)
        size = buffer.get_size()
        if media and self.tokens < size:
            self.dropped += 1
            return Gst.PadProbeReturn.DROP
        self.tokens -= size
        self.passed += 1
        return Gst.PadProbeReturn.OK


class WebRtcViewer(_WebRtcPeer):
    """Plays stream_id: answers the server's offer, decodes what arrives.
    limit (a ReceiveLimit, or None) is the bottleneck it receives
    through."""

    start_command = "play"
    finished = "play_finished"

    def __init__(self, ws_url, stream_id, token=None, timeout=20,
                 limit=None):
        super().__init__(ws_url, stream_id, token, timeout)
        self.limit = limit

    def _build_pipeline(self):
        self.pipeline = Gst.Pipeline.new("viewer")
        self.webrtc = Gst.ElementFactory.make("webrtcbin", "webrtc")
        self.webrtc.set_property("bundle-policy",
                                 GstWebRTC.WebRTCBundlePolicy.MAX_BUNDLE)
        self.webrtc.connect("pad-added", self._guard(self._on_pad_added))
        if self.limit is not None:
            self.webrtc.connect("deep-element-added",
                                self._guard(self._on_element_added))
        self.pipeline.add(self.webrtc)

    def _on_element_added(self, bin, sub_bin, element):
        factory = element.get_factory()
        if factory is not None and factory.get_name() == "nicesrc":
            self.limit.watch(element)

    def _handle(self, message):
        if (message.get("command") == "takeConfiguration"
                and message.get("type") == "offer"):
            self._on_offer(message["sdp"])
        else:
            super()._handle(message)

    def _on_offer(self, sdp):
        self._mids = sdp_mids(sdp)
        offer = session_description(GstWebRTC.WebRTCSDPType.OFFER, sdp)
        self.webrtc.emit("set-remote-description", offer,
                         self._promise(self._on_remote_set))

    def _on_remote_set(self, reply):
        self.webrtc.emit("create-answer", None,
                         self._promise(self._on_answer_created))

    def _on_answer_created(self, reply):
        answer = reply.get_value("answer").copy()
        # Send before setting it locally: our candidates follow the answer.
        self.send({"command": "takeConfiguration",
                   "streamId": self.stream_id, "type": "answer",
                   "sdp": answer.sdp.as_text()})
        self.webrtc.emit("set-local-description", answer, None)

    def _on_pad_added(self, webrtc, pad):
        if pad.direction != Gst.PadDirection.SRC:
            return
        caps = pad.get_current_caps() or pad.query_caps(None)
        encoding = caps.get_structure(0).get_string("encoding-name") or ""
        description, counter = _DEPAYLOADERS.get(
            encoding.upper(), ("fakesink sync=false async=false", None))
        branch = Gst.parse_bin_from_description(description, True)
        if counter is not None:
            branch.get_by_name("dec").get_static_pad("src").add_probe(
                Gst.PadProbeType.BUFFER, self._count(counter))
        self.pipeline.add(branch)
        branch.sync_state_with_parent()
        if pad.link(branch.get_static_pad("sink")) != Gst.PadLinkReturn.OK:
            raise RuntimeError("cannot link %s for %s" % (description, caps))


class WebRtcPublisher(_WebRtcPeer):
    """Publishes a test pattern (H.264) and tone (Opus) as stream_id:
    waits for the server's start, offers, takes the answer."""

    start_command = "publish"
    finished = "publish_finished"

    def __init__(self, ws_url, stream_id, token=None, timeout=20,
                 pipeline=PUBLISH_PIPELINE):
        super().__init__(ws_url, stream_id, token, timeout)
        self.description = pipeline
        self._offered = False

    def _build_pipeline(self):
        self.pipeline = Gst.parse_launch(self.description)
        self.webrtc = self.pipeline.get_by_name("webrtc")

    def _handle(self, message):
        command = message.get("command")
        if command == "start" and not self._offered:
            self._offered = True
            self.webrtc.emit("create-offer", None,
                             self._promise(self._on_offer_created))
        elif (command == "takeConfiguration"
              and message.get("type") == "answer"):
            answer = session_description(GstWebRTC.WebRTCSDPType.ANSWER,
                                         message["sdp"])
            self.webrtc.emit("set-remote-description", answer, None)
        else:
            super()._handle(message)

    def _on_offer_created(self, reply):
        offer = reply.get_value("offer").copy()
        text = offer.sdp.as_text()
        self._mids = sdp_mids(text)
        self.send({"command": "takeConfiguration",
                   "streamId": self.stream_id, "type": "offer", "sdp": text})
        self.webrtc.emit("set-local-description", offer, None)
