"""A WebRTC viewer of a stream with an ABR ladder (PROTOCOL.md 2.4
encoderSettings, 5) is given a rung through Ant Media's own JavaScript SDK
in headless Chromium (tests/browser/ant-sdk-play.mjs), with play tokens on:
a 640x360 stream published over RTMP by ffmpeg as users publish it (H.264
High with B-frames, and without), a ladder of one rung (240p, 300 kbit/s).
The SDK plays it through one token, spent once; getStreamInfo lists the
source and the rung (426x240, its bitrate); forceStreamQuality(240) is
answered by resolutionChangeInfo 240 and the same video goes on decoding
426x240 frames; forceStreamQuality(0) by resolutionChangeInfo 360 (the
height given, the source's) and the source's 640x360 frames again. And a
viewer on auto (the default) that receives through a link narrower than
the source (the test client's ReceiveLimit: what passes a rate is
dropped, as a link with no queue drops it) is moved down to the rung by
its own receiver reports, told so, and decodes the rung's frames."""

import time
import unittest

from test_abr import RUNG, SOURCE
from test_ant_sdk import HIGH_NO_B, AntSdkTestCase
from test_rtmp import USER_VIDEO
from tollgate_fixture import unique_id
from webrtc_client import ReceiveLimit, WebRtcViewer

# The source well over the bottleneck, the rung (and Opus) well under it.
SOURCE_RATE = ["-b:v", "1500k", "-maxrate", "1500k", "-bufsize", "1500k"]
BOTTLENECK_KBPS = 700


class WebRtcAbrTest(AntSdkTestCase):

    def setUp(self):
        super().setUp()
        self.server.set_settings({"encoderSettings": [RUNG]})

    def check_rung(self, video):
        """Played with the SDK, which asks for the rung and then for the
        source again (0), waiting for half a second of video at each."""
        s = unique_id()
        self.publish_as_user(s, video, size=SOURCE)
        token = self.play_token(s)
        seen = self.outcomes(self.sdk([{"streamId": s, "token": token,
                                        "qualities": [RUNG["height"], 0]}]))[0]
        self.assertPlayed(seen, size=SOURCE)
        self.assertEqual(self.tokens_of(s), [])

        # The source, then the rung: as wide as the source's aspect makes
        # 240 lines, rounded to even.
        self.assertEqual(len(seen["streamInfo"]), 2, seen["streamInfo"])
        rung = seen["streamInfo"][1]
        self.assertEqual((rung["streamWidth"], rung["streamHeight"],
                          rung["videoBitrate"], rung["videoCodec"]),
                         (426, 240, RUNG["videoBitrate"], "H264"), rung)

        # Each height asked for is given, told (as the height given: the
        # source's for 0) and decoded: half a second of it, a dozen frames
        # at 25 fps (decoded all, even where a busy headless Chromium shows
        # few).
        forced, back = seen["qualities"]
        for step, size in ((forced, (426, 240)), (back, SOURCE)):
            self.assertTrue(step["reached"], seen["qualities"])
            self.assertEqual((step["videoWidth"], step["videoHeight"]), size,
                             step)
            self.assertEqual(step["notified"], [size[1]], step)
            self.assertGreaterEqual(step["decoded"], 6, step)

    def decoded_size(self, v, timeout=2.0):
        """The size of the frames the viewer decodes now."""
        v.frame_size = None
        v.wait_for(lambda: v.frame_size is not None, timeout)
        return v.frame_size

    def test_auto_follows_the_receiver_reports(self):
        s = unique_id()
        self.publish_as_user(s, HIGH_NO_B + SOURCE_RATE, size=SOURCE)
        limit = ReceiveLimit(BOTTLENECK_KBPS)
        v = WebRtcViewer(self.ws_url(), s, self.play_token(s), limit=limit)
        self.addCleanup(v.stop)
        v.start()
        self.assertTrue(v.wait_for_definition("play_started"), v.errors)

        def told():
            return [m.get("streamHeight") for m in v.messages
                    if m.get("definition") == "resolutionChangeInfo"]
        self.assertTrue(v.wait_for(lambda: RUNG["height"] in told(), 30),
                        (told(), limit.passed, limit.dropped))
        # Its picture is the rung's from the rung's next key frame on.
        deadline = time.monotonic() + 20
        while (self.decoded_size(v) != (426, 240)
               and time.monotonic() < deadline):
            pass
        self.assertEqual(self.decoded_size(v), (426, 240),
                         (told(), limit.passed, limit.dropped))
        self.assertGreater(limit.dropped, 0)
        self.assertEqual(told()[0], RUNG["height"], told())
        self.assertEqual(self.tokens_of(s), [])

    def test_high_profile_with_b_frames(self):
        self.check_rung(USER_VIDEO)

    def test_high_profile_without_b_frames(self):
        self.check_rung(HIGH_NO_B)


if __name__ == "__main__":
    unittest.main()
