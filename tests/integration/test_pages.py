"""The pages (PROTOCOL.md 6): /{app}/ (publish) and /{app}/play.html,
served from the binary; play.html in headless Chromium (Debian's, driven
by playwright-core: tests/browser/watch-page.mjs) plays a stream published
over RTMP through WebRTC, and its video element decodes frames."""

import json
import os
import subprocess
import unittest

from test_webrtc import WebRtcTestCase
from tollgate_fixture import APP, unique_id

BROWSER_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                           "..", "browser")


class PagesTest(WebRtcTestCase):

    def test_pages_are_served(self):
        for path, kind in (("/%s/" % APP, "text/html"),
                           ("/%s/play.html" % APP, "text/html"),
                           ("/%s/signalling.js" % APP, "text/javascript"),
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
        self.assertEqual(seen["status"], "play_started", seen)
        self.assertEqual(self.tokens_of(s), [])

    def test_play_page_with_a_bad_token_shows_the_refusal(self):
        s = unique_id()
        self.publish(s)
        token = self.play_token(s)
        code, seen = self.watch(
            "http://127.0.0.1:%d/%s/play.html?id=%s&token=nope"
            % (self.server.http_port, APP, s))
        self.assertEqual(code, 1, seen)
        self.assertEqual(seen["status"], "error: unauthorized_access", seen)
        self.assertEqual(self.tokens_of(s), [token])


if __name__ == "__main__":
    unittest.main()
