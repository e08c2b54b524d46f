"""kill -9 of the server while streams are published, then a start on the
same data dir: what the crash left is repaired before anything goes live.
A created broadcast left "broadcasting" is finished and a zombi one
deleted, active-live-stream-count counts none; each recording left under
its .mp4.part name takes its final name and plays (an empty one, as a
publisher that never sent media leaves, is deleted); each HLS playlist
gets its end tag (deleteHLSFilesOnEnded off), so players stop waiting for
more. Publishers are ffmpeg as users publish (H.264 High with B-frames,
AAC at 48 kHz) over RTMP."""

import json
import os
import unittest

from flv_publisher import SCRIPT, flv_tags, make_flv, publish_tags
from test_rtmp import RtmpTestCase, wait_for
from test_rtmp_play import LOG_ENV
from tollgate_fixture import APP, unique_id

BASE = "/%s/rest/v2/broadcasts" % APP


class CrashRepairTest(RtmpTestCase):
    SERVER_KW = {"env": LOG_ENV, "extra_args": ["--rtmp-port", "1"]}

    def setUp(self):
        super().setUp()
        self.server.set_settings({"mp4MuxingEnabled": True})

    def status(self, stream):
        r = self.server.get("%s/%s" % (BASE, stream))
        return r.json().get("status") if r.status == 200 else None

    def recording_grew(self, stream):
        """The recording, still under its .part name, holds media."""
        path = os.path.join(self.streams_dir(), stream + ".mp4.part")
        return os.path.exists(path) and os.path.getsize(path) > 100000

    def test_kill_9_mid_publish_is_repaired_at_start(self):
        created, zombi = unique_id(), unique_id()
        self.assertEqual(self.server.post(
            BASE + "/create", json.dumps({"streamId": created})).status, 200)
        for s in (created, zombi):
            p = self.ffmpeg(self.url(s), seconds=60, wait=False)
            self.addCleanup(p.kill)
        for s in (created, zombi):
            self.assertTrue(wait_for(lambda: "%s000000001.ts" % s
                                     in self.playlist(s)
                                     and self.recording_grew(s), 40),
                            self.files_of(s))
        # What a publisher that never sent media leaves (an older run's).
        empty = os.path.join(self.streams_dir(), "gone.mp4.part")
        open(empty, "w").close()

        self.server.kill()
        self.server.start()

        self.assertEqual(self.status(created), "finished")
        self.assertIsNone(self.status(zombi))
        r = self.server.get(BASE + "/active-live-stream-count")
        self.assertEqual(r.json(), {"number": 0})
        self.assertFalse(os.path.exists(empty))
        for s in (created, zombi):
            with self.subTest(stream=s):
                files = self.files_of(s)
                self.assertIn("%s.m3u8" % s, files)
                self.assertIn("%s.mp4" % s, files)
                self.assertEqual([f for f in files if "part" in f], [])
                self.assertTrue(self.playlist(s).endswith(
                    "#EXT-X-ENDLIST\n"), self.playlist(s))
                mp4 = os.path.join(self.streams_dir(), s + ".mp4")
                self.assertGreater(self.probe_duration(mp4), 1.0)
                self.assertLess(os.path.getsize(mp4), 4 * 1024 * 1024)
                self.assertGreater(self.probe_duration(os.path.join(
                    self.streams_dir(), s + ".m3u8")), 1.0)
        self.assertIn("files left unfinished by the last run made final",
                      self.server.stderr())

    def test_publisher_that_sends_no_media_is_said_and_leaves_nothing(self):
        # Connect, publish, send the stream's metadata and codec configs,
        # leave: no frame.
        s = unique_id()
        tags = flv_tags(make_flv(os.path.join(self.server.data_dir,
                                              s + ".flv"), seconds=1))
        publish_tags(self.url(s), [t for t in tags if t.type == SCRIPT
                                   or t.is_avc_config() or t.is_aac_config()])
        self.assertTrue(wait_for(
            lambda: "%s: publish ended: the publisher left before sending "
                    "any media" % s in self.server.stderr()),
            self.server.stderr()[-2000:])
        self.assertNotIn("Internal data stream error", self.server.stderr())
        self.assertTrue(wait_for(lambda: self.status(s) is None))
        self.assertEqual([f for f in self.files_of(s) if "mp4" in f], [])

if __name__ == "__main__":
    unittest.main()
