"""SIGTERM while publishers of every door are live (RTMP and SRT from
ffmpeg, WebRTC from webrtc_client.WebRtcPublisher), a registered and an
undefined stream on each: the server cuts them off, lets every stream
finalise and exits 0 (README "Publish and play", tg_live_close). Each
stream's MP4 is final (renamed from .mp4.part, readable), its HLS playlist
ended, and on the next start over the same data dir each registered
broadcast is finished and each zombi one gone."""

import json
import os
import subprocess
import time
import unittest

from test_rtmp import RtmpTestCase, wait_for
from test_srt import SrtTestCase
from tollgate_fixture import APP, STOP_TIMEOUT, unique_id
from webrtc_client import WebRtcPublisher

RTMP, SRT, WEBRTC = "RTMP", "SRT", "WebRTC"
DOORS = (RTMP, SRT, WEBRTC)

# As users publish: H.264 High with B-frames, 48 kHz AAC.
ENCODE = ["-c:v", "libx264", "-profile:v", "high", "-pix_fmt", "yuv420p",
          "-bf", "2", "-g", "25", "-preset", "veryfast",
          "-c:a", "aac", "-ar", "48000", "-b:a", "128k"]


class Publish:
    """One live publication: its door, stream id, whether it was
    registered, its publisher."""

    def __init__(self, door, registered):
        self.door, self.registered = door, registered
        self.stream = unique_id()
        self.client = None

    def __repr__(self):
        return "%s %s %s" % (self.door, "registered" if self.registered
                             else "undefined", self.stream)


class ShutdownCase(RtmpTestCase):
    """Publishers of every door, and what is left of their streams."""

    SERVER_KW = {"extra_args": ["--rtmp-port", "1", "--srt-port", "1"]}

    srt_url = SrtTestCase.srt_url

    def setUp(self):
        super().setUp()
        self.assertResult(self.server.set_settings(
            {"mp4MuxingEnabled": True, "hlsMuxingEnabled": True,
             "deleteHLSFilesOnEnded": False, "hlsTime": "1"}), 200,
            success=True)

    def broadcast(self, stream):
        return self.server.get("/%s/rest/v2/broadcasts/%s" % (APP, stream))

    def ffmpeg_publisher(self, url, muxer):
        argv = ["ffmpeg", "-nostdin", "-loglevel", "error", "-re",
                "-f", "lavfi", "-i", "testsrc=size=640x360:rate=25",
                "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
                "-t", "60"] + ENCODE + ["-f", muxer, url]
        return subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)

    def start(self, p):
        if p.registered:
            r = self.server.post("/%s/rest/v2/broadcasts/create" % APP,
                                 {"streamId": p.stream})
            self.assertEqual(self.assertJson(r, 200)["status"], "created")
        if p.door == RTMP:
            p.client = self.ffmpeg_publisher(self.url(p.stream), "flv")
        elif p.door == SRT:
            p.client = self.ffmpeg_publisher(
                self.srt_url("%s/%s" % (APP, p.stream)), "mpegts")
        else:
            p.client = WebRtcPublisher(
                "ws://127.0.0.1:%d/%s/websocket" % (self.server.http_port,
                                                    APP), p.stream).start()
        self.addCleanup(self.finish, p)

    @staticmethod
    def finish(p):
        c = p.client
        if isinstance(c, WebRtcPublisher):
            c.close()
            return
        if c.poll() is None:
            c.kill()
        c.wait()
        c.stderr.close()

    def live(self, p):
        """The first HLS segment is written: the stream is live."""
        return "%s000000000.ts" % p.stream in self.playlist(p.stream)

    def server_lines(self, p):
        return [line for line in self.server.stderr().splitlines()
                if p.stream in line]

    def probe(self, path):
        """ffprobe's streams of path: {codec: stream fields}, and its
        duration."""
        out = subprocess.run(
            ["ffprobe", "-v", "error", "-show_entries",
             "stream=codec_name,profile,has_b_frames,sample_rate"
             ":format=duration", "-of", "json", path],
            capture_output=True, text=True, timeout=30)
        self.assertEqual(out.returncode, 0, (path, out.stderr))
        info = json.loads(out.stdout)
        return ({s["codec_name"]: s for s in info["streams"]},
                float(info["format"]["duration"]))


class ShutdownTest(ShutdownCase):

    def test_sigterm_finalises_every_door(self):
        publishes = [Publish(door, registered) for door in DOORS
                     for registered in (True, False)]
        # One after the other: six peers connecting at once (x264 in each,
        # ICE for the WebRTC ones) starve a 2-core sanitizer build.
        for p in publishes:
            self.start(p)
            self.assertTrue(wait_for(lambda: self.live(p), timeout=30),
                            (p, self.files_of(p.stream), self.server_lines(p),
                             getattr(p.client, "errors", None)))
        for p in publishes:
            b = self.assertJson(self.broadcast(p.stream), 200)
            self.assertEqual((b["status"], b["publishType"], b["zombi"]),
                             ("broadcasting", p.door, not p.registered),
                             (p, b))
            # Still being written.
            self.assertIn(p.stream + ".mp4.part", self.files_of(p.stream), p)

        sent = time.monotonic()
        self.server.stop()  # SIGTERM; asserts exit 0 in time, clean stderr
        took = time.monotonic() - sent
        self.assertLess(took, STOP_TIMEOUT)

        for p in publishes:
            with self.subTest(publish=repr(p)):
                if p.door == WEBRTC:
                    # Told that its publish is over, as at a stop.
                    self.assertIn("publish_finished", p.client.definitions(),
                                  (p.client.messages, p.client.errors))
                else:
                    # Cut off long before its 60 s.
                    self.assertNotEqual(p.client.wait(timeout=20), 0, p)
                files = self.files_of(p.stream)
                self.assertEqual([f for f in files if f.endswith(".part")],
                                 [], files)
                self.assertIn(p.stream + ".mp4", files)
                streams, duration = self.probe(
                    os.path.join(self.streams_dir(), p.stream + ".mp4"))
                self.assertGreater(duration, 0)
                self.assertEqual(set(streams), {"h264", "aac"}, streams)
                if p.door != WEBRTC:
                    # What was published is what is recorded.
                    self.assertEqual(streams["h264"]["profile"], "High")
                    self.assertGreater(streams["h264"]["has_b_frames"], 0)
                    self.assertEqual(streams["aac"]["sample_rate"], "48000")
                self.assertTrue(self.playlist(p.stream).rstrip().endswith(
                    "#EXT-X-ENDLIST"), self.playlist(p.stream))

        self.server.restart()
        for p in publishes:
            with self.subTest(publish=repr(p), after="restart"):
                r = self.broadcast(p.stream)
                if p.registered:
                    b = self.assertJson(r, 200)
                    self.assertEqual((b["status"], b["publishType"],
                                      b["zombi"]),
                                     ("finished", p.door, False), b)
                else:
                    self.assertEqual(r.status, 404, r)

class CrashTest(ShutdownCase):
    """A server killed with its publishers live: the next start ends what
    the store still calls live (ARCHITECTURE.md, Threads and state)."""

    def test_next_start_ends_what_a_crash_left_live(self):
        publishes = [Publish(RTMP, True), Publish(RTMP, False)]
        for p in publishes:
            self.start(p)
        for p in publishes:
            self.assertTrue(wait_for(lambda: self.live(p), timeout=30), p)
        count = "/%s/rest/v2/broadcasts/active-live-stream-count" % APP
        self.assertEqual(self.assertJson(self.server.get(count), 200),
                         {"number": 2})
        self.server.kill()
        self.server.restart()
        self.assertEqual(self.assertJson(self.server.get(count), 200),
                         {"number": 0})
        registered, undefined = publishes
        b = self.assertJson(self.broadcast(registered.stream), 200)
        self.assertEqual(b["status"], "finished", b)
        self.assertEqual(self.broadcast(undefined.stream).status, 404)


if __name__ == "__main__":
    unittest.main()
