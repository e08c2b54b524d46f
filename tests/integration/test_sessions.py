"""Sessions (README "Sessions"): every admitted publisher and viewer,
listed over REST with its door, address, bytes and credential tag, and
ended by an operator whatever its door: real ffmpeg publishers and viewers
over RTMP and SRT, and HLS playback sessions; each start and end a line of
the audit log; the broadcasts' viewer counts and the metrics read from
them."""

import hashlib
import json
import os
import subprocess
import urllib.parse

from test_rtmp import USER_AUDIO, USER_TONE, USER_VIDEO, wait_for
from test_srt import SrtTestCase
from test_webrtc import WebRtcTestCase
from tollgate_fixture import APP, unique_id
from whip_client import WhepViewer


def tag_of(token):
    """A credential's tag as the server gives it: never the token."""
    return "#" + hashlib.sha256(token.encode()).hexdigest()[:8]


def viewer(url):
    return subprocess.Popen(
        ["ffmpeg", "-nostdin", "-v", "error", "-i", url, "-f", "null", "-"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


class SessionsTest(SrtTestCase):

    def setUp(self):
        super().setUp()
        self.procs = []
        self.server.set_settings({"publishTokenControlEnabled": True,
                                  "playTokenControlEnabled": True})

    def tearDown(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
            p.wait()
            if p.stderr:
                p.stderr.close()
        self.server.set_settings({"publishTokenControlEnabled": False,
                                  "playTokenControlEnabled": False})
        super().tearDown()

    def path(self, stream, rest=""):
        return "/%s/rest/v2/broadcasts/%s/sessions%s" % (APP, stream, rest)

    def sessions(self, stream):
        r = self.server.get(self.path(stream))
        self.assertEqual(r.status, 200, r)
        return r.json()

    def of(self, stream, door, type):
        return [s for s in self.sessions(stream)
                if s["door"] == door and s["type"] == type]

    def publish(self):
        """An RTMP publisher with its token; returns once it plays (its
        first HLS segment)."""
        s = unique_id()
        token = self.mint_ok(s, "publish")["tokenId"]
        p = self.ffmpeg(self.url(s, token), seconds=60, wait=False)
        self.procs.append(p)
        self.assertTrue(wait_for(lambda: "%s000000000.ts" % s
                                 in self.playlist(s)), self.files_of(s))
        return s, token, p

    def play(self, url):
        p = viewer(url)
        self.procs.append(p)
        return p

    def srt_play_url(self, stream, token):
        return self.srt_url("#!::r=%s/%s,m=request,t=%s" % (APP, stream,
                                                             token))

    def audit_lines(self, stream):
        with open(os.path.join(self.server.data_dir, "audit.log"),
                  encoding="utf-8") as f:
            lines = [json.loads(line) for line in f]
        return [line for line in lines if line.get("stream") == stream]

    def test_publisher_and_viewers_listed_and_one_ended(self):
        s, publish_token, publisher = self.publish()
        tokens = [self.mint_ok(s, "play")["tokenId"] for _ in range(2)]
        rtmp = self.play(self.url(s, tokens[0]))
        srt = self.play(self.srt_play_url(s, tokens[1]))
        self.assertTrue(wait_for(lambda: len(self.sessions(s)) == 3),
                        self.sessions(s))
        [pub] = self.of(s, "RTMP", "publish")
        self.assertEqual(pub["streamId"], s)
        self.assertEqual(pub["remoteIp"], "127.0.0.1")
        self.assertEqual(pub["credential"], tag_of(publish_token))
        [rtmp_session] = self.of(s, "RTMP", "play")
        [srt_session] = self.of(s, "SRT", "play")
        self.assertEqual(rtmp_session["credential"], tag_of(tokens[0]))
        self.assertEqual(srt_session["credential"], tag_of(tokens[1]))
        # Bytes flow both ways.
        self.assertTrue(wait_for(lambda: self.of(s, "RTMP", "publish")[0]
                                 ["bytesIn"] > 10000))
        self.assertTrue(wait_for(lambda: self.of(s, "RTMP", "play")[0]
                                 ["bytesOut"] > 10000))
        listed = json.dumps(self.sessions(s))
        for t in tokens + [publish_token]:
            self.assertNotIn(t, listed)
        # The broadcast's counts are the sessions'.
        b = self.server.get("/%s/rest/v2/broadcasts/%s" % (APP, s)).json()
        self.assertEqual((b["rtmpViewerCount"], b["srtViewerCount"]), (1, 1))
        # The RTMP viewer is ended: it is cut, the others play on.
        r = self.server.delete(self.path(s, "/" + rtmp_session["sessionId"]))
        self.assertResult(r, 200, True)
        rtmp.wait(timeout=20)
        self.assertTrue(wait_for(lambda: self.of(s, "RTMP", "play") == []))
        self.assertIsNone(srt.poll())
        self.assertIsNone(publisher.poll())
        b = self.server.get("/%s/rest/v2/broadcasts/%s" % (APP, s)).json()
        self.assertEqual((b["rtmpViewerCount"], b["srtViewerCount"]), (0, 1))
        # Gone: a second end finds nothing.
        r = self.server.delete(self.path(s, "/" + rtmp_session["sessionId"]))
        self.assertResult(r, 404, False, "No such session")
        # The audit log: its start and its end, by the operator.
        ends = [line for line in self.audit_lines(s)
                if line["event"] == "session-end"
                and line["session"] == rtmp_session["sessionId"]]
        self.assertEqual(len(ends), 1, self.audit_lines(s))
        self.assertEqual(ends[0]["reason"], "ended-by-operator")
        self.assertEqual(ends[0]["door"], "RTMP")
        self.assertEqual(ends[0]["credential"], tag_of(tokens[0]))
        self.assertGreater(ends[0]["bytesOut"], 0)
        starts = [line for line in self.audit_lines(s)
                  if line["event"] == "session-start"]
        self.assertEqual(len(starts), 3, starts)
        with open(os.path.join(self.server.data_dir, "audit.log"),
                  encoding="utf-8") as f:
            text = f.read()
        for t in tokens + [publish_token]:
            self.assertNotIn(t, text)

    def test_end_every_viewer_then_the_publisher(self):
        s, _, publisher = self.publish()
        viewers = [self.play(self.url(s, self.mint_ok(s, "play")["tokenId"])),
                   self.play(self.srt_play_url(
                       s, self.mint_ok(s, "play")["tokenId"]))]
        self.assertTrue(wait_for(lambda: len(self.sessions(s)) == 3),
                        self.sessions(s))
        r = self.server.delete(self.path(s, "?type=play"))
        self.assertResult(r, 200, True, "2 sessions ended")
        self.assertEqual(r.json()["dataId"], "2")
        for v in viewers:
            v.wait(timeout=20)
        self.assertTrue(wait_for(lambda: [x["type"] for x in
                                          self.sessions(s)] == ["publish"]))
        self.assertIsNone(publisher.poll())
        # The publisher is cut, its stream finalised.
        r = self.server.delete(self.path(s, "?type=publish"))
        self.assertResult(r, 200, True, "1 sessions ended")
        publisher.wait(timeout=20)
        self.assertTrue(wait_for(lambda: self.ended(s)))
        self.assertEqual(self.sessions(s), [])

    def test_revoking_tokens_ends_sessions_when_asked(self):
        s, _, publisher = self.publish()
        v = self.play(self.url(s, self.mint_ok(s, "play")["tokenId"]))
        self.assertTrue(wait_for(lambda: len(self.sessions(s)) == 2))
        # Without sessions=true the sessions stay.
        r = self.server.delete("/%s/rest/v2/broadcasts/%s/tokens" % (APP, s))
        self.assertResult(r, 200, True)
        self.assertEqual(len(self.sessions(s)), 2)
        self.assertIsNone(v.poll())
        r = self.server.delete("/%s/rest/v2/broadcasts/%s/tokens?sessions=true"
                               % (APP, s))
        self.assertResult(r, 200, True)
        v.wait(timeout=20)
        publisher.wait(timeout=20)
        self.assertTrue(wait_for(lambda: self.sessions(s) == []))

    def test_hls_session_ended_refuses_its_key(self):
        s, _, _ = self.publish()
        token = self.mint_ok(s, "play")["tokenId"]
        playlist = "/%s/streams/%s.m3u8" % (APP, s)
        r = self.server.get(playlist + "?token=" + token)
        self.assertEqual(r.status, 200, r)
        cookie = r.headers["Set-Cookie"].split(";")[0]
        [session] = self.of(s, "HLS", "play")
        self.assertEqual(session["credential"], tag_of(token))
        self.assertGreater(session["bytesOut"], 0)
        b = self.server.get("/%s/rest/v2/broadcasts/%s" % (APP, s)).json()
        self.assertEqual(b["hlsViewerCount"], 1)
        # The session plays on with its cookie, with no token.
        self.assertEqual(self.server.get(
            playlist, headers={"Cookie": cookie}).status, 200)
        r = self.server.delete(self.path(s, "/" + session["sessionId"]))
        self.assertResult(r, 200, True)
        # Ended: its cookie is refused, and so is its spent token.
        self.assertEqual(self.server.get(
            playlist, headers={"Cookie": cookie}).status, 403)
        self.assertEqual(self.server.get(
            playlist + "?token=" + token).status, 403)
        self.assertTrue(wait_for(lambda: self.of(s, "HLS", "play") == []))
        # A new token opens a new session.
        fresh = self.mint_ok(s, "play")["tokenId"]
        self.assertEqual(self.server.get(
            playlist + "?token=" + fresh).status, 200)
        self.assertEqual(len(self.of(s, "HLS", "play")), 1)

    def test_bad_requests(self):
        s = unique_id()
        self.assertEqual(self.sessions(s), [])
        r = self.server.delete(self.path(s, "?type=viewers"))
        self.assertResult(r, 400, False, "type must be play or publish")
        r = self.server.delete(self.path(s, "/no-such-session"))
        self.assertResult(r, 404, False, "No such session")
        r = self.server.delete("/%s/rest/v2/broadcasts/%s/tokens?sessions=yes"
                               % (APP, s))
        self.assertResult(r, 400, False, "sessions must be true or false")
        r = self.server.request("POST", self.path(s), body=b"{}")
        self.assertEqual(r.status, 405, r)
        self.assertEqual(r.headers["Allow"], "GET, DELETE")
        r = self.server.get(self.path(s), source="127.0.0.2")
        self.assertEqual(r.status, 403, r)
        # Percent-escaped ids are ids like any other.
        r = self.server.get(self.path(urllib.parse.quote("a b", safe="")))
        self.assertEqual(r.status, 200, r)
        self.assertHealthy()

    def test_metrics_bytes_by_door(self):
        s, _, _ = self.publish()
        v = self.play(self.url(s, self.mint_ok(s, "play")["tokenId"]))
        self.assertTrue(wait_for(lambda: self.of(s, "RTMP", "play") != []))

        def sample(name, door):
            text = self.server.get("/metrics").body.decode()
            for line in text.splitlines():
                if line.startswith('%s{door="%s"} ' % (name, door)):
                    return float(line.split()[1])
            return None
        self.assertTrue(wait_for(lambda: (sample(
            "tollgate_received_bytes_total", "rtmp") or 0) > 10000))
        self.assertTrue(wait_for(lambda: (sample(
            "tollgate_sent_bytes_total", "rtmp") or 0) > 10000))
        self.assertEqual(sample("tollgate_live_viewers", "rtmp"), 1)
        v.kill()
        v.wait()
        self.assertTrue(wait_for(lambda: sample("tollgate_live_viewers",
                                                "rtmp") == 0))
        # Counters keep what closed sessions sent.
        self.assertGreater(sample("tollgate_sent_bytes_total", "rtmp"), 10000)


class WebRtcRtspSessionsTest(WebRtcTestCase):
    """WebRTC (signalling and WHEP) and RTSP viewers: sessions like the
    others, each cut its door's way."""
    SERVER_KW = dict(WebRtcTestCase.SERVER_KW,
                     extra_args=["--rtmp-port", "1", "--rtsp-port", "1"])

    def sessions(self, stream):
        r = self.server.get("/%s/rest/v2/broadcasts/%s/sessions"
                            % (APP, stream))
        self.assertEqual(r.status, 200, r)
        return r.json()

    def end(self, stream, session):
        r = self.server.delete("/%s/rest/v2/broadcasts/%s/sessions/%s"
                               % (APP, stream, session["sessionId"]))
        self.assertResult(r, 200, True)

    def doors(self, stream):
        return sorted(s["door"] for s in self.sessions(stream)
                      if s["type"] == "play")

    def test_each_door_cut(self):
        s = unique_id()
        # As users publish: H.264 High with B-frames, AAC at 48 kHz.
        self.publish_with(s, USER_VIDEO, USER_TONE, USER_AUDIO)
        webrtc = self.viewer(s, self.play_token(s))
        self.assertPlays(webrtc)
        whep = WhepViewer(self.server.http_port, APP, s, self.play_token(s))
        self.addCleanup(whep.stop)
        self.assertEqual(whep.start().status, 201)
        token = self.mint_ok(s, "play")["tokenId"]
        rtsp = subprocess.Popen(
            ["ffmpeg", "-nostdin", "-v", "error", "-rtsp_transport", "tcp",
             "-i", "rtsp://127.0.0.1:%d/%s/%s?token=%s"
             % (self.server.rtsp_port, APP, s, token), "-f", "null", "-"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.addCleanup(rtsp.wait)
        self.addCleanup(rtsp.kill)
        self.assertTrue(wait_for(lambda: self.doors(s) == [
            "RTSP", "WHEP", "WebRTC"]), self.sessions(s))
        by_door = {x["door"]: x for x in self.sessions(s)}
        self.assertEqual(by_door["RTSP"]["credential"], tag_of(token))
        # What the WebRTC viewers are sent, what the publisher sends.
        for door in ("WebRTC", "WHEP"):
            self.assertTrue(wait_for(lambda: [
                x for x in self.sessions(s) if x["door"] == door][0][
                    "bytesOut"] > 1000), self.sessions(s))
        [pub] = [x for x in self.sessions(s) if x["type"] == "publish"]
        self.assertGreater(pub["bytesIn"], 1000)
        b = self.server.get("/%s/rest/v2/broadcasts/%s" % (APP, s)).json()
        self.assertEqual((b["webRTCViewerCount"], b["rtspViewerCount"]),
                         (2, 1))
        # WebRTC over the signalling: its player is told, its peer goes.
        self.end(s, by_door["WebRTC"])
        self.assertTrue(webrtc.wait_for_definition("play_finished"))
        self.assertTrue(wait_for(lambda: self.doors(s) == ["RTSP", "WHEP"]))
        # RTSP: its connection is closed; ffmpeg ends.
        self.end(s, by_door["RTSP"])
        rtsp.wait(timeout=20)
        self.assertTrue(wait_for(lambda: self.doors(s) == ["WHEP"]))
        # WHEP: its resource is gone.
        self.end(s, by_door["WHEP"])
        self.assertTrue(wait_for(lambda: self.doors(s) == []))
        self.assertEqual(whep.delete().status, 404)
