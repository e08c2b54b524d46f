"""The pages (PROTOCOL.md 6): /{app}/ (publish) and /{app}/play.html,
served from the binary, in headless Chromium (Debian's, with a fake camera
and microphone, driven by playwright-core: tests/browser/): play.html plays
a stream published over RTMP and one the publish page publishes, and its
video element decodes frames."""

import http.server
import json
import os
import subprocess
import threading
import unittest

from test_rtmp import wait_for

from test_webrtc import WebRtcTestCase
from tollgate_fixture import APP, unique_id

# Ant Media's player's requests, from a page of another origin, without
# cookies (credentials omitted).
CROSS_ORIGIN_PAGE = """<!doctype html>
<video id="video" muted autoplay playsinline></video>
<div id="status">starting</div>
<script src="BASE/hls.js"></script>
<script>
const streams = "BASE/streams/";
const query = "?token=TOKEN";
const status = document.getElementById("status");
(async () => {
  const head = (file) => fetch(streams + file + query,
                               { method: "HEAD", credentials: "omit" });
  const adaptive = await head("STREAM_adaptive.m3u8");
  const plain = await head("STREAM.m3u8");
  if (!plain.ok) {
    status.textContent = `error: ${adaptive.status} then ${plain.status}`;
    return;
  }
  const hls = new Hls({ xhrSetup: (xhr) => (xhr.withCredentials = false) });
  hls.on(Hls.Events.ERROR, (e, data) => {
    if (data.fatal) status.textContent = `error: ${data.details}`;
  });
  hls.loadSource(streams + "STREAM.m3u8" + query);
  hls.attachMedia(document.getElementById("video"));
  status.textContent = `playing: ${adaptive.status} then ${plain.status}`;
})();
</script>
"""

BROWSER_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                           "..", "browser")


class PagesTest(WebRtcTestCase):

    def test_pages_are_served(self):
        for path, kind in (("/%s/" % APP, "text/html"),
                           ("/%s/play.html" % APP, "text/html"),
                           ("/%s/signalling.js" % APP, "text/javascript"),
                           ("/%s/hls.js" % APP, "text/javascript"),
                           ("/%s/dash.js" % APP, "text/javascript"),
                           ("/%s/pages.css" % APP, "text/css")):
            with self.subTest(path=path):
                r = self.server.get(path)
                self.assertEqual(r.status, 200)
                self.assertTrue(r.content_type.startswith(kind), r)
        self.assertEqual(self.server.post("/%s/play.html" % APP, {}).status,
                         405)
        self.assertEqual(self.server.get("/NoSuchApp/play.html").status, 404)

    def watch(self, url):
        r = subprocess.run(["node", "watch-page.mjs", url], cwd=BROWSER_DIR,
                           capture_output=True, text=True, timeout=120)
        lines = r.stdout.strip().splitlines()
        self.assertTrue(lines, r.stderr)
        return r.returncode, json.loads(lines[-1])

    def test_play_page_plays_an_rtmp_stream_over_webrtc(self):
        s = unique_id()
        self.publish(s)
        token = self.play_token(s)
        code, seen = self.watch(
            "http://127.0.0.1:%d/%s/play.html?id=%s&token=%s"
            "&playOrder=webrtc" % (self.server.http_port, APP, s, token))
        self.assertEqual(code, 0, seen)
        self.assertEqual((seen["videoWidth"], seen["videoHeight"]),
                         (320, 240), seen)
        self.assertGreater(seen["currentTime"], seen["start"] + 1)
        self.assertEqual(seen["status"], "playing (webrtc)", seen)
        self.assertEqual(self.tokens_of(s), [])

    def test_publish_page_publishes_and_play_page_plays_it(self):
        self.server.set_settings({"publishTokenControlEnabled": True})
        self.addCleanup(self.server.set_settings,
                        {"publishTokenControlEnabled": False})
        s = unique_id()
        token = self.mint_ok(s, "publish")["tokenId"]
        publisher = subprocess.Popen(
            ["node", "publish-page.mjs",
             "http://127.0.0.1:%d/%s/?id=%s&token=%s"
             % (self.server.http_port, APP, s, token)],
            cwd=BROWSER_DIR, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            text=True)
        self.addCleanup(publisher.wait, 60)
        self.addCleanup(publisher.kill)
        started = json.loads(publisher.stdout.readline())
        self.assertEqual(started["status"], "publish_started", started)
        self.assertEqual(self.tokens_of(s), [])
        self.assertTrue(wait_for(lambda: "%s000000001.ts" % s
                                 in self.playlist(s), timeout=30))
        code, seen = self.watch(
            "http://127.0.0.1:%d/%s/play.html?id=%s&token=%s"
            "&playOrder=webrtc" % (self.server.http_port, APP, s,
                                   self.play_token(s)))
        self.assertEqual(code, 0, seen)
        self.assertEqual(seen["status"], "playing (webrtc)", seen)
        # Chromium's fake camera.
        self.assertEqual((seen["videoWidth"], seen["videoHeight"]),
                         (640, 480), seen)
        publisher.stdin.close()
        self.assertEqual(publisher.wait(60), 0)
        self.assertTrue(wait_for(lambda: self.ended(s)))
        playlist = os.path.join(self.streams_dir(), s + ".m3u8")
        self.assertGreaterEqual(self.decoded_frames(playlist), 25)

    def test_play_page_with_a_bad_token_shows_the_refusal(self):
        s = unique_id()
        self.publish(s)
        token = self.play_token(s)
        code, seen = self.watch(
            "http://127.0.0.1:%d/%s/play.html?id=%s&token=nope"
            % (self.server.http_port, APP, s))
        self.assertEqual(code, 1, seen)
        self.assertEqual(seen["status"], "error: webrtc: unauthorized_access;"
                         " hls: unauthorized_access", seen)
        self.assertEqual(self.tokens_of(s), [token])

    def test_play_page_with_a_spent_token_shows_the_refusal(self):
        """A token another client has spent (an HLS request from
        127.0.0.2): every technology of the page is refused, and says
        so."""
        s = self.live_with_hls()
        token = self.play_token(s)
        r = self.server.get("/%s/streams/%s.m3u8?token=%s" % (APP, s, token),
                            source="127.0.0.2")
        self.assertEqual(r.status, 200, r)
        code, seen = self.watch(self.page("id=%s&token=%s" % (s, token)))
        self.assertEqual(code, 1, seen)
        self.assertEqual(seen["status"], "error: webrtc: unauthorized_access;"
                         " hls: unauthorized_access", seen)

    def page(self, query):
        return "http://127.0.0.1:%d/%s/play.html?%s" % (
            self.server.http_port, APP, query)

    def live_with_hls(self):
        s = unique_id()
        self.publish(s)
        self.assertTrue(wait_for(lambda: self.playlist(s)))
        return s

    def test_play_page_plays_hls_on_one_token(self):
        """playOrder=hls: the adaptive master is asked for first (404: no
        ladder), which spends the token and opens the session that plays
        the stream's own playlist; the token then opens nothing for
        another client."""
        s = self.live_with_hls()
        token = self.play_token(s)
        code, seen = self.watch(self.page("id=%s&playOrder=hls&token=%s"
                                          % (s, token)))
        self.assertEqual(code, 0, seen)
        self.assertEqual(seen["status"], "playing (hls)", seen)
        self.assertEqual((seen["videoWidth"], seen["videoHeight"]),
                         (320, 240), seen)
        self.assertEqual(self.tokens_of(s), [])
        r = self.server.request("HEAD", "/%s/streams/%s.m3u8?token=%s"
                                % (APP, s, token), source="127.0.0.2")
        self.assertEqual(r.status, 403, r)

    def test_play_page_falls_back_from_webrtc_to_hls(self):
        """The default order (webrtc,hls) with WebRTC off for the app: the
        WebRTC attempt fails before playing and spends nothing, so HLS
        plays with the same token, which is then spent."""
        s = self.live_with_hls()
        self.server.set_settings({"webRTCEnabled": False})
        self.addCleanup(self.server.set_settings, {"webRTCEnabled": True})
        code, seen = self.watch(self.page("id=%s&token=%s"
                                          % (s, self.play_token(s))))
        self.assertEqual(code, 0, seen)
        self.assertEqual(seen["status"], "playing (hls)", seen)
        self.assertIn("webrtc failed (no_stream_exist)",
                      "\n".join(seen["console"]), seen)
        self.assertEqual(self.tokens_of(s), [])

    def test_play_page_plays_high_profile_over_webrtc(self):
        """H.264 High profile without B-frames (libx264 with -tune
        zerolatency, low-latency OBS setups): browsers take constrained
        baseline only (Chromium refused the video m-line of an offer with
        the stream's 64001e and played audio alone), so the WebRTC video is
        re-encoded once; HLS keeps the original."""
        s = unique_id()
        self.publish(s, x264=("-preset", "veryfast", "-tune", "zerolatency",
                              "-profile:v", "high"))
        code, seen = self.watch(self.page("id=%s&playOrder=webrtc&token=%s"
                                          % (s, self.play_token(s))))
        self.assertEqual(code, 0, seen)
        self.assertEqual((seen["videoWidth"], seen["videoHeight"]),
                         (320, 240), seen)
        self.assertTrue(wait_for(lambda: self.playlist(s)))
        playlist = os.path.join(self.streams_dir(), s + ".m3u8")
        self.assertIn("h264,High", self.ffprobe(
            playlist, "stream=codec_name,profile").split())

    def test_player_on_another_origin_plays_hls_on_one_token(self):
        """A page served from another origin (another port) asks as Ant
        Media's player does, without cookies: HEAD {id}_adaptive.m3u8 (404,
        which spends the token), HEAD {id}.m3u8 with the same token, then
        hls.js without credentials. The second request resumes the session
        the first opened (same client), so the page plays; CORS lets it read
        each answer."""
        s = self.live_with_hls()
        token = self.play_token(s)
        base = "http://127.0.0.1:%d/%s" % (self.server.http_port, APP)
        page = (CROSS_ORIGIN_PAGE.replace("BASE", base)
                .replace("STREAM", s).replace("TOKEN", token)).encode()

        class Page(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, *args):
                pass

        other = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Page)
        threading.Thread(target=other.serve_forever, daemon=True).start()
        self.addCleanup(other.server_close)
        self.addCleanup(other.shutdown)
        # localhost, not 127.0.0.1: another origin than the server's.
        code, seen = self.watch("http://localhost:%d/" % other.server_port)
        self.assertEqual(code, 0, seen)
        self.assertEqual(seen["status"], "playing: 404 then 200", seen)
        self.assertEqual(self.tokens_of(s), [])

    def test_play_page_plays_dash_and_ll_hls_on_one_token_each(self):
        """dashMuxingEnabled: playOrder=dash (dash.js; the adaptive MPD is
        asked for first and is 404) and playOrder=ll-hls (hls.js in low
        latency mode, blocking reloads) play a user's stream (High
        profile, B-frames) through a token each, spent."""
        self.server.set_settings({"dashMuxingEnabled": True})
        self.addCleanup(self.server.set_settings,
                        {"dashMuxingEnabled": False})
        s = unique_id()
        self.publish(s, b_frames=2, x264=("-preset", "veryfast",
                                          "-profile:v", "high"))
        mpd = os.path.join(self.streams_dir(), s, s + ".mpd")
        self.assertTrue(wait_for(lambda: os.path.exists(mpd), timeout=30))
        for order in ("dash", "ll-hls"):
            with self.subTest(order=order):
                code, seen = self.watch(self.page(
                    "id=%s&playOrder=%s&token=%s"
                    % (s, order, self.play_token(s))))
                self.assertEqual(code, 0, seen)
                self.assertEqual(seen["status"], "playing (%s)" % order,
                                 seen)
                self.assertEqual((seen["videoWidth"], seen["videoHeight"]),
                                 (320, 240), seen)
                self.assertEqual(self.tokens_of(s), [])

    def test_play_page_plays_a_recording(self):
        self.server.set_settings({"mp4MuxingEnabled": True})
        self.addCleanup(self.server.set_settings,
                        {"mp4MuxingEnabled": False})
        s = unique_id()
        self.assertEqual(self.ffmpeg(self.url(s), seconds=4).returncode, 0)
        self.assertTrue(wait_for(lambda: s + ".mp4" in self.files_of(s)))
        code, seen = self.watch(self.page(
            "id=streams/%s.mp4&playOrder=vod&token=%s"
            % (s, self.play_token(s))))
        self.assertEqual(code, 0, seen)
        self.assertEqual(seen["status"], "playing (vod)", seen)
        self.assertEqual(self.tokens_of(s), [])


if __name__ == "__main__":
    unittest.main()
