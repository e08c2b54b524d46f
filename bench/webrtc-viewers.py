#!/usr/bin/python3
"""bench/webrtc's helper: WebRTC viewers that time or count what they get,
and the reference sender (bare GStreamer, no server) they are compared with.

    webrtc-viewers.py check
    webrtc-viewers.py wait-playable WS_URL STREAM [TIMEOUT]
    webrtc-viewers.py first-frame WS_URL STREAM COUNT
    webrtc-viewers.py view WS_URL STREAM N [--warmup S] [--seconds S]
                      [--fps F] [--pid NAME=PID ...]
    webrtc-viewers.py reference [--port P] <LIVE_FLV

Viewers are tests/integration/webrtc_client.py's WebRtcViewer (Ant Media
WebSocket signalling, webrtcbin answering the sender's offer), with libnice's
UPnP lookup off (as the server has it; a browser does not do UPnP either):

- first-frame: COUNT viewers one after another (spaced by a random part
  of --gop, so that they join anywhere in the GOP), each decoding (the stock
  rtph264depay ! h264parse ! avdec_h264 branch); for each, the times from
  the play message being sent to the offer, to ICE connected, to DTLS
  connected (webrtcbin's connection-state), to play_started and to the
  first decoded frame. Prints one "ff ..." line per viewer and a
  "ffstat ..." summary (ms). One viewer before them is not
  counted ("ffwarm ..."): the first pays one-time set-up costs in both
  processes (the first webrtcbin, DTLS, ICE).
- view: N viewers at once in this one process, which do not decode: video
  goes rtph264depay ! fakesink and a pad probe counts the access units
  (frames) it puts out; audio goes straight to a fakesink. Once every viewer
  has had a frame (or a timeout), a warm-up, then a window over which it
  counts each viewer's frames (from the first to arrive in the window to
  the first after it, against fps x the time between those two: bursty
  delivery is not charged for where the window's edges fall), the longest
  gap between two frames, and reads the stats of its video
  rtpjitterbuffer (packets pushed, lost, dropped late), the CPU time of
  the processes named with --pid and of itself (/proc/PID/stat
  utime+stime), and the machine's busy time (/proc/stat). Prints one
  "view ..." line.
- reference: the sender without a server. stdin is a live FLV (H.264 and
  AAC; bench/webrtc feeds it `ffmpeg -re -stream_loop -1 -c copy -f flv`):
  fdsrc ! flvdemux, video h264parse ! rtph264pay, audio aacparse !
  avdec_aac ! audioconvert ! audioresample ! opusenc ! rtpopuspay (the
  payloaders set like Tollgate's: mtu 1200, pt 96/111, SPS/PPS before
  every key frame), each into a tee; per viewer a webrtcbin (sendonly
  transceivers with Tollgate's codec preferences, a data channel, UPnP
  off) in the same pipeline, fed once ICE has connected through a leaky
  queue (2 MB, like Tollgate's appsrc) per track.
  Signalling is a minimal WebSocket server in this process speaking the
  subset of the Ant Media protocol the viewers use (play,
  takeConfiguration, takeCandidate, stop; play_started, play_finished), so
  that the viewers are the same code for both. Prints "reference: ready
  ws=PORT" once both tracks have caps.

GLib criticals are not fatal here (webrtc_client.py makes them so for the
tests): they go to stderr, which bench/webrtc keeps and shows.
"""

import argparse
import base64
import ctypes
import hashlib
import json
import os
import random
import socketserver
import statistics
import struct
import sys
import threading
import time

sys.dont_write_bytecode = True     # nothing written into tests/
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                os.pardir, "tests", "integration"))

try:
    import websocket  # noqa: E402
    import webrtc_client  # noqa: E402
    from webrtc_client import (GLib, Gst, GstWebRTC,  # noqa: E402
                               WebRtcViewer)
    IMPORT_ERROR = None
except Exception as exc:  # reported by "check"
    IMPORT_ERROR = exc

if IMPORT_ERROR is None:
    GLib.log_set_always_fatal(GLib.LogLevelFlags.LEVEL_ERROR)

ELEMENTS = ("webrtcbin", "nicesrc", "nicesink", "dtlssrtpenc", "srtpenc",
            "sctpenc", "rtph264depay", "rtph264pay", "h264parse", "avdec_h264",
            "rtpopuspay", "opusenc", "avdec_aac", "aacparse", "flvdemux",
            "fdsrc", "tee", "queue", "fakesink", "audioconvert",
            "audioresample")

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


def out(line):
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _gobject_lib():
    lib = ctypes.CDLL("libgobject-2.0.so.0")
    lib.g_object_get.restype = None
    lib.g_object_set.restype = None
    lib.g_object_unref.argtypes = [ctypes.c_void_p]
    lib.g_object_class_find_property.restype = ctypes.c_void_p
    lib.g_object_class_find_property.argtypes = [ctypes.c_void_p,
                                                 ctypes.c_char_p]
    capsule = ctypes.pythonapi.PyCapsule_GetPointer
    capsule.restype = ctypes.c_void_p
    capsule.argtypes = [ctypes.py_object, ctypes.c_char_p]
    return lib, capsule


_GOBJECT = None


def no_upnp(webrtc):
    """libnice's UPnP gateway lookup off, as pipelines/tg-viewer.c does.
    In C through ctypes: PyGObject wraps webrtcbin's (floating) ice-agent
    taking over webrtcbin's own reference, which then frees it."""
    global _GOBJECT
    if _GOBJECT is None:
        _GOBJECT = _gobject_lib()
    lib, capsule = _GOBJECT

    def get(obj, name):
        klass = ctypes.c_void_p.from_address(obj).value  # G_OBJECT_GET_CLASS
        if not lib.g_object_class_find_property(klass, name):
            return None
        value = ctypes.c_void_p()
        lib.g_object_get(ctypes.c_void_p(obj), name, ctypes.byref(value),
                         None)
        return value.value

    ice = get(capsule(webrtc.__gpointer__, None), b"ice-agent")
    if not ice:
        return
    agent = get(ice, b"agent")
    if agent:
        klass = ctypes.c_void_p.from_address(agent).value
        if lib.g_object_class_find_property(klass, b"upnp"):
            lib.g_object_set(ctypes.c_void_p(agent), b"upnp", ctypes.c_int(0),
                             None)
        lib.g_object_unref(agent)
    lib.g_object_unref(ice)


def cpu_ticks(pid):
    """utime+stime of a process (all its threads), in clock ticks; None
    when it is gone."""
    try:
        with open("/proc/%s/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[11]) + int(fields[12])


def machine_busy():
    """(busy, total) jiffies of the whole machine."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return sum(v) - v[3] - v[4], sum(v)


def pct(part, whole):
    return 100.0 * part / whole if whole else 0.0


# --- viewers ---------------------------------------------------------------

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


def percentile(values, p):
    s = sorted(values)
    if not s:
        return float("nan")
    k = (len(s) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def cmd_first_frame(args):
    steps = ("offer", "ice", "dtls", "started", "frame")
    got = {s: [] for s in steps}
    total = []
    failed = in_a_row = 0
    tried = 0
    warm = args.warm_up
    for i in range(1 - warm, args.count + 1):
        tried = max(0, i)
        v = TimedViewer(args.url, args.stream, timeout=args.timeout)
        t_start = time.monotonic()
        try:
            v.start()
            ok = v.wait_for(lambda: v.decoded_frames >= 1 or v.errors
                            or "play_finished" in v.definitions()
                            or any(m.get("command") == "error"
                                   for m in v.messages), args.timeout)
            ok = ok and v.decoded_frames >= 1
        except Exception as exc:
            ok = False
            v.errors.append(repr(exc))
        t0 = v.t.get("play")
        if i < 1:
            # The first viewer pays one-time set-up costs in both
            # processes: shown, not counted.
            out("ffwarm i=%d %s" % (i, "frame=%.1f" % (1000 * (v.t["frame"]
                                                              - t0))
                                     if ok and t0 is not None else "failed"))
            v.stop()
            continue
        if ok and t0 is not None:
            fields = []
            for s in steps:
                if s in v.t:
                    ms = 1000 * (v.t[s] - t0)
                    got[s].append(ms)
                    fields.append("%s=%.1f" % (s, ms))
            from_start = 1000 * (v.t["frame"] - t_start)
            total.append(from_start)
            out("ff i=%d %s from_start=%.1f" % (i, " ".join(fields),
                                                  from_start))
        else:
            failed += 1
            in_a_row += 1
            out("ff i=%d failed definitions=%s errors=%s"
                % (i, ",".join(str(d) for d in v.definitions()) or "-",
                   json.dumps(v.errors)[:300]))
        v.stop()
        if ok:
            in_a_row = 0
        elif in_a_row >= args.give_up:
            out("ff gave up after %d viewers in a row without a frame"
                % in_a_row)
            break
        # Join at a random point of the GOP, not in step with it.
        time.sleep(0.2 + random.uniform(0, args.gop))
    f = got["frame"]
    line = ["ffstat ok=%d/%d" % (len(f), tried)]
    if f:
        line.append("median=%.1f p90=%.1f min=%.1f max=%.1f"
                    % (statistics.median(f), percentile(f, 90), min(f),
                       max(f)))
        for s in ("offer", "ice", "dtls", "started"):
            if got[s]:
                line.append("%s_median=%.1f" % (s, statistics.median(got[s])))
        line.append("from_start_median=%.1f" % statistics.median(total))
    out(" ".join(line))
    return 0 if not failed else 1


def cmd_view(args):
    pids = {}
    for spec in args.pid or []:
        name, _, pid = spec.partition("=")
        pids[name] = pid
    me = os.getpid()
    hz = os.sysconf("SC_CLK_TCK")
    viewers = []
    errors = 0
    t_begin = time.monotonic()
    for i in range(args.n):
        v = CountingViewer(args.url, args.stream, timeout=args.timeout)
        try:
            v.start()
        except Exception as exc:
            v.errors.append(repr(exc))
        viewers.append(v)
    deadline = time.monotonic() + args.timeout + args.n * 0.5
    for v in viewers:
        v.wait_for(lambda: v.frames >= 1 or v.errors,
                   max(0.1, deadline - time.monotonic()))
    connected = sum(1 for v in viewers if v.frames >= 1)
    t_connected = time.monotonic() - t_begin
    if args.n and not connected:
        out("view n=%d conn=0 connect_s=%.1f loss_avg=100 loss_worst=100"
            " pkt_avg=100 pkt_worst=100 errors=%d"
            % (args.n, t_connected, sum(len(v.errors) for v in viewers)))
        for v in viewers[:3]:
            sys.stderr.write("viewer without frames: definitions %s,"
                             " errors %s\n" % (v.definitions(), v.errors))
        close_all(viewers)
        return 1
    time.sleep(args.warmup)

    def stats():
        return [v.video_stats() if v.frames else None for v in viewers]

    # The jitter buffers' stats are read just outside the window.
    stats()     # finds the jitter buffers, during the warm-up
    s0 = stats()
    c0 = {name: cpu_ticks(pid) for name, pid in pids.items()}
    m0 = cpu_ticks(me)
    b0 = machine_busy()
    w0 = time.monotonic()
    time.sleep(args.seconds)
    w1 = time.monotonic()
    c1 = {name: cpu_ticks(pid) for name, pid in pids.items()}
    m1 = cpu_ticks(me)
    b1 = machine_busy()
    s1 = stats()
    time.sleep(1)   # the first frames after the window, see below
    secs = w1 - w0
    expected = args.fps * secs

    # Frames are counted from the first to arrive in the window to the
    # first after it, against fps x the time between those two arrivals:
    # a sender that delivers in bursts (Tollgate's RTMP ingest reads every
    # 300 ms) is not charged for where the window's edges fall in its
    # bursts. A viewer with no frame after the window is counted to its
    # end; one with no frame in it lost them all. gap = the longest time
    # between two frames in the window.
    loss, pkt_loss, gaps, counts = [], [], [], []
    for i, v in enumerate(viewers):
        t = list(v.arrivals)
        a = next((k for k, x in enumerate(t) if x >= w0), None)
        if a is None:
            loss.append(100.0)
            gaps.append(1000 * secs)
            counts.append(0)
        else:
            b = next((k for k in range(a, len(t)) if t[k] >= w1), None)
            if b is None:
                got, span, end = len(t) - a, w1 - t[a], w1
            else:
                got, span, end = b - a, t[b] - t[a], t[b]
            want = args.fps * span
            loss.append(max(0.0, 100.0 * (1 - got / want)) if want >= 1
                        else 100.0)
            inside = [x for x in t[a:b] if x < w1] + [end]
            gaps.append(1000 * max([t[a] - w0] + [y - x for x, y in
                                                  zip(inside, inside[1:])]))
            counts.append(got)
        if s0[i] and s1[i]:
            rec = s1[i][0] - s0[i][0]
            lost = s1[i][1] - s0[i][1]
            pkt_loss.append(pct(max(0, lost), rec + max(0, lost)))
        else:
            pkt_loss.append(100.0)
        errors += len(v.errors)
    ncpu = os.cpu_count() or 1
    fields = ["view", "n=%d" % args.n, "conn=%d" % connected,
              "connect_s=%.1f" % t_connected, "secs=%.2f" % secs,
              "expected=%.1f" % expected]
    if viewers:
        fields += ["loss_avg=%.2f" % statistics.mean(loss),
                   "loss_worst=%.2f" % max(loss),
                   "pkt_avg=%.2f" % statistics.mean(pkt_loss),
                   "pkt_worst=%.2f" % max(pkt_loss),
                   "gap_worst=%.0f" % max(gaps),
                   "gap_median=%.0f" % statistics.median(gaps),
                   "frames_min=%d" % min(counts),
                   "frames_max=%d" % max(counts)]
    for name in pids:
        if c0[name] is None or c1[name] is None:
            fields.append("cpu_%s=gone" % name)
        else:
            fields.append("cpu_%s=%.1f" % (name, pct((c1[name] - c0[name])
                                                     / hz, secs)))
    fields.append("cpu_viewers=%.1f" % pct((m1 - m0) / hz, secs))
    fields.append("busy=%.1f" % (ncpu * pct(b1[0] - b0[0], b1[1] - b0[1])))
    fields.append("errors=%d" % errors)
    out(" ".join(fields))
    for v in viewers:
        for e in v.errors[:2]:
            sys.stderr.write("viewer error: %s\n" % str(e).strip()[-400:])
    close_all(viewers)
    return 0


# --- the reference sender ----------------------------------------------------

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


def cmd_check(args):
    if IMPORT_ERROR is not None:
        out("missing python: %s (needs python3-gi, gir1.2-gst-plugins-bad-1.0,"
            " python3-websocket)" % IMPORT_ERROR)
        return 1
    missing = [e for e in ELEMENTS if Gst.ElementFactory.find(e) is None]
    if missing:
        out("missing GStreamer elements: %s" % " ".join(missing))
        return 1
    out("ok")
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("check")
    w = sub.add_parser("wait-playable")
    w.add_argument("url")
    w.add_argument("stream")
    w.add_argument("timeout", type=float, nargs="?", default=60)
    f = sub.add_parser("first-frame")
    f.add_argument("url")
    f.add_argument("stream")
    f.add_argument("count", type=int)
    f.add_argument("--timeout", type=float, default=10)
    f.add_argument("--give-up", type=int, default=3)
    f.add_argument("--gop", type=float, default=1.0,
                   help="seconds; viewers are spaced by a random part of it")
    f.add_argument("--warm-up", type=int, default=1,
                   help="viewers played first and not counted")
    v = sub.add_parser("view")
    v.add_argument("url")
    v.add_argument("stream")
    v.add_argument("n", type=int)
    v.add_argument("--warmup", type=float, default=3)
    v.add_argument("--seconds", type=float, default=20)
    v.add_argument("--fps", type=float, default=30)
    v.add_argument("--timeout", type=float, default=20)
    v.add_argument("--pid", action="append")
    r = sub.add_parser("reference")
    r.add_argument("--port", type=int, default=0)
    args = p.parse_args()
    if args.cmd != "check" and IMPORT_ERROR is not None:
        sys.stderr.write("webrtc-viewers.py: %s\n" % IMPORT_ERROR)
        return 2
    rc = {"check": cmd_check, "wait-playable": cmd_wait_playable,
          "first-frame": cmd_first_frame, "view": cmd_view,
          "reference": cmd_reference}[args.cmd](args)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(rc)    # no GStreamer teardown at exit: the viewers are closed


if __name__ == "__main__":
    main()
