"""RTMP play with ?token=: the stream's FLV, muxed once per stream, to
ffprobe and ffmpeg as RTMP messages; refusals as Ant Media sends them,
that spend nothing; rtmpViewerCount; a viewer that stops reading is
dropped while another plays on (README "Every playback URL")."""

import os
import socket
import struct
import subprocess
import unittest

from test_rtmp import USER_AUDIO, USER_TONE, USER_VIDEO, RtmpTestCase, \
    wait_for
from tollgate_fixture import APP, server_env, unique_id

REFUSAL = "You are not allowed to play the stream due to security."


def amf_string(text):
    data = text.encode()
    return b"\x02" + struct.pack(">H", len(data)) + data


def amf_number(value):
    return b"\x00" + struct.pack(">d", value)


def amf_object(members):
    out = b"\x03"
    for name, value in members.items():
        out += struct.pack(">H", len(name)) + name.encode() + value
    return out + b"\x00\x00\x09"


def chunks(csid, kind, payload, stream=0):
    """One message in chunks of 128 bytes (the default chunk size)."""
    out = (bytes([csid]) + b"\x00\x00\x00" + struct.pack(">I", len(payload))[1:]
           + bytes([kind]) + struct.pack("<I", stream) + payload[:128])
    for at in range(128, len(payload), 128):
        out += bytes([0xC0 | csid]) + payload[at:at + 128]
    return out


# The server's info lines, which say who played and why one stopped.
LOG_ENV = dict(server_env(), G_MESSAGES_DEBUG="tollgate tollgate-pipelines")


class PlayMixin:
    """What the play tests of both doors share: the server's log, the
    publisher they start (self.publisher), players."""
    log = ""
    publisher = None

    def viewer_count(self, stream, field="rtmpViewerCount"):
        r = self.server.get("/%s/rest/v2/broadcasts/%s" % (APP, stream))
        return r.json()[field] if r.status == 200 else None

    def viewer_counts(self, stream):
        """The broadcast's counts of the doors that play a muxed stream."""
        return tuple(self.viewer_count(stream, f) for f in (
            "rtmpViewerCount", "srtViewerCount", "rtspViewerCount"))

    def server_log(self):
        """What the server has logged so far (info lines go to stdout)."""
        PlayMixin.log += "".join(line.decode("utf-8", "replace")
                                 for line in self.server.stdout_lines())
        return PlayMixin.log + self.server.stderr()

    def tearDown(self):
        if self.publisher:
            self.publisher.kill()
            self.publisher.wait()
            self.publisher.stderr.close()
            self.publisher = None
        super().tearDown()

    def probe(self, url):
        return subprocess.run(["ffprobe", "-v", "error", "-show_entries",
                               "stream=codec_name", "-of", "csv=p=0", url],
                              capture_output=True, text=True, timeout=60)

    def frames(self, url, seconds):
        """Video frames ffmpeg decodes in the first seconds played."""
        r = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", url,
                            "-t", str(seconds), "-map", "0:v", "-f",
                            "framemd5", "-"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        return sum(1 for line in r.stdout.splitlines()
                   if line and not line.startswith("#"))


class RtmpPlayTest(PlayMixin, RtmpTestCase):
    SERVER_KW = dict(RtmpTestCase.SERVER_KW, env=LOG_ENV)

    def setUp(self):
        super().setUp()
        self.server.set_settings({"playTokenControlEnabled": True})

    def publish(self, seconds=20, extra=()):
        """Publishes over RTMP as users do; returns once the stream plays
        (its first HLS segment is written)."""
        s = unique_id()
        argv = ["ffmpeg", "-nostdin", "-loglevel", "error", "-re", "-f",
                "lavfi", "-i", "testsrc=size=320x240:rate=25", "-f", "lavfi",
                "-i", USER_TONE, "-t", str(seconds)] + USER_VIDEO + \
            list(extra) + USER_AUDIO + ["-f", "flv", self.url(s)]
        self.publisher = subprocess.Popen(argv, stderr=subprocess.PIPE,
                                          text=True)
        self.assertTrue(wait_for(lambda: "%s000000000.ts" % s
                                 in self.playlist(s)), self.files_of(s))
        return s

    def test_plays_with_one_token_once(self):
        s = self.publish()
        token = self.mint_ok(s, "play")["tokenId"]
        r = self.probe(self.url(s, token))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(sorted(set(r.stdout.split())), ["aac", "h264"])
        self.assertEqual(self.tokens_of(s), [])
        again = self.probe(self.url(s, token))
        self.assertNotEqual(again.returncode, 0)
        self.assertIn(REFUSAL, again.stderr)
        self.assertNotIn(token, self.server_log())
        # The path form, as the publish side takes it.
        token = self.mint_ok(s, "play")["tokenId"]
        self.assertGreaterEqual(self.frames(self.url(s) + "/" + token, 3), 40)
        self.assertEqual(self.tokens_of(s), [])

    def first_packets(self, url):
        """The packets (type, key flag) ffprobe reads in the first second
        of a play, in the order they came."""
        r = subprocess.run(["ffprobe", "-v", "error", "-read_intervals",
                            "%+1", "-show_entries", "packet=codec_type,flags",
                            "-of", "csv=p=0", url],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        return [tuple(line.split(",")) for line in r.stdout.split()], r.stderr

    def test_viewers_start_at_a_key_frame(self):
        # The first viewer, who makes the stream's FLV branch, and those
        # after, who join a GOP under way (a key frame a second): each
        # starts at a key frame, its audio with it, nothing before.
        s = self.publish()
        for viewer in range(3):
            token = self.mint_ok(s, "play")["tokenId"]
            packets, errors = self.first_packets(self.url(s, token))
            with self.subTest(viewer=viewer):
                self.assertEqual(packets[0], ("video", "K_"), packets)
                self.assertIn(("audio", "K_"), packets)
                self.assertEqual(errors, "")

    def test_refusals_spend_nothing(self):
        s = self.publish()
        token = self.mint_ok(s, "play")["tokenId"]
        r = self.probe(self.url(s))
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(REFUSAL, r.stderr)
        publish = self.mint_ok(s, "publish")["tokenId"]
        r = self.probe(self.url(s, publish))
        self.assertIn(REFUSAL, r.stderr)
        self.assertEqual(sorted(self.tokens_of(s)), sorted([token, publish]))
        # A stream that is not live: refused before the token is looked at.
        other = unique_id()
        kept = self.mint_ok(other, "play")["tokenId"]
        r = self.probe(self.url(other, kept))
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("No such stream.", r.stderr)
        self.assertEqual(self.tokens_of(other), [kept])
        self.assertHealthy()

    def test_viewer_count_and_end_of_stream(self):
        self.server.set_settings({"playTokenControlEnabled": False})
        s = self.publish(seconds=8)
        viewer = subprocess.Popen(["ffmpeg", "-nostdin", "-v", "error", "-i",
                                   self.url(s), "-f", "null", "-"],
                                  stderr=subprocess.PIPE, text=True)
        try:
            self.assertTrue(wait_for(
                lambda: self.viewer_counts(s) == (1, 0, 0)),
                self.viewer_counts(s))
            # ffmpeg reads to the end: closed when the stream ended.
            self.assertEqual(viewer.wait(timeout=60), 0, viewer.stderr.read())
        finally:
            viewer.kill()
            viewer.stderr.close()
        self.assertIn("stopped playing %s/%s: the stream ended" % (APP, s),
                      self.server_log())

    def stalled_viewer(self, stream, token):
        """A viewer that asks to play, then never reads."""
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.settimeout(10)
        sock.connect(("127.0.0.1", self.server.rtmp_port))
        sock.sendall(b"\x03" + os.urandom(1536))
        got = b""
        while len(got) < 1 + 2 * 1536:
            got += sock.recv(1 + 2 * 1536 - len(got))
        sock.sendall(got[1:1 + 1536])
        tc_url = "rtmp://127.0.0.1:%d/%s" % (self.server.rtmp_port, APP)
        sock.sendall(chunks(3, 20, amf_string("connect") + amf_number(1) +
                            amf_object({"app": amf_string(APP),
                                        "tcUrl": amf_string(tc_url)})))
        sock.sendall(chunks(3, 20, amf_string("createStream") +
                            amf_number(2) + b"\x05"))
        sock.sendall(chunks(8, 20, amf_string("play") + amf_number(0) +
                            b"\x05" + amf_string("%s?token=%s"
                                                 % (stream, token)), 1))
        return sock

    def test_stalled_viewer_is_dropped_others_play(self):
        # A stream of 2 Mbit/s, so that buffers fill in seconds.
        s = self.publish(seconds=40, extra=[
            "-b:v", "2M", "-minrate", "2M", "-maxrate", "2M", "-bufsize",
            "1M", "-x264-params", "nal-hrd=cbr"])
        stalled = self.stalled_viewer(s, self.mint_ok(s, "play")["tokenId"])
        try:
            self.assertTrue(wait_for(lambda: self.tokens_of(s) == []))
            token = self.mint_ok(s, "play")["tokenId"]
            self.assertGreaterEqual(self.frames(self.url(s, token), 12), 250)
            self.assertTrue(wait_for(
                lambda: "RTMP 127.0.0.1 dropped: it does not keep up"
                in self.server_log(), timeout=30), self.server_log())
        finally:
            stalled.close()
        self.assertHealthy()


if __name__ == "__main__":
    unittest.main()
