"""WebRTC publish (PROTOCOL.md 5) with a real WebRTC client
(webrtc_client.WebRtcPublisher: webrtcbin sending H.264 and Opus) against
the real server: H.264 video and Opus audio (made AAC once, for HLS,
MP4 and the stream's own WebRTC viewers)."""

import json
import os
import unittest

import websocket

from test_rtmp import wait_for
from test_webrtc import WebRtcTestCase
from tollgate_fixture import APP, unique_id
from webrtc_client import PUBLISH_PIPELINE, WebRtcPublisher


class PublishTest(WebRtcTestCase):
    """A WebRTC publisher (webrtc_client.WebRtcPublisher): its token is
    spent once, its stream is written as HLS and plays to WebRTC viewers;
    stop or a cut connection ends it."""

    def setUp(self):
        super().setUp()
        self.server.set_settings({"publishTokenControlEnabled": True})
        self.addCleanup(self.server.set_settings,
                        {"publishTokenControlEnabled": False})

    def plays_both(self, stream):
        """A WebRTC viewer of the stream, once it decodes its video and
        gets its audio."""
        self.wait_until_playable(stream)
        v = self.viewer(stream, self.play_token(stream))
        self.assertTrue(v.wait_for(lambda: v.decoded_frames >= 10
                                   and v.audio_buffers >= 10),
                        (v.definitions(), v.errors, v.decoded_frames,
                         v.audio_buffers))
        return v

    def publisher(self, stream, token, pipeline=PUBLISH_PIPELINE):
        p = WebRtcPublisher(self.ws_url(), stream, token, pipeline=pipeline)
        self.addCleanup(p.stop)
        return p.start()

    def test_publish_plays_and_records_then_stops(self):
        s = unique_id()
        token = self.mint_ok(s, "publish")["tokenId"]
        p = self.publisher(s, token)
        self.assertTrue(p.wait_for_definition("publish_started"),
                        (p.definitions(), p.errors))
        self.assertEqual(self.tokens_of(s), [])
        self.assertTrue(wait_for(lambda: "%s000000001.ts" % s
                                 in self.playlist(s), timeout=30))
        v = self.plays_both(s)
        self.assertEqual(v.frame_size, (320, 240))
        p.stop()
        self.assertIn("publish_finished", p.definitions())
        self.assertTrue(wait_for(lambda: self.ended(s)))
        playlist = os.path.join(self.streams_dir(), s + ".m3u8")
        self.assertGreaterEqual(self.decoded_frames(playlist), 25)
        self.assertEqual(self.codecs(playlist), {"h264", "aac"})

    def test_delete_stops_the_publish(self):
        s = unique_id()
        p = self.publisher(s, self.mint_ok(s, "publish")["tokenId"])
        self.assertTrue(p.wait_for_definition("publish_started"),
                        (p.definitions(), p.errors))
        self.assertTrue(wait_for(lambda: "%s000000000.ts" % s
                                 in self.playlist(s), timeout=30))
        r = self.server.delete("/%s/rest/v2/broadcasts/%s" % (APP, s))
        self.assertResult(r, 200, success=True)
        # The publisher hears it is over; the stream ends with its files.
        self.assertTrue(p.wait_for_definition("publish_finished"),
                        p.definitions())
        self.assertTrue(wait_for(lambda: self.ended(s)))

    def silent(self, media, clock_rate):
        """PUBLISH_PIPELINE with one track offered but never sent: its RTP
        is dropped (its caps still go, so the offer has it)."""
        tail = "media=%s,encoding-name=" % media
        start = PUBLISH_PIPELINE.index(tail)
        end = PUBLISH_PIPELINE.index("! webrtc.", start)
        self.assertIn("clock-rate=%d" % clock_rate,
                      PUBLISH_PIPELINE[start:end])
        return (PUBLISH_PIPELINE[:end] + "! valve drop=true"
                " drop-mode=forward-sticky-events " + PUBLISH_PIPELINE[end:])

    def publish_silent(self, media, clock_rate):
        """Publishes with that track silent: publish_started never comes
        (it waits for every track taken), and the publish times out;
        returns the stream's files once it has ended."""
        self.server.set_settings({"mp4MuxingEnabled": True})
        self.addCleanup(self.server.set_settings,
                        {"mp4MuxingEnabled": False})
        s = unique_id()
        p = self.publisher(s, self.mint_ok(s, "publish")["tokenId"],
                           self.silent(media, clock_rate))
        self.assertTrue(p.wait_for_definition("publishTimeoutError"),
                        (p.definitions(), p.errors))
        self.assertTrue(p.wait_for_definition("publish_finished"),
                        p.definitions())
        self.assertNotIn("publish_started", p.definitions())
        self.assertTrue(wait_for(lambda: self.ended(s)))
        return s, self.files_of(s)

    def test_audio_offered_but_never_sent(self):
        """A publisher whose offer has audio but who sends none: its
        stream still ends (the muxers told that the audio will not come);
        the recording is final and plays its video, with an empty AAC
        track."""
        s, files = self.publish_silent("audio", 48000)
        self.assertIn(s + ".mp4", files)
        self.assertNotIn(s + ".mp4.part", files)
        recording = os.path.join(self.streams_dir(), s + ".mp4")
        self.assertEqual(self.codecs(recording), {"h264", "aac"})
        self.assertGreater(self.decoded_frames(recording), 0)

    def test_video_offered_but_never_sent(self):
        """The same with the video: the stream ends, its HLS holds the
        audio; a recording missing a track it announced cannot be made
        valid, and is dropped (the log says so)."""
        s, files = self.publish_silent("video", 90000)
        self.assertNotIn(s + ".mp4", files)
        self.assertNotIn(s + ".mp4.part", files)
        playlist = os.path.join(self.streams_dir(), s + ".m3u8")
        self.assertEqual(self.codecs(playlist), {"aac"})

    def codecs(self, path):
        return set(self.ffprobe(path, "stream=codec_name").split())

    def test_without_hls_or_mp4_the_opus_goes_as_it_is(self):
        """With no HLS and no MP4 the publisher's Opus is not made AAC (the
        stream has no AAC track): its viewers' audio is the publisher's own
        Opus."""
        self.server.set_settings({"hlsMuxingEnabled": False})
        self.addCleanup(self.server.set_settings, {"hlsMuxingEnabled": True})
        s = unique_id()
        p = self.publisher(s, self.mint_ok(s, "publish")["tokenId"])
        self.assertTrue(p.wait_for_definition("publish_started"))
        self.plays_both(s)
        self.assertFalse(os.path.exists(
            os.path.join(self.streams_dir(), s + ".m3u8")))

    def test_vp8_is_made_h264(self):
        s = unique_id()
        vp8 = PUBLISH_PIPELINE.replace(
            "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=30"
            " ! rtph264pay config-interval=-1 ! application/x-rtp,"
            "media=video,encoding-name=H264,",
            "vp8enc deadline=1 keyframe-max-dist=30 ! rtpvp8pay"
            " ! application/x-rtp,media=video,encoding-name=VP8,")
        self.assertIn("VP8", vp8)
        p = self.publisher(s, self.mint_ok(s, "publish")["tokenId"], vp8)
        self.assertTrue(p.wait_for_definition("publish_started"))
        self.wait_until_playable(s)
        v = self.viewer(s, self.play_token(s))
        self.assertTrue(v.wait_for(lambda: v.decoded_frames >= 10),
                        (v.definitions(), v.errors))
        self.assertEqual(v.frame_size, (320, 240))
        self.assertTrue(wait_for(lambda: "%s000000001.ts" % s
                                 in self.playlist(s), timeout=30))
        p.stop()
        self.assertTrue(wait_for(lambda: self.ended(s)))
        playlist = os.path.join(self.streams_dir(), s + ".m3u8")
        self.assertEqual(self.codecs(playlist), {"h264", "aac"})

    def test_a_joining_viewer_gets_a_key_frame(self):
        """The publisher sends one key frame in ten minutes unless asked,
        and the server asks for one only every hlsTime (a minute here):
        a viewer that joins later decodes only if its joining asked."""
        self.server.set_settings({"hlsTime": "60"})
        self.addCleanup(self.server.set_settings, {"hlsTime": "2"})
        s = unique_id()
        p = self.publisher(s, self.mint_ok(s, "publish")["tokenId"],
                           PUBLISH_PIPELINE.replace("key-int-max=30",
                                                    "key-int-max=18000"))
        self.assertTrue(p.wait_for_definition("publish_started"))
        self.wait_until_playable(s)
        first = self.viewer(s, self.play_token(s))
        self.assertTrue(first.wait_for(lambda: first.decoded_frames >= 10),
                        (first.definitions(), first.errors))
        second = self.viewer(s, self.play_token(s))
        self.assertTrue(second.wait_for(lambda: second.decoded_frames >= 10),
                        (second.definitions(), second.errors))

    def test_refusals_spend_nothing(self):
        s = unique_id()
        token = self.mint_ok(s, "publish")["tokenId"]
        play = self.play_token(s)
        for bad in (None, "nope", play):
            with self.subTest(token=bad):
                p = self.publisher(s, bad)
                self.assertTrue(p.wait_for_definition("unauthorized_access"),
                                p.definitions())
        self.assertEqual(sorted(self.tokens_of(s)), sorted([token, play]))
        first = self.publisher(s, token)
        self.assertTrue(first.wait_for_definition("publish_started"))
        second = self.publisher(s, self.mint_ok(s, "publish")["tokenId"])
        self.assertTrue(second.wait_for_definition("streamIdInUse"))

    def test_a_publisher_that_sends_no_media_is_ended(self):
        """start, then no offer: 10 s later publishTimeoutError, and the
        stream id is free again."""
        s = unique_id()
        ws = websocket.create_connection(self.ws_url(), timeout=30)
        self.addCleanup(ws.close)
        ws.send(json.dumps({"command": "publish", "streamId": s,
                            "token": self.mint_ok(s, "publish")["tokenId"]}))
        self.assertEqual(json.loads(ws.recv())["command"], "start")
        error = json.loads(ws.recv())
        self.assertEqual((error["command"], error["definition"]),
                         ("error", "publishTimeoutError"), error)
        # Its stream has ended: the undefined stream's record went with it.
        self.assertTrue(wait_for(lambda: self.server.get(
            "/%s/rest/v2/broadcasts/%s" % (APP, s)).status == 404))
        p = self.publisher(s, self.mint_ok(s, "publish")["tokenId"])
        self.assertTrue(p.wait_for_definition("publish_started"),
                        p.definitions())

    def test_a_cut_connection_ends_the_stream(self):
        s = unique_id()
        p = self.publisher(s, self.mint_ok(s, "publish")["tokenId"])
        self.assertTrue(p.wait_for_definition("publish_started"))
        self.assertTrue(wait_for(lambda: "%s000000000.ts" % s
                                 in self.playlist(s), timeout=30))
        p.close()
        self.assertTrue(wait_for(lambda: self.ended(s)))
        # The undefined stream's zombi record went with it.
        self.assertTrue(wait_for(lambda: self.server.get(
            "/%s/rest/v2/broadcasts/%s" % (APP, s)).status == 404))


if __name__ == "__main__":
    unittest.main()
