"""CMAF output (dashMuxingEnabled): DASH in streams/{id}/ and LL-HLS in
streams/ll-hls/{id}/ from the same fragments, behind the play token:
what the MPD and the playlists say, what ffprobe reads through them on
one token, blocking playlist reloads, and the files at the end."""

import concurrent.futures
import os
import re
import subprocess
import time
import unittest
import xml.etree.ElementTree as ET

import mpd_check
from test_rtmp import RtmpTestCase, wait_for
from tollgate_fixture import APP, unique_id

NS = "{urn:mpeg:dash:schema:mpd:2011}"


class CmafTestCase(RtmpTestCase):

    def setUp(self):
        super().setUp()
        self.server.set_settings({"dashMuxingEnabled": True, "hlsTime": "1",
                                  "hlsListSize": "3",
                                  "deleteDASHFilesOnEnded": False})
        self.addCleanup(self.server.set_settings,
                        {"dashMuxingEnabled": False, "hlsTime": "2",
                         "hlsListSize": "15",
                         "playTokenControlEnabled": False,
                         "deleteDASHFilesOnEnded": True})

    def media_dir(self, s):
        return os.path.join(self.streams_dir(), s)

    def read(self, *parts):
        path = os.path.join(self.streams_dir(), *parts)
        if not os.path.exists(path):
            return ""
        with open(path) as f:
            return f.read()

    def mpd(self, s):
        return self.read(s, s + ".mpd")

    def http(self, path):
        return "http://127.0.0.1:%d/%s/streams/%s" % (
            self.server.http_port, APP, path)

    def live(self, s, seconds):
        """A user's publish (High profile, B-frames, 48 kHz), running."""
        p = self.ffmpeg(self.url(s), seconds=seconds, wait=False)
        self.addCleanup(p.wait, 30)
        self.addCleanup(p.kill)
        second = os.path.join(self.media_dir(s), "chunk-stream0-000000002.m4s")
        self.assertTrue(wait_for(lambda: os.path.exists(second)
                                 and self.mpd(s), timeout=30))
        return p


class DashTest(CmafTestCase):

    def test_live_mpd_then_static_and_ffprobe_on_one_token(self):
        s = unique_id()
        p = self.live(s, seconds=7)
        live = self.mpd(s)
        self.assertEqual(mpd_check.problems(live), [], live)
        root = ET.fromstring(live)
        self.assertEqual(root.get("type"), "dynamic")
        for name in ("availabilityStartTime", "minimumUpdatePeriod",
                     "timeShiftBufferDepth"):
            self.assertIn(name, root.attrib)
        sets = root.findall("%sPeriod/%sAdaptationSet" % (NS, NS))
        self.assertEqual([a.get("contentType") for a in sets],
                         ["video", "audio"])
        video, audio = (a.find(NS + "Representation") for a in sets)
        # libx264's High profile; AAC-LC
        self.assertRegex(video.get("codecs"), r"^avc1\.64[0-9A-F]{4}$")
        self.assertEqual(video.get("width"), "320")
        self.assertEqual(audio.get("codecs"), "mp4a.40.2")
        self.assertEqual(audio.get("audioSamplingRate"), "48000")
        self.assertEqual(
            audio.find(NS + "SegmentTemplate").get("timescale"), "48000")
        p.wait(30)
        self.assertTrue(wait_for(lambda: 'type="static"' in self.mpd(s)))
        final = self.mpd(s)
        self.assertEqual(mpd_check.problems(final), [], final)
        # segments from key frame to key frame (-g 25: one a second)
        timeline = [(int(e.get("t")), int(e.get("d"))) for e in
                    video.find(NS + "SegmentTemplate").iter(NS + "S")]
        scale = int(video.find(NS + "SegmentTemplate").get("timescale"))
        for t, d in timeline:
            self.assertAlmostEqual(d / scale, 1.0, delta=0.05)
        # old segments went: three listed, two more kept
        chunks = [f for f in os.listdir(self.media_dir(s))
                  if f.startswith("chunk-stream0-")]
        self.assertLessEqual(len(chunks), 5, chunks)
        self.assertNotIn("chunk-stream0-000000001.m4s", chunks)
        # nothing half-written is left
        self.assertEqual([f for f in os.listdir(self.media_dir(s))
                          if f.startswith(".")], [])

        self.server.set_settings({"playTokenControlEnabled": True})
        token = self.mint_ok(s, "play")["tokenId"]
        url = self.http("%s/%s.mpd?token=%s" % (s, s, token))
        # ffprobe keeps no cookies: the session rides in the MPD's URIs
        streams = self.ffprobe(url, "stream=codec_name,profile").split()
        self.assertEqual(sorted(set(streams)), ["aac,LC", "h264,High"])
        self.assertGreaterEqual(self.decoded_frames(url), 60)
        self.assertEqual(self.tokens_of(s), [])
        r = self.server.get("/%s/streams/%s/%s.mpd?token=%s"
                            % (APP, s, s, token), source="127.0.0.2")
        self.assertEqual(r.status, 403, r)

    def test_viewer_counts_tell_dash_from_hls(self):
        self.server.set_settings({"playTokenControlEnabled": True})
        s = unique_id()
        self.live(s, seconds=20)
        mpd = self.server.get("/%s/streams/%s/%s.mpd?token=%s" % (
            APP, s, s, self.mint_ok(s, "play")["tokenId"]))
        self.assertEqual(mpd.status, 200, mpd)
        ll = self.server.get("/%s/streams/ll-hls/%s/%s__master.m3u8?token=%s"
                             % (APP, s, s, self.mint_ok(s, "play")["tokenId"]))
        self.assertEqual(ll.status, 200, ll)
        plain = self.server.get("/%s/streams/%s.m3u8?token=%s" % (
            APP, s, self.mint_ok(s, "play")["tokenId"]))
        self.assertEqual(plain.status, 200, plain)
        b = self.server.get("/%s/rest/v2/broadcasts/%s" % (APP, s)).json()
        self.assertEqual((b["dashViewerCount"], b["hlsViewerCount"]), (1, 2),
                         b)
        # cookieless players: the session key is in every URI served
        text = mpd.body.decode()
        for attribute in ("initialization", "media"):
            values = re.findall(r'%s="([^"]+)"' % attribute, text)
            self.assertTrue(values, text)
            self.assertTrue(all("?" in v for v in values), values)
        variant = ll.body.decode().strip().splitlines()[-1]
        self.assertIn("?", variant)
        media = self.server.get("/%s/streams/ll-hls/%s/%s"
                                % (APP, s, variant)).body.decode()
        uris = (re.findall(r'URI="([^"]+)"', media)
                + [line for line in media.splitlines()
                   if line and not line.startswith("#")])
        self.assertTrue(any("part-stream0" in u for u in uris), media)
        self.assertTrue(any("init-stream0" in u for u in uris), media)
        self.assertTrue(all("?" in u for u in uris), uris)

    def test_segments_start_with_a_key_frame(self):
        s = unique_id()
        self.live(s, seconds=4)
        d = self.media_dir(s)
        with open(os.path.join(d, "init-stream0.m4s"), "rb") as f:
            init = f.read()
        with open(os.path.join(d, "chunk-stream0-000000002.m4s"), "rb") as f:
            media = f.read()
        path = os.path.join(self.server.data_dir, "joined.mp4")
        with open(path, "wb") as f:
            f.write(init + media)
        first = subprocess.run(
            ["ffprobe", "-v", "error", "-select_streams", "v:0",
             "-show_entries", "packet=flags", "-read_intervals", "%+#1",
             "-of", "csv=p=0", path], capture_output=True, text=True,
            timeout=30)
        self.assertEqual(first.stdout.strip()[:1], "K", first)

    def test_a_stream_whose_cmaf_folder_cannot_be_made_plays_on(self):
        """A file where the stream's CMAF folder would go: no DASH, said
        once, and the stream's HLS goes on to its end."""
        s = unique_id()
        os.makedirs(self.streams_dir(), exist_ok=True)
        with open(self.media_dir(s), "w") as f:
            f.write("in the way")
        self.assertEqual(self.ffmpeg(self.url(s), seconds=3).returncode, 0)
        self.assertTrue(wait_for(lambda: self.ended(s)))
        self.assertTrue(os.path.isfile(self.media_dir(s)))
        self.assertGreaterEqual(self.decoded_frames(
            os.path.join(self.streams_dir(), s + ".m3u8")), 50)

    def test_files_go_at_the_end_by_default(self):
        """deleteDASHFilesOnEnded (default true, as Ant Media); the HLS
        files follow their own switch (kept here)."""
        self.server.set_settings({"deleteDASHFilesOnEnded": True})
        s = unique_id()
        self.assertEqual(self.ffmpeg(self.url(s), seconds=3).returncode, 0)
        ll_dir = os.path.join(self.streams_dir(), "ll-hls", s)
        self.assertTrue(wait_for(lambda: not os.path.exists(
            self.media_dir(s)) and not os.path.exists(ll_dir)),
            os.listdir(self.streams_dir()))
        self.assertTrue(self.ended(s))


class LowLatencyHlsTest(CmafTestCase):

    def playlist_url(self, s, track="video", query=""):
        return "/%s/streams/ll-hls/%s/%s__%s.m3u8%s" % (APP, s, s, track,
                                                         query)

    def test_playlists_parts_and_blocking_reload(self):
        s = unique_id()
        self.live(s, seconds=12)
        master = self.read("ll-hls", s, s + "__master.m3u8")
        self.assertIn('#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio"', master)
        self.assertRegex(master, r'CODECS="avc1\.64[0-9A-F]{4},mp4a\.40\.2"')
        self.assertIn("RESOLUTION=320x240", master)
        text = self.server.get(self.playlist_url(s)).body.decode()
        for tag in ("#EXT-X-PART-INF:PART-TARGET=0.500",
                    "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES",
                    "#EXT-X-PRELOAD-HINT:TYPE=PART", "#EXT-X-MAP:URI=",
                    "#EXT-X-PROGRAM-DATE-TIME:"):
            self.assertIn(tag, text)
        self.assertNotIn("#EXT-X-ENDLIST", text)
        parts = re.findall(r'#EXT-X-PART:DURATION=([\d.]+)', text)
        self.assertTrue(parts)
        self.assertTrue(all(float(d) <= 0.5 for d in parts), parts)
        # the segment after the newest complete one: its first part
        sequence = int(re.search(r"#EXT-X-MEDIA-SEQUENCE:(\d+)",
                                 text).group(1))
        complete = text.count("#EXTINF")
        wanted = sequence + complete + 1
        part = '-%09d-0.m4s' % wanted

        def blocking():
            started = time.monotonic()
            r = self.server.get(self.playlist_url(
                s, query="?_HLS_msn=%d&_HLS_part=0" % wanted))
            return r, time.monotonic() - started

        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            held = pool.submit(blocking)
            # held without holding up others: another request, sent while
            # it waits, is answered sooner than it is (not behind it; not
            # "before it is done": on a busy machine its part may come
            # while the other is on its way)
            started = time.monotonic()
            other = self.server.get(self.playlist_url(s, "audio"))
            other_took = time.monotonic() - started
            self.assertEqual(other.status, 200)
            r, waited = held.result(30)
            self.assertLess(other_took, waited)
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.body.startswith(b"#EXTM3U\n"), r)
        self.assertIn(part.encode(), r.body)
        self.assertNotIn(part, text)
        # the preload hint's part, asked for before it is written: held
        # until it is, then served whole
        hint = re.search(r'#EXT-X-PRELOAD-HINT:TYPE=PART,URI="\.\./\.\./'
                         r'([^"]+)"', r.body.decode()).group(1)
        self.assertFalse(os.path.exists(os.path.join(self.streams_dir(),
                                                     hint)))
        got = self.server.get("/%s/streams/%s" % (APP, hint))
        self.assertEqual(got.status, 200, got)
        with open(os.path.join(self.streams_dir(), hint), "rb") as f:
            self.assertEqual(got.body, f.read())
        r = self.server.get(self.playlist_url(s, query="?_HLS_msn=x"))
        self.assertEqual(r.status, 400, r)
        r = self.server.get(self.playlist_url(s, query="?_HLS_part=1"))
        self.assertEqual(r.status, 400, r)

    def test_ffprobe_reads_the_master_on_one_token(self):
        self.server.set_settings({"playTokenControlEnabled": True})
        s = unique_id()
        self.assertEqual(self.ffmpeg(self.url(s), seconds=4).returncode, 0)
        self.assertTrue(wait_for(lambda: "#EXT-X-ENDLIST" in self.read(
            "ll-hls", s, s + "__video.m3u8")))
        token = self.mint_ok(s, "play")["tokenId"]
        url = self.http("ll-hls/%s/%s__master.m3u8?token=%s" % (s, s, token))
        streams = self.ffprobe(url, "stream=codec_name").split()
        self.assertEqual(sorted(set(streams)), ["aac", "h264"])
        # the three segments listed (hlsListSize), 25 frames each
        self.assertGreaterEqual(self.decoded_frames(url), 70)
        self.assertEqual(self.tokens_of(s), [])
        # and ffmpeg, on a token of its own
        token = self.mint_ok(s, "play")["tokenId"]
        url = self.http("ll-hls/%s/%s__master.m3u8?token=%s" % (s, s, token))
        r = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-i", url,
                            "-map", "0", "-c", "copy", "-f", "null", "-"],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.tokens_of(s), [])


if __name__ == "__main__":
    unittest.main()
