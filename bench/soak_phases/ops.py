"""One operation of each kind against the server, each complete only once
the server has answered it (for a publish, once the server has said that
the stream ended), and the live stream the play sessions read.

    soak = Soak(server, make_media(tmp))    # a TollgateServer, started
    soak.rtmp(1); soak.ws(1)
    soak.start_live()
    soak.begin("hls"); soak.hls(1); soak.end("hls")
    soak.stop_live()
    soak.close()

An operation that fails raises SoakError with what went wrong.
"""

import http.client
import json
import os
import signal
import subprocess
import threading

import websocket
from rtsp_client import rtsp_session
from tollgate_fixture import APP
from webrtc_client import WebRtcPublisher
from webrtc_viewers.common import no_upnp
from whip_client import WhipPublisher

from .server import LogWatch, wait_until

# The publishers copy the clip at this many times its real rate: a cycle is
# short, and the server still gets its media as a stream, not all at once
# (SRT's live mode drops packets of a burst, and the server then refuses
# the stream, as it should).
READ_RATE = 4
# The longest an operation waits for one answer (a sanitizer build on a
# loaded machine is slow).
TIMEOUT = 60
# The live stream the HLS and RTSP sessions play.
LIVE = "live"


class SoakError(Exception):
    pass


class _Publisher(WebRtcPublisher):
    """webrtc_client's publisher, without libnice's UPnP lookup (as
    bench/webrtc's viewers: it only warns, on loopback)."""

    def _build_pipeline(self):
        super()._build_pipeline()
        no_upnp(self.webrtc)


class _WhipPublisher(WhipPublisher):
    """whip_client's publisher, without libnice's UPnP lookup."""

    def _build_pipeline(self):
        super()._build_pipeline()
        no_upnp(self.webrtc)


class Soak:
    """The operations, against one running server (a
    tollgate_fixture.TollgateServer started with server.PORT_ARGS). media is
    make_media()'s. Stream ids are the operation's kind and number:
    operations of one kind must have numbers of their own."""

    def __init__(self, server, media, timeout=TIMEOUT):
        self.server = server
        self.media = media
        self.timeout = timeout
        self.log = LogWatch(server.stderr_path)
        self.ws_url = "ws://127.0.0.1:%d/%s/websocket" % (server.http_port,
                                                          APP)
        self._children = set()
        self._lock = threading.Lock()
        self._live = None
        self.settings({"hlsTime": "1"})

    @property
    def live(self):
        """Whether the live stream is being published."""
        return self._live is not None

    def settings(self, changes):
        """Changes the app's settings (the first segment of a stream is
        written a second after its start with hlsTime 1)."""
        r = self.server.set_settings(changes)
        if r.status != 200 or not r.json().get("success"):
            raise SoakError("settings %r: %r" % (changes, r))

    def begin(self, kind):
        """Before operations of kind: HLS sessions exist when the app asks
        play tokens (tg-hls-viewers.h): play token control on."""
        if kind == "hls":
            self.settings({"playTokenControlEnabled": True})

    def end(self, kind):
        """After operations of kind: the settings as they were."""
        if kind == "hls":
            self.settings({"playTokenControlEnabled": False})

    def close(self):
        """Stops the live stream and every process still running."""
        with self._lock:
            children = list(self._children)
        if self._live is not None:
            children.append(self._live)
            self._live = None
        for proc in children:
            try:
                if proc.poll() is None:
                    proc.kill()
                proc.communicate(timeout=5)
            except (OSError, ValueError, subprocess.TimeoutExpired):
                pass    # read by the operation's own thread meanwhile
        self.log.stop()

    # -- helpers -------------------------------------------------------------

    def run(self, argv):
        """Runs argv to its end (timeout s at most), killed if the soak
        ends first: its stderr; SoakError if it failed."""
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
        with self._lock:
            self._children.add(proc)
        try:
            _, err = proc.communicate(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
            raise SoakError("%s: still running after %d s: %s"
                            % (argv[0], self.timeout, err[-500:]))
        finally:
            with self._lock:
                self._children.discard(proc)
        if proc.returncode != 0:
            raise SoakError("%s exited with %d: %s"
                            % (argv[0], proc.returncode, err[-500:]))
        return err

    def ended(self, stream):
        """Waits for the server's line saying stream ended; SoakError if it
        does not come, or names something else than the publisher leaving
        as what ended it."""
        why = self.log.wait_ended("%s/%s" % (APP, stream), self.timeout)
        if why is None:
            raise SoakError("%s: no 'publish ended' line within %d s"
                            % (stream, self.timeout))
        if why:
            raise SoakError("%s: publish ended: %s" % (stream, why))

    def playlist(self, stream):
        return os.path.join(self.server.data_dir, "streams", APP,
                            stream + ".m3u8")

    def wait_playlist(self, stream, what):
        """Waits for the stream's HLS playlist: the server has written its
        first segment (media went through the whole pipeline)."""
        if not wait_until(lambda: os.path.exists(self.playlist(stream)),
                          self.timeout):
            raise SoakError("%s: no HLS playlist within %d s"
                            % (stream, self.timeout) + (what or ""))

    def copy_clip(self, kind, url):
        """ffmpeg copying the clip to url at READ_RATE times its rate."""
        self.run(["ffmpeg", "-nostdin", "-loglevel", "error",
                  "-readrate", str(READ_RATE), "-i", self.media[kind],
                  "-c", "copy", "-f", "flv" if kind == "flv" else "mpegts",
                  url])

    # -- publish/unpublish cycles ---------------------------------------------

    def rtmp(self, i):
        """ffmpeg publishes the clip over RTMP and leaves."""
        stream = "rtmp%d" % i
        self.copy_clip("flv", "rtmp://127.0.0.1:%d/%s/%s" % (
            self.server.rtmp_port, APP, stream))
        self.ended(stream)

    def srt(self, i):
        """ffmpeg publishes the clip over SRT and leaves."""
        stream = "srt%d" % i
        self.copy_clip("ts", "srt://127.0.0.1:%d?streamid=%s/%s" % (
            self.server.srt_port, APP, stream))
        self.ended(stream)

    def webrtc(self, i):
        """webrtc_client's publisher (the WebSocket signalling, webrtcbin
        sending H.264 and Opus) publishes until the stream's first segment
        is written, then sends stop."""
        stream = "webrtc%d" % i
        p = _Publisher(self.ws_url, stream, timeout=self.timeout)
        try:
            p.start()
            p.wait_for(lambda: p.ws_closed or p.errors or any(
                d in ("publish_started", "publish_finished")
                or (d or "").endswith("failed") for d in p.definitions()))
            if "publish_started" not in p.definitions():
                raise SoakError("%s: no publish_started: %r %r"
                                % (stream, p.definitions(), p.errors))
            self.wait_playlist(stream, ": %r" % p.errors)
        finally:
            p.stop()
        self.ended(stream)
        if p.errors:
            raise SoakError("%s: publisher: %r" % (stream, p.errors))

    def whip(self, i):
        """whip_client's publisher (webrtcbin, the same media) posts its
        offer, publishes until the stream's first segment is written, then
        DELETEs its session."""
        stream = "whip%d" % i
        p = _WhipPublisher(self.server.http_port, APP, stream,
                          timeout=self.timeout)
        try:
            r = p.start()
            if r.status != 201:
                raise SoakError("%s: POST answered %r" % (stream, r))
            self.wait_playlist(stream, ": %r" % p.errors)
            r = p.delete()
            if r.status != 200:
                raise SoakError("%s: DELETE answered %r" % (stream, r))
        finally:
            p.stop()
        self.ended(stream)
        if p.errors:
            raise SoakError("%s: publisher: %r" % (stream, p.errors))

    # -- connections and play sessions ---------------------------------------

    def ws(self, i):
        """A WebSocket connection: ping, the server's pong, close."""
        ws = websocket.create_connection(self.ws_url, timeout=self.timeout)
        try:
            ws.send(json.dumps({"command": "ping"}))
            reply = json.loads(ws.recv())
        finally:
            ws.close()
        if reply != {"command": "pong"}:
            raise SoakError("ping answered %r" % reply)

    def start_live(self):
        """ffmpeg publishes the clip in a loop, at its real rate, over RTMP
        as stream LIVE, until stop_live(); returns once it plays (its first
        segment is written)."""
        self._live = subprocess.Popen(
            ["ffmpeg", "-nostdin", "-loglevel", "error", "-re",
             "-stream_loop", "-1", "-i", self.media["flv"], "-c", "copy",
             "-f", "flv", "rtmp://127.0.0.1:%d/%s/%s" % (
                 self.server.rtmp_port, APP, LIVE)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True)
        self.wait_playlist(LIVE, None)

    def stop_live(self):
        """Stops the live stream's publisher (ffmpeg ends its publish on
        SIGINT) and waits for the stream's end."""
        live, self._live = self._live, None
        live.send_signal(signal.SIGINT)
        try:
            _, err = live.communicate(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            live.kill()
            _, err = live.communicate()
        self.ended(LIVE)

    def hls(self, i):
        """An HLS session of the live stream: a play token minted over REST
        (the app must have play token control on), the playlist with it
        (which spends it and opens the session), the newest segment with
        the session's key from the playlist, then the connection dropped."""
        r = self.server.mint(LIVE, "play")
        if r.status != 200:
            raise SoakError("mint answered %r" % r)
        token = r.json()["tokenId"]
        conn = http.client.HTTPConnection("127.0.0.1", self.server.http_port,
                                          timeout=self.timeout)
        try:
            conn.request("GET", "/%s/streams/%s.m3u8?token=%s"
                         % (APP, LIVE, token))
            r = conn.getresponse()
            playlist = r.read().decode("utf-8", "replace")
            uris = [line for line in playlist.splitlines()
                    if line and not line.startswith("#")]
            if r.status != 200 or not uris:
                raise SoakError("playlist answered %d %r"
                                % (r.status, playlist[:300]))
            conn.request("GET", "/%s/streams/%s" % (APP, uris[-1]))
            r = conn.getresponse()
            segment = r.read()
            if r.status != 200 or not segment:
                raise SoakError("segment %s answered %d (%d bytes)"
                                % (uris[-1], r.status, len(segment)))
        finally:
            conn.close()

    def rtsp(self, i):
        """An RTSP session of the live stream over a raw socket: DESCRIBE,
        SETUP (RTP interleaved on the connection), PLAY, the first RTP
        packet, TEARDOWN, close."""
        url = "rtsp://127.0.0.1:%d/%s/%s" % (self.server.rtsp_port, APP, LIVE)
        failure = rtsp_session(self.server.rtsp_port, url, self.timeout)
        if failure:
            raise SoakError("RTSP: " + failure)


