"""A WebRTC viewer of a stream with an ABR ladder (PROTOCOL.md 2.4
encoderSettings, 5) is given a rung through Ant Media's own JavaScript SDK
in headless Chromium (tests/browser/ant-sdk-play.mjs), with play tokens on:
a 640x360 stream published over RTMP by ffmpeg as users publish it (H.264
High with B-frames, and without), a ladder of one rung (240p, 300 kbit/s).
The SDK plays it through one token, spent once; getStreamInfo lists the
source and the rung (426x240, its bitrate); forceStreamQuality(240) is
answered by resolutionChangeInfo 240 and the same video goes on decoding
426x240 frames; forceStreamQuality(0) by resolutionChangeInfo 360 (the
height given, the source's) and the source's 640x360 frames again."""

import unittest

from test_abr import RUNG, SOURCE
from test_ant_sdk import HIGH_NO_B, AntSdkTestCase
from test_rtmp import USER_VIDEO
from tollgate_fixture import unique_id


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

    def test_high_profile_with_b_frames(self):
        self.check_rung(USER_VIDEO)

    def test_high_profile_without_b_frames(self):
        self.check_rung(HIGH_NO_B)


if __name__ == "__main__":
    unittest.main()
