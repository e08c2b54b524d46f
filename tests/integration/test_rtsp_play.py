"""RTSP play (gst-rtsp-server) with ?token=: the stream's MPEG-TS, muxed
once per stream, over RTP to ffprobe, ffmpeg (TCP and UDP) and GStreamer's
rtspsrc; one media shared by every viewer of a stream; refusals (401, 404)
that spend nothing; clients closed when the stream ends (README "RTSP
play")."""

import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import unittest

from rtsp_client import rtsp_session
from test_rtmp import RtmpTestCase, wait_for
import test_rtmp_play
from test_rtmp_play import LOG_ENV, PlayMixin
from tollgate_fixture import APP, server_env, unique_id


def gst_client_env(home):
    """The environment of a GStreamer client: every installed plugin (the
    tests' plugin path holds only the server's), a registry of its own in
    the folder home."""
    env = server_env()
    for name in ("G_DEBUG", "GST_PLUGIN_SYSTEM_PATH_1_0",
                 "GST_PLUGIN_PATH_1_0", "LD_PRELOAD"):
        env.pop(name, None)
    env["GST_REGISTRY_1_0"] = os.path.join(home, "registry.bin")
    return env


def gst_launch(*description):
    """gst-launch-1.0 as a client (gst_client_env)."""
    with tempfile.TemporaryDirectory() as home:
        return subprocess.run([shutil.which("gst-launch-1.0")]
                              + list(description), env=gst_client_env(home),
                              capture_output=True, text=True, timeout=60)


def rtspsrc(url, buffers):
    return gst_launch("rtspsrc", "location=" + url, "!", "fakesink",
                      "num-buffers=%d" % buffers)


class RtspMixin(PlayMixin):
    """A server with RTMP (the publisher's door) and RTSP, RTSP clients."""
    SERVER_KW = dict(RtmpTestCase.SERVER_KW, env=LOG_ENV,
                     extra_args=["--rtmp-port", "1", "--rtsp-port", "1"])
    # Publishes over RTMP as users do (H.264 High with B-frames, AAC).
    publish = test_rtmp_play.RtmpPlayTest.publish

    def setUp(self):
        super().setUp()
        self.server.set_settings({"playTokenControlEnabled": True})

    def rtsp_url(self, stream, token=None):
        url = "rtsp://127.0.0.1:%d/%s/%s" % (self.server.rtsp_port, APP,
                                              stream)
        return url + ("?token=%s" % token if token else "")

    def probe_over(self, transport, url):
        return subprocess.run(["ffprobe", "-v", "error", "-rtsp_transport",
                               transport, "-show_entries",
                               "stream=codec_name", "-of", "csv=p=0", url],
                              capture_output=True, text=True, timeout=60)

    def play(self, transport, url, seconds=2):
        """ffmpeg reads the first seconds: its return code and stderr."""
        return subprocess.run(["ffmpeg", "-nostdin", "-v", "error",
                               "-rtsp_transport", transport, "-i", url,
                               "-t", str(seconds), "-f", "null", "-"],
                              capture_output=True, text=True, timeout=60)

    def request(self, data):
        """Sends raw bytes to the RTSP port; the status line answered ("" if
        the server closed the connection without one)."""
        reply = b""
        with socket.create_connection(("127.0.0.1", self.server.rtsp_port),
                                      timeout=15) as sock:
            try:
                sock.sendall(data)
                while b"\r\n" not in reply:
                    chunk = sock.recv(4096)
                    if not chunk:
                        break
                    reply += chunk
            except ConnectionResetError:
                pass
        return reply.split(b"\r\n")[0].decode("latin-1")

    def describe(self, url):
        return self.request(("DESCRIBE %s RTSP/1.0\r\nCSeq: 1\r\n"
                             "Accept: application/sdp\r\n\r\n"
                             % url).encode())



class RtspPlayTest(RtspMixin, RtmpTestCase):

    def test_plays_over_tcp_and_udp_with_one_token_each(self):
        s = self.publish()
        tcp, udp, frames = (self.mint_ok(s, "play")["tokenId"]
                            for _ in range(3))
        r = self.probe_over("tcp", self.rtsp_url(s, tcp))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(sorted(set(r.stdout.split())), ["aac", "h264"])
        r = self.probe_over("udp", self.rtsp_url(s, udp))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(sorted(set(r.stdout.split())), ["aac", "h264"])
        r = self.play("tcp", self.rtsp_url(s, frames))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.tokens_of(s), [])
        # Spent: refused, by ffprobe and on the wire.
        again = self.probe_over("tcp", self.rtsp_url(s, tcp))
        self.assertNotEqual(again.returncode, 0)
        self.assertIn("401", again.stderr)
        self.assertEqual(self.describe(self.rtsp_url(s, tcp)),
                         "RTSP/1.0 401 Unauthorized")
        for token in (tcp, udp, frames):
            self.assertNotIn(token, self.server_log())

    def test_rtspsrc_plays_through_a_token(self):
        s = self.publish()
        token = self.mint_ok(s, "play")["tokenId"]
        r = rtspsrc(self.rtsp_url(s, token), 100)
        # Its 100 buffers came (fakesink's EOS). Not the exit code: now and
        # then rtspsrc 1.22, stopping, sends its TEARDOWN before its PAUSE,
        # which then meets the connection the server closed after the
        # TEARDOWN (README "RTSP play").
        self.assertIn("Got EOS from element", r.stdout,
                      r.stdout + r.stderr + self.server_log())
        self.assertEqual(self.tokens_of(s), [])

    def test_refusals_spend_nothing(self):
        s = self.publish()
        token = self.mint_ok(s, "play")["tokenId"]
        # No token.
        self.assertEqual(self.describe(self.rtsp_url(s)),
                         "RTSP/1.0 401 Unauthorized")
        # A stream that is not live: before the token is looked at.
        other = unique_id()
        kept = self.mint_ok(other, "play")["tokenId"]
        self.assertEqual(self.describe(self.rtsp_url(other, kept)),
                         "RTSP/1.0 404 Not Found")
        self.assertEqual(self.tokens_of(other), [kept])
        # A publish token does not play.
        publish = self.mint_ok(s, "publish")["tokenId"]
        self.assertEqual(self.describe(self.rtsp_url(s, publish)),
                         "RTSP/1.0 401 Unauthorized")
        # SETUP and PLAY without an admitted DESCRIBE.
        self.assertEqual(self.request((
            "SETUP %s/stream=0 RTSP/1.0\r\nCSeq: 1\r\nTransport: "
            "RTP/AVP/TCP;unicast;interleaved=0-1\r\n\r\n"
            % self.rtsp_url(s)).encode()), "RTSP/1.0 401 Unauthorized")
        # An ANNOUNCE without an SDP (test_rtsp_record has the others).
        self.assertEqual(self.request((
            "ANNOUNCE %s RTSP/1.0\r\nCSeq: 1\r\nContent-Type: "
            "application/sdp\r\nContent-Length: 0\r\n\r\n"
            % self.rtsp_url(s, publish)).encode()),
            "RTSP/1.0 415 Unsupported Media Type")
        self.assertEqual(sorted(self.tokens_of(s)), sorted([token, publish]))
        # Garbage: an error, and the server plays on.
        self.request(b"\x16\x03\x01\x00\xff garbage \r\n\r\n")
        self.request(b"DESCRIBE\r\n\r\n")
        self.assertEqual(self.request(
            b"OPTIONS * RTSP/1.0\r\nCSeq: 7\r\n\r\n"), "RTSP/1.0 200 OK")
        r = self.probe_over("tcp", self.rtsp_url(s, token))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("RTSP 127.0.0.1: play of %s/%s refused" % (APP, s),
                      self.server_log())

    def test_jwt_plays_more_than_once(self):
        s = self.publish()
        self.server.set_settings({"playTokenControlEnabled": False,
                                  "playJwtControlEnabled": True,
                                  "jwtStreamSecretKey": "k" * 40})
        try:
            r = self.server.get(
                "/%s/rest/v2/broadcasts/%s/jwt-token?expireDate=%d&type=play"
                % (APP, s, int(time.time()) + 3600))
            self.assertEqual(r.status, 200, r)
            jwt = r.json()["tokenId"]
            for transport in ("tcp", "udp"):
                r = self.probe_over(transport, self.rtsp_url(s, jwt))
                self.assertEqual(r.returncode, 0, r.stderr)
            # Another stream's JWT does not play this one.
            r = self.server.get(
                "/%s/rest/v2/broadcasts/%s/jwt-token?expireDate=%d&type=play"
                % (APP, unique_id(), int(time.time()) + 3600))
            self.assertEqual(self.describe(self.rtsp_url(
                s, r.json()["tokenId"])), "RTSP/1.0 401 Unauthorized")
        finally:
            self.server.set_settings({"playTokenControlEnabled": True,
                                      "playJwtControlEnabled": False})

    def test_viewers_share_one_media(self):
        s = self.publish()
        tokens = [self.mint_ok(s, "play")["tokenId"] for _ in range(2)]
        results = [None, None]

        def watch(i, transport):
            results[i] = self.play(transport, self.rtsp_url(s, tokens[i]),
                                   seconds=4)
        threads = [threading.Thread(target=watch, args=(i, t))
                   for i, t in enumerate(("tcp", "udp"))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for r in results:
            self.assertEqual(r.returncode, 0, r.stderr)
        log = self.server_log()
        self.assertEqual(log.count("RTSP media of %s/%s: made" % (APP, s)),
                         1, log)
        self.assertEqual(log.count("%s/%s MPEG-TS: muxed" % (APP, s)), 1)

    def test_joins_while_the_last_viewer_leaves(self):
        # Four viewers at a time, one session after another each: a viewer
        # keeps coming while the shared media's last viewer leaves and
        # gst-rtsp-server tears it down. It answered 503 ("can not reuse
        # media": 86 of 300 sessions in the soak, 7 of these 48); now the
        # factory holds the media while the stream has viewers, and the
        # next viewer after the last gets a new media.
        self.server.set_settings({"playTokenControlEnabled": False})
        s = self.publish(seconds=120)
        url = self.rtsp_url(s)
        failures = []

        def viewer():
            for _ in range(12):
                failure = rtsp_session(self.server.rtsp_port, url)
                if failure:
                    failures.append(failure)

        threads = [threading.Thread(target=viewer) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(300)
        self.assertEqual(failures, [])
        self.assertGreater(self.server_log().count(
            "RTSP media of %s/%s: made" % (APP, s)), 1)

    def test_viewer_count(self):
        s = self.publish()
        viewers = [subprocess.Popen(
            ["ffmpeg", "-nostdin", "-v", "error", "-rtsp_transport",
             transport, "-i", self.rtsp_url(s, self.mint_ok(s, "play")[
                 "tokenId"]), "-f", "null", "-"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for transport in ("tcp", "udp")]
        try:
            # Each client of the one media counts, as an RTSP viewer only.
            self.assertTrue(wait_for(
                lambda: self.viewer_counts(s) == (0, 0, 2)),
                self.viewer_counts(s))
            viewers[0].kill()
            self.assertTrue(wait_for(
                lambda: self.viewer_counts(s) == (0, 0, 1)),
                self.viewer_counts(s))
        finally:
            for viewer in viewers:
                viewer.kill()
                viewer.wait()
        self.assertTrue(wait_for(lambda: self.viewer_counts(s) == (0, 0, 0)),
                        self.viewer_counts(s))

    def test_viewers_closed_when_the_stream_ends(self):
        s = self.publish(seconds=6)
        token = self.mint_ok(s, "play")["tokenId"]
        r = subprocess.run(["ffmpeg", "-nostdin", "-v", "error",
                            "-rtsp_transport", "tcp", "-i",
                            self.rtsp_url(s, token), "-f", "null", "-"],
                           capture_output=True, text=True, timeout=60)
        # ffmpeg reads to the end: the server closed it when the stream
        # ended.
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("RTSP media of %s/%s: stopped: the stream ended"
                      % (APP, s), self.server_log())
        self.assertTrue(wait_for(lambda: "%s/%s ended: its clients are "
                                 "closed" % (APP, s) in self.server_log()))



class RtspShutdownTest(RtspMixin, RtmpTestCase):
    PER_TEST = True

    def test_server_stops_while_viewers_play(self):
        s = self.publish(seconds=30)
        tokens = [self.mint_ok(s, "play")["tokenId"] for _ in range(2)]
        viewers = [subprocess.Popen(
            ["ffmpeg", "-nostdin", "-v", "error", "-rtsp_transport",
             transport, "-i", self.rtsp_url(s, token), "-f", "null", "-"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for transport, token in zip(("tcp", "udp"), tokens)]
        try:
            self.assertTrue(wait_for(lambda: self.tokens_of(s) == []))
            self.assertTrue(wait_for(lambda: "RTSP media of %s/%s: made"
                                     % (APP, s) in self.server_log()))
            # A clean exit (the fixture checks it), the viewers closed.
            self.server.stop()
            for viewer in viewers:
                viewer.wait(timeout=30)
        finally:
            for viewer in viewers:
                viewer.kill()
                viewer.wait()


class RtspLimitTest(RtspMixin, RtmpTestCase):
    SERVER_KW = dict(RtspMixin.SERVER_KW, extra_args=[
        "--rtmp-port", "1", "--rtsp-port", "1",
        "--rtsp-connections-per-address", "3"])

    def test_connections_per_address(self):
        held = [socket.create_connection(("127.0.0.1",
                                          self.server.rtsp_port))
                for _ in range(3)]
        try:
            for sock in held:  # each one answered: all three are served
                sock.sendall(b"OPTIONS * RTSP/1.0\r\nCSeq: 1\r\n\r\n")
                self.assertIn(b"200 OK", sock.recv(4096))
            # The fourth is closed at once.
            with socket.create_connection(("127.0.0.1",
                                           self.server.rtsp_port),
                                          timeout=10) as sock:
                self.assertEqual(sock.recv(4096), b"")
        finally:
            for sock in held:
                sock.close()
        # Their places are free again.
        self.assertTrue(wait_for(lambda: self.request(
            b"OPTIONS * RTSP/1.0\r\nCSeq: 2\r\n\r\n") == "RTSP/1.0 200 OK"))
        self.assertIn("RTSP 127.0.0.1: refused: 3 connections from this "
                      "address already", self.server_log())


class RtspDebugLogTest(RtspMixin, RtmpTestCase):
    """GStreamer's debug log, asked for gst-rtsp-server's client and
    factory lines at their most verbose (the client's print each request's
    URL, query included), holds no token: the server holds the client's
    category at WARNING and says so."""
    SERVER_KW = dict(RtspMixin.SERVER_KW, env=dict(
        LOG_ENV, GST_DEBUG="rtspclient:7,rtspmediafactory:7"))

    def test_no_token_in_the_debug_log(self):
        s = self.publish()
        token = self.mint_ok(s, "play")["tokenId"]
        r = self.probe_over("tcp", self.rtsp_url(s, token))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.tokens_of(s), [])
        log = self.server_log()
        self.assertIn("rtspclient is held at the warning level", log)
        self.assertIn("rtspmediafactory", log)   # the debug log is on
        self.assertNotIn(token, log)


if __name__ == "__main__":
    unittest.main()
