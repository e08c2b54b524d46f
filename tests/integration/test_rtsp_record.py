"""RTSP publishing (ANNOUNCE, SETUP, RECORD) with ?token=: ffmpeg -f rtsp
(H.264 High with B-frames and AAC, as users publish, over TCP and UDP;
and with Opus, made AAC) goes into the same stream
pipeline as RTMP: HLS is written, the stream plays over RTSP, the
broadcast says publishType RTSP; the publish token is spent once, and
refusals spend nothing; a REST stop ends the publisher (README "RTSP
publish")."""

import os
import random
import socket
import struct
import subprocess
import unittest

from test_rtmp import RtmpTestCase, USER_AUDIO, USER_TONE, USER_VIDEO, \
    wait_for
from test_rtsp_play import RtspMixin
from tollgate_fixture import APP, unique_id

# A minimal SDP of one H.264 track, or of a track of a codec not taken.
SDP_H264 = "\r\n".join([
    "v=0", "o=- 0 0 IN IP4 127.0.0.1", "s=x", "c=IN IP4 127.0.0.1",
    "t=0 0", "m=video 0 RTP/AVP 96", "a=rtpmap:96 H264/90000",
    "a=fmtp:96 packetization-mode=1", "a=control:streamid=0", ""])
SDP_PCMU = SDP_H264.replace("m=video 0 RTP/AVP 96", "m=audio 0 RTP/AVP 0") \
    .replace("a=rtpmap:96 H264/90000\r\n", "") \
    .replace("a=fmtp:96 packetization-mode=1\r\n", "")


class RtspRecordTest(RtspMixin, RtmpTestCase):

    def setUp(self):
        super().setUp()
        self.server.set_settings({"publishTokenControlEnabled": True})

    def ffmpeg_rtsp(self, stream, token, transport="tcp", seconds=6,
                    wait=True, audio=USER_AUDIO):
        argv = ["ffmpeg", "-nostdin", "-loglevel", "error", "-re", "-f",
                "lavfi", "-i", "testsrc=size=320x240:rate=25", "-f", "lavfi",
                "-i", USER_TONE, "-t", str(seconds)] + USER_VIDEO + \
            list(audio) + ["-rtsp_transport", transport, "-f", "rtsp",
                           self.rtsp_url(stream, token)]
        if not wait:
            return subprocess.Popen(argv, stderr=subprocess.PIPE, text=True)
        return subprocess.run(argv, capture_output=True, text=True,
                              timeout=60)

    def broadcast(self, stream):
        r = self.server.get("/%s/rest/v2/broadcasts/%s" % (APP, stream))
        return r.json() if r.status == 200 else None

    def announce_request(self, stream, token, sdp):
        return ("ANNOUNCE %s RTSP/1.0\r\nCSeq: 1\r\nContent-Type: "
                "application/sdp\r\nContent-Length: %d\r\n\r\n%s"
                % (self.rtsp_url(stream, token), len(sdp), sdp)).encode()

    def announce(self, stream, token, sdp):
        """An ANNOUNCE on a connection of its own: the status line."""
        return self.request(self.announce_request(stream, token, sdp))

    def check_recorded(self, stream, audio="aac"):
        """The stream ended and its HLS holds H.264 (High) and AAC whose
        frames all decode."""
        self.assertTrue(wait_for(lambda: self.ended(stream)),
                        self.files_of(stream))
        playlist = os.path.join(self.streams_dir(), stream + ".m3u8")
        streams = self.ffprobe(playlist, "stream=codec_name,profile").split()
        self.assertIn("h264,High", streams)
        self.assertIn(audio + ",LC", streams)
        # At 25 fps, more than a second of the stream's seconds.
        self.assertGreater(self.decoded_frames(playlist), 25)

    def test_ffmpeg_publishes_over_tcp_and_plays(self):
        s = unique_id()
        token = self.mint_ok(s, "publish")["tokenId"]
        p = self.ffmpeg_rtsp(s, token, seconds=8, wait=False)
        try:
            self.assertTrue(wait_for(lambda: "%s000000000.ts" % s
                                     in self.playlist(s), timeout=30),
                            self.server_log())
            self.assertEqual(self.broadcast(s)["publishType"], "RTSP")
            self.assertEqual(self.broadcast(s)["status"], "broadcasting")
            # It leaves by RTSP play too.
            play = self.mint_ok(s, "play")["tokenId"]
            r = self.probe_over("tcp", self.rtsp_url(s, play))
            self.assertEqual(r.returncode, 0, r.stderr + self.server_log())
            self.assertEqual(sorted(set(r.stdout.split())), ["aac", "h264"])
            self.assertEqual(p.wait(timeout=30), 0, p.stderr.read())
        finally:
            p.kill()
            p.wait()
            p.stderr.close()
        self.check_recorded(s)
        self.assertEqual(self.tokens_of(s), [])
        self.assertNotIn(token, self.server_log())
        self.assertIn("RTSP 127.0.0.1 %s/%s: publishing" % (APP, s),
                      self.server_log())

    def test_ffmpeg_publishes_over_udp(self):
        s = unique_id()
        token = self.mint_ok(s, "publish")["tokenId"]
        r = self.ffmpeg_rtsp(s, token, transport="udp")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.check_recorded(s)
        # Spent: refused at the ANNOUNCE.
        again = self.ffmpeg_rtsp(s, token, seconds=1)
        self.assertNotEqual(again.returncode, 0)
        self.assertIn("401", again.stderr)

    def test_ffmpeg_publishes_opus(self):
        """Opus over RTSP (ffmpeg's libopus) is made AAC for the stream."""
        s = unique_id()
        token = self.mint_ok(s, "publish")["tokenId"]
        r = self.ffmpeg_rtsp(s, token, audio=["-c:a", "libopus",
                                              "-ar", "48000"])
        self.assertEqual(r.returncode, 0, r.stderr)
        self.check_recorded(s)
        self.assertEqual(self.broadcast(s), None)  # its zombi went
        self.assertEqual(self.tokens_of(s), [])

    def test_refusals_spend_nothing(self):
        s = unique_id()
        token = self.mint_ok(s, "publish")["tokenId"]
        play = self.mint_ok(s, "play")["tokenId"]
        # No token, a play token, a token that is no token.
        for t in (None, play, "not-a-token"):
            self.assertEqual(self.announce(s, t, SDP_H264),
                             "RTSP/1.0 401 Unauthorized")
        # Tracks not taken, or no SDP: before the token is looked at.
        self.assertEqual(self.announce(s, token, SDP_PCMU),
                         "RTSP/1.0 415 Unsupported Media Type")
        self.assertEqual(self.announce(s, token, ""),
                         "RTSP/1.0 415 Unsupported Media Type")
        # A stream id in use (claimed by an ANNOUNCE whose connection
        # stays open).
        busy = unique_id()
        first, kept = (self.mint_ok(busy, "publish")["tokenId"]
                       for _ in range(2))
        with socket.create_connection(
                ("127.0.0.1", self.server.rtsp_port), timeout=15) as sock:
            sock.sendall(self.announce_request(busy, first, SDP_H264))
            self.assertTrue(sock.recv(4096).startswith(b"RTSP/1.0 200 OK"))
            self.assertEqual(self.announce(busy, kept, SDP_H264),
                             "RTSP/1.0 409 Conflict")
        self.assertEqual(self.tokens_of(busy), [kept])
        self.assertEqual(sorted(self.tokens_of(s)), sorted([token, play]))
        self.assertIn("RTSP 127.0.0.1 %s/%s: publish refused" % (APP, s),
                      self.server_log())
        # An ANNOUNCE admitted whose client never records: the stream id is
        # free again once its connection has closed.
        self.assertEqual(self.announce(s, token, SDP_H264),
                         "RTSP/1.0 200 OK")
        self.assertTrue(wait_for(lambda: self.broadcast(s) is None),
                        self.broadcast(s))

    def test_made_up_rtp_costs_one_publisher(self):
        """A publisher admitted with an SDP whose codec configurations are
        broken, then RTP of random payloads on its channels and others over
        TCP: its stream is refused, the
        server serves on (it once aborted in rtpulpfecdec on a lost
        packet told of before caps with an SSRC)."""
        sdp = SDP_H264.replace(
            "packetization-mode=1",
            "packetization-mode=1; sprop-parameter-sets=Z2QADaw=,aO48sA==") \
            + "\r\n".join([
                "m=audio 0 RTP/AVP 97", "a=rtpmap:97 MPEG4-GENERIC/48000/2",
                "a=fmtp:97 mode=AAC-hbr;sizelength=13;indexlength=3;"
                "indexdeltalength=3;config=FFFF", "a=control:streamid=1", ""])
        rnd = random.Random(3)
        for _ in range(2):
            s = unique_id()
            token = self.mint_ok(s, "publish")["tokenId"]
            with socket.create_connection(
                    ("127.0.0.1", self.server.rtsp_port), timeout=15) as sock:
                def request(line, headers=""):
                    sock.sendall(("%s RTSP/1.0\r\nCSeq: 1\r\n%s\r\n"
                                  % (line, headers)).encode())
                    reply = sock.recv(65536).decode(errors="replace")
                    self.assertTrue(reply.startswith("RTSP/1.0 200"), reply)
                    return reply
                sock.sendall(self.announce_request(s, token, sdp))
                self.assertTrue(sock.recv(4096).startswith(b"RTSP/1.0 200"))
                url = self.rtsp_url(s)
                reply = request("SETUP %s/streamid=0" % url,
                                "Transport: RTP/AVP/TCP;unicast;"
                                "interleaved=0-1;mode=record\r\n")
                session = reply.split("Session: ")[1].split(";")[0].split()[0]
                request("SETUP %s/streamid=1" % url,
                        "Transport: RTP/AVP/TCP;unicast;interleaved=2-3;"
                        "mode=record\r\nSession: %s\r\n" % session)
                request("RECORD %s" % url, "Session: %s\r\n" % session)
                # Sequence numbers counted over every channel: each track
                # sees small gaps, lost packets to its jitter buffer.
                for i in range(3000):
                    channel = rnd.choice([0, 1, 2, 3, 7])
                    payload = bytes(rnd.getrandbits(8)
                                    for _ in range(rnd.randint(0, 600)))
                    if rnd.random() < 0.7:
                        payload = struct.pack(
                            "!BBHII", 0x80,
                            (96 if channel < 2 else 97)
                            | (0x80 if rnd.random() < 0.3 else 0),
                            i & 0xffff, i * 3600, 1234 + channel) \
                            + bytes([rnd.choice([0x65, 0x41, 0x67, 0x68,
                                                 0x7c, 0x06])]) + payload
                    try:
                        sock.sendall(b"$" + bytes([channel])
                                     + struct.pack("!H", len(payload))
                                     + payload)
                    except OSError:
                        break  # closed by the server: a reason, and no more
        self.assertEqual(self.request(
            b"OPTIONS * RTSP/1.0\r\nCSeq: 7\r\n\r\n"), "RTSP/1.0 200 OK")
        s = unique_id()
        r = self.ffmpeg_rtsp(s, self.mint_ok(s, "publish")["tokenId"],
                             seconds=3)
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_rest_stop_ends_the_publisher(self):
        s = unique_id()
        token = self.mint_ok(s, "publish")["tokenId"]
        p = self.ffmpeg_rtsp(s, token, seconds=60, wait=False)
        try:
            self.assertTrue(wait_for(lambda: "%s000000000.ts" % s
                                     in self.playlist(s), timeout=30),
                            self.server_log())
            r = self.server.delete("/%s/rest/v2/broadcasts/%s" % (APP, s))
            self.assertEqual(r.status, 200)
            # Cut off long before its 60 s are up.
            self.assertNotEqual(p.wait(timeout=20), 0)
        finally:
            p.kill()
            p.wait()
            p.stderr.close()
        self.assertTrue(wait_for(lambda: self.ended(s)))
        self.assertIn("RTSP 127.0.0.1 %s/%s: publish over: stopped"
                      % (APP, s), self.server_log())


if __name__ == "__main__":
    unittest.main()
