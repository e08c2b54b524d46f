"""Play admission for each play scheme of an app (PROTOCOL.md 2.1, 2.2, 4,
5): none, one-time tokens (playTokenControlEnabled) and JWTs
(playJwtControlEnabled with jwtStreamSecretKey), over HTTP
(/{app}/streams/) and WebRTC (play over /{app}/websocket), against a live
stream published with ffmpeg over RTMP as users publish (H.264 High with
B-frames, 48 kHz AAC); a play for a stream that is not live is refused for
a bad token before it is told to wait; the tokencheck element in
gst-launch-1.0 checks a JWT against the server's own database.

One server and one live stream per scheme, reused by every row."""

import json
import os
import secrets
import subprocess
import time
import unittest
import urllib.parse

import websocket

from jwt_tool import forge
from test_gst_launch import gst_launch
from test_rtmp import RtmpTestCase, wait_for
from tollgate_fixture import APP, TOKEN_KEYS, future, unique_id
from webrtc_client import WebRtcViewer

REFUSED = "Invalid Token for streamId:%s"
REFUSED_JWT = "Invalid JWT Token"
SECRET = secrets.token_urlsafe(30)       # 40 characters
OTHER_SECRET = secrets.token_urlsafe(30)
LIVE_TIMEOUT = 30


class AdmissionCase(RtmpTestCase):
    """A server whose LiveApp plays under SCHEME, with one stream live."""

    SCHEME = {}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.publisher = None
        try:
            r = cls.server.set_settings(cls.SCHEME)
            if r.status != 200 or not r.json()["success"]:
                raise AssertionError("settings %r refused: %r"
                                     % (cls.SCHEME, r))
            cls.stream = unique_id("live")
            cls.go_live()
        except BaseException:
            cls.stop_publisher()
            super().tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.stop_publisher()
        super().tearDownClass()

    @classmethod
    def stop_publisher(cls):
        if cls.publisher is not None:
            cls.publisher.kill()
            cls.publisher.wait()
            cls.publisher = None

    @classmethod
    def waiting_token(cls):
        """A token that lets a play of the stream wait for it."""
        return None

    @classmethod
    def go_live(cls):
        """Publish the stream; return once a viewer waiting for it has
        heard streaming_started (the server knows its tracks) and its HLS
        playlist lists a segment."""
        s = cls.stream
        ws = websocket.create_connection(cls.ws_url_of(cls.server),
                                         timeout=LIVE_TIMEOUT)
        try:
            message = {"command": "play", "streamId": s}
            token = cls.waiting_token()
            if token is not None:
                message["token"] = token
            ws.send(json.dumps(message))
            reply = json.loads(ws.recv())
            if (reply.get("definition"), reply.get("information")) != (
                    "no_stream_exist", "stream_not_exist_or_not_streaming"):
                raise AssertionError("a play before the stream is live: %r"
                                     % reply)
            url = "rtmp://127.0.0.1:%d/%s/%s" % (cls.server.rtmp_port, APP,
                                                  s)
            cls.publisher = subprocess.Popen(
                ["ffmpeg", "-nostdin", "-loglevel", "error", "-re",
                 "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25",
                 "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
                 "-t", "300", "-c:v", "libx264", "-profile:v", "high",
                 "-preset", "veryfast", "-bf", "2", "-g", "25",
                 "-pix_fmt", "yuv420p", "-c:a", "aac", "-ar", "48000",
                 "-f", "flv", url],
                stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            while True:
                m = json.loads(ws.recv())
                if m.get("definition") == "streaming_started":
                    break
        finally:
            ws.close()
        playlist = os.path.join(cls.server.data_dir, "streams", APP,
                                s + ".m3u8")

        def has_segment():
            try:
                with open(playlist) as f:
                    return ".ts" in f.read()
            except FileNotFoundError:
                return False
        if not wait_for(has_segment, timeout=LIVE_TIMEOUT):
            raise AssertionError("no HLS segment of %s" % s)

    # -- clients --------------------------------------------------------
    @staticmethod
    def ws_url_of(server):
        return "ws://127.0.0.1:%d/%s/websocket" % (server.http_port, APP)

    def ws_url(self):
        return self.ws_url_of(self.server)

    def ws_play(self, stream, token=None):
        """The server's answer to a play on a fresh WebSocket: its first
        error, notification or offer for the stream."""
        ws = websocket.create_connection(self.ws_url(), timeout=15)
        try:
            message = {"command": "play", "streamId": stream}
            if token is not None:
                message["token"] = token
            ws.send(json.dumps(message))
            while True:
                m = json.loads(ws.recv())
                if m.get("command") in ("error", "notification",
                                        "takeConfiguration"):
                    return m
        finally:
            ws.close()

    @staticmethod
    def brief(reply):
        """A reply for a failure message: an offer without its SDP."""
        return {k: v for k, v in reply.items() if k != "sdp"}

    def assertWsRefused(self, stream, token):
        reply = self.ws_play(stream, token)
        self.assertEqual((reply.get("command"), reply.get("definition"),
                          reply.get("streamId")),
                         ("error", "unauthorized_access", stream),
                         self.brief(reply))

    def assertWsNotLive(self, stream, token):
        reply = self.ws_play(stream, token)
        self.assertEqual((reply.get("command"), reply.get("definition"),
                          reply.get("streamId")),
                         ("error", "no_stream_exist", stream),
                         self.brief(reply))
        self.assertEqual(reply.get("error_code"), "404", reply)

    def viewer(self, token):
        v = WebRtcViewer(self.ws_url(), self.stream, token)
        self.addCleanup(v.stop)
        return v.start()

    def assertAdmitted(self, v):
        """The server offered, the client answered, ICE connected: the
        server says play_started."""
        self.assertTrue(v.wait_for_definition("play_started"),
                        (v.definitions(), v.errors))
        offer = next(m for m in v.messages
                     if m.get("command") == "takeConfiguration")
        self.assertEqual(offer["type"], "offer")
        self.assertIsInstance(offer.get("idMapping"), dict, offer)
        self.assertNotIn("unauthorized_access", v.definitions())
        self.assertEqual(v.errors, [])

    def streams_path(self, name, token=None):
        path = "/%s/streams/%s" % (APP, name)
        if token is not None:
            path += "?" + urllib.parse.urlencode({"token": token})
        return path

    def first_segment(self, playlist_body):
        """The first media URI of a playlist, without its query."""
        for line in playlist_body.decode().splitlines():
            if line and not line.startswith("#"):
                return line.split("?")[0]
        self.fail("no segment in %r" % playlist_body)

    def assertPlaylist(self, r):
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.content_type, "application/vnd.apple.mpegurl")
        self.assertTrue(r.body.startswith(b"#EXTM3U"), r)
        segment = self.first_segment(r.body)
        self.assertRegex(segment, r"^%s\d{9}\.ts$" % self.stream)
        return segment

    def assertSegment(self, r):
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.content_type, "video/mp2t")
        self.assertGreater(len(r.body), 188)
        self.assertEqual(r.body[0], 0x47, "not MPEG-TS")

    def play_token(self, stream):
        return self.mint_ok(stream, "play")["tokenId"]


class NoSchemeTest(AdmissionCase):
    SCHEME = {"playTokenControlEnabled": False,
              "playJwtControlEnabled": False}

    def test_http_plays_without_token(self):
        segment = self.assertPlaylist(self.server.get(
            self.streams_path(self.stream + ".m3u8")))
        r = self.server.get(self.streams_path(segment))
        self.assertSegment(r)
        self.assertIsNone(r.headers.get("Set-Cookie"))

    def test_webrtc_plays_without_token(self):
        v = self.viewer(None)
        self.assertAdmitted(v)
        self.assertTrue(v.wait_for(lambda: v.decoded_frames > 0),
                        (v.definitions(), v.errors))

    def test_not_live_play_waits_without_token(self):
        reply = self.ws_play(unique_id("off"))
        self.assertEqual(reply.get("definition"), "no_stream_exist", reply)
        self.assertEqual(reply.get("information"),
                         "stream_not_exist_or_not_streaming", reply)


class OneTimeTokenTest(AdmissionCase):
    SCHEME = {"playJwtControlEnabled": False,
              "playTokenControlEnabled": True,
              "jwtStreamSecretKey": SECRET}

    @classmethod
    def waiting_token(cls):
        r = cls.server.mint(cls.stream, "play")
        if r.status != 200:
            raise AssertionError("mint: %r" % r)
        cls.waited_with = r.json()["tokenId"]
        return cls.waited_with

    def assertRefused(self, r, stream):
        self.assertEqual(r.status, 403, r)
        self.assertEqual(r.body.decode(), REFUSED % stream)

    def test_http_refuses_without_or_with_a_bad_token(self):
        s = self.stream
        other = self.play_token(unique_id())
        jwt = self.assertJson(self.server.get(
            "/%s/rest/v2/broadcasts/%s/jwt-token?expireDate=%d&type=play"
            % (APP, s, future())), 200)["tokenId"]
        for name, token in (("none", None), ("unknown", "nope"),
                            ("another stream's", other),
                            ("publish", self.mint_ok(s, "publish")
                             ["tokenId"]),
                            ("JWT", jwt)):
            with self.subTest(token=name):
                self.assertRefused(self.server.get(
                    self.streams_path(s + ".m3u8", token)), s)

    def test_http_valid_token_plays_once_then_its_session_carries(self):
        s = self.stream
        token = self.play_token(s)
        r = self.server.get(self.streams_path(s + ".m3u8", token))
        segment = self.assertPlaylist(r)
        cookie = r.headers.get("Set-Cookie")
        self.assertIsNotNone(cookie, r.headers)
        cookie = {"Cookie": cookie.split(";")[0]}
        self.assertSegment(self.server.get(self.streams_path(segment),
                                           headers=cookie))
        self.assertPlaylist(self.server.get(self.streams_path(s + ".m3u8"),
                                            headers=cookie))
        # Spent: it opens no session for another client (its own client
        # resumes its session with it: test_streams).
        self.assertNotIn(token, self.tokens_of(s))
        self.assertRefused(self.server.get(self.streams_path(s + ".m3u8",
                                                             token),
                                           source="127.0.0.2"), s)
        self.assertRefused(self.server.get(self.streams_path(segment)), s)

    def test_webrtc_refuses_without_or_with_a_bad_token(self):
        s = self.stream
        publish = self.mint_ok(s, "publish")["tokenId"]
        other_stream = unique_id()
        other = self.play_token(other_stream)
        for name, token in (("none", None), ("unknown", "nope"),
                            ("publish", publish), ("another stream's", other)):
            with self.subTest(token=name):
                self.assertWsRefused(s, token)
        # A failed check leaves the tokens where they were.
        self.assertIn(publish, self.tokens_of(s))
        self.assertEqual(self.tokens_of(other_stream), [other])

    def test_webrtc_valid_token_admits_and_is_spent(self):
        s = self.stream
        token = self.play_token(s)
        self.assertAdmitted(self.viewer(token))
        self.assertTrue(wait_for(lambda: token not in self.tokens_of(s)),
                        self.tokens_of(s))
        self.assertWsRefused(s, token)

    def test_the_waiting_token_was_kept(self):
        """go_live's viewer waited with a valid token: it is not spent
        by a play that could not start."""
        self.assertIn(self.waited_with, self.tokens_of(self.stream))

    def test_not_live_bad_token_refused_valid_one_kept(self):
        s = unique_id("off")
        token = self.play_token(s)
        publish = self.mint_ok(s, "publish")["tokenId"]
        for name, bad in (("none", None), ("unknown", "nope"),
                          ("publish", publish)):
            with self.subTest(token=name):
                self.assertWsRefused(s, bad)
        self.assertWsNotLive(s, token)
        self.assertEqual(sorted(self.tokens_of(s)), sorted([token, publish]))


class JwtTest(AdmissionCase):
    SCHEME = {"playTokenControlEnabled": False,
              "playJwtControlEnabled": True,
              "jwtStreamSecretKey": SECRET}

    @classmethod
    def waiting_token(cls):
        return forge({"streamId": cls.stream, "type": "play",
                      "exp": future()}, SECRET)

    def mint_jwt(self, stream, type="play", expire=None):
        r = self.server.get(
            "/%s/rest/v2/broadcasts/%s/jwt-token?expireDate=%d&type=%s"
            % (APP, stream, future() if expire is None else expire, type))
        tok = self.assertJson(r, 200)
        self.assertEqual(set(tok), TOKEN_KEYS, tok)
        self.assertEqual((tok["streamId"], tok["type"]), (stream, type))
        self.assertEqual(tok["tokenId"].count("."), 2, tok)
        return tok["tokenId"]

    def bad_tokens(self, stream):
        """Every token that must not play stream, by what is wrong."""
        claims = {"streamId": stream, "type": "play", "exp": future()}
        return (
            ("signed with another key", forge(claims, OTHER_SECRET)),
            ("expired", forge(dict(claims, exp=int(time.time()) - 3600),
                              SECRET)),
            ("another stream's", self.mint_jwt(unique_id())),
            ("publish", self.mint_jwt(stream, "publish")),
            ("alg none", forge(claims, SECRET, alg="none",
                               header={"alg": "none", "typ": "JWT"})),
            ("alg HS512", forge(claims, SECRET, alg="HS512")),
            ("one-time", self.play_token(stream)),
        )

    def assertRefused(self, r):
        self.assertEqual(r.status, 403, r)
        self.assertEqual(r.body.decode(), REFUSED_JWT)

    def test_http_refuses_without_a_jwt(self):
        self.assertRefused(self.server.get(
            self.streams_path(self.stream + ".m3u8")))

    def test_http_refuses_bad_jwts(self):
        s = self.stream
        for name, token in self.bad_tokens(s) + (("unknown", "nope"),):
            with self.subTest(token=name):
                self.assertRefused(self.server.get(
                    self.streams_path(s + ".m3u8", token)))

    def test_http_valid_jwt_plays_and_is_reusable(self):
        s = self.stream
        jwt = self.mint_jwt(s)
        segment = self.assertPlaylist(self.server.get(
            self.streams_path(s + ".m3u8", jwt)))
        # Again, on a fresh connection, without any cookie.
        self.assertPlaylist(self.server.get(self.streams_path(s + ".m3u8",
                                                              jwt)))
        self.assertSegment(self.server.get(self.streams_path(segment, jwt)))
        # One forged here with the app's key plays as well (the control
        # for the forged refusals).
        forged = forge({"streamId": s, "type": "play", "exp": future()},
                       SECRET)
        self.assertPlaylist(self.server.get(self.streams_path(s + ".m3u8",
                                                              forged)))

    def test_webrtc_refuses_without_or_with_bad_jwts(self):
        s = self.stream
        bad = self.bad_tokens(s)
        for name, token in (("none", None),) + bad:
            with self.subTest(token=name):
                self.assertWsRefused(s, token)
        one_time = dict(bad)["one-time"]
        self.assertIn(one_time, self.tokens_of(s))

    def test_webrtc_valid_jwt_admits_twice(self):
        jwt = self.mint_jwt(self.stream)
        viewers = [self.viewer(jwt), self.viewer(jwt)]
        for v in viewers:
            self.assertAdmitted(v)

    def test_not_live_bad_jwt_refused_valid_one_waits(self):
        s = unique_id("off")
        for name, token in (("none", None),) + self.bad_tokens(s):
            with self.subTest(token=name):
                self.assertWsRefused(s, token)
        self.assertWsNotLive(s, self.mint_jwt(s))

    def test_tokencheck_element_checks_jwts(self):
        s = unique_id()
        db = os.path.join(self.server.data_dir, "tollgate.db")

        def run(token):
            return gst_launch("videotestsrc", "num-buffers=10", "!",
                              "tokencheck", "store=sqlite://" + db,
                              "app=" + APP, "stream-id=" + s, "type=play",
                              "token=" + token, "!", "fakesink")
        good = run(self.mint_jwt(s))
        self.assertEqual(good.returncode, 0, good.stdout + good.stderr)
        bad_jwt = forge({"streamId": s, "type": "play", "exp": future()},
                        OTHER_SECRET)
        bad = run(bad_jwt)
        output = bad.stdout + bad.stderr
        self.assertNotEqual(bad.returncode, 0, output)
        self.assertIn("Token refused for stream %s" % s, output)
        self.assertNotIn(bad_jwt, output)


if __name__ == "__main__":
    unittest.main()
