"""HTTP playback under /{app}/streams/: PROTOCOL.md 4.

Real media made by ffmpeg (HLS, DASH, MP4) is put where the pipelines write,
{data_dir}/streams/{app}/, and played by real players (ffmpeg, ffprobe) and
by stdlib clients with and without a cookie jar."""

import http.cookiejar
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import unittest
import urllib.request

from tollgate_fixture import APP, APP2, TollgateTestCase, server_env

FFMPEG = shutil.which("ffmpeg")
FFPROBE = shutil.which("ffprobe")
REFUSED = "Invalid Token for streamId:%s"
MEDIA = None  # made once by setUpModule

HLS_FRAMES = 125  # 5 s at 25 fps, in 5 segments
# Another client than the tests' own 127.0.0.1 (any 127/8 address is local).
OTHER_CLIENT = "127.0.0.2"
MP4_FRAMES = 500  # 20 s at 25 fps
MARKER = b"OUTSIDE-MARKER-not-to-be-served"


def tool(*argv, timeout=120):
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    return subprocess.run(argv, capture_output=True, text=True, env=env,
                          timeout=timeout)


def make_media(folder):
    """s1: HLS (5 segments), v1.mp4: 20 s with the moov at the end (players
    must seek), d1/d1.mpd: DASH."""
    if not FFMPEG or not FFPROBE:
        raise AssertionError("ffmpeg and ffprobe are needed (Debian package "
                             "ffmpeg)")
    source = ["-f", "lavfi", "-i", "testsrc=duration=%d:size=%s:rate=25",
              "-c:v", "libx264", "-g", "25"]

    def run(duration, size, *out):
        args = list(source)
        args[3] = args[3] % (duration, size)
        r = tool(FFMPEG, "-nostdin", "-v", "error", "-y", *args, *out)
        if r.returncode != 0:
            raise AssertionError("ffmpeg failed: %s" % r.stderr)

    run(5, "320x240", "-f", "hls", "-hls_time", "1", "-hls_list_size", "0",
        "-hls_segment_filename", os.path.join(folder, "s1%09d.ts"),
        os.path.join(folder, "s1.m3u8"))
    run(20, "640x480", os.path.join(folder, "v1.mp4"))
    os.mkdir(os.path.join(folder, "d1"))
    run(5, "320x240", "-f", "dash", "-seg_duration", "1", "-use_template",
        "1", "-use_timeline", "0", os.path.join(folder, "d1", "d1.mpd"))


def setUpModule():
    global MEDIA
    MEDIA = tempfile.mkdtemp(prefix="tollgate-media-")
    make_media(MEDIA)


def tearDownModule():
    shutil.rmtree(MEDIA, ignore_errors=True)


def media(name):
    with open(os.path.join(MEDIA, name), "rb") as f:
        return f.read()


def frames_read(result):
    """Frames ffmpeg -progress pipe:1 says it read."""
    found = re.findall(r"^frame=(\d+)$", result.stdout, re.M)
    return int(found[-1]) if found else -1


class StreamsCase(TollgateTestCase):
    TOKEN_CONTROL = False
    # Debug logs on: they must still hold no token.
    SERVER_KW = {"env": dict(server_env(), G_MESSAGES_DEBUG="all")}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tokens = []
        cls.folder = os.path.join(cls.server.data_dir, "streams", APP)
        for name in os.listdir(MEDIA):
            src = os.path.join(MEDIA, name)
            if os.path.isdir(src):
                shutil.copytree(src, os.path.join(cls.folder, name))
            else:
                shutil.copy(src, cls.folder)
        r = cls.server.set_settings(
            {"playTokenControlEnabled": cls.TOKEN_CONTROL})
        assert r.status == 200 and r.json()["success"], r

    @classmethod
    def tearDownClass(cls):
        try:
            log = cls.server_output()
        finally:
            super().tearDownClass()
        # Debug logging was on and tokens were used, yet none was logged.
        if cls.tokens and "play token" not in log:
            raise AssertionError("no token use was logged: %s" % log[-2000:])
        if any(token in log for token in cls.tokens):
            raise AssertionError("a token is in the server log")

    @classmethod
    def server_output(cls):
        """Everything the server printed (g_info and g_debug go to stdout),
        once it has exited."""
        server = cls.server
        server.proc.send_signal(signal.SIGTERM)
        server.proc.wait(timeout=10)
        lines = []
        while True:
            line = server._lines.get(timeout=10)  # the reader ends with None
            if line is None:
                break
            lines.append(line.decode("utf-8", "replace"))
        server.stop()  # checks the exit code and stderr
        return "".join(lines) + server.stderr()

    def url(self, path):
        return "http://127.0.0.1:%d/%s/streams/%s" % (self.server.http_port,
                                                      APP, path)

    def path(self, name):
        return "/%s/streams/%s" % (APP, name)

    def token(self, stream):
        token = self.mint_ok(stream)["tokenId"]
        self.tokens.append(token)
        return token

    def assertRefused(self, r, stream):
        self.assertEqual(r.status, 403, r)
        self.assertEqual(r.content_type, "text/plain")
        self.assertEqual(r.body.decode(), REFUSED % stream)

    def session_cookie(self, r, stream):
        """The Set-Cookie of a response, checked, as a Cookie header."""
        cookies = r.headers.get_all("Set-Cookie") or []
        self.assertEqual(len(cookies), 1, r.headers)
        parts = [p.strip() for p in cookies[0].split(";")]
        name, _, value = parts[0].partition("=")
        self.assertEqual(name, "tgs_" + stream)
        self.assertRegex(value, r"^[A-Za-z0-9_-]+\.\d+\.[A-Za-z0-9_-]{43}$")
        self.assertIn("Path=/%s/streams/" % APP, parts)
        self.assertIn("HttpOnly", parts)
        return {"Cookie": parts[0]}


class TokenControlTest(StreamsCase):
    TOKEN_CONTROL = True

    def test_no_token_or_a_wrong_one_is_refused(self):
        for name, stream in (("s1.m3u8", "s1"), ("s1000000000.ts", "s1"),
                             ("d1/d1.mpd", "d1"),
                             ("d1/chunk-stream0-00001.m4s", "d1"),
                             ("v1.mp4", "v1"), ("v1_1.mp4", "v1"),
                             ("s1_480p1000kbps.m3u8", "s1"),
                             ("s1_adaptive.m3u8", "s1")):
            with self.subTest(name=name):
                self.assertRefused(self.server.get(self.path(name)), stream)
                self.assertRefused(
                    self.server.get(self.path(name) + "?token=nope"), stream)
                self.assertRefused(
                    self.server.get(self.path(name) + "?session=a.1.b"),
                    stream)

    def test_token_of_another_stream_is_refused_and_kept(self):
        token = self.token("v1")
        self.assertRefused(self.server.get(self.path("s1.m3u8?token=" +
                                                     token)), "s1")
        self.assertEqual(self.server.get(self.path("v1.mp4?token=" +
                                                   token)).status, 200)

    def test_ffprobe_and_ffmpeg_play_hls_through_one_token(self):
        token = self.token("s1")
        probe = tool(FFPROBE, "-v", "error", "-print_format", "json",
                     "-show_format", "-show_streams",
                     self.url("s1.m3u8?token=" + token))
        self.assertEqual(probe.returncode, 0, probe.stderr)
        info = json.loads(probe.stdout)
        self.assertEqual(info["streams"][0]["codec_name"], "h264")
        self.assertAlmostEqual(float(info["format"]["duration"]), 5.0,
                               delta=0.2)

        token = self.token("s1")
        play = tool(FFMPEG, "-nostdin", "-v", "error", "-nostats",
                    "-progress", "pipe:1", "-i",
                    self.url("s1.m3u8?token=" + token), "-c", "copy", "-f",
                    "null", "-")
        self.assertEqual(play.returncode, 0, play.stderr)
        self.assertEqual(frames_read(play), HLS_FRAMES, play.stdout)
        # Both tokens are spent (for any client but the one that spent
        # them).
        self.assertRefused(self.server.get(self.path("s1.m3u8?token=" +
                                                     token),
                                           source=OTHER_CLIENT), "s1")

    def test_cookie_client_plays_hls(self):
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(jar))
        token = self.token("s1")
        with opener.open(self.url("s1.m3u8?token=" + token)) as r:
            self.assertEqual(r.status, 200)
            playlist = r.read().decode()
        self.assertEqual([c.name for c in jar], ["tgs_s1"])
        self.assertEqual(next(iter(jar)).path, "/%s/streams/" % APP)
        segments = [line.split("?")[0] for line in playlist.splitlines()
                    if line and not line.startswith("#")]
        self.assertEqual(segments, ["s1%09d.ts" % i for i in range(5)])
        for name in segments:
            # Cookie only: no token, no session parameter.
            with opener.open(self.url(name)) as r:
                self.assertEqual(r.status, 200)
                self.assertEqual(r.headers["Content-Type"], "video/mp2t")
                self.assertEqual(r.read(), media(name))
            # The same URL without the cookie is refused.
            self.assertRefused(self.server.get(self.path(name)), "s1")
        # The playlist again, with the spent token, through the cookie.
        with opener.open(self.url("s1.m3u8?token=" + token)) as r:
            self.assertEqual(r.status, 200)

    def test_rewritten_playlist(self):
        token = self.token("s1")
        r = self.server.get(self.path("s1.m3u8?token=" + token))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.content_type, "application/vnd.apple.mpegurl")
        self.assertEqual(r.headers["Cache-Control"], "no-cache")
        self.session_cookie(r, "s1")
        original = media("s1.m3u8").decode().splitlines()
        lines = r.body.decode().splitlines()
        self.assertEqual(len(lines), len(original))
        for old, new in zip(original, lines):
            if old.startswith("#"):
                self.assertEqual(new, old)
            else:
                self.assertRegex(new, "^" + re.escape(old) +
                                 r"\?session=[A-Za-z0-9_.-]+$")
                # Cookie-less, the rewritten URI plays.
                seg = self.server.get(self.path(new))
                self.assertEqual(seg.status, 200, seg)
                self.assertEqual(seg.body, media(old))

    def test_session_cookie_is_secure_over_https_only(self):
        for https in (False, True):
            token = self.token("s1")
            r = self.server.get(self.path("s1.m3u8?token=" + token),
                                https=https)
            self.assertEqual(r.status, 200, r)
            self.session_cookie(r, "s1")
            parts = [p.strip() for p in r.headers["Set-Cookie"].split(";")]
            self.assertEqual("Secure" in parts, https, parts)

    def test_spent_token_without_session_is_refused(self):
        """From any client but the one that spent it."""
        token = self.token("s1")
        first = self.server.get(self.path("s1.m3u8?token=" + token))
        self.assertEqual(first.status, 200, first)
        for name in ("s1.m3u8", "s1000000001.ts"):
            for method in ("GET", "HEAD"):
                r = self.server.request(method, self.path(name) + "?token=" +
                                        token, source=OTHER_CLIENT)
                self.assertEqual(r.status, 403, r)
        self.assertRefused(self.server.get(self.path("s1.m3u8?token=" +
                                                     token),
                                           source=OTHER_CLIENT), "s1")

    def test_spent_token_resumes_its_clients_session(self):
        """A cookieless cross-origin player (Ant Media's, embedded on
        another site) asks every file with the page's token: the client
        that spent it resumes the session it opened, for that stream and
        until tokens are revoked; any other client is refused."""
        token = self.token("s1")
        r = self.server.request("HEAD", self.path("s1_adaptive.m3u8?token=" +
                                                  token))
        self.assertEqual(r.status, 404, r)  # spent, and a session opened
        for method in ("HEAD", "GET"):
            r = self.server.request(method, self.path("s1.m3u8?token=" +
                                                      token))
            self.assertEqual(r.status, 200, r)
        self.assertIn("s1000000000.ts?session=", r.body.decode())
        r = self.server.get(self.path("s1000000000.ts?token=" + token))
        self.assertEqual(r.status, 200, r)
        self.assertRefused(self.server.get(self.path("s1.m3u8?token=" + token),
                                           source=OTHER_CLIENT), "s1")
        self.assertRefused(self.server.get(self.path("v1.mp4?token=" + token)),
                           "v1")
        r = self.server.delete("/%s/rest/v2/broadcasts/s1/tokens" % APP)
        self.assertEqual(r.status, 200, r)
        self.assertRefused(self.server.get(self.path("s1.m3u8?token=" +
                                                     token)), "s1")

    def test_session_is_bound_to_its_stream(self):
        token = self.token("s1")
        r = self.server.get(self.path("s1.m3u8?token=" + token))
        cookie = self.session_cookie(r, "s1")
        key = cookie["Cookie"].split("=", 1)[1]
        self.assertRefused(self.server.get(self.path("v1.mp4?session=" + key)),
                           "v1")
        self.assertRefused(self.server.get(self.path("v1.mp4"),
                                           headers={"Cookie": "tgs_v1=" + key}),
                           "v1")
        self.assertRefused(self.server.get(self.path("v1.mp4"),
                                           headers=cookie), "v1")
        tampered = key[:-1] + ("A" if key[-1] != "A" else "B")
        self.assertRefused(self.server.get(self.path("s1.m3u8?session=" +
                                                     tampered)), "s1")
        self.assertEqual(self.server.get(self.path("s1.m3u8?session=" +
                                                   key)).status, 200)

    def test_mp4_ranges(self):
        data = media("v1.mp4")
        size = len(data)
        token = self.token("v1")
        r = self.server.get(self.path("v1.mp4?token=" + token),
                            headers={"Range": "bytes=100-199"})
        self.assertEqual(r.status, 206, r)
        self.assertEqual(r.headers["Content-Range"],
                         "bytes 100-199/%d" % size)
        self.assertEqual(r.content_type, "video/mp4")
        self.assertEqual(r.body, data[100:200])
        cookie = self.session_cookie(r, "v1")

        def get(rng, method="GET"):
            headers = dict(cookie)
            if rng:
                headers["Range"] = rng
            return self.server.request(method, self.path("v1.mp4"),
                                       headers=headers)

        r = get("bytes=-100")
        self.assertEqual((r.status, r.body), (206, data[-100:]))
        self.assertEqual(r.headers["Content-Range"],
                         "bytes %d-%d/%d" % (size - 100, size - 1, size))
        r = get("bytes=%d-" % (size - 10))
        self.assertEqual((r.status, r.body), (206, data[-10:]))
        r = get("bytes=5-99999999")
        self.assertEqual((r.status, r.body), (206, data[5:]))
        r = get("bytes=%d-" % size)
        self.assertEqual((r.status, r.body), (416, b""))
        self.assertEqual(r.headers["Content-Range"], "bytes */%d" % size)
        r = get("bytes=0-1,5-6")  # several ranges: the whole file
        self.assertEqual((r.status, r.body), (200, data))
        r = get(None)
        self.assertEqual((r.status, r.body), (200, data))
        self.assertEqual(r.headers["Accept-Ranges"], "bytes")
        r = get(None, "HEAD")
        self.assertEqual((r.status, r.body), (200, b""))
        self.assertEqual(int(r.headers["Content-Length"]), size)
        # If-Range: the Range holds only while the file is unchanged.
        cookie["If-Range"] = r.headers["Last-Modified"]
        r = get("bytes=0-9")
        self.assertEqual((r.status, r.body), (206, data[:10]))
        cookie["If-Range"] = "Thu, 01 Jan 1970 00:00:00 GMT"
        r = get("bytes=0-9")
        self.assertEqual((r.status, r.body), (200, data))

    def test_players_read_mp4_over_http(self):
        probe = tool(FFPROBE, "-v", "error", "-print_format", "json",
                     "-show_format", self.url("v1.mp4?token=" +
                                              self.token("v1")))
        self.assertEqual(probe.returncode, 0, probe.stderr)
        self.assertAlmostEqual(float(json.loads(probe.stdout)["format"]
                                     ["duration"]), 20.0, delta=0.1)
        play = tool(FFMPEG, "-nostdin", "-v", "error", "-nostats",
                    "-progress", "pipe:1", "-i",
                    self.url("v1.mp4?token=" + self.token("v1")), "-c",
                    "copy", "-f", "null", "-")
        self.assertEqual(play.returncode, 0, play.stderr)
        self.assertEqual(frames_read(play), MP4_FRAMES, play.stdout)

    def test_ffmpeg_plays_dash_through_one_token(self):
        token = self.token("d1")
        r = self.server.get(self.path("d1/d1.mpd?token=" + token))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.content_type, "application/dash+xml")
        self.assertEqual(r.headers["Cache-Control"], "no-cache")
        self.assertEqual(len(re.findall(r'(media|initialization)="[^"]*'
                                        r'\?session=', r.body.decode())), 2)
        play = tool(FFMPEG, "-nostdin", "-v", "fatal", "-nostats",
                    "-progress", "pipe:1", "-i",
                    self.url("d1/d1.mpd?token=" + self.token("d1")), "-c",
                    "copy", "-f", "null", "-")
        self.assertEqual(frames_read(play), HLS_FRAMES, play.stdout)
        seg = self.server.get(self.path("d1/chunk-stream0-00001.m4s"),
                              headers=self.session_cookie(r, "d1"))
        self.assertEqual(seg.status, 200, seg)
        self.assertEqual(seg.content_type, "video/iso.segment")

    def test_head_of_missing_file_spends_token_and_opens_session(self):
        token = self.token("s1")
        r = self.server.request("HEAD", self.path("s1000000099.ts?token=" +
                                                  token))
        self.assertEqual(r.status, 404, r)
        cookie = self.session_cookie(r, "s1")
        self.assertEqual(self.server.request(
            "HEAD", self.path("s1.m3u8?token=" + token),
            source=OTHER_CLIENT).status, 403)
        self.assertValid({"tokenId": token, "streamId": "s1", "type": "play"},
                         expect=False)
        r = self.server.get(self.path("s1.m3u8"), headers=cookie)
        self.assertEqual(r.status, 200, r)
        self.assertIn("s1000000000.ts?session=", r.body.decode())

    def test_head_probe_then_get_with_cookie(self):
        token = self.token("s1")
        r = self.server.request("HEAD", self.path("s1.m3u8?token=" + token))
        self.assertEqual((r.status, r.body), (200, b""))
        self.assertEqual(r.content_type, "application/vnd.apple.mpegurl")
        cookie = self.session_cookie(r, "s1")
        r = self.server.get(self.path("s1.m3u8?token=" + token),
                            headers=cookie)
        self.assertEqual(r.status, 200, r)
        self.session_cookie(r, "s1")  # refreshed

    def test_concurrent_uses_of_one_token(self):
        """Eight clients (127.0.0.1 to .8) race on one token: one plays."""
        token = self.token("s1")
        n = 8
        barrier = threading.Barrier(n)
        statuses = []
        lock = threading.Lock()
        sources = iter("127.0.0.%d" % (i + 1) for i in range(n))

        def use(source):
            conn = self.server.connection(source=source)
            conn.connect()
            barrier.wait()
            conn.request("HEAD", self.path("s1.m3u8?token=" + token))
            status = conn.getresponse().status
            conn.close()
            with lock:
                statuses.append(status)

        threads = [threading.Thread(target=use, args=(next(sources),))
                   for _ in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(sorted(statuses), [200] + [403] * (n - 1))

    def test_symlink_out_refused_even_in_a_session(self):
        with open(os.path.join(self.server.data_dir, "outside.ts"), "wb") as f:
            f.write(MARKER)
        os.symlink(os.path.join(self.server.data_dir, "outside.ts"),
                   os.path.join(self.folder, "s1000000077.ts"))
        r = self.server.get(self.path("s1.m3u8?token=" + self.token("s1")))
        cookie = self.session_cookie(r, "s1")
        r = self.server.get(self.path("s1000000077.ts"), headers=cookie)
        self.assertEqual(r.status, 404, r)
        self.assertNotIn(MARKER, r.body)
        r = self.server.get(self.path("s1000000000.ts"), headers=cookie)
        self.assertEqual(r.status, 200, r)


class OpenStreamsTest(StreamsCase):
    TOKEN_CONTROL = False

    def test_app_folders_made_at_start(self):
        for app in (APP, APP2):
            self.assertTrue(os.path.isdir(os.path.join(
                self.server.data_dir, "streams", app)), app)

    def test_served_without_token(self):
        for name, ctype in (("s1.m3u8", "application/vnd.apple.mpegurl"),
                            ("s1000000003.ts", "video/mp2t"),
                            ("v1.mp4", "video/mp4"),
                            ("d1/d1.mpd", "application/dash+xml"),
                            ("d1/init-stream0.m4s", "video/iso.segment")):
            with self.subTest(name=name):
                r = self.server.get(self.path(name))
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.content_type, ctype)
                self.assertEqual(r.body, media(name))  # not rewritten
                self.assertIsNone(r.headers.get("Set-Cookie"))
        r = self.server.get(self.path("v1.mp4"), headers={"Range":
                                                          "bytes=10-19"})
        self.assertEqual((r.status, r.body), (206, media("v1.mp4")[10:20]))
        play = tool(FFMPEG, "-nostdin", "-v", "error", "-nostats",
                    "-progress", "pipe:1", "-i", self.url("s1.m3u8"), "-c",
                    "copy", "-f", "null", "-")
        self.assertEqual(frames_read(play), HLS_FRAMES, play.stderr)

    def test_other_types(self):
        for name, ctype in (("x.vtt", "text/vtt"), ("x.m4a", "audio/mp4"),
                            ("x.bin", "application/octet-stream"),
                            ("noext", "application/octet-stream")):
            with open(os.path.join(self.folder, name), "wb") as f:
                f.write(b"data of " + name.encode())
            r = self.server.get(self.path(name))
            self.assertEqual((r.status, r.content_type), (200, ctype))
            self.assertEqual(r.body, b"data of " + name.encode())
        open(os.path.join(self.folder, "empty.ts"), "wb").close()
        r = self.server.get(self.path("empty.ts"))
        self.assertEqual((r.status, r.body), (200, b""))
        r = self.server.get(self.path("empty.ts"),
                            headers={"Range": "bytes=0-"})
        self.assertEqual(r.status, 416, r)

    def test_only_get_head_options(self):
        for name in ("s1.m3u8", "missing.ts"):
            for method in ("POST", "PUT", "DELETE", "PATCH"):
                with self.subTest(name=name, method=method):
                    r = self.server.request(method, self.path(name), body="x")
                    self.assertEqual(r.status, 403, r)
            r = self.server.request("OPTIONS", self.path(name))
            self.assertIn(r.status, (200, 204), r)
            allow = {m.strip() for m in r.headers["Allow"].split(",")}
            self.assertEqual(allow, {"GET", "HEAD", "OPTIONS"})
        self.assertTrue(os.path.exists(os.path.join(self.folder, "s1.m3u8")))

    def test_no_directory_listing(self):
        for path in ("/%s/streams" % APP, "/%s/streams/" % APP,
                     self.path("d1"), self.path("d1/"), self.path("d1//")):
            with self.subTest(path=path):
                r = self.server.get(path)
                self.assertIn(r.status, (403, 404), r)
                self.assertNotIn(b"s1.m3u8", r.body)
                self.assertNotIn(b"d1.mpd", r.body)

    def test_unknown_app(self):
        r = self.server.get("/NoSuchApp/streams/s1.m3u8")
        self.assertEqual(r.status, 404, r)

    def test_no_escape_from_the_streams_folder(self):
        data_dir = self.server.data_dir
        with open(os.path.join(data_dir, "outside.txt"), "wb") as f:
            f.write(MARKER)
        with open(os.path.join(self.folder, ".hidden"), "wb") as f:
            f.write(MARKER)
        os.symlink("/etc/passwd", os.path.join(self.folder, "passwd.m3u8"))
        os.symlink(os.path.join(data_dir, "outside.txt"),
                   os.path.join(self.folder, "outside.ts"))
        os.symlink(data_dir, os.path.join(self.folder, "up"))
        with open(os.path.join(self.folder, "inside.txt"), "wb") as f:
            f.write(b"inside")
        # The control: a plain file is served.
        r = self.server.get(self.path("inside.txt"))
        self.assertEqual((r.status, r.body), (200, b"inside"))
        for name in ("../../outside.txt", "../../../outside.txt",
                     "%2e%2e/%2e%2e/outside.txt", "%2E%2E/%2E%2E/outside.txt",
                     ".%2e/.%2e/outside.txt", "..%2f..%2foutside.txt",
                     "%2e%2e%2f%2e%2e%2foutside.txt", "d1/../../../outside.txt",
                     "d1/%2e%2e/%2e%2e/%2e%2e/outside.txt",
                     "/etc/passwd", "//etc/passwd", "%2fetc%2fpasswd",
                     "%2Fetc%2Fpasswd", "..", "%2e%2e", ".", ".hidden",
                     "passwd.m3u8", "outside.ts", "up/outside.txt",
                     "up/streams/%s/inside.txt" % APP, "outside.txt%00.ts",
                     "d1/d1.mpd/..", "a/b/c.ts"):
            with self.subTest(name=name):
                r = self.server.get(self.path(name))
                self.assertNotIn(MARKER, r.body)
                self.assertNotIn(b"root:", r.body)
                if name in ("..", "%2e%2e"):
                    # streams/.. is the app's root (dot segments are
                    # resolved in the URL): its page, not a file.
                    self.assertEqual(r.status, 200, r)
                    self.assertIn(b"Tollgate publisher", r.body)
                    continue
                self.assertIn(r.status, (400, 403, 404), r)
        # Across apps.
        r = self.server.get("/%s/streams/%%2e%%2e/%s/inside.txt" % (APP2, APP))
        self.assertIn(r.status, (400, 403, 404), r)
        self.assertNotEqual(r.body, b"inside")


if __name__ == "__main__":
    unittest.main()
