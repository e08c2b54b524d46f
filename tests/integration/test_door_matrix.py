"""Every stream, whichever door it came in by, leaves by every door (issue
14): a stream published over RTMP, SRT, RTSP (ANNOUNCE and RECORD) or
WebRTC (the WebSocket) plays over RTMP, SRT, RTSP, WebRTC (the WebSocket)
and HLS, each play through a one-time play token of its own, and each
player gets video and audio.

The ffmpeg publishers send what users send (H.264 High with B-frames,
AAC at 48 kHz), the WebRTC publisher what webrtc_client.py sends (H.264
constrained baseline, Opus, made AAC once for the stream's HLS). ffprobe
reads each door but WebRTC for a few seconds and must find one H.264 and
one AAC track, with packets of both, the H.264 as it was published: its
profile, and its B-frames (a re-encode by the server would make
constrained baseline without them; WebRTC viewers alone get a B-frames
stream re-encoded, as browsers need, README "WebRTC viewers"). The WebRTC
viewer (webrtc_client.WebRtcViewer) must decode frames of the picture's
size and get audio. Publish and play tokens are spent (gone from the
stream's tokens), and none shows in the server's log.

One server for the file; one test a publishing door, whose five players
play at once; a subtest a (publishing door, playing door) pair."""

import json
import subprocess
import unittest

import test_rtsp_record
from test_rtmp import wait_for
from test_rtmp_play import LOG_ENV, PlayMixin
from test_rtsp_play import RtspMixin
from test_srt import SrtTestCase
from test_webrtc import WebRtcTestCase
from tollgate_fixture import APP, unique_id
from webrtc_client import WebRtcPublisher

RTMP, SRT, RTSP, WEBRTC, HLS = "RTMP", "SRT", "RTSP", "WebRTC", "HLS"
PLAY_DOORS = (RTMP, SRT, RTSP, WEBRTC, HLS)

# The H.264 profile each publisher sends, and whether it has B-frames.
PUBLISHED_VIDEO = {RTMP: ("High", True), SRT: ("High", True),
                   RTSP: ("High", True),
                   WEBRTC: ("Constrained Baseline", False)}

# Seconds of the stream ffprobe reads, and the packets of each track it
# must count in them (the stream has 25 or 30 frames and 47 AAC frames a
# second; a player joins at the last key frame, a second back at most).
READ_SECONDS = 3
MIN_PACKETS = 40
# The longest a publisher may take to write its first HLS segment, and a
# player to play, on a loaded machine.
LIVE_TIMEOUT = 30
PLAY_TIMEOUT = 60


class DoorMatrixTest(PlayMixin, WebRtcTestCase, SrtTestCase):
    SERVER_KW = dict(env=LOG_ENV, extra_args=[
        "--rtmp-port", "1", "--srt-port", "1", "--rtsp-port", "1"])

    rtsp_url = RtspMixin.rtsp_url
    ffmpeg_rtsp = test_rtsp_record.RtspRecordTest.ffmpeg_rtsp

    def setUp(self):
        super().setUp()
        # Segments of a second: the stream plays (its first segment is
        # written) a second after it starts.
        self.assertResult(self.server.set_settings({
            "publishTokenControlEnabled": True,
            "playTokenControlEnabled": True,
            "playJwtControlEnabled": False, "hlsTime": "1"}), 200,
            success=True)

    # -- publishers --------------------------------------------------------

    def start_publisher(self, door, stream, token):
        """Publishes stream through door for a minute (it is stopped once
        played); returns a function that stops it and returns what it
        said."""
        if door == WEBRTC:
            p = WebRtcPublisher(self.ws_url(), stream, token).start()

            def stop():
                p.stop()
                return "WebRTC publisher: %r %r" % (p.definitions(), p.errors)
            self.addCleanup(p.stop)
            self.assertTrue(p.wait_for_definition("publish_started",
                                                  LIVE_TIMEOUT),
                            (p.definitions(), p.errors, self.said(stream)))
            return stop
        if door == RTMP:
            p = self.ffmpeg(self.url(stream, token), seconds=60, wait=False)
        elif door == SRT:
            p = self.srt_ffmpeg("%s/%s,token=%s" % (APP, stream, token),
                                seconds=60, wait=False)
        else:
            p = self.ffmpeg_rtsp(stream, token, seconds=60, wait=False)

        def stop():
            if p.poll() is None:
                p.kill()
            _, err = p.communicate()
            return "%s publisher (exit %s): %s" % (door, p.returncode, err)

        def cleanup():
            if p.returncode is None:
                stop()
        self.addCleanup(cleanup)
        return stop

    # -- players -----------------------------------------------------------

    def play_url(self, door, stream, token):
        if door == RTMP:
            return self.url(stream, token)
        if door == SRT:
            return self.srt_url("#!::r=%s/%s,m=request,t=%s"
                                % (APP, stream, token))
        if door == RTSP:
            return self.rtsp_url(stream, token)
        return "http://127.0.0.1:%d/%s/streams/%s.m3u8?token=%s" % (
            self.server.http_port, APP, stream, token)

    def read_through(self, door, stream, token):
        """ffprobe reading READ_SECONDS of the stream through door, counting
        each track's packets; not waited for."""
        transport = ["-rtsp_transport", "tcp"] if door == RTSP else []
        return subprocess.Popen(
            ["ffprobe", "-v", "error"] + transport
            + ["-count_packets", "-read_intervals", "%%+%d" % READ_SECONDS,
               "-show_entries", "stream=codec_type,codec_name,profile,"
               "has_b_frames,nb_read_packets", "-of", "json",
               self.play_url(door, stream, token)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def said(self, stream):
        """What the server logged about stream."""
        return "\n".join(line for line in self.server_log().splitlines()
                         if stream in line)

    # -- the matrix --------------------------------------------------------

    def plays_through_every_door(self, door):
        s = unique_id()
        publish = self.mint_ok(s, "publish")["tokenId"]
        stop_publisher = self.start_publisher(door, s, publish)
        self.assertTrue(wait_for(lambda: "%s000000000.ts" % s
                                 in self.playlist(s), timeout=LIVE_TIMEOUT),
                        (self.files_of(s), self.said(s)))
        broadcast = self.server.get("/%s/rest/v2/broadcasts/%s" % (APP, s))
        self.assertEqual(broadcast.status, 200, broadcast)
        self.assertEqual((broadcast.json()["publishType"],
                          broadcast.json()["status"]),
                         (door, "broadcasting"), broadcast)
        self.assertEqual(self.tokens_of(s), [])     # the publish token
        # Until a WebRTC play gets an offer (it spends a token of its own).
        self.wait_until_playable(s)
        tokens = {play: self.mint_ok(s, "play")["tokenId"]
                  for play in PLAY_DOORS}
        self.assertEqual(sorted(self.tokens_of(s)), sorted(tokens.values()))

        viewer = self.viewer(s, tokens[WEBRTC])
        probes = {play: self.read_through(play, s, tokens[play])
                  for play in PLAY_DOORS if play != WEBRTC}
        # The WebRTC viewer plays while the others read; judged below.
        viewer.wait_for(lambda: viewer.decoded_frames >= 10
                        and viewer.audio_buffers > 0, LIVE_TIMEOUT)
        results = {}
        for play, p in probes.items():
            try:
                out, err = p.communicate(timeout=PLAY_TIMEOUT)
            except subprocess.TimeoutExpired:
                p.kill()
                out, err = p.communicate()
                err += "\n(killed: still reading after %d s)" % PLAY_TIMEOUT
            results[play] = (p.returncode, out, err)
        left = self.tokens_of(s)
        viewer.stop()
        said = stop_publisher()
        log = self.server_log()

        for play in PLAY_DOORS:
            with self.subTest(ingest=door, play=play):
                if play == WEBRTC:
                    self.assertPlays(viewer)
                else:
                    self.assertProbed(door, *results[play],
                                      context=(said, self.said(s)))
                self.assertNotIn(tokens[play], left)
                self.assertNotIn(tokens[play], log)
        self.assertNotIn(publish, log)

    def assertProbed(self, door, returncode, out, err, context):
        """One H.264 and one AAC track, each with packets, the H.264 as
        door's publisher sends it."""
        self.assertEqual(returncode, 0, (err, context))
        streams = json.loads(out)["streams"]
        tracks = sorted((t["codec_type"], t["codec_name"]) for t in streams)
        self.assertEqual(tracks, [("audio", "aac"), ("video", "h264")],
                         (streams, err, context))
        for t in streams:
            self.assertGreaterEqual(int(t["nb_read_packets"]), MIN_PACKETS,
                                    (streams, context))
        video = next(t for t in streams if t["codec_type"] == "video")
        profile, b_frames = PUBLISHED_VIDEO[door]
        self.assertEqual((video["profile"], video["has_b_frames"] > 0),
                         (profile, b_frames), streams)

    def test_published_over_rtmp(self):
        self.plays_through_every_door(RTMP)

    def test_published_over_srt(self):
        self.plays_through_every_door(SRT)

    def test_published_over_rtsp(self):
        self.plays_through_every_door(RTSP)

    def test_published_over_webrtc(self):
        self.plays_through_every_door(WEBRTC)


if __name__ == "__main__":
    unittest.main()
