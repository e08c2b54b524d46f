"""The publish admission matrix, over the three doors alike (RTMP, SRT,
WebRTC): every publish token scheme (none, one-time, JWT) with and without
acceptOnlyStreamsInDataStore, to a registered and to an unregistered stream
id, with no token, a good token and each kind of bad one, each published by
a real publisher, and the outcome checked: refusal (and, over WebRTC, its
reason), a one-time token spent or kept, a JWT reusable, the broadcast left
as it should be and the HLS/MP4 files left (PROTOCOL.md 2.1, 2.2, 2.5, 3, 5).

The files an accepted publish leaves do not depend on its door: the
hlsMuxingEnabled x mp4MuxingEnabled dimension runs over RTMP only; the
doors run with both on.

The publishes of one settings combination run at once, and the checks that
need a broadcast to be over run at the end of each test, so that slow
endings overlap. The server holds off an SRT address after ten refusals in
10 s: every SRT caller that is to be refused comes from an address of its
own (srt-live-transmit's adapter, on 127/8), so that each is refused for
its own reason and the accepted ones (ffmpeg, from 127.0.0.1) are never
held off."""

import itertools
import os
import secrets
import subprocess
import tempfile
import time
import unittest
import urllib.parse

import jwt_tool
from test_rtmp import (REFUSAL, USER_AUDIO, USER_TONE, USER_VIDEO,
                       RtmpTestCase, wait_for)
from test_srt import SrtTestCase
from tollgate_fixture import APP, future, unique_id
from webrtc_client import WebRtcPublisher

TOKENS = "publishTokenControlEnabled"
JWT = "publishJwtControlEnabled"
SECRET_KEY = "jwtStreamSecretKey"
ONLY_DEFINED = "acceptOnlyStreamsInDataStore"
HLS = "hlsMuxingEnabled"
MP4 = "mp4MuxingEnabled"
HLS_TIME = "hlsTime"
KEEP_HLS = "deleteHLSFilesOnEnded"

SECRET = secrets.token_hex(20)        # 40 characters
OTHER_SECRET = secrets.token_hex(20)

# Schemes: which setting asks for which token.
NONE, ONE_TIME, JWT_SCHEME = "none", "one-time", "jwt"
SCHEME_SETTINGS = {NONE: {TOKENS: False, JWT: False},
                   ONE_TIME: {TOKENS: True, JWT: False},
                   JWT_SCHEME: {TOKENS: False, JWT: True}}

# What a publisher presents.
NO_TOKEN = None
ONE_TIME_TOKEN = "one-time"
GOOD_JWT = "jwt"
JWT_OTHER_KEY = "jwt signed with another key"
JWT_EXPIRED = "jwt expired"
JWT_OTHER_STREAM = "jwt of another stream"
JWT_PLAY = "jwt of type play"
JWT_ALG_NONE = "jwt alg none"

KINDS = {NONE: (NO_TOKEN, ONE_TIME_TOKEN),
         ONE_TIME: (NO_TOKEN, ONE_TIME_TOKEN, GOOD_JWT),
         JWT_SCHEME: (NO_TOKEN, GOOD_JWT, JWT_OTHER_KEY, JWT_EXPIRED,
                      JWT_OTHER_STREAM, JWT_PLAY, JWT_ALG_NONE,
                      ONE_TIME_TOKEN)}
GOOD = {ONE_TIME: ONE_TIME_TOKEN, JWT_SCHEME: GOOD_JWT}

# Outcomes, and the WebRTC error definition of each refusal.
ACCEPTED = "accepted"
UNDEFINED = "not_allowed_unregistered_streams"
UNAUTHORIZED = "unauthorized_access"

RTMP, SRT, WEBRTC = "RTMP", "SRT", "WebRTC"
WEBRTC_AT_ONCE = 2
DOORS = (RTMP, SRT, WEBRTC)


def expected(scheme, only_defined, registered, kind):
    """The outcome the contract gives: the undefined-stream check first,
    then the scheme's token check."""
    if only_defined and not registered:
        return UNDEFINED
    if scheme == NONE or kind == GOOD[scheme]:
        return ACCEPTED
    return UNAUTHORIZED


def registrations(only_defined):
    """Registering only matters, and is only tried, when undefined streams
    are refused."""
    return (True, False) if only_defined else (False,)


class Row:
    """One publish of the matrix: what it was tried under, what it
    presented, its publisher."""

    def __init__(self, door, scheme, settings, registered, kind, stream,
                 token, one_time, again=False):
        self.door, self.scheme, self.settings = door, scheme, settings
        self.registered, self.kind = registered, kind
        self.stream, self.token, self.one_time = stream, token, one_time
        self.again = again          # a second publish with the same JWT
        self.expect = expected(scheme, settings[ONLY_DEFINED], registered,
                               kind)
        self.client = None
        self.over_checked = False

    def name(self):
        return {"door": self.door, "scheme": self.scheme,
                "onlyDefined": self.settings[ONLY_DEFINED],
                "hls": self.settings[HLS], "mp4": self.settings[MP4],
                "registered": self.registered, "token": self.kind,
                "again": self.again}

    def kept(self):
        """The one-time tokens the stream must still have: a one-time
        token is spent only by a publish it opened under that scheme."""
        if self.expect == ACCEPTED and self.scheme == ONE_TIME:
            return []
        return self.one_time

    def stop(self):
        c = self.client
        if c is None:
            return
        if isinstance(c, WebRtcPublisher):
            # One let in says stop, and its stream ends as it should.
            if self.expect == ACCEPTED:
                c.stop()
            else:
                c.close()
            return
        if c.poll() is None:
            c.kill()
        c.wait()
        c.stderr.close()


class PublishMatrixTest(RtmpTestCase):
    SERVER_KW = {"extra_args": ["--rtmp-port", "1", "--srt-port", "1"]}

    srt_url = SrtTestCase.srt_url
    srt_ffmpeg = SrtTestCase.srt_ffmpeg

    @classmethod
    def setUpClass(cls):
        # What a refused SRT caller sends, should it be let in: a second of
        # H.264 and AAC in MPEG-TS.
        fd, cls.ts = tempfile.mkstemp(suffix=".ts")
        os.close(fd)
        try:
            subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y",
                            "-f", "lavfi", "-i",
                            "testsrc=size=320x240:rate=25", "-f", "lavfi",
                            "-i", USER_TONE, "-t", "1"] + USER_VIDEO
                           + USER_AUDIO + ["-f", "mpegts", cls.ts],
                           check=True, timeout=60)
            super().setUpClass()
        except BaseException:
            os.unlink(cls.ts)
            raise
        cls.adapters = ("127.0.%d.%d" % (10 + n // 250, 1 + n % 250)
                        for n in itertools.count())

    @classmethod
    def tearDownClass(cls):
        os.unlink(cls.ts)
        super().tearDownClass()

    def server_lines(self, stream):
        """What the server said about a stream."""
        return [line for line in self.server.stderr().splitlines()
                if stream in line]

    def ws_url(self):
        return "ws://127.0.0.1:%d/%s/websocket" % (self.server.http_port, APP)

    # -- settings, broadcasts, tokens ---------------------------------------

    def apply(self, scheme, only_defined, hls=True, mp4=True):
        settings = dict(SCHEME_SETTINGS[scheme])
        # HLS files are kept when a stream ends, to be looked at.
        settings.update({SECRET_KEY: SECRET, ONLY_DEFINED: only_defined,
                         HLS: hls, MP4: mp4, HLS_TIME: "1", KEEP_HLS: False})
        self.assertResult(self.server.set_settings(settings), 200,
                          success=True)
        now = self.assertJson(self.server.settings(), 200)
        self.assertEqual({k: now[k] for k in settings}, settings)
        return settings

    def broadcast_path(self, stream):
        return "/%s/rest/v2/broadcasts/%s" % (APP, stream)

    def register(self, stream):
        r = self.server.post("/%s/rest/v2/broadcasts/create" % APP,
                             {"streamId": stream})
        b = self.assertJson(r, 200)
        self.assertEqual((b["streamId"], b["status"]), (stream, "created"))

    def mint_jwt(self, stream, type="publish", expire=None):
        q = urllib.parse.urlencode({"expireDate": expire or future(),
                                    "type": type})
        r = self.server.get("%s/jwt-token?%s" % (self.broadcast_path(stream),
                                                 q))
        tok = self.assertJson(r, 200)
        self.assertEqual((tok["streamId"], tok["type"]), (stream, type), tok)
        return tok

    def token_for(self, stream, kind):
        """The token string a publish of this kind presents."""
        claims = {"streamId": stream, "type": "publish", "exp": future()}
        if kind == NO_TOKEN:
            return None
        if kind == ONE_TIME_TOKEN:
            return self.mint_ok(stream, "publish")["tokenId"]
        if kind == GOOD_JWT:
            return self.mint_jwt(stream)["tokenId"]
        if kind == JWT_OTHER_KEY:
            return jwt_tool.forge(claims, OTHER_SECRET)
        if kind == JWT_EXPIRED:
            return jwt_tool.forge(dict(claims, exp=int(time.time()) - 60),
                                  SECRET)
        if kind == JWT_OTHER_STREAM:
            return self.mint_jwt(unique_id())["tokenId"]
        if kind == JWT_PLAY:
            return self.mint_jwt(stream, "play")["tokenId"]
        if kind == JWT_ALG_NONE:
            return jwt_tool.forge(claims, SECRET, alg="none")
        raise ValueError(kind)

    # -- publishers ------------------------------------------------------

    def start(self, row):
        s, token = row.stream, row.token
        row.started = time.monotonic()
        if row.door == RTMP:
            row.client = self.ffmpeg(self.url(s, token), seconds=1,
                                     wait=False)
        elif row.door == SRT:
            streamid = "%s/%s" % (APP, s)
            if token is not None:
                streamid += ",token=" + token
            if row.expect == ACCEPTED:
                row.client = self.srt_ffmpeg(streamid, seconds=1, wait=False)
            else:
                # It polls its input: a pipe, not the file.
                feed = subprocess.Popen(["cat", self.ts],
                                        stdout=subprocess.PIPE,
                                        stderr=subprocess.DEVNULL)
                row.client = subprocess.Popen(
                    ["srt-live-transmit", "-a:no", "-chunk:1316",
                     "file://con", self.srt_url(
                         streamid, "&mode=caller&adapter="
                         + next(self.adapters))],
                    stdin=feed.stdout, stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE, text=True)
                feed.stdout.close()
                self.addCleanup(feed.wait)
                self.addCleanup(feed.kill)
        else:
            row.client = WebRtcPublisher(self.ws_url(), s, token).start()
        self.addCleanup(row.stop)
        return row

    def row(self, door, scheme, settings, registered, kind):
        s = unique_id()
        if registered:
            self.register(s)
        token = self.token_for(s, kind)
        one_time = [token] if kind == ONE_TIME_TOKEN else []
        return Row(door, scheme, settings, registered, kind, s, token,
                   one_time)

    def run_rows(self, rows):
        """Starts the rows at once, then checks each; returns the accepted
        ones, whose broadcasts check_over() judges later. Accepted WebRTC
        publishers (each a browser-like peer encoding its camera, and ICE
        with the server) go WEBRTC_AT_ONCE at a time: more at once starve
        ICE's checks on a 2-core machine, which is the load, not the
        admission, under test."""
        def is_webrtc_publish(r):
            return r.door == WEBRTC and r.expect == ACCEPTED

        accepted = []
        batches = [[r for r in rows if not is_webrtc_publish(r)]]
        webrtc = [r for r in rows if is_webrtc_publish(r)]
        batches += [webrtc[i:i + WEBRTC_AT_ONCE]
                    for i in range(0, len(webrtc), WEBRTC_AT_ONCE)]
        for batch in batches:
            for r in batch:
                self.start(r)
            # The refused first: their publishers go at once, leaving the
            # machine to the accepted ones.
            for r in sorted(batch, key=lambda r: r.expect == ACCEPTED):
                with self.subTest(**r.name()):
                    if self.check_publish(r):
                        accepted.append(r)
        return accepted

    # -- checks ----------------------------------------------------------

    def check_publish(self, row):
        """Checks what the publish did as soon as its publisher knows;
        returns whether it was accepted (and so has a broadcast to end)."""
        s = row.stream
        try:
            if row.expect == ACCEPTED:
                self.check_accepted(row)
            else:
                self.check_refused(row)
        finally:
            row.stop()
        self.assertEqual(self.tokens_of(s), row.kept())
        if row.expect != ACCEPTED:
            self.assertEqual(self.files_of(s), [])
            return False
        if row.settings[HLS]:
            self.assertTrue(wait_for(lambda: self.ended(s)),
                            (self.files_of(s), self.playlist(s),
                             self.server_lines(s)))
            self.assertTrue(self.playlist(s).rstrip().endswith(
                "#EXT-X-ENDLIST"), self.playlist(s))
        if row.settings[MP4]:
            mp4 = s + ("_1.mp4" if row.again else ".mp4")
            self.assertTrue(wait_for(lambda: mp4 in self.files_of(s)),
                            (self.files_of(s), self.server_lines(s)))
        return True

    def check_accepted(self, row):
        c = row.client
        if row.door == WEBRTC:
            self.assertTrue(c.wait_for_definition("publish_started"),
                            (c.definitions(), c.errors,
                             self.server_lines(row.stream)))
            # Some media recorded (hlsTime 1), then the publisher stops.
            self.assertTrue(wait_for(lambda: "%s000000000.ts" % row.stream
                                     in self.playlist(row.stream)),
                            (self.files_of(row.stream), c.definitions(),
                             self.server_lines(row.stream)))
            # publish_finished comes once the stream has drained and its
            # files are final: seconds, with MP4 on a loaded machine.
            c.stop(wait=20)
            self.assertIn("publish_finished", c.definitions(),
                          self.server_lines(row.stream))
            return
        _, err = c.communicate(timeout=60)
        self.assertEqual(c.returncode, 0,
                         (err, self.server_lines(row.stream)))

    def check_refused(self, row):
        c = row.client
        # Refusals come at once; a publisher let in would go on: wait for
        # them all together, 30 s from their start (a loaded machine may
        # take seconds to start a caller).
        left = max(0.1, row.started + 30 - time.monotonic())
        if row.door == WEBRTC:
            # Its first answer: the refusal, or start if let in.
            self.assertTrue(c.wait_for(lambda: c.messages, left),
                            (c.messages, c.errors))
            self.assertEqual(c.definitions(), [row.expect], c.messages)
            self.assertNotIn("start", [m.get("command") for m in c.messages])
            return
        if row.door == RTMP:
            _, err = c.communicate(timeout=60)
            self.assertNotEqual(c.returncode, 0, err)
            self.assertIn(REFUSAL, err)
            return
        # srt-live-transmit reports the rejection and exits at once (let
        # in, it would wait for more input for ever); now and then, under
        # load, it reports the rejection and stays: what it printed says.
        try:
            _, err = c.communicate(timeout=left)
        except subprocess.TimeoutExpired:
            c.kill()
            _, err = c.communicate()
        self.assertNotIn("SRT target connected", err)
        self.assertIn("REJECT", err)

    def over(self, row):
        """Whether the server has ended the publish's broadcast: a registered
        one goes to finished, an undefined (zombi) one is deleted."""
        r = self.server.get(self.broadcast_path(row.stream))
        if not row.registered:
            return r.status == 404
        return r.status == 200 and r.json()["status"] == "finished"

    def check_over(self, row):
        """Once the broadcast is over no file may still be on its way: what
        is there is what the outputs leave."""
        s = row.stream
        self.assertTrue(wait_for(lambda: self.over(row)), (self.server.get(
            self.broadcast_path(s)), self.server_lines(s)))
        if row.registered:
            b = self.server.get(self.broadcast_path(s)).json()
            self.assertEqual(b["publishType"], row.door, b)
            self.assertFalse(b["zombi"], b)
        files = self.files_of(s)
        self.assertEqual([f for f in files if f.endswith(".part")], [],
                         files)
        if row.settings[HLS]:
            self.assertIn(s + ".m3u8", files)
            self.assertIn("%s000000000.ts" % s, files)
            self.assertTrue(self.ended(s), self.playlist(s))
        else:
            self.assertEqual([f for f in files
                              if f.endswith((".m3u8", ".ts"))], [], files)
        mp4s = [f for f in files if ".mp4" in f]
        if row.settings[MP4]:
            self.assertEqual(mp4s, [s + ".mp4", s + "_1.mp4"] if row.again
                             else [s + ".mp4"])
        else:
            self.assertEqual(mp4s, [], files)
        if not row.settings[HLS] and not row.settings[MP4]:
            self.assertEqual(files, [])
        self.assertEqual(self.tokens_of(s), row.kept())

    def check_untouched(self, row):
        """A refused publish left nothing: no file, and its broadcast as it
        was (a registered one still created, no zombi)."""
        s = row.stream
        r = self.server.get(self.broadcast_path(s))
        if row.registered:
            self.assertEqual((r.status, r.json()["status"]),
                             (200, "created"), r)
        else:
            self.assertEqual(r.status, 404, r)
        self.assertEqual(self.files_of(s), [])
        self.assertEqual(self.tokens_of(s), row.kept())

    def check_all_over(self, rows, accepted):
        for r in rows:
            with self.subTest(over=True, **r.name()):
                if r.over_checked:
                    continue
                if r in accepted:
                    self.check_over(r)
                else:
                    self.check_untouched(r)

    def door_matrix(self, schemes):
        """Every scheme x registration x token row on every door, HLS and
        MP4 on."""
        rows, accepted = [], []
        for scheme, only_defined in itertools.product(schemes,
                                                      (False, True)):
            settings = self.apply(scheme, only_defined)
            combination = [
                self.row(door, scheme, settings, registered, kind)
                for door in DOORS
                for registered in registrations(only_defined)
                for kind in KINDS[scheme]]
            rows += combination
            accepted += self.run_rows(combination)
            if scheme == JWT_SCHEME:
                again = self.reuse([r for r in accepted
                                    if r in combination])
                rows += again
                accepted += again
        return rows, accepted

    def reuse(self, rows):
        """Once the publishes of good JWTs are over, the same JWTs publish
        again, on every door: a JWT is not spent."""
        again = []
        for r in rows:
            with self.subTest(over=True, **r.name()):
                self.assertEqual(r.kind, GOOD_JWT)
                self.check_over(r)
            r.over_checked = True   # its stream's files are the next's too
            again.append(Row(r.door, r.scheme, r.settings, r.registered,
                             r.kind, r.stream, r.token, r.one_time,
                             again=True))
        return self.run_rows(again)

    # -- tests -----------------------------------------------------------

    def test_open_and_one_time_on_every_door(self):
        rows, accepted = self.door_matrix((NONE, ONE_TIME))
        # 4 accepted open publishes and 2 one-time ones a door.
        self.assertEqual(len(accepted), 6 * len(DOORS))
        self.check_all_over(rows, accepted)

    def test_jwt_on_every_door(self):
        # The server's JWT is the one jwt_tool makes of the same claims: a
        # forged token differs from a good one only where it means to.
        s, exp = unique_id(), future()
        self.apply(JWT_SCHEME, False)
        self.assertEqual(self.mint_jwt(s, expire=exp)["tokenId"],
                         jwt_tool.forge({"streamId": s, "type": "publish",
                                         "exp": exp}, SECRET))
        rows, accepted = self.door_matrix((JWT_SCHEME,))
        # A good JWT a door, with and without acceptOnlyStreams..., and
        # each again (reuse).
        self.assertEqual(len(accepted), 2 * 2 * len(DOORS))
        self.check_all_over(rows, accepted)

    def test_files_left_over_rtmp(self):
        """hlsMuxingEnabled x mp4MuxingEnabled (both on is the door
        matrix's), under the one-time scheme, with and without
        acceptOnlyStreamsInDataStore: accepted publishes leave their
        files, refused ones none."""
        rows, accepted = [], []
        for only_defined, hls, mp4 in itertools.product((False, True),
                                                        repeat=3):
            if hls and mp4:
                continue
            settings = self.apply(ONE_TIME, only_defined, hls, mp4)
            combination = [self.row(RTMP, ONE_TIME, settings, registered,
                                    kind)
                           for registered in registrations(only_defined)
                           for kind in KINDS[ONE_TIME]]
            rows += combination
            accepted += self.run_rows(combination)
        self.assertEqual(len(accepted), 6)
        self.check_all_over(rows, accepted)


if __name__ == "__main__":
    unittest.main()
