"""SRT play (m=request) on the publishers' port: the stream's MPEG-TS, muxed
once per stream, to ffprobe and ffmpeg through a one-time token; refusals
in the handshake that spend nothing; a viewer that stops reading is
dropped while another plays on (PROTOCOL.md 3, README "Every playback
URL")."""

import signal
import subprocess
import time
import unittest

from test_rtmp import wait_for
from test_rtmp_play import LOG_ENV, PlayMixin
from test_srt import SrtTestCase
from tollgate_fixture import APP, unique_id


class SrtPlayTest(PlayMixin, SrtTestCase):
    SERVER_KW = dict(SrtTestCase.SERVER_KW, env=LOG_ENV)

    def setUp(self):
        super().setUp()
        self.server.set_settings({"publishTokenControlEnabled": False,
                                  "playTokenControlEnabled": True})

    def publish(self, seconds=20):
        """Publishes over SRT; returns once the stream plays (its first HLS
        segment is written)."""
        s = unique_id()
        self.publisher = self.srt_ffmpeg("%s/%s" % (APP, s), seconds,
                                         wait=False)
        self.assertTrue(wait_for(lambda: "%s000000000.ts" % s
                                 in self.playlist(s)), self.files_of(s))
        return s

    def play_url(self, stream, token=None):
        streamid = "#!::r=%s/%s,m=request" % (APP, stream)
        return self.srt_url(streamid + (",t=%s" % token if token else ""))

    def test_plays_with_one_token_once(self):
        s = self.publish()
        token = self.mint_ok(s, "play")["tokenId"]
        r = self.probe(self.play_url(s, token))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(sorted(set(r.stdout.split())), ["aac", "h264"])
        self.assertEqual(self.tokens_of(s), [])
        # Spent: refused in the handshake.
        again = self.probe(self.play_url(s, token))
        self.assertNotEqual(again.returncode, 0)
        self.assertNotIn(token, self.server_log())

    def test_refusals_spend_nothing(self):
        s = self.publish()
        token = self.mint_ok(s, "play")["tokenId"]
        # No token: refused, the minted one is kept.
        r = self.probe(self.play_url(s))
        self.assertNotEqual(r.returncode, 0)
        # A stream that is not live: refused before the token is looked at.
        other = unique_id()
        kept = self.mint_ok(other, "play")["tokenId"]
        r = self.probe(self.play_url(other, kept))
        self.assertNotEqual(r.returncode, 0)
        self.assertEqual(self.tokens_of(other), [kept])
        # A publish token does not play.
        publish = self.mint_ok(s, "publish")["tokenId"]
        r = self.probe(self.play_url(s, publish))
        self.assertNotEqual(r.returncode, 0)
        self.assertEqual(sorted(self.tokens_of(s)), sorted([token, publish]))
        self.assertIn("SRT 127.0.0.1: refused", self.server_log())

    def test_open_app_plays_without_token(self):
        self.server.set_settings({"playTokenControlEnabled": False})
        s = self.publish()
        self.assertGreaterEqual(self.frames(self.play_url(s), 2), 40)

    def test_stalled_viewer_is_dropped_others_play(self):
        s = self.publish(seconds=40)
        stalled_token = self.mint_ok(s, "play")["tokenId"]
        stalled = subprocess.Popen(
            ["ffmpeg", "-nostdin", "-v", "error", "-i",
             self.play_url(s, stalled_token), "-c", "copy", "-f", "mpegts",
             "-y", "/dev/null"],
            stderr=subprocess.DEVNULL)
        try:
            self.assertTrue(wait_for(lambda: self.tokens_of(s) == []))
            time.sleep(1)
            stalled.send_signal(signal.SIGSTOP)
            token = self.mint_ok(s, "play")["tokenId"]
            started = time.monotonic()
            # Plays on while the stalled one is dropped.
            self.assertGreaterEqual(self.frames(self.play_url(s, token), 12),
                                    250)
            self.assertLess(time.monotonic() - started, 40)
            self.assertTrue(wait_for(
                lambda: "stopped playing %s/%s" % (APP, s)
                in self.server_log(), timeout=30), self.server_log())
        finally:
            stalled.send_signal(signal.SIGCONT)
            stalled.kill()
            stalled.wait()
        self.assertHealthy()

    def test_viewer_count(self):
        s = self.publish()
        viewer = subprocess.Popen(
            ["ffmpeg", "-nostdin", "-v", "error", "-i",
             self.play_url(s, self.mint_ok(s, "play")["tokenId"]), "-f",
             "null", "-"], stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        try:
            self.assertTrue(wait_for(
                lambda: self.viewer_counts(s) == (0, 1, 0)),
                self.viewer_counts(s))
        finally:
            viewer.kill()
            viewer.wait()
        self.assertTrue(wait_for(lambda: self.viewer_counts(s) == (0, 0, 0)),
                        self.viewer_counts(s))

    def test_viewers_closed_when_the_stream_ends(self):
        s = self.publish(seconds=6)
        token = self.mint_ok(s, "play")["tokenId"]
        r = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i",
                            self.play_url(s, token), "-f", "null", "-"],
                           capture_output=True, text=True, timeout=60)
        # ffmpeg reads to the end: the server closed it when the stream
        # ended.
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("stopped playing %s/%s: the stream ended" % (APP, s),
                      self.server_log())


if __name__ == "__main__":
    unittest.main()
