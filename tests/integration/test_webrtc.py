"""WebRTC play (PROTOCOL.md 5) with a real WebRTC client (webrtcbin,
tests/integration/webrtc_client.py) against the real server: a stream
published over RTMP plays to several viewers, who decode its frames; the
play token is spent once playback starts, exactly once, and not by an
attempt that cannot start; viewers come and go without the server
growing."""

import json
import os
import re
import subprocess
import unittest

import websocket

from test_rtmp import RtmpTestCase, wait_for
from tollgate_fixture import APP, token_body, unique_id
from webrtc_client import WebRtcViewer


class WebRtcTestCase(RtmpTestCase):

    def setUp(self):
        super().setUp()
        self.server.set_settings({"playTokenControlEnabled": True})
        self.addCleanup(self.server.set_settings,
                        {"playTokenControlEnabled": False})

    def ws_url(self):
        return "ws://127.0.0.1:%d/%s/websocket" % (self.server.http_port, APP)

    def publish(self, stream, seconds=60, b_frames=0, gop=25,
                x264=("-preset", "ultrafast")):
        """An RTMP publisher: 4:2:0, no B-frames unless asked for, x264's
        ultrafast (constrained baseline) unless other x264 options are
        given."""
        return self.publish_with(
            stream, ["-c:v", "libx264", "-pix_fmt", "yuv420p",
                     "-bf", str(b_frames), "-g", str(gop)] + list(x264),
            "sine=frequency=440", ["-c:a", "aac"], seconds)

    def publish_with(self, stream, video, tone, audio, seconds=60,
                     size=(320, 240)):
        """ffmpeg publishing its test pattern (320x240 unless size says,
        25 fps) and a tone over RTMP, encoded with the video and audio
        options given, until the stream is playable."""
        p = subprocess.Popen(
            ["ffmpeg", "-nostdin", "-loglevel", "error", "-re",
             "-f", "lavfi", "-i", "testsrc=size=%dx%d:rate=25" % size,
             "-f", "lavfi", "-i", tone, "-t", str(seconds)] + video + audio
            + ["-f", "flv", self.url(stream)],
            stderr=subprocess.DEVNULL)

        def stop():
            p.kill()
            p.wait()
        self.addCleanup(stop)
        self.wait_until_playable(stream)
        return p

    def wait_until_playable(self, stream):
        """Until the server knows the stream's tracks: a play then gets an
        offer; before, the client is told to wait and hears
        streaming_started. The play carries a token, in case the app asks
        for one: checked, not spent (the socket closes before playback),
        then spent over REST so that the stream's tokens are the test's."""
        token = self.mint_ok(stream, "play")
        ws = websocket.create_connection(self.ws_url(), timeout=30)
        try:
            ws.send(json.dumps({"command": "play", "streamId": stream,
                                "token": token["tokenId"]}))
            reply = json.loads(ws.recv())
            if reply.get("definition") == "no_stream_exist":
                self.assertEqual(json.loads(ws.recv()).get("definition"),
                                 "streaming_started")
            else:
                self.assertEqual(reply.get("command"), "takeConfiguration",
                                 reply)
        finally:
            ws.close()
        self.assertResult(self.server.validate(token_body(token)), 200,
                          success=True)

    def viewer(self, stream, token=None):
        v = WebRtcViewer(self.ws_url(), stream, token)
        self.addCleanup(v.stop)
        return v.start()

    def play_token(self, stream):
        return self.mint_ok(stream, "play")["tokenId"]

    def assertPlays(self, v):
        self.assertTrue(v.wait_for(lambda: v.decoded_frames >= 10),
                        (v.definitions(), v.errors))
        self.assertEqual(v.frame_size, (320, 240))
        self.assertTrue(v.wait_for(lambda: v.audio_buffers > 0))
        self.assertIn("play_started", v.definitions())
        self.assertEqual(v.errors, [])


class PlayTest(WebRtcTestCase):

    def test_two_viewers_decode_and_spend_their_tokens_once(self):
        s = unique_id()
        self.publish(s)
        tokens = [self.play_token(s), self.play_token(s)]
        viewers = [self.viewer(s, t) for t in tokens]
        for v in viewers:
            self.assertPlays(v)
            offer = next(m for m in v.messages
                         if m.get("command") == "takeConfiguration")
            self.assertEqual(offer["type"], "offer")
            self.assertEqual(offer["idMapping"], {})
        self.assertEqual(self.tokens_of(s), [])
        # The server opened the data channel.
        self.assertTrue(all(v.data_channels for v in viewers))

    def test_an_answer_refusing_the_video_is_told(self):
        """A browser that takes none of the offered H.264 answers the video
        m-line with port 0: the player hears notSetRemoteDescription (and
        moves on to its next technology) rather than getting sound alone;
        the token is not spent."""
        s = unique_id()
        self.publish(s)
        token = self.play_token(s)
        ws = websocket.create_connection(self.ws_url(), timeout=30)
        try:
            ws.send(json.dumps({"command": "play", "streamId": s,
                                "token": token}))
            offer = json.loads(ws.recv())
            self.assertEqual((offer.get("command"), offer.get("type")),
                             ("takeConfiguration", "offer"), offer)
            answer = re.sub(r"(?m)^m=video \d+", "m=video 0",
                            offer["sdp"]).replace("a=sendonly", "a=recvonly")
            ws.send(json.dumps({"command": "takeConfiguration",
                                "streamId": s, "type": "answer",
                                "sdp": answer}))
            reply = json.loads(ws.recv())
            while reply.get("command") == "takeCandidate":
                reply = json.loads(ws.recv())
        finally:
            ws.close()
        self.assertEqual((reply.get("command"), reply.get("definition")),
                         ("error", "notSetRemoteDescription"), reply)
        self.assertEqual(self.tokens_of(s), [token])

    def offer_of(self, stream):
        """The SDP the server offers a player of stream (nothing spent)."""
        ws = websocket.create_connection(self.ws_url(), timeout=30)
        try:
            ws.send(json.dumps({"command": "play", "streamId": stream,
                                "token": self.play_token(stream)}))
            offer = json.loads(ws.recv())
        finally:
            ws.close()
        self.assertEqual(offer.get("type"), "offer", offer)
        return offer["sdp"]

    def test_offer_has_the_own_profile_and_a_baseline_one(self):
        """A High-profile stream without B-frames is offered as it is (96)
        and as constrained baseline (97), for browsers that refuse High
        (made when one takes it: test_pages); a constrained-baseline
        stream alone."""
        high, baseline = unique_id(), unique_id()
        self.publish(high, x264=("-preset", "veryfast", "-tune",
                                 "zerolatency", "-profile:v", "high"))
        self.publish(baseline)
        sdp = self.offer_of(high)
        self.assertRegex(sdp, r"(?m)^m=video \d+ \S+ 96 97\r?$")
        self.assertRegex(sdp, r"a=fmtp:96 .*profile-level-id=64")
        self.assertRegex(sdp, r"a=fmtp:97 .*profile-level-id=42e01f")
        sdp = self.offer_of(baseline)
        self.assertRegex(sdp, r"(?m)^m=video \d+ \S+ 96\r?$")
        self.assertRegex(sdp, r"a=fmtp:96 .*profile-level-id=42c0")

    def test_webrtc_off_plays_over_http_only(self):
        """webRTCEnabled false: WebSocket play answers no_stream_exist at
        once and for good (nothing waits, the token is not spent), so a
        player moves on to HLS, which plays with that token."""
        s = unique_id()
        self.publish(s)
        self.server.set_settings({"webRTCEnabled": False})
        self.addCleanup(self.server.set_settings, {"webRTCEnabled": True})
        token = self.play_token(s)
        ws = websocket.create_connection(self.ws_url(), timeout=30)
        try:
            ws.send(json.dumps({"command": "play", "streamId": s,
                                "token": token}))
            reply = json.loads(ws.recv())
            ws.send(json.dumps({"command": "ping"}))
            after = json.loads(ws.recv())
        finally:
            ws.close()
        self.assertEqual((reply.get("command"), reply.get("definition")),
                         ("error", "no_stream_exist"), reply)
        self.assertNotIn("information", reply)  # nothing waits
        self.assertEqual(after.get("command"), "pong", after)
        self.assertEqual(self.tokens_of(s), [token])
        self.assertTrue(wait_for(lambda: self.playlist(s)))
        r = self.server.get("/%s/streams/%s.m3u8?token=%s" % (APP, s, token))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.tokens_of(s), [])

    def test_stream_info_and_live_viewer_counts(self):
        """getStreamInfo gives the stream as it is, and the broadcast
        counts its viewers while it is live (PROTOCOL.md 2.3, 5)."""
        s = unique_id()
        self.publish(s)

        def stream_info():
            ws = websocket.create_connection(self.ws_url(), timeout=30)
            try:
                ws.send(json.dumps({"command": "getStreamInfo",
                                    "streamId": s}))
                reply = json.loads(ws.recv())
            finally:
                ws.close()
            self.assertEqual(reply.get("command"), "streamInformation",
                             reply)
            return reply["streamInfo"][0]
        # Bitrates are measured over a second of media at least.
        self.assertTrue(wait_for(lambda: stream_info()["audioBitrate"] > 0))
        info = stream_info()
        self.assertEqual((info["streamWidth"], info["streamHeight"]),
                         (320, 240), info)
        self.assertEqual((info["videoCodec"], info["audioCodec"]),
                         ("H264", "AAC"), info)
        self.assertGreater(info["videoBitrate"], 10000, info)
        self.assertGreater(info["audioBitrate"], 32000, info)

        path = "/%s/rest/v2/broadcasts/%s" % (APP, s)
        b = self.assertJson(self.server.get(path), 200)
        self.assertEqual((b["width"], b["height"], b["webRTCViewerCount"],
                          b["hlsViewerCount"]), (320, 240, 0, 0), b)
        self.assertGreater(b["bitrate"], 0, b)
        v = self.viewer(s, self.play_token(s))
        self.assertPlays(v)
        # The first segment is complete (a playlist is written with it).
        self.assertTrue(wait_for(lambda: self.playlist(s)))
        r = self.server.get("/%s/streams/%s.m3u8?token=%s"
                            % (APP, s, self.play_token(s)))
        self.assertEqual(r.status, 200, r)
        b = self.assertJson(self.server.get(path), 200)
        self.assertEqual((b["webRTCViewerCount"], b["hlsViewerCount"]),
                         (1, 1), b)
        v.stop()
        self.assertTrue(wait_for(lambda: self.assertJson(
            self.server.get(path), 200)["webRTCViewerCount"] == 0))

    def test_b_frames_are_reencoded(self):
        """H.264 with B-frames is re-encoded for WebRTC viewers, once per
        stream, to constrained baseline level 3.1 (42e01f); without them it
        goes as it is, in its own profile (libx264's ultrafast: constrained
        baseline level 1.3, 42c00d)."""
        for b_frames, profile in ((2, "42e01f"), (0, "42c00d")):
            with self.subTest(b_frames=b_frames):
                s = unique_id()
                self.publish(s, b_frames=b_frames)
                viewers = [self.viewer(s, self.play_token(s))
                           for _ in range(2)]
                for v in viewers:
                    self.assertPlays(v)
                    self.assertRegex(v.offer_sdp(),
                                     "profile-level-id=%s" % profile)

    def test_a_late_viewer_starts_from_the_cached_gop(self):
        """A key frame every 10 s (250 frames; RTMP publishers cannot be
        asked for one): the first viewer waits for the next, but one who
        joins after it is given the GOP so far and decodes at once, not
        250 frames later: counted in the first viewer's frames."""
        s = unique_id()
        self.publish(s, gop=250)
        first = self.viewer(s, self.play_token(s))
        self.assertPlays(first)
        at_join = first.decoded_frames
        late = self.viewer(s, self.play_token(s))
        self.assertTrue(late.wait_for(lambda: late.decoded_frames > 0),
                        (late.definitions(), late.errors))
        self.assertLess(first.decoded_frames - at_join, 125)
        self.assertPlays(late)

    def test_one_socket_carries_several_sessions(self):
        """A publish and plays on one WebSocket; closing it ends its own
        sessions (its publish's stream ends) and nothing else (the stream
        it played goes on, for another viewer)."""
        live, mine = unique_id(), unique_id()
        self.publish(live)
        self.server.set_settings({"publishTokenControlEnabled": True})
        self.addCleanup(self.server.set_settings,
                        {"publishTokenControlEnabled": False})
        ws = websocket.create_connection(self.ws_url(), timeout=30)
        self.addCleanup(ws.close)

        def next_of(stream):
            while True:
                m = json.loads(ws.recv())
                if m.get("streamId") == stream and m["command"] in (
                        "start", "takeConfiguration", "notification",
                        "error"):
                    return m
        ws.send(json.dumps({"command": "publish", "streamId": mine,
                            "token": self.mint_ok(mine, "publish")
                            ["tokenId"]}))
        self.assertEqual(next_of(mine)["command"], "start")
        ws.send(json.dumps({"command": "play", "streamId": live,
                            "token": self.play_token(live)}))
        offer = next_of(live)
        self.assertEqual((offer["command"], offer["type"]),
                         ("takeConfiguration", "offer"))
        self.assertEqual(self.server.get("/%s/rest/v2/broadcasts/%s"
                                         % (APP, mine)).status, 200)
        ws.close()
        # Its publish is over: the undefined stream's record went with it.
        self.assertTrue(wait_for(lambda: self.server.get(
            "/%s/rest/v2/broadcasts/%s" % (APP, mine)).status == 404))
        self.assertPlays(self.viewer(live, self.play_token(live)))

    def test_refused_tokens(self):
        s = unique_id()
        self.publish(s)
        publish_token = self.mint_ok(s, "publish")["tokenId"]
        for token in (None, "nope", publish_token):
            with self.subTest(token=token):
                v = self.viewer(s, token)
                self.assertTrue(v.wait_for_definition("unauthorized_access"))
                self.assertEqual(v.decoded_frames, 0)
        self.assertEqual(self.tokens_of(s), [publish_token])

    def test_a_token_plays_once(self):
        s = unique_id()
        self.publish(s)
        token = self.play_token(s)
        first = self.viewer(s, token)
        self.assertPlays(first)
        second = self.viewer(s, token)
        self.assertTrue(second.wait_for_definition("unauthorized_access"))
        self.assertEqual(second.decoded_frames, 0)

    def test_not_live_keeps_the_token_then_plays(self):
        s = unique_id()
        token = self.play_token(s)
        waiting = self.viewer(s, token)
        self.assertTrue(waiting.wait_for_definition("no_stream_exist"))
        self.assertEqual(self.tokens_of(s), [token])
        self.publish(s)
        self.assertTrue(waiting.wait_for_definition("streaming_started"))
        waiting.stop()
        self.assertPlays(self.viewer(s, token))
        self.assertEqual(self.tokens_of(s), [])

    def test_stream_end_finishes_its_viewers(self):
        s = unique_id()
        publisher = self.publish(s)
        v = self.viewer(s, self.play_token(s))
        self.assertPlays(v)
        publisher.kill()
        self.assertTrue(v.wait_for_definition("play_finished"))


class CyclesTest(WebRtcTestCase):
    """Viewers that come and go, half with stop and half cut off, leave
    the server's threads and descriptors where they were, and its memory
    within MEMORY_SLACK of where it was after a warm-up (a viewer's
    pipeline left behind costs megabytes: 50 of them would show; smaller
    leaks are LeakSanitizer's, in the sanitizer build, whose own
    quarantine makes RSS meaningless there). A viewer who comes after them
    (the stream has run for longer than a wait_for by then) plays at once,
    as the first did."""

    CYCLES = 50
    WARM_UP = 10
    MEMORY_SLACK = 12 * 1024 * 1024

    def rss(self):
        with open("/proc/%d/status" % self.server.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        raise AssertionError("no VmRSS")

    def cycle(self, stream, i):
        v = WebRtcViewer(self.ws_url(), stream, self.play_token(stream))
        v.start()
        try:
            self.assertTrue(v.wait_for_definition("play_started"),
                            (i, v.definitions(), v.errors))
        finally:
            if i % 2:
                v.close()
            else:
                v.stop()

    def counts(self):
        pid = self.server.pid
        return (len(os.listdir("/proc/%d/task" % pid)),
                len(os.listdir("/proc/%d/fd" % pid)))

    def test_connect_disconnect_cycles(self):
        s = unique_id()
        self.publish(s)
        self.assertPlays(self.viewer(s, self.play_token(s)))
        before = self.counts()
        for i in range(self.WARM_UP):
            self.cycle(s, i)
        memory = self.rss()
        for i in range(self.CYCLES):
            self.cycle(s, i)
        self.assertTrue(wait_for(lambda: self.counts() <= before),
                        (before, self.counts()))
        if not os.environ.get("TOLLGATE_SANITIZER_PRELOAD"):
            self.assertLess(self.rss() - memory, self.MEMORY_SLACK,
                            (memory, self.rss()))
        self.assertPlays(self.viewer(s, self.play_token(s)))
        self.assertHealthy()


if __name__ == "__main__":
    unittest.main()
