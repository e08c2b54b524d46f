"""RTMP publishing with real publishers (ffmpeg, GStreamer's rtmp2sink):
tokens, undefined streams, HLS and MP4 output, broadcast life cycle, and bad
input that costs one connection only (PROTOCOL.md 2.5, 3)."""

import os
import shutil
import signal
import socket
import subprocess
import time
import unittest

from tollgate_fixture import APP, MSG_DELETED, TollgateTestCase, unique_id

REFUSAL = "You are not allowed to publish the stream."


# What users publish: OBS's and ffmpeg's defaults are H.264 High profile
# with B-frames (x264's veryfast keeps them; ultrafast has none), 4:2:0,
# and AAC at 48 kHz. A key frame a second.
USER_VIDEO = ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-preset", "veryfast",
              "-profile:v", "high", "-bf", "2", "-g", "25"]
USER_TONE = "sine=frequency=440:sample_rate=48000"
USER_AUDIO = ["-c:a", "aac", "-ar", "48000"]


def wait_for(condition, timeout=20.0, step=0.05):
    """Polls a condition until it holds or the deadline passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    return condition()


class RtmpTestCase(TollgateTestCase):
    SERVER_KW = {"extra_args": ["--rtmp-port", "1"]}

    def setUp(self):
        super().setUp()
        # HLS files are kept when a stream ends, for the tests to look at
        # (test_ant_rest checks the default, which deletes them).
        self.server.set_settings({"publishTokenControlEnabled": False,
                                  "acceptOnlyStreamsInDataStore": False,
                                  "mp4MuxingEnabled": False,
                                  "hlsMuxingEnabled": True,
                                  "deleteHLSFilesOnEnded": False})

    def url(self, stream, token=None):
        url = "rtmp://127.0.0.1:%d/%s/%s" % (self.server.rtmp_port, APP,
                                              stream)
        return url + ("?token=%s" % token if token else "")

    def ffmpeg(self, url, seconds=3, audio=True, wait=True):
        """Publishes as users do (USER_VIDEO, USER_AUDIO)."""
        argv = ["ffmpeg", "-nostdin", "-loglevel", "error", "-re", "-f",
                "lavfi", "-i", "testsrc=size=320x240:rate=25"]
        if audio:
            argv += ["-f", "lavfi", "-i", USER_TONE]
        argv += ["-t", str(seconds)] + USER_VIDEO
        if audio:
            argv += USER_AUDIO
        argv += ["-f", "flv", url]
        if not wait:
            return subprocess.Popen(argv, stderr=subprocess.PIPE, text=True)
        return subprocess.run(argv, capture_output=True, text=True,
                              timeout=60)

    def streams_dir(self):
        return os.path.join(self.server.data_dir, "streams", APP)

    def files_of(self, stream):
        d = self.streams_dir()
        if not os.path.isdir(d):
            return []
        return sorted(f for f in os.listdir(d) if f.startswith(stream))

    def playlist(self, stream):
        path = os.path.join(self.streams_dir(), stream + ".m3u8")
        if not os.path.exists(path):
            return ""
        with open(path) as f:
            return f.read()

    def ended(self, stream):
        return "#EXT-X-ENDLIST" in self.playlist(stream)

    def ffprobe(self, path, entries):
        """ffprobe's -show_entries ENTRIES of path, as text."""
        out = subprocess.run(["ffprobe", "-v", "error", "-show_entries",
                              entries, "-of", "csv=p=0", path],
                             capture_output=True, text=True, timeout=30)
        self.assertEqual(out.returncode, 0, out.stderr)
        return out.stdout

    def probe_duration(self, path):
        return float(self.ffprobe(path, "format=duration").strip())

    def decoded_frames(self, path):
        out = subprocess.run(["ffprobe", "-v", "error", "-count_frames",
                              "-select_streams", "v:0", "-show_entries",
                              "stream=nb_read_frames", "-of", "csv=p=0",
                              path], capture_output=True, text=True,
                             timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        return int(out.stdout.split()[0])

    def tokens_of(self, stream):
        r = self.server.get("/%s/rest/v2/broadcasts/%s/tokens/list/0/50"
                            % (APP, stream))
        self.assertEqual(r.status, 200)
        return [t["tokenId"] for t in r.json()]

    def assertRefused(self, result, stream):
        self.assertNotEqual(result.returncode, 0)
        self.assertIn(REFUSAL, result.stderr)
        self.assertEqual(self.files_of(stream), [])


class PublishTest(RtmpTestCase):

    def test_open_publish_makes_hls_and_zombi_goes(self):
        s = unique_id()
        r = self.ffmpeg(self.url(s))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(wait_for(lambda: self.ended(s)), self.files_of(s))
        self.assertIn("%s000000000.ts" % s, self.playlist(s))
        listed = sum(float(line.split(":")[1].rstrip(","))
                     for line in self.playlist(s).splitlines()
                     if line.startswith("#EXTINF:"))
        self.assertAlmostEqual(listed, 3, delta=1)
        self.assertGreaterEqual(self.decoded_frames(
            os.path.join(self.streams_dir(), s + ".m3u8")), 60)
        # An undefined stream's zombi record goes with its publisher.
        self.assertTrue(wait_for(lambda: self.server.get(
            "/%s/rest/v2/broadcasts/%s" % (APP, s)).status == 404))

    def test_video_only_and_mp4_recording(self):
        self.server.set_settings({"mp4MuxingEnabled": True})
        s = unique_id()
        r = self.ffmpeg(self.url(s), audio=False)
        self.assertEqual(r.returncode, 0, r.stderr)
        mp4 = os.path.join(self.streams_dir(), s + ".mp4")
        self.assertTrue(wait_for(lambda: os.path.exists(mp4)),
                        self.files_of(s))
        self.assertAlmostEqual(self.probe_duration(mp4), 3, delta=0.5)
        self.assertFalse(os.path.exists(mp4 + ".part"))
        # Compact, its index first: the reserve kept for a crash is cut out
        # (it was 24 MB of a 14 s recording), and it plays as it did.
        with open(mp4, "rb") as f:
            data = f.read()
        self.assertLess(len(data), 1024 * 1024)
        self.assertLess(data.index(b"moov"), data.index(b"mdat"))
        self.assertEqual(self.decoded_frames(mp4), 75)

    def test_rtmp2sink_publishes(self):
        gst = shutil.which("gst-launch-1.0")
        s = unique_id()
        env = dict(os.environ)
        env.pop("G_DEBUG", None)  # gst-launch-1.0 is not ours to hold to it
        if env.get("TOLLGATE_SANITIZER_PRELOAD"):
            env["LD_PRELOAD"] = env["TOLLGATE_SANITIZER_PRELOAD"]
        r = subprocess.run(
            [gst, "-q", "videotestsrc", "num-buffers=75", "is-live=true", "!",
             "video/x-raw,width=320,height=240", "!", "x264enc",
             "tune=zerolatency", "key-int-max=25", "!", "h264parse", "!",
             "flvmux", "streamable=true", "name=m", "!", "rtmp2sink",
             "location=" + self.url(s), "audiotestsrc", "num-buffers=150",
             "is-live=true", "!", "avenc_aac", "!", "aacparse", "!", "m."],
            capture_output=True, text=True, timeout=60, env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(wait_for(lambda: self.ended(s)), self.files_of(s))

    def test_two_streams_at_once(self):
        a, b = unique_id(), unique_id()
        pa = self.ffmpeg(self.url(a), wait=False)
        pb = self.ffmpeg(self.url(b), wait=False)
        self.assertEqual(pa.wait(timeout=60), 0, pa.stderr.read())
        self.assertEqual(pb.wait(timeout=60), 0, pb.stderr.read())
        pa.stderr.close()
        pb.stderr.close()
        self.assertTrue(wait_for(lambda: self.ended(a) and self.ended(b)))

    def test_stream_id_in_use(self):
        s = unique_id()
        first = self.ffmpeg(self.url(s), seconds=8, wait=False)
        try:
            self.assertTrue(wait_for(lambda: self.server.get(
                "/%s/rest/v2/broadcasts/%s" % (APP, s)).status == 200))
            second = self.ffmpeg(self.url(s), seconds=1)
            self.assertNotEqual(second.returncode, 0)
            self.assertIn(REFUSAL, second.stderr)
        finally:
            first.kill()
            first.wait()
            first.stderr.close()

    def test_delete_stops_a_live_broadcast(self):
        s = unique_id()
        p = self.ffmpeg(self.url(s), seconds=60, wait=False)
        path = "/%s/rest/v2/broadcasts/%s" % (APP, s)
        try:
            self.assertTrue(wait_for(lambda: "%s000000000.ts" % s
                                     in self.playlist(s), timeout=30))
            self.assertEqual(self.server.get(path).status, 200)
            r = self.server.delete(path)
            self.assertResult(r, 200, success=True, message=MSG_DELETED)
            # The publisher is cut off long before its 60 s are up.
            self.assertNotEqual(p.wait(timeout=20), 0)
        finally:
            p.kill()
            p.wait()
            p.stderr.close()
        self.assertTrue(wait_for(lambda: self.ended(s)))
        self.assertEqual(self.server.get(path).status, 404)

    def test_killed_publisher_leaves_playable_files(self):
        self.server.set_settings({"mp4MuxingEnabled": True})
        s = unique_id()
        p = self.ffmpeg(self.url(s), seconds=30, wait=False)
        try:
            self.assertTrue(wait_for(lambda: "%s000000001.ts" % s
                                     in self.playlist(s), timeout=30))
        finally:
            p.send_signal(signal.SIGKILL)
            p.wait()
            p.stderr.close()
        mp4 = os.path.join(self.streams_dir(), s + ".mp4")
        self.assertTrue(wait_for(lambda: os.path.exists(mp4)),
                        self.files_of(s))
        self.assertGreater(self.probe_duration(mp4), 1.5)
        self.assertTrue(wait_for(lambda: self.ended(s)))

    def test_server_stop_finalises_live_recordings(self):
        self.server.set_settings({"mp4MuxingEnabled": True})
        s = unique_id()
        p = self.ffmpeg(self.url(s), seconds=60, wait=False)
        try:
            self.assertTrue(wait_for(lambda: "%s000000001.ts" % s
                                     in self.playlist(s), timeout=30))
            self.server.stop()  # asserts a clean exit
            self.assertNotEqual(p.wait(timeout=20), 0)
        finally:
            p.kill()
            p.wait()
            p.stderr.close()
            if self.server.proc is None:
                self.server.start()
        mp4 = os.path.join(self.streams_dir(), s + ".mp4")
        self.assertEqual(self.files_of(s).count(s + ".mp4.part"), 0)
        self.assertTrue(os.path.exists(mp4), self.files_of(s))
        self.assertGreater(self.probe_duration(mp4), 1.5)
        self.assertTrue(self.ended(s))


class TokenTest(RtmpTestCase):

    def setUp(self):
        super().setUp()
        self.server.set_settings({"publishTokenControlEnabled": True})

    def test_no_token_bad_token_refused(self):
        s = unique_id()
        self.assertRefused(self.ffmpeg(self.url(s), seconds=1), s)
        self.assertRefused(self.ffmpeg(self.url(s, "nosuchtoken"),
                                       seconds=1), s)

    def test_token_spent_once(self):
        s = unique_id()
        token = self.mint_ok(s, "publish")["tokenId"]
        r = self.ffmpeg(self.url(s, token))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(wait_for(lambda: self.ended(s)))
        self.assertEqual(self.tokens_of(s), [])
        again = self.ffmpeg(self.url(s, token), seconds=1)
        self.assertNotEqual(again.returncode, 0)
        self.assertIn(REFUSAL, again.stderr)
        # Reconnecting with a new token works.
        fresh = self.mint_ok(s, "publish")["tokenId"]
        r = self.ffmpeg(self.url(s, fresh), seconds=2)
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_play_token_cannot_publish_and_is_kept(self):
        s = unique_id()
        token = self.mint_ok(s, "play")["tokenId"]
        self.assertRefused(self.ffmpeg(self.url(s, token), seconds=1), s)
        self.assertEqual(self.tokens_of(s), [token])

    def test_path_form_token(self):
        s = unique_id()
        token = self.mint_ok(s, "publish")["tokenId"]
        r = self.ffmpeg(self.url(s) + "/" + token)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(wait_for(lambda: self.ended(s)))
        self.assertEqual(self.tokens_of(s), [])

    def test_undefined_stream_refused_before_token(self):
        self.server.set_settings({"acceptOnlyStreamsInDataStore": True})
        s = unique_id()
        token = self.mint_ok(s, "publish")["tokenId"]
        self.assertRefused(self.ffmpeg(self.url(s, token), seconds=1), s)
        self.assertEqual(self.tokens_of(s), [token])  # not spent
        r = self.server.post("/%s/rest/v2/broadcasts/create" % APP,
                             {"streamId": s})
        self.assertEqual(r.status, 200)
        r = self.ffmpeg(self.url(s, token))
        self.assertEqual(r.returncode, 0, r.stderr)

        def finished():
            b = self.server.get("/%s/rest/v2/broadcasts/%s" % (APP, s))
            return b.status == 200 and b.json()["status"] == "finished"
        self.assertTrue(wait_for(finished))
        b = self.server.get("/%s/rest/v2/broadcasts/%s" % (APP, s)).json()
        self.assertEqual(b["publishType"], "RTMP")
        self.assertFalse(b["zombi"])


class PlaybackTest(RtmpTestCase):

    def test_publish_then_play_hls_with_one_token_each(self):
        self.server.set_settings({"publishTokenControlEnabled": True,
                                  "playTokenControlEnabled": True})
        s = unique_id()
        publish = self.mint_ok(s, "publish")["tokenId"]
        r = self.ffmpeg(self.url(s, publish))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(wait_for(lambda: self.ended(s)))
        play = self.mint_ok(s, "play")["tokenId"]
        url = "http://127.0.0.1:%d/%s/streams/%s.m3u8?token=%s" % (
            self.server.http_port, APP, s, play)
        # ffprobe keeps no cookies: the session rides in the playlist URIs.
        self.assertGreaterEqual(self.decoded_frames(url), 60)
        # Spent: another client is refused; ffprobe, the client that spent
        # it, resumes its session with it.
        r = self.server.get(url.split("%d" % self.server.http_port, 1)[1],
                            source="127.0.0.2")
        self.assertEqual(r.status, 403, r)
        again = subprocess.run(["ffprobe", "-v", "error", url],
                               capture_output=True, text=True, timeout=60)
        self.assertEqual(again.returncode, 0, again.stderr)


class BadInputTest(RtmpTestCase):

    def raw(self, payload):
        with socket.create_connection(("127.0.0.1", self.server.rtmp_port),
                                      timeout=10) as sock:
            sock.sendall(payload)
            sock.shutdown(socket.SHUT_WR)
            data = b""
            while True:  # the server closes: read until EOF
                chunk = sock.recv(65536)
                if not chunk:
                    return data
                data += chunk

    def test_silent_client_is_closed(self):
        # A client that stops half-way through the handshake, or one that
        # trickles bytes, is closed when it has not asked to publish 10 s
        # after it came, not kept for ever.
        for trickle in (False, True):
            with socket.create_connection(
                    ("127.0.0.1", self.server.rtmp_port), timeout=60) as sock:
                sock.sendall(b"\x03" + b"\x00" * 100)
                started = time.monotonic()
                sock.settimeout(0.5 if trickle else 60)
                while True:  # until EOF; the 60 s timeout raises
                    try:
                        if not sock.recv(65536):
                            break
                    except socket.timeout:
                        if time.monotonic() - started > 60:
                            raise
                        sock.sendall(b"\x00")
                elapsed = time.monotonic() - started
                self.assertGreater(elapsed, 8)
                self.assertLess(elapsed, 30)
        self.assertHealthy()

    def test_garbage_costs_one_connection(self):
        s = unique_id()
        live = self.ffmpeg(self.url(s), seconds=4, wait=False)
        try:
            self.raw(os.urandom(5000))
            self.raw(b"\x03" + os.urandom(1536) + b"\xff" * 3000)
            self.raw(b"")
        finally:
            self.assertEqual(live.wait(timeout=60), 0, live.stderr.read())
            live.stderr.close()
        self.assertTrue(wait_for(lambda: self.ended(s)))
        self.assertHealthy()


if __name__ == "__main__":
    unittest.main()
