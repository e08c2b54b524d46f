"""Malformed media from a publisher ends that stream only, with a line that
says why: codec configuration records and frames are checked before any
GStreamer element sees them (an empty AAC AudioSpecificConfig used to crash
the whole server inside mpegtsmux). The tags are hand-made and sent by a
real RTMP client (GStreamer's rtmp2sink); the MPEG-TS by srt-live-transmit.
"""

import os
import random
import re
import shutil
import struct
import subprocess
import tempfile
import time
import unittest

from flv_publisher import (SCRIPT, Tag, avc_nal_units, flv_tags, make_flv,
                           publish_tags)
from test_rtmp import wait_for
from test_srt import SrtTestCase
from tollgate_fixture import APP, unique_id

REFUSED = r"%s: Refused the publisher's (audio|video|stream)(?: track)?: (.*)"


def with_config(tags, is_config, body):
    return [t.with_body(body) if is_config(t) else t for t in tags]


def corrupt_nal_units(tags, share, keep_headers, seed):
    """share of the bytes inside the NAL units of every frame replaced at
    random (lengths kept; each NAL header byte too, if keep_headers)."""
    rnd = random.Random(seed)
    out = []
    for t in tags:
        if t.is_avc_frame():
            body = bytearray(t.body)
            for offset, n in avc_nal_units(t.body):
                start = offset + (1 if keep_headers else 0)
                for i in range(start, offset + n):
                    if rnd.random() < share:
                        body[i] = rnd.randrange(256)
            t = t.with_body(bytes(body))
        out.append(t)
    return out


class BadMediaTest(SrtTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.media = tempfile.mkdtemp(prefix="tollgate-media-")
        # OBS's and ffmpeg's defaults: H.264 High with B-frames, AAC 48 kHz.
        cls.tags = flv_tags(make_flv(os.path.join(cls.media, "high.flv"),
                                     seconds=4))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.media, ignore_errors=True)
        super().tearDownClass()

    def setUp(self):
        super().setUp()
        self.server.set_settings({"publishTokenControlEnabled": False,
                                  "mp4MuxingEnabled": True})

    def rtmp_url(self, stream):
        return "rtmp://127.0.0.1:%d/%s/%s" % (self.server.rtmp_port, APP,
                                              stream)

    def refusals(self, stream):
        """(track, reason) of each refusal of stream, in order. By stream:
        a slow server may log an earlier stream's refusal late."""
        return re.findall(REFUSED % re.escape("%s/%s" % (APP, stream)),
                          self.server.stderr())

    def assertMediaRefused(self, tags, track, reason, pace=False):
        stream = unique_id()
        ok, error = publish_tags(self.rtmp_url(stream), tags, pace=pace)
        self.assertFalse(ok, "the publish went through")
        self.assertTrue(wait_for(lambda: self.refusals(stream)),
                        self.server.stderr()[-2000:])
        got = self.refusals(stream)[0]
        self.assertEqual(got[0], track)
        self.assertIn(reason, got[1])
        self.assertHealthy()

    def test_empty_aac_config_harms_no_other_stream(self):
        healthy = unique_id()
        other = self.ffmpeg(self.url(healthy), seconds=8, wait=False)
        try:
            self.assertTrue(wait_for(
                lambda: "%s000000000.ts" % healthy in self.playlist(healthy)))
            self.assertMediaRefused(
                with_config(self.tags, lambda t: t.is_aac_config(),
                            b"\xaf\x00"),
                "audio", "AAC AudioSpecificConfig")
        finally:
            self.assertEqual(other.wait(timeout=60), 0, other.stderr.read())
            other.stderr.close()
        # The other publisher was not disturbed: its stream ended normally.
        self.assertTrue(wait_for(lambda: self.ended(healthy)))

    def test_timestamps_that_jump_are_rebased(self):
        # Half-way through 4 s of media, the publisher's clock jumps a day
        # ahead, or 2^31 ms: the stream goes on from where it was, its
        # recording and its segments as long as the media.
        for jump in (86400000, 2 ** 31):
            with self.subTest(jump=jump):
                s = unique_id()
                tags = [Tag(t.type, t.timestamp + jump, t.body)
                        if t.type != SCRIPT and t.timestamp >= 2000 else t
                        for t in self.tags]
                ok, error = publish_tags(self.rtmp_url(s), tags, pace=False,
                                         sync=False)
                self.assertTrue(ok, error)
                mp4 = os.path.join(self.streams_dir(), s + ".mp4")
                self.assertTrue(wait_for(lambda: os.path.exists(mp4)
                                         and self.ended(s)),
                                self.server.stderr()[-2000:])
                self.assertLess(self.probe_duration(mp4), 6)
                longest = max(float(d) for d in re.findall(
                    r"#EXTINF:([0-9.]+)", self.playlist(s)))
                self.assertLess(longest, 6, self.playlist(s))
                if jump < 2 ** 31:
                    # (rtmp2sink may send 2^31 otherwise; the outcome
                    # above is what counts)
                    self.assertRegex(
                        self.server.stderr(), "%s: the (audio|video) "
                        "timestamps jumped by \\+864000[0-9]{2} ms" % s)

    def test_malformed_configuration_records(self):
        avcc = next(t for t in self.tags if t.is_avc_config()).body
        sps_length = int.from_bytes(avcc[11:13], "big")
        cases = [
            # AAC LC, one byte: the sampling frequency index is cut.
            ("audio", lambda t: t.is_aac_config(), b"\xaf\x00\x12",
             "AAC AudioSpecificConfig"),
            # AAC LC at a reserved sampling frequency index (13), stereo.
            ("audio", lambda t: t.is_aac_config(), b"\xaf\x00\x16\x90",
             "AAC AudioSpecificConfig"),
            # The record cut in the middle of its SPS.
            ("video", lambda t: t.is_avc_config(), avcc[:13 + sps_length // 2],
             ""),
            # The SPS's bytes after its profile replaced by 0xff.
            ("video", lambda t: t.is_avc_config(),
             avcc[:17] + b"\xff" * (sps_length - 4) + avcc[13 + sps_length:],
             "SPS"),
        ]
        for track, is_config, body, reason in cases:
            with self.subTest(body=body[:16].hex()):
                self.assertMediaRefused(with_config(self.tags, is_config, body),
                                   track, reason)

    def test_metadata_that_flvdemux_does_not_survive(self):
        # onMetaData's framerate becomes a fraction over 0 in flvdemux (a
        # critical); objects nested 100000 deep (400 KB) overflowed its
        # stack and killed the server. The container check refuses both
        # first.
        def meta(body):
            return [t.with_body(body) if t.type == SCRIPT else t
                    for t in self.tags]
        script = next(t for t in self.tags if t.type == SCRIPT).body
        at = script.index(b"\x00\x09framerate\x00") + 12
        tiny = script[:at] + struct.pack(">d", 1.7e-308) + script[at + 8:]
        deep = b"\x02\x00\x0aonMetaData\x03" + b"\x00\x01o\x03" * 100000
        for body, reason in ((tiny, "a framerate that is neither 0 nor"),
                             (deep, "a script data tag larger than 64 KiB")):
            with self.subTest(reason=reason):
                self.assertMediaRefused(meta(body), "stream", reason)

    def test_nal_length_past_the_frame(self):
        first = next(i for i, t in enumerate(self.tags) if t.is_avc_frame())
        body = bytearray(self.tags[first].body)
        body[5:9] = (len(body) * 2).to_bytes(4, "big")
        tags = list(self.tags)
        tags[first] = tags[first].with_body(bytes(body))
        self.assertMediaRefused(tags, "video", "H.264")

    def test_corrupted_nal_units(self):
        # Slices full of noise are the decoder's business, not ours: the
        # stream goes through and ends normally.
        s = unique_id()
        ok, error = publish_tags(
            self.rtmp_url(s),
            corrupt_nal_units(self.tags, 0.3, keep_headers=True, seed=1))
        self.assertTrue(ok, error)
        self.assertTrue(wait_for(lambda: self.ended(s)))
        # With their headers hit too, a NAL unit soon breaks the rules: the
        # stream is refused, and says so.
        self.assertMediaRefused(
            corrupt_nal_units(self.tags, 0.3, keep_headers=False, seed=1),
            "video", "H.264", pace=True)

    def test_srt_adts_with_a_reserved_sampling_index(self):
        ts = os.path.join(self.media, "bad-adts.ts")
        subprocess.run(
            ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi",
             "-i", "testsrc2=size=320x240:rate=25", "-f", "lavfi", "-i",
             "sine=frequency=440:sample_rate=48000", "-t", "3",
             "-c:v", "libx264", "-c:a", "aac", "-f", "mpegts", ts],
            check=True, timeout=60)
        with open(ts, "rb") as f:
            data = f.read()
        # ADTS of AAC LC at 48 kHz: FF F1 4C; index 3 made 13 (reserved).
        self.assertIn(b"\xff\xf1\x4c", data)
        s = unique_id()
        # Its file://con input must be a pipe; what it reads before it has
        # connected is lost, so it is fed once it says so, at about the
        # stream's own rate.
        relay = subprocess.Popen(
            ["srt-live-transmit", "-a:no", "-chunk:1316", "file://con",
             self.srt_url("%s/%s" % (APP, s))],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT)
        try:
            said = b""
            while b"connected" not in said:
                line = relay.stdout.readline()
                self.assertTrue(line, "srt-live-transmit: %r" % said)
                said += line
            bad = data.replace(b"\xff\xf1\x4c", b"\xff\xf1\x74")
            for at in range(0, len(bad), 1316 * 7):
                if self.refusals(s):
                    break
                relay.stdin.write(bad[at:at + 1316 * 7])
                relay.stdin.flush()
                time.sleep(0.02)
            self.assertTrue(wait_for(lambda: self.refusals(s)),
                            self.server.stderr()[-2000:])
        finally:
            relay.kill()
            relay.wait(timeout=30)
            relay.stdin.close()
            relay.stdout.close()
        track, reason = self.refusals(s)[0]
        self.assertEqual(track, "audio")
        self.assertIn("ADTS", reason)
        self.assertHealthy()


if __name__ == "__main__":
    unittest.main()
