"""Ant Media's own JavaScript SDK (@antmedia/webrtc_adaptor from npm, its ES
modules, unchanged) plays Tollgate streams over WebRTC in headless Chromium
(tests/browser/ant-sdk-play.mjs), with play tokens on: streams published
over RTMP by ffmpeg as users publish them (H.264 High with B-frames, High
without, Main; AAC at 48 kHz) play through a one-time token with decoded
frames and audio; the token is then spent (played again: the SDK hears
unauthorized_access), a wrong token is refused the same way while the
stream goes on playing for the others; a stream that is not live is
no_stream_exist, and the SDK's own retries play it once it is; one that
ends is play_finished; wss:// works as ws:// (PROTOCOL.md 5)."""

import json
import os
import subprocess
import unittest

from test_rtmp import USER_AUDIO, USER_TONE, USER_VIDEO, wait_for
from test_webrtc import WebRtcTestCase
from tollgate_fixture import APP, unique_id

BROWSER_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                           "..", "browser")

# USER_VIDEO (High, B-frames) with other profiles: High without B-frames
# (-bf 0), and Main as -tune zerolatency makes it (no B-frames either).
HIGH_NO_B = USER_VIDEO[:USER_VIDEO.index("-bf")] + ["-bf", "0", "-g", "25"]
MAIN = (USER_VIDEO[:USER_VIDEO.index("-profile:v")]
        + ["-profile:v", "main", "-tune", "zerolatency", "-g", "25"])


class AntSdkTestCase(WebRtcTestCase):
    """Plays with the SDK (ant-sdk-play.mjs) and checks its outcomes; no
    tests of its own (test_webrtc_abr's are built on it)."""

    def publish_as_user(self, stream, video, size=(320, 240)):
        return self.publish_with(stream, video, USER_TONE, USER_AUDIO,
                                 size=size)

    def sdk(self, plays, url=None):
        """ant-sdk-play.mjs playing plays (a list of its objects) through
        url (ws_url() unless given)."""
        p = subprocess.Popen(["node", "ant-sdk-play.mjs",
                              url or self.ws_url(), json.dumps(plays)],
                             cwd=BROWSER_DIR, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)

        def stop():
            p.kill()
            p.communicate()
        self.addCleanup(stop)
        return p

    def outcomes(self, p):
        out, err = p.communicate(timeout=180)
        lines = out.strip().splitlines()
        self.assertTrue(lines, err)
        self.assertEqual(p.returncode, 0, lines[-1])
        last = json.loads(lines[-1])
        self.assertEqual(last["notServed"], [], last)
        return last["plays"]

    def sdk_play(self, *plays):
        """Each (stream, token) played in turn with the SDK, in a page of
        its own; their outcomes."""
        return self.outcomes(self.sdk([{"streamId": s, "token": t}
                                       for s, t in plays]))

    def assertPlayed(self, seen, errors=(), size=(320, 240)):
        self.assertEqual(seen["done"], "played", seen)
        self.assertEqual(seen["errors"], list(errors), seen)
        self.assertEqual((seen["videoWidth"], seen["videoHeight"]), size,
                         seen)
        self.assertTrue(seen["stillPlaying"], seen)
        self.assertTrue(seen["finished"], seen)  # stop -> play_finished
        # A second of 25 fps at least, decoded (headless Chromium shows
        # fewer when the machine is busy).
        self.assertGreaterEqual(seen["received"]["framesDecoded"], 25, seen)
        self.assertGreater(seen["received"]["audio"], 0, seen)
        # The server opens the data channel (the SDK waits for it in play
        # mode) and answers the SDK's pings.
        self.assertIn("data_channel_opened", seen["callbacks"], seen)
        self.assertGreater(seen["pongs"], 0, seen)
        info = seen["streamInfo"][0]
        self.assertEqual((info["streamWidth"], info["streamHeight"],
                          info["videoCodec"], info["audioCodec"]),
                         size + ("H264", "AAC"), seen)

    def assertRefused(self, seen, definition):
        self.assertEqual(seen["done"], "refused", seen)
        self.assertEqual(seen["errors"][0], definition, seen)
        self.assertNotIn("play_started", seen["callbacks"], seen)


class AntSdkTest(AntSdkTestCase):

    def check_plays(self, video, profile):
        """The SDK plays the stream on a token, which is then spent; a
        token of another stream is refused and stays unspent; another
        viewer (whose page takes the SDK's newTrackAvailable streams) plays
        on, and so does the first."""
        s = unique_id()
        self.publish_as_user(s, video)
        first, second = self.play_token(s), self.play_token(s)
        other = unique_id()
        wrong = self.play_token(other)
        seen = self.outcomes(self.sdk([
            {"streamId": s, "token": first},
            {"streamId": s, "token": first},
            {"streamId": s, "token": wrong},
            {"streamId": s, "token": second, "tracks": True}]))
        self.assertPlayed(seen[0])
        self.assertRefused(seen[1], "unauthorized_access")
        self.assertRefused(seen[2], "unauthorized_access")
        self.assertPlayed(seen[3])
        # One audio, one video track; idMapping {} names no track ids.
        self.assertEqual(seen[3]["trackIds"], [None, None], seen[3])
        self.assertEqual(self.tokens_of(s), [])
        self.assertEqual(self.tokens_of(other), [wrong])
        # What was published, as HLS keeps it.
        self.assertTrue(wait_for(lambda: self.playlist(s)))
        playlist = os.path.join(self.streams_dir(), s + ".m3u8")
        streams = self.ffprobe(playlist, "stream=codec_name,profile").split()
        self.assertIn("h264,%s" % profile, streams)
        self.assertIn("aac,LC", streams)

    def test_high_profile_with_b_frames(self):
        self.check_plays(USER_VIDEO, "High")

    def test_high_profile_without_b_frames_and_main_profile(self):
        """Two more streams as users publish them, played one after the
        other in one page (the refusals are the test above's)."""
        streams = {unique_id(): (HIGH_NO_B, "High"),
                   unique_id(): (MAIN, "Main")}
        for s, (video, _) in streams.items():
            self.publish_as_user(s, video)
        seen = self.sdk_play(*((s, self.play_token(s)) for s in streams))
        for (s, (_, profile)), played in zip(streams.items(), seen):
            with self.subTest(profile=profile):
                self.assertPlayed(played)
                self.assertEqual(self.tokens_of(s), [])
                self.assertTrue(wait_for(lambda: self.playlist(s)))
                self.assertIn("h264,%s" % profile, self.ffprobe(
                    os.path.join(self.streams_dir(), s + ".m3u8"),
                    "stream=codec_name,profile").split())

    def test_not_live_stream_and_bad_token(self):
        """A stream that is not live: the SDK hears no_stream_exist, and the
        token is not spent; a token that is no token: unauthorized_access."""
        s = unique_id("off")
        token = self.play_token(s)
        seen = self.sdk_play((s, token), (s, "not-a-token"))
        self.assertRefused(seen[0], "no_stream_exist")
        self.assertRefused(seen[1], "unauthorized_access")
        self.assertEqual(self.tokens_of(s), [token])

    def test_plays_over_wss(self):
        """Pages on https:// sites (where the SDK is used) must signal over
        wss://: Chromium's WebSocket through Tollgate's TLS door."""
        s = unique_id()
        self.publish_as_user(s, USER_VIDEO)
        token = self.play_token(s)
        seen = self.outcomes(self.sdk(
            [{"streamId": s, "token": token}],
            "wss://127.0.0.1:%d/%s/websocket" % (self.server.https_port,
                                                 APP)))
        self.assertPlayed(seen[0])
        self.assertEqual(self.tokens_of(s), [])

    def test_stream_that_ends(self):
        """The stream ends while the SDK plays it: play_finished; then the
        SDK plays again by itself with its token, which was spent when
        playback started: unauthorized_access."""
        s = unique_id()
        publisher = self.publish_as_user(s, USER_VIDEO)
        p = self.sdk([{"streamId": s, "token": self.play_token(s),
                       "end": True}])
        self.assertEqual(json.loads(p.stdout.readline()), {"playing": s})
        publisher.terminate()
        seen = self.outcomes(p)[0]
        self.assertEqual(seen["done"], "played", seen)
        self.assertIn("play_finished", seen["callbacks"], seen)
        self.assertIn("reconnection_attempt_for_player", seen["callbacks"],
                      seen)
        self.assertEqual(seen["errors"][0], "unauthorized_access", seen)

    def test_player_waits_for_the_stream_to_go_live(self):
        """Played before it is live (a viewer who comes early), the stream
        is no_stream_exist, and the SDK plays again by itself every few
        seconds (stop, then play with the same token): once the stream is
        live it plays, and only then is the token spent."""
        s = unique_id()
        token = self.play_token(s)
        p = self.sdk([{"streamId": s, "token": token, "wait": True}])
        self.assertEqual(json.loads(p.stdout.readline()), {"waiting": s})
        self.assertEqual(self.tokens_of(s), [token])
        self.publish_as_user(s, USER_VIDEO)
        seen = self.outcomes(p)[0]
        self.assertPlayed(seen, errors=[
            e for e in seen["errors"] if e == "no_stream_exist"])
        self.assertIn("no_stream_exist", seen["errors"])
        self.assertEqual(self.tokens_of(s), [])


if __name__ == "__main__":
    unittest.main()
