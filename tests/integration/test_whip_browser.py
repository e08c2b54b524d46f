"""WHIP and WHEP from a browser: headless Chromium publishes its fake
camera and microphone over WHIP and plays over WHEP with nothing but fetch
and RTCPeerConnection (tests/browser/whip.html, driven by whip-page.mjs),
from a page of another origin than the server's (so CORS is exercised),
with publish and play tokens on: the publication goes live, is written as
HLS (H.264, as sent) and plays in another page over WHEP with decoded
frames and audio; a play token plays once, and a POST with the spent one is
401 and spends nothing else; DELETE of the WHIP resource ends the stream
and its WHEP viewer. A stream published over RTMP as users publish it
(H.264 High with B-frames) plays over WHEP in the browser too.

Codecs: Chromium offers VP8 first, then VP9, H.264 (42001f, 42e01f,
4d001f, f4001f, packetization modes 1 and 0), AV1, and Opus for audio.
The server's WHIP ingest takes H.264 or VP8 (made H.264 by a transcode)
and answers H.264 whenever the offer lists it, so the browser's default
offer is published as it is, with no setCodecPreferences: the test checks
that the offer is the default one (VP8 first) and that H.264 went out.
For WHEP the browser lists H.264 with level-asymmetry-allowed=1, as every
browser does; GStreamer 1.22 then reads the profile's name rather than its
profile-level-id from the SDP, which once made the server refuse every
browser's WHEP offer with 400 (tg-viewer now reads the fmtp itself)."""

import json
import os
import queue
import re
import subprocess
import threading
import unittest

from test_rtmp import USER_AUDIO, USER_TONE, USER_VIDEO, wait_for
from test_webrtc import WebRtcTestCase
from tollgate_fixture import APP, unique_id

BROWSER_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                           "..", "browser")
# How long whip-page.mjs waits for anything (TIMEOUT_MS), in seconds.
TIMEOUT = 30
# What the browser publishes (getUserMedia's size).
SIZE = (640, 480)


class Browser:
    """whip-page.mjs: one JSON command a line in, one answer a line out."""

    def __init__(self):
        self.proc = subprocess.Popen(
            ["node", "whip-page.mjs"], cwd=BROWSER_DIR,
            env=dict(os.environ, TIMEOUT_MS=str(TIMEOUT * 1000)),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True)
        self.lines = queue.Queue()
        self.stderr = []
        self.readers = [
            threading.Thread(target=self._read, daemon=True,
                             args=(self.proc.stdout, self.lines.put)),
            threading.Thread(target=self._read, daemon=True,
                             args=(self.proc.stderr, self.stderr.append))]
        for t in self.readers:
            t.start()

    @staticmethod
    def _read(stream, put):
        for line in stream:
            put(line)
        put(None)

    def do(self, op, page, **kw):
        """The answer to one command (its waits end by TIMEOUT)."""
        self.proc.stdin.write(json.dumps(dict(kw, op=op, page=page)) + "\n")
        self.proc.stdin.flush()
        try:
            line = self.lines.get(timeout=TIMEOUT + 30)
        except queue.Empty:
            raise AssertionError("whip-page.mjs did not answer %s %s"
                                 % (op, page))
        if line is None:
            raise AssertionError("whip-page.mjs exited: %s"
                                 % "".join(filter(None, self.stderr)))
        return json.loads(line)

    def close(self):
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=20)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
        for t in self.readers:
            t.join(5)
        self.proc.stdout.close()
        self.proc.stderr.close()


class WhipBrowserTest(WebRtcTestCase):

    def setUp(self):
        super().setUp()
        self.browser = Browser()
        self.addCleanup(self.browser.close)

    def endpoint(self, kind, stream):
        return "http://127.0.0.1:%d/%s/%s/%s" % (self.server.http_port, APP,
                                                 kind, stream)

    def broadcast(self, stream):
        return self.server.get("/%s/rest/v2/broadcasts/%s" % (APP, stream))

    def play(self, page, stream, token, frames=25):
        """A WHEP play of stream in a new page: its answer."""
        return self.browser.do("play", page,
                               endpoint=self.endpoint("whep", stream),
                               token=token, frames=frames)

    def assertSession(self, answer, kind, stream):
        """A 201 with an SDP answer and the session's Location."""
        self.assertEqual(answer["status"], 201, answer)
        self.assertEqual(answer["contentType"], "application/sdp", answer)
        self.assertRegex(answer["location"], r"^/%s/%s/%s/[0-9a-f]{64}$"
                         % (APP, kind, stream))
        self.assertNotIn("error", answer)

    def assertPlayed(self, answer, stream, size, profile="42"):
        """Decoded H.264 of that size, in a format of the offer whose
        profile-level-id starts with profile (Chromium's baseline ones,
        42001f first, for constrained-baseline video), and audio."""
        self.assertSession(answer, "whep", stream)
        seen = answer["stats"]
        self.assertEqual(seen["connectionState"], "connected", seen)
        video, audio = seen["in_video"], seen["in_audio"]
        self.assertEqual(video["codec"].lower(), "video/h264", seen)
        self.assertIn("profile-level-id=%s" % profile, video["fmtp"], seen)
        self.assertGreaterEqual(video["framesDecoded"], 25, seen)
        self.assertEqual((seen["videoWidth"], seen["videoHeight"]), size,
                         seen)
        self.assertEqual((video["frameWidth"], video["frameHeight"]), size,
                         seen)
        self.assertEqual(audio["codec"].lower(), "audio/opus", seen)
        self.assertGreater(audio["packetsReceived"], 0, seen)
        self.assertGreater(audio["totalSamplesReceived"], 0, seen)

    def test_browser_publishes_over_whip_and_plays_over_whep(self):
        self.server.set_settings({"publishTokenControlEnabled": True})
        self.addCleanup(self.server.set_settings,
                        {"publishTokenControlEnabled": False})
        s = unique_id()
        token = self.mint_ok(s, "publish")["tokenId"]
        pub = self.browser.do("publish", "publisher",
                              endpoint=self.endpoint("whip", s), token=token,
                              width=SIZE[0], height=SIZE[1])
        self.assertSession(pub, "whip", s)
        # The browser's own offer, VP8 first; the server chose H.264.
        self.assertRegex(pub["offer"], r"(?m)^m=video \S+ \S+ (\d+) "
                         r"[\s\S]*^a=rtpmap:\1 VP8/90000")
        sent = pub["stats"]
        self.assertEqual(sent["out_video"]["codec"].lower(), "video/h264",
                         sent)
        self.assertEqual(sent["out_audio"]["codec"].lower(), "audio/opus",
                         sent)
        self.assertEqual(self.tokens_of(s), [])  # spent
        # Live, and written as HLS: H.264 of the size sent, AAC.
        self.assertTrue(wait_for(lambda: "%s000000001.ts" % s
                                 in self.playlist(s), timeout=30),
                        self.files_of(s))
        b = self.broadcast(s).json()
        self.assertEqual((b["status"], b["publishType"]),
                         ("broadcasting", "WHIP"), b)
        probed = self.ffprobe(os.path.join(self.streams_dir(), s + ".m3u8"),
                              "stream=codec_name,width,height").split()
        self.assertIn("h264,%d,%d" % SIZE, probed)
        self.assertIn("aac", probed)
        # Played in another page over WHEP: the play token spent once.
        play = self.play_token(s)
        seen = self.play("viewer", s, play)
        self.assertPlayed(seen, s, SIZE)
        self.assertEqual(self.tokens_of(s), [])
        # The spent token again: 401, another token left as it was, the
        # first viewer still playing.
        other = self.play_token(s)
        again = self.play("again", s, play)
        self.assertEqual((again["status"], again["body"]),
                         (401, "unauthorized_access\n"), again)
        self.assertIsNone(again["location"], again)
        self.assertEqual(self.tokens_of(s), [other])
        more = self.browser.do("progress", "viewer", frames=25)
        self.assertNotIn("error", more)
        # DELETE of the WHIP resource (the browser still sending) ends the
        # stream, then its viewer's connection; the resources are gone.
        self.assertEqual(self.browser.do("delete", "publisher")["status"],
                         200)
        self.assertTrue(wait_for(lambda: self.ended(s)), self.playlist(s))
        self.assertTrue(wait_for(lambda: self.broadcast(s).status == 404))
        end = self.browser.do("ended", "viewer")
        self.assertNotIn("error", end)
        self.assertEqual(self.browser.do("delete", "publisher")["status"],
                         404)
        self.assertEqual(self.browser.do("delete", "viewer")["status"], 404)
        self.assertEqual(self.tokens_of(s), [other])
        self.assertHealthy()

    def test_rtmp_high_profile_with_b_frames_plays_over_whep(self):
        """Made constrained baseline for WebRTC, since B-frames cannot go
        to browsers (Chromium offers no High profile anyway). DELETE of
        the WHEP resource ends that viewer alone."""
        s = unique_id()
        self.publish_with(s, USER_VIDEO, USER_TONE, USER_AUDIO)
        seen = self.play("viewer", s, self.play_token(s))
        self.assertPlayed(seen, s, (320, 240))
        self.assertEqual(self.tokens_of(s), [])
        self.assertEqual(self.broadcast(s).json()["webRTCViewerCount"], 1)
        self.assertEqual(self.browser.do("delete", "viewer")["status"], 200)
        self.assertTrue(wait_for(lambda: self.broadcast(s).json()
                                 ["webRTCViewerCount"] == 0))
        end = self.browser.do("ended", "viewer")
        self.assertNotIn("error", end)
        self.assertEqual(self.browser.do("delete", "viewer")["status"], 404)
        self.assertEqual(self.broadcast(s).json()["status"], "broadcasting")


if __name__ == "__main__":
    unittest.main()
