"""An ended stream's HLS playlist as players read it. A stream whose last
frame is a key frame ends on a segment of that one frame, and GStreamer
1.22's hlssink gives it a duration of about 2^64 ns (#EXTINF:18446743552,
then #EXT-X-TARGETDURATION:0; ffprobe reports the stream as lasting
18,446,743,560 s): by the time the stream is said to have ended, every
duration in the playlist is the segment's own. The publisher is ffmpeg
copying a file made as users publish (H.264 High with B-frames, AAC at
48 kHz), a key frame every second, 241 frames at 30 fps."""

import os
import re
import shutil
import subprocess
import tempfile
import unittest

from test_rtmp import RtmpTestCase, wait_for
from tollgate_fixture import APP, unique_id


class HlsPlaylistTest(RtmpTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.media = tempfile.mkdtemp(prefix="tollgate-media-")
        cls.flv = os.path.join(cls.media, "last-frame-key.flv")
        subprocess.run(
            ["ffmpeg", "-nostdin", "-loglevel", "error", "-y",
             "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30",
             "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
             "-frames:v", "241", "-t", "8.04", "-c:v", "libx264",
             "-profile:v", "high", "-bf", "2", "-g", "30",
             "-keyint_min", "30", "-sc_threshold", "0", "-preset", "veryfast",
             "-c:a", "aac", "-ar", "48000", "-f", "flv", cls.flv],
            check=True, timeout=120)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.media, ignore_errors=True)
        super().tearDownClass()

    def test_a_last_segment_of_one_key_frame_has_its_own_duration(self):
        self.server.set_settings({"hlsTime": 1})
        s = unique_id()
        p = subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error",
                            "-re", "-i", self.flv, "-c", "copy", "-f", "flv",
                            self.url(s)], capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(wait_for(lambda: "%s/%s: publish ended" % (APP, s)
                                 in self.server.stderr()),
                        self.server.stderr()[-2000:])
        playlist = self.playlist(s)
        self.assertTrue(self.ended(s), playlist)
        durations = [float(d) for d in re.findall(r"#EXTINF:([0-9.]+),",
                                                  playlist)]
        self.assertEqual(len(durations), 9, playlist)
        for d in durations:
            self.assertGreater(d, 0, playlist)
            self.assertLessEqual(d, 1.1, playlist)
        self.assertRegex(playlist, r"#EXT-X-TARGETDURATION:1\n")
        self.assertAlmostEqual(self.probe_duration(os.path.join(
            self.streams_dir(), s + ".m3u8")), 8.0, delta=0.5)


if __name__ == "__main__":
    unittest.main()
