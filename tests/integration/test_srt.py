"""SRT publishing with real publishers (ffmpeg, srt-live-transmit) on one
port: tokens checked in the handshake, both streamid forms, refusals that
the caller hears at once and that leave no file, several publishers at
once, a publisher that vanishes (PROTOCOL.md 3)."""

import os
import random
import signal
import socket
import subprocess
import tempfile
import unittest

from test_rtmp import (USER_AUDIO, USER_TONE, USER_VIDEO, RtmpTestCase,
                       wait_for)
from tollgate_fixture import APP, unique_id


class SrtTestCase(RtmpTestCase):
    SERVER_KW = {"extra_args": ["--rtmp-port", "1", "--srt-port", "1"]}

    def setUp(self):
        super().setUp()
        self.server.set_settings({"publishTokenControlEnabled": True})

    def srt_url(self, streamid, options=""):
        return "srt://127.0.0.1:%d?streamid=%s%s" % (self.server.srt_port,
                                                     streamid, options)

    def srt_ffmpeg(self, streamid, seconds=3, wait=True, options=""):
        argv = ["ffmpeg", "-nostdin", "-loglevel", "error", "-re",
                "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25",
                "-f", "lavfi", "-i", USER_TONE, "-t", str(seconds)]
        argv += USER_VIDEO + USER_AUDIO + ["-f", "mpegts",
                                           self.srt_url(streamid, options)]
        if not wait:
            return subprocess.Popen(argv, stderr=subprocess.PIPE, text=True)
        return subprocess.run(argv, capture_output=True, text=True,
                              timeout=60)

    def relay(self, streamid, stream, options=""):
        """Publishes 4 s of a recorded TS through srt-live-transmit, fed at
        its real rate as a live source would; returns once the stream's
        first segment is written."""
        with tempfile.NamedTemporaryFile(suffix=".ts") as ts:
            subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y",
                            "-f", "lavfi", "-i",
                            "testsrc=size=320x240:rate=25", "-f", "lavfi",
                            "-i", "sine=frequency=440", "-t", "4",
                            "-c:v", "libx264", "-g", "25", "-c:a", "aac",
                            "-f", "mpegts", ts.name], check=True, timeout=60)
            feed = subprocess.Popen(["ffmpeg", "-nostdin", "-loglevel",
                                     "error", "-re", "-i", ts.name, "-c",
                                     "copy", "-f", "mpegts", "-"],
                                    stdout=subprocess.PIPE)
            relay = subprocess.Popen(
                ["srt-live-transmit", "-a:no", "-chunk:1316", "file://con",
                 self.srt_url(streamid, options)],
                stdin=feed.stdout, stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE)
            feed.stdout.close()
            try:
                self.assertEqual(feed.wait(timeout=60), 0)
                self.assertTrue(wait_for(lambda: "%s000000000.ts" % stream
                                         in self.playlist(stream)))
            finally:
                # It does not stop at the end of its input: interrupted, it
                # closes its connection.
                relay.send_signal(signal.SIGINT)
                relay.wait(timeout=30)
                relay.stderr.close()

    def assertSrtRefused(self, result, stream):
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("Connection to srt://", result.stderr)
        self.assertEqual(self.files_of(stream), [])

    def assertPublished(self, result, stream):
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertTrue(wait_for(lambda: self.ended(stream)),
                        self.files_of(stream))
        self.assertIn("%s000000000.ts" % stream, self.playlist(stream))


class SrtPublishTest(SrtTestCase):

    def test_token_in_plain_streamid_is_spent_once(self):
        s = unique_id()
        token = self.mint_ok(s, "publish")["tokenId"]
        r = self.srt_ffmpeg("%s/%s,token=%s" % (APP, s, token))
        self.assertPublished(r, s)
        self.assertEqual(self.tokens_of(s), [])
        self.assertGreaterEqual(self.decoded_frames(
            os.path.join(self.streams_dir(), s + ".m3u8")), 60)
        # The undefined stream's zombi record went with it.
        self.assertTrue(wait_for(lambda: self.server.get(
            "/%s/rest/v2/broadcasts/%s" % (APP, s)).status == 404))
        again = self.srt_ffmpeg("%s/%s,token=%s" % (APP, s, token), 1)
        self.assertNotEqual(again.returncode, 0)

    def test_access_control_streamid(self):
        s = unique_id()
        token = self.mint_ok(s, "publish")["tokenId"]
        r = self.srt_ffmpeg("#!::r=%s/%s,m=publish,t=%s" % (APP, s, token))
        self.assertPublished(r, s)
        self.assertEqual(self.tokens_of(s), [])

    def test_refused_in_the_handshake(self):
        s = unique_id()
        play = self.mint_ok(s, "play")["tokenId"]
        publish = self.mint_ok(s, "publish")["tokenId"]
        cases = {
            "no token": "%s/%s" % (APP, s),
            "bad token": "%s/%s,token=nope" % (APP, s),
            "play token": "%s/%s,token=%s" % (APP, s, play),
            "unknown app": "NoSuchApp/%s,token=%s" % (s, publish),
            "m=request": "#!::r=%s/%s,m=request,t=%s" % (APP, s, publish),
            "bad streamid": "%s,token=%s" % (s, publish),
        }
        for name, streamid in cases.items():
            with self.subTest(name):
                r = self.srt_ffmpeg(streamid, seconds=1)
                self.assertSrtRefused(r, s)
        # Refusals for other reasons spent nothing; the play token is kept.
        self.assertEqual(sorted(self.tokens_of(s)), sorted([play, publish]))

    def test_undefined_stream_refused_before_its_token(self):
        self.server.set_settings({"acceptOnlyStreamsInDataStore": True})
        try:
            s = unique_id()
            token = self.mint_ok(s, "publish")["tokenId"]
            r = self.srt_ffmpeg("%s/%s,token=%s" % (APP, s, token), 1)
            self.assertSrtRefused(r, s)
            self.assertEqual(self.tokens_of(s), [token])
        finally:
            self.server.set_settings({"acceptOnlyStreamsInDataStore": False})

    def test_three_publishers_on_one_port(self):
        streams = [unique_id() for _ in range(3)]
        procs = [self.srt_ffmpeg("%s/%s,token=%s" % (
            APP, s, self.mint_ok(s, "publish")["tokenId"]), wait=False)
            for s in streams]
        for s, p in zip(streams, procs):
            _, err = p.communicate(timeout=60)
            p.stderr.close()
            self.assertEqual(p.returncode, 0, err)
            self.assertTrue(wait_for(lambda: self.ended(s)))
            self.assertIn("%s000000001.ts" % s, self.playlist(s))

    def test_srt_live_transmit_publishes(self):
        s = unique_id()
        token = self.mint_ok(s, "publish")["tokenId"]
        self.relay("%s/%s,token=%s" % (APP, s, token), s)
        self.assertTrue(wait_for(lambda: self.ended(s)), self.files_of(s))
        self.assertEqual(self.tokens_of(s), [])

    def test_killed_publisher_ends_its_stream_only(self):
        self.server.set_settings({"mp4MuxingEnabled": True})
        try:
            s, other = unique_id(), unique_id()
            p = self.srt_ffmpeg("%s/%s,token=%s" % (
                APP, s, self.mint_ok(s, "publish")["tokenId"]), 30,
                wait=False)
            q = self.srt_ffmpeg("%s/%s,token=%s" % (
                APP, other, self.mint_ok(other, "publish")["tokenId"]), 6,
                wait=False)
            try:
                self.assertTrue(wait_for(lambda: "%s000000001.ts" % s
                                         in self.playlist(s), timeout=30))
            finally:
                p.send_signal(signal.SIGKILL)
                p.wait()
                p.stderr.close()
            # The server notices the silence, finalises the stream.
            mp4 = os.path.join(self.streams_dir(), s + ".mp4")
            self.assertTrue(wait_for(lambda: os.path.exists(mp4),
                                     timeout=45), self.files_of(s))
            self.assertGreater(self.probe_duration(mp4), 1.5)
            self.assertTrue(self.ended(s))
            # The other publisher went on to its end.
            _, err = q.communicate(timeout=60)
            q.stderr.close()
            self.assertEqual(q.returncode, 0, err)
            self.assertTrue(wait_for(lambda: self.ended(other)))
        finally:
            self.server.set_settings({"mp4MuxingEnabled": False})

    def test_garbage_datagrams_cost_nothing(self):
        # Random UDP datagrams, and truncated SRT-looking ones, at the port:
        # the server stays up and the next caller publishes as usual.
        rng = random.Random(7)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            for i in range(2000):
                size = rng.choice((1, 4, 16, 64, 1316, 1500))
                data = bytes(rng.getrandbits(8) for _ in range(size))
                if i % 2:
                    data = b"\x80\x00\x00\x00" + data  # a control packet
                sock.sendto(data, ("127.0.0.1", self.server.srt_port))
        s = unique_id()
        token = self.mint_ok(s, "publish")["tokenId"]
        r = self.srt_ffmpeg("%s/%s,token=%s" % (APP, s, token), seconds=2)
        self.assertPublished(r, s)
        self.assertHealthy()

    def test_delete_stops_a_live_broadcast(self):
        s = unique_id()
        p = self.srt_ffmpeg("%s/%s,token=%s" % (
            APP, s, self.mint_ok(s, "publish")["tokenId"]), seconds=60,
            wait=False)
        path = "/%s/rest/v2/broadcasts/%s" % (APP, s)
        try:
            self.assertTrue(wait_for(lambda: "%s000000000.ts" % s
                                     in self.playlist(s), timeout=30))
            r = self.server.delete(path)
            self.assertResult(r, 200, success=True)
            # The caller is cut off long before its 60 s are up, and its
            # stream ends with its files finalised.
            p.wait(timeout=30)
        finally:
            p.kill()
            p.wait()
            p.stderr.close()
        self.assertTrue(wait_for(lambda: self.ended(s)))
        self.assertEqual(self.server.get(path).status, 404)

    def test_accepted_caller_sending_garbage_ends_its_own_stream(self):
        # Random bytes instead of MPEG-TS, with a good token: the stream is
        # refused at its first bytes (not TS packets), with a line that
        # says so; nothing is written for it, its zombi record goes, and a
        # good stream beside it runs as usual.
        s, good = unique_id(), unique_id()
        token = self.mint_ok(s, "publish")["tokenId"]
        record = "/%s/rest/v2/broadcasts/%s" % (APP, s)
        relay = subprocess.Popen(
            ["srt-live-transmit", "-a:no", "-chunk:1316", "file://con",
             self.srt_url("%s/%s,token=%s" % (APP, s, token))],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT)
        try:
            # What it reads before it has connected is lost (a slow
            # handshake took all of it once): fed once it says so.
            said = b""
            while b"connected" not in said:
                line = relay.stdout.readline()
                self.assertTrue(line, "srt-live-transmit: %r" % said)
                said += line
            try:
                relay.stdin.write(random.Random(3).randbytes(4 * 1024 * 1024))
                relay.stdin.flush()
            except BrokenPipeError:
                pass  # cut off already
            self.assertTrue(wait_for(
                lambda: "Refused the publisher's stream: MPEG-TS: a packet "
                        "without its sync byte" in self.server.stderr()),
                self.server.stderr()[-2000:])
            r = self.srt_ffmpeg("%s/%s,token=%s" % (
                APP, good, self.mint_ok(good, "publish")["tokenId"]), 2)
            self.assertPublished(r, good)
        finally:
            try:
                relay.stdin.close()
            except BrokenPipeError:
                pass
            relay.send_signal(signal.SIGINT)
            relay.wait(timeout=30)
            relay.stdout.close()
        self.assertTrue(wait_for(lambda: self.server.get(
            record).status == 404))
        self.assertEqual([f for f in self.files_of(s) if f.endswith(".ts")],
                         [])
        self.assertEqual(self.tokens_of(s), [])
        self.assertHealthy()

    def test_stream_live_over_rtmp_is_in_use_for_srt(self):
        self.server.set_settings({"publishTokenControlEnabled": False})
        try:
            s = unique_id()
            rtmp = self.ffmpeg(self.url(s), seconds=30, wait=False)
            try:
                self.assertTrue(wait_for(lambda: "%s000000000.ts" % s
                                         in self.playlist(s), timeout=30))
                r = self.srt_ffmpeg("%s/%s" % (APP, s), seconds=1)
                self.assertNotEqual(r.returncode, 0)
                self.assertIn("Connection to srt://", r.stderr)
            finally:
                rtmp.kill()
                rtmp.wait()
                rtmp.stderr.close()
        finally:
            self.server.set_settings({"publishTokenControlEnabled": True})

    def test_publisher_back_at_once_is_let_in(self):
        # A publisher that calls again the moment it has left (SRT says so
        # with one shutdown packet) waits for its last stream to finish,
        # rather than being refused as streamIdInUse (it was, 1 in 2).
        self.server.set_settings({"publishTokenControlEnabled": False})
        try:
            s = unique_id()
            with tempfile.NamedTemporaryFile(suffix=".ts") as ts:
                subprocess.run(
                    ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f",
                     "lavfi", "-i", "testsrc=size=320x240:rate=25", "-f",
                     "lavfi", "-i", USER_TONE, "-t", "0.6"] + USER_VIDEO
                    + USER_AUDIO + ["-f", "mpegts", ts.name],
                    check=True, timeout=60)
                for i in range(8):
                    r = subprocess.run(
                        ["ffmpeg", "-nostdin", "-loglevel", "error", "-re",
                         "-i", ts.name, "-c", "copy", "-f", "mpegts",
                         self.srt_url("%s/%s" % (APP, s), "")],
                        capture_output=True, text=True, timeout=60)
                    self.assertEqual(r.returncode, 0, (i, r.stderr))
        finally:
            self.server.set_settings({"publishTokenControlEnabled": True})


class SrtPassphraseTest(SrtTestCase):
    """An app's srtPassphrase: callers must encrypt with it. A caller with
    a wrong passphrase or none is refused in the handshake, after the
    server has judged its streamid, and its token is not spent."""

    PASSPHRASE = "correct horse battery"

    def setUp(self):
        super().setUp()
        self.server.set_settings({"srtPassphrase": self.PASSPHRASE})

    def tearDown(self):
        self.server.set_settings({"srtPassphrase": ""})
        super().tearDown()

    def test_only_the_right_passphrase_publishes(self):
        s = unique_id()
        token = self.mint_ok(s, "publish")["tokenId"]
        streamid = "%s/%s,token=%s" % (APP, s, token)
        for name, options in (("none", ""),
                              ("wrong", "&passphrase=wrong horse battery")):
            with self.subTest(name):
                r = self.srt_ffmpeg(streamid, seconds=1, options=options)
                self.assertSrtRefused(r, s)
                self.assertEqual(self.tokens_of(s), [token])
        r = self.srt_ffmpeg(streamid, options="&passphrase=" + self.PASSPHRASE)
        self.assertPublished(r, s)
        self.assertEqual(self.tokens_of(s), [])

    def test_srt_live_transmit_with_the_passphrase(self):
        s = unique_id()
        token = self.mint_ok(s, "publish")["tokenId"]
        self.relay("%s/%s,token=%s" % (APP, s, token), s,
                   options="&passphrase=" + self.PASSPHRASE)
        self.assertTrue(wait_for(lambda: self.ended(s)), self.files_of(s))
        self.assertEqual(self.tokens_of(s), [])

    def test_a_short_passphrase_is_refused_by_rest(self):
        r = self.server.set_settings({"srtPassphrase": "short"})
        self.assertResult(r, 200, success=False,
                          message_contains="srtPassphrase")


class SrtRefusalLimitTest(SrtTestCase):
    """Ten refusals within 10 s from one address: its next callers are
    refused at once, even with a good token (which is kept), while other
    addresses publish as usual. On its own server: no other test's
    refusals count."""

    def test_an_address_refused_ten_times_is_held_off(self):
        s = unique_id()
        for _ in range(10):
            r = self.srt_ffmpeg("%s/%s,token=nope" % (APP, s), seconds=1)
            self.assertSrtRefused(r, s)
        token = self.mint_ok(s, "publish")["tokenId"]
        r = self.srt_ffmpeg("%s/%s,token=%s" % (APP, s, token), seconds=1)
        self.assertSrtRefused(r, s)
        self.assertEqual(self.tokens_of(s), [token])
        # 127.0.0.2 is another address, on the same loopback.
        self.relay("%s/%s,token=%s" % (APP, s, token), s,
                   options="&mode=caller&adapter=127.0.0.2")
        self.assertTrue(wait_for(lambda: self.ended(s)), self.files_of(s))
        self.assertEqual(self.tokens_of(s), [])


if __name__ == "__main__":
    unittest.main()
