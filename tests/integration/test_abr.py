"""The ABR ladder (PROTOCOL.md 2.4 encoderSettings, 4): real publishers
(ffmpeg, as users send: High profile, B-frames, 48 kHz AAC), the real
server transcoding, ffprobe reading what it wrote, through one play token.
"""

import json
import os
import re
import subprocess
import unittest

from test_rtmp import USER_AUDIO, USER_TONE, USER_VIDEO, RtmpTestCase, wait_for
from tollgate_fixture import APP, unique_id

BROWSER_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                           "..", "browser")

SOURCE = (640, 360)
RUNG = {"height": 240, "videoBitrate": 300000, "audioBitrate": 64000}
# Taller than the source: skipped.
TALL = {"height": 720, "videoBitrate": 2000000, "audioBitrate": 128000}
STREAM_INF = re.compile(r'^#EXT-X-STREAM-INF:BANDWIDTH=(\d+),'
                        r'RESOLUTION=(\d+)x(\d+),'
                        r'CODECS="(avc1\.[0-9a-f]{6}),mp4a\.40\.2"$')


def tool(*argv):
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    return subprocess.run(argv, capture_output=True, text=True, env=env,
                          timeout=60)


class AbrTest(RtmpTestCase):

    def setUp(self):
        super().setUp()
        self.server.set_settings({"encoderSettings": [RUNG, TALL],
                                  "playTokenControlEnabled": False})

    def publish(self, stream, seconds=4, wait=True, extra=()):
        """A 640x360 publisher (as test_rtmp's, at another size)."""
        argv = ["ffmpeg", "-nostdin", "-loglevel", "error", "-re",
                "-f", "lavfi", "-i", "testsrc=size=%dx%d:rate=25" % SOURCE,
                "-f", "lavfi", "-i", USER_TONE, "-t", str(seconds)]
        argv += USER_VIDEO + list(extra) + USER_AUDIO
        argv += ["-f", "flv", self.url(stream)]
        if not wait:
            publisher = subprocess.Popen(argv, stderr=subprocess.PIPE,
                                         text=True)
            self.addCleanup(publisher.kill)
            return publisher
        r = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r

    def finished(self, publisher):
        _, err = publisher.communicate(timeout=60)
        self.assertEqual(publisher.returncode, 0, err)

    def path(self, name):
        return os.path.join(self.streams_dir(), name)

    def read(self, name):
        with open(self.path(name)) as f:
            return f.read()

    def http(self, name):
        return "http://127.0.0.1:%d/%s/streams/%s" % (self.server.http_port,
                                                      APP, name)

    def ended(self, name):
        return (os.path.exists(self.path(name))
                and "#EXT-X-ENDLIST" in self.read(name))

    def first_frame(self, path):
        out = tool("ffprobe", "-v", "error", "-select_streams", "v:0",
                   "-read_intervals", "%+#1", "-show_entries",
                   "frame=key_frame,pict_type", "-of", "json", path)
        self.assertEqual(out.returncode, 0, out.stderr)
        return json.loads(out.stdout)["frames"][0]

    def key_frames(self, playlist):
        """The times of a played playlist's video key frames."""
        out = tool("ffprobe", "-v", "error", "-select_streams", "v:0",
                   "-show_entries", "frame=key_frame,pts_time", "-of",
                   "csv=p=0", self.path(playlist))
        self.assertEqual(out.returncode, 0, out.stderr)
        return [round(float(t), 2) for k, t in (
            line.split(",")[:2] for line in out.stdout.split()) if k == "1"]

    def segments(self, playlist):
        return [line for line in self.read(playlist).splitlines()
                if line and not line.startswith("#")]

    def test_ladder_master_and_rungs(self):
        s = unique_id()
        rung = "%s_240p300kbps" % s
        self.server.set_settings({"playTokenControlEnabled": True})
        self.publish(s)
        self.assertTrue(wait_for(lambda: self.ended(rung + ".m3u8")),
                        self.files_of(s))
        self.assertTrue(wait_for(lambda: self.ended(s + ".m3u8")))

        # The master: the source (copied, as {id}.m3u8, as Ant Media) and
        # the 240p rung, highest bandwidth first; nothing of 720p.
        lines = self.read(s + "_adaptive.m3u8").splitlines()
        self.assertEqual(lines[0], "#EXTM3U")
        variants = {}
        bandwidths = []
        for tag, uri in zip(lines, lines[1:]):
            m = STREAM_INF.match(tag)
            if m:
                variants[uri] = (int(m.group(2)), int(m.group(3)))
                bandwidths.append(int(m.group(1)))
        self.assertEqual(variants, {s + ".m3u8": SOURCE,
                                    rung + ".m3u8": (426, 240)}, lines)
        self.assertEqual(bandwidths, sorted(bandwidths, reverse=True))
        self.assertIn(RUNG["videoBitrate"] + RUNG["audioBitrate"], bandwidths)
        self.assertFalse([f for f in self.files_of(s) if "720p" in f])

        # Every segment of the rung starts with a key frame (the source's:
        # a key frame a second, two-second segments).
        segments = self.segments(rung + ".m3u8")
        self.assertGreaterEqual(len(segments), 2)
        for name in segments:
            frame = self.first_frame(self.path(name))
            self.assertEqual((frame["key_frame"], frame["pict_type"]),
                             (1, "I"), name)

        # ... and its key frames are the source's, all of them.
        keys = self.key_frames(s + ".m3u8")
        self.assertGreaterEqual(len(keys), 4, keys)  # a second apart
        self.assertEqual(self.key_frames(rung + ".m3u8"), keys)

        # One play token opens the master and every variant in it.
        token = self.mint_ok(s)["tokenId"]
        probe = tool("ffprobe", "-v", "error", "-print_format", "json",
                     "-show_streams", self.http(s + "_adaptive.m3u8?token="
                                                + token))
        self.assertEqual(probe.returncode, 0, probe.stderr)
        streams = json.loads(probe.stdout)["streams"]
        self.assertEqual(sorted(st["height"] for st in streams
                                if st["codec_type"] == "video"), [240, 360])
        self.assertEqual([st["sample_rate"] for st in streams
                          if st["codec_type"] == "audio"], ["48000"] * 2)

        # The rung alone, through another token: 240p, no B-frames (the
        # source has them), its audio at about the rung's bitrate.
        token = self.mint_ok(s)["tokenId"]
        probe = tool("ffprobe", "-v", "error", "-print_format", "json",
                     "-show_streams", "-show_frames",
                     self.http(rung + ".m3u8?token=" + token))
        self.assertEqual(probe.returncode, 0, probe.stderr)
        info = json.loads(probe.stdout)
        video = [st for st in info["streams"] if st["codec_type"] == "video"]
        self.assertEqual((video[0]["width"], video[0]["height"]), (426, 240))
        self.assertEqual(video[0]["has_b_frames"], 0)
        types = {f["pict_type"] for f in info["frames"]
                 if f["media_type"] == "video"}
        self.assertNotIn("B", types)
        self.assertGreaterEqual(len([f for f in info["frames"]
                                     if f["media_type"] == "video"]), 90)
        self.assertIn("B", {f["pict_type"] for f in json.loads(tool(
            "ffprobe", "-v", "error", "-select_streams", "v:0",
            "-show_frames", "-of", "json", self.path(s + "000000000.ts")
        ).stdout)["frames"]})

    def test_dash_adaptive_mpd_and_ll_hls_variants(self):
        """With DASH on, each rung is also a representation:
        {id}/{id}_adaptive.mpd lists the source and the 240p rung (the
        plain {id}.mpd the source alone), the LL-HLS master a variant per
        rung; ffprobe plays the adaptive MPD through one token."""
        self.server.set_settings({"dashMuxingEnabled": True,
                                  "deleteDASHFilesOnEnded": False})
        self.addCleanup(self.server.set_settings,
                        {"dashMuxingEnabled": False,
                         "playTokenControlEnabled": False})
        s = unique_id()
        self.publish(s, seconds=5)
        self.assertTrue(wait_for(lambda: os.path.exists(
            self.path("%s/%s_adaptive.mpd" % (s, s))) and 'type="static"'
            in self.read("%s/%s_adaptive.mpd" % (s, s)), timeout=30))
        adaptive = self.read("%s/%s_adaptive.mpd" % (s, s))
        heights = re.findall(r'<Representation [^>]*height="(\d+)"',
                             adaptive)
        self.assertEqual(heights, ["360", "240"], adaptive)
        self.assertEqual(adaptive.count('contentType="audio"'), 1)
        plain = self.read("%s/%s.mpd" % (s, s))
        self.assertEqual(re.findall(r'height="(\d+)"', plain), ["360"])
        master = self.read("ll-hls/%s/%s__master.m3u8" % (s, s))
        self.assertEqual(re.findall(r"RESOLUTION=\d+x(\d+)", master),
                         ["360", "240"], master)
        self.assertIn("%s__240p300kbps.m3u8" % s, master)
        self.server.set_settings({"playTokenControlEnabled": True})
        token = self.mint_ok(s, "play")["tokenId"]
        out = tool("ffprobe", "-v", "error", "-show_entries",
                   "stream=height", "-of", "csv=p=0",
                   self.http("%s/%s_adaptive.mpd?token=%s" % (s, s, token)))
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(sorted(set(out.stdout.split())), ["240", "360"])
        self.assertEqual(self.tokens_of(s), [])

    def test_dash_alone_gets_the_ladder_too(self):
        """HLS off, DASH on: the rungs are made for DASH alone (no HLS file
        of theirs, no HLS master), and the adaptive MPD lists them."""
        self.server.set_settings({"dashMuxingEnabled": True,
                                  "hlsMuxingEnabled": False,
                                  "deleteDASHFilesOnEnded": False})
        self.addCleanup(self.server.set_settings,
                        {"dashMuxingEnabled": False, "hlsMuxingEnabled": True})
        s = unique_id()
        self.publish(s, seconds=4)
        mpd = "%s/%s_adaptive.mpd" % (s, s)
        self.assertTrue(wait_for(lambda: os.path.exists(self.path(mpd))
                                 and 'type="static"' in self.read(mpd),
                                 timeout=30))
        self.assertEqual(re.findall(r'<Representation [^>]*height="(\d+)"',
                                    self.read(mpd)), ["360", "240"])
        self.assertEqual([f for f in os.listdir(self.streams_dir())
                          if f.startswith(s) and f != s], [])

    def test_play_page_switches_rung_when_throttled(self):
        """play.html (playOrder=hls) plays the adaptive master with hls.js
        through one token: put on the source, then left to choose, with the
        page's network throttled to 500 kbit/s (DevTools protocol) it
        switches to the 240p rung by itself."""
        self.server.set_settings({"playTokenControlEnabled": True})
        self.addCleanup(self.server.set_settings,
                        {"playTokenControlEnabled": False})
        s = unique_id()
        # noise: a source of about 1.5 Mbit/s, over the rung's 300 kbit/s
        self.publish(s, seconds=90, wait=False,
                     extra=["-vf", "noise=alls=12:allf=t", "-b:v", "1500k"])
        self.assertTrue(wait_for(lambda: os.path.exists(
            self.path(s + "_adaptive.m3u8")), timeout=30))
        url = ("http://127.0.0.1:%d/%s/play.html?id=%s&playOrder=hls"
               "&token=%s" % (self.server.http_port, APP, s,
                              self.mint_ok(s, "play")["tokenId"]))
        r = subprocess.run(["node", "abr-page.mjs", url, "500"],
                           cwd=BROWSER_DIR, capture_output=True, text=True,
                           timeout=150)
        lines = r.stdout.strip().splitlines()
        self.assertTrue(lines, r.stderr)
        seen = json.loads(lines[-1])
        self.assertEqual(r.returncode, 0, seen)
        heights = [level["height"] for level in seen["levels"]]
        self.assertEqual(sorted(heights), [240, 360], seen)
        self.assertEqual(heights[seen["top"]], 360, seen)
        self.assertEqual(heights[seen["throttled"]], 240, seen)
        self.assertEqual(self.tokens_of(s), [])

    def test_settings_change_takes_effect_for_the_next_stream(self):
        first, second = unique_id(), unique_id()
        publisher = self.publish(first, seconds=5, wait=False)
        self.assertTrue(wait_for(lambda: os.path.exists(
            self.path(first + "_240p300kbps.m3u8"))), self.files_of(first))
        self.server.set_settings({"encoderSettings": [
            {"height": 180, "videoBitrate": 200000}]})
        self.finished(publisher)
        self.assertTrue(wait_for(lambda: self.ended(
            first + "_240p300kbps.m3u8")))
        self.assertFalse([f for f in self.files_of(first) if "180p" in f])

        self.publish(second, seconds=3)
        self.assertTrue(wait_for(lambda: self.ended(
            second + "_180p200kbps.m3u8")), self.files_of(second))
        self.assertFalse([f for f in self.files_of(second) if "240p" in f])
        # No audioBitrate: 64 kb/s.
        self.assertIn('BANDWIDTH=264000,RESOLUTION=320x180',
                      self.read(second + "_adaptive.m3u8"))

    def test_files_deleted_at_the_end(self):
        s = unique_id()
        self.server.set_settings({"deleteHLSFilesOnEnded": True})
        publisher = self.publish(s, seconds=4, wait=False)
        self.assertTrue(wait_for(lambda: os.path.exists(
            self.path(s + "_adaptive.m3u8"))), self.files_of(s))
        # The master is written at the rungs' first encoded frame, a
        # moment before that frame opens the rung's first segment.
        self.assertTrue(wait_for(lambda: [
            f for f in self.files_of(s)
            if f.startswith(s + "_240p300kbps0")]), self.files_of(s))
        self.finished(publisher)
        self.assertTrue(wait_for(lambda: self.files_of(s) == []),
                        self.files_of(s))

    def test_a_failing_ladder_leaves_the_stream_alone(self):
        # The rung's first segment cannot be written (a folder is in its
        # way): the ladder stops, said once; the source's HLS goes on.
        s = unique_id()
        os.makedirs(self.path(s + "_240p300kbps000000000.ts"))
        self.publish(s, seconds=3)
        self.assertTrue(wait_for(lambda: self.ended(s + ".m3u8")),
                        self.files_of(s))
        listed = sum(float(line.split(":")[1].rstrip(","))
                     for line in self.read(s + ".m3u8").splitlines()
                     if line.startswith("#EXTINF:"))
        self.assertAlmostEqual(listed, 3, delta=0.5)
        self.assertEqual(self.server.stderr().count(
            "%s/%s: ABR ladder stopped" % (APP, s)), 1)
        self.assertHealthy()


if __name__ == "__main__":
    unittest.main()
