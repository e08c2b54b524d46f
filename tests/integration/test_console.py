"""The web console (/console/) in headless Chromium (Debian's, driven by
playwright-core through tests/browser/console-page.mjs), against the real
server and real publishers (ffmpeg): it is closed as /metrics is and loads
nothing from another origin; a setting changed in it takes effect, and the
server's refusal of a bad one is shown; a live stream shows its size and
codecs, and its thumbnail; ending a viewer's session cuts the viewer; a
token minted in it gives URLs that work; the chart counts the decisions.
A screenshot of each view is kept: console-*.png in TOLLGATE_ARTEFACTS_DIR,
by default the build's meson-logs folder."""

import json
import os
import subprocess

from test_rtmp import REFUSAL, RtmpTestCase, wait_for
from tollgate_fixture import APP, unique_id

BROWSER_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                           "..", "browser")
OUTSIDER = "127.0.0.2"
APPS = ("LiveApp", "WebRTCAppEE", "live")  # the embedded defaults
FILES = (("", "text/html"), ("console.js", "text/javascript"),
         ("console.css", "text/css"), ("uplot.js", "text/javascript"),
         ("uplot.css", "text/css"))
CSP = "default-src 'self'; img-src 'self' data: blob:"
PUBLISH_DOORS = ("rtmp", "srt", "webrtc-publish", "whip", "whip-bearer",
                 "rtsp")
PLAY_DOORS = ("hls", "hls-adaptive", "ll-hls", "dash", "vod", "webrtc-play",
              "whep-bearer", "rtsp", "rtmp", "srt")


def artefacts_dir():
    d = os.environ.get("TOLLGATE_ARTEFACTS_DIR") or os.path.join(
        os.environ.get("TOLLGATE_BUILD_ROOT", "."), "meson-logs")
    os.makedirs(d, exist_ok=True)
    return d


def js(value):
    """A Python value as a JavaScript literal."""
    return json.dumps(value)


class ConsolePage:
    """One Chromium page driven through console-page.mjs."""

    def __init__(self, url):
        self.proc = subprocess.Popen(
            ["node", "console-page.mjs", url], cwd=BROWSER_DIR,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            env=dict(os.environ, TIMEOUT_MS="30000"))

    def call(self, op, **args):
        self.proc.stdin.write(json.dumps(dict(args, op=op)) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise AssertionError("console-page.mjs ended (%s)" % op)
        answer = json.loads(line)
        if not answer["ok"]:
            raise AssertionError("%s %r: %s" % (op, args, answer["error"]))
        return answer["value"]

    def wait(self, expr, timeout=30000):
        return self.call("wait", expr=expr, timeout=timeout)

    def text(self, element_id):
        return self.call("eval", expr="document.getElementById(%s)"
                         ".textContent" % js(element_id))

    def wait_text(self, element_id, wanted, timeout=30000):
        """Waits until the element's text is wanted; returns it."""
        return self.wait(
            "(() => { const e = document.getElementById(%s);"
            " return e && e.textContent === %s && e.textContent; })()"
            % (js(element_id), js(wanted)), timeout)

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()


class ConsoleTest(RtmpTestCase):
    # Every door on, for the URLs of each.
    SERVER_KW = {"extra_args": ["--rtmp-port", "1", "--srt-port", "1",
                                "--rtsp-port", "1"]}

    def console_url(self, host="127.0.0.1"):
        return "http://%s:%d/console/" % (host, self.server.http_port)

    def open_console(self):
        page = ConsolePage(self.console_url())
        self.addCleanup(page.close)
        self.assertEqual(page.call("goto"), 200)
        page.wait("document.body.dataset.ready === 'true'")
        return page

    def screenshot(self, page, view, name=None):
        path = os.path.join(artefacts_dir(), "console-%s.png" % (name or view))
        page.call("screenshot", selector="#view-" + view, path=path)
        self.assertGreater(os.path.getsize(path), 0)

    def assertNoErrors(self, page):
        seen = page.call("console")
        errors = [m for m in seen if m.startswith("pageerror")
                  or (m.startswith("error") and "Failed to load resource"
                      not in m)]
        self.assertEqual(errors, [], seen)

    def publisher(self, stream, token=None, seconds=60):
        p = self.ffmpeg(self.url(stream, token), seconds=seconds, wait=False)
        self.addCleanup(self.end_process, p)
        return p

    @staticmethod
    def end_process(p):
        if p.poll() is None:
            p.kill()
        p.wait()
        if p.stderr:
            p.stderr.close()

    def broadcasting(self, stream):
        r = self.server.get("/%s/rest/v2/broadcasts/%s" % (APP, stream))
        return r.status == 200 and r.json()["status"] == "broadcasting" \
            and r.json()["width"] > 0

    def restore_settings(self):
        self.server.set_settings({"publishTokenControlEnabled": False,
                                  "publishJwtControlEnabled": False,
                                  "playTokenControlEnabled": False})

    # -- closed, same origin --------------------------------------------
    def test_closed_as_rest_is_and_same_origin(self):
        for name, kind in FILES:
            with self.subTest(file=name):
                r = self.server.get("/console/" + name)
                self.assertEqual(r.status, 200, r)
                self.assertTrue(r.content_type.startswith(kind), r.headers)
                self.assertEqual(r.headers["Content-Security-Policy"], CSP)
                self.assertEqual(r.headers["X-Content-Type-Options"],
                                 "nosniff")
                self.assertEqual(
                    self.server.get("/console/" + name,
                                    source=OUTSIDER).status, 403)
        r = self.server.get("/console")
        self.assertEqual((r.status, r.headers["Location"]),
                         (301, "/console/"))
        r = self.server.post("/console/", {})
        self.assertEqual((r.status, r.headers["Allow"]), (405, "GET, HEAD"))
        self.assertEqual(self.server.get("/console/nope").status, 404)
        for path in ("/rest/v2/applications", "/rest/v2/server",
                     "/rest/v2/token-decisions"):
            self.assertEqual(self.server.get(path, source=OUTSIDER).status,
                             403, path)
        # Chromium itself, from loopback, once one app no longer allows it
        # (that app is given back from the one address it then allows).
        narrow = {"remoteAllowedCIDR": "127.0.0.1"}
        self.assertIs(self.server.set_settings(
            {"remoteAllowedCIDR": OUTSIDER}, app=APPS[2]).json()["success"],
            True)
        self.addCleanup(self.server.post,
                        "/rest/v2/applications/settings/" + APPS[2], narrow,
                        source=OUTSIDER)
        page = ConsolePage(self.console_url())
        self.addCleanup(page.close)
        self.assertEqual(page.call("goto"), 403)
        self.assertIn("Not allowed to open the console",
                      page.call("eval", expr="document.body.textContent"))
        r = self.server.post("/rest/v2/applications/settings/" + APPS[2],
                             narrow, source=OUTSIDER)
        self.assertIs(r.json()["success"], True, r)
        self.assertEqual(page.call("goto"), 200)
        # Open to it once every app allows it, not before.
        wide = {"remoteAllowedCIDR": "127.0.0.1,%s" % OUTSIDER}
        self.addCleanup(lambda: [self.server.set_settings(narrow, app=a)
                                 for a in APPS])
        self.server.set_settings(wide, app=APPS[0])
        self.assertEqual(self.server.get("/console/", source=OUTSIDER).status,
                         403)
        for app in APPS[1:]:
            self.server.set_settings(wide, app=app)
        self.assertEqual(self.server.get("/console/", source=OUTSIDER).status,
                         200)

        page = self.open_console()
        self.assertEqual(page.text("server-version"), "version 0.1.0")
        self.assertEqual(page.call("eval", expr="[...document.querySelectorAll"
                                   "('#app-select option')].map(o => o.value)"),
                         list(APPS))
        page.wait("document.querySelector('#decisions-chart canvas') !== null")
        origin = "http://127.0.0.1:%d" % self.server.http_port
        requests = page.call("requests")
        self.assertIn(origin + "/console/uplot.js", requests)
        self.assertEqual([u for u in requests if not u.startswith(origin + "/")
                          and not u.startswith("data:")], [])
        self.assertNoErrors(page)

    # -- settings ---------------------------------------------------------
    def test_setting_takes_effect_and_refusal_is_shown(self):
        self.addCleanup(self.restore_settings)
        page = self.open_console()
        page.wait("document.getElementById('setting-hlsMuxingEnabled')"
                  ".checked === true")
        self.assertFalse(page.call("eval", expr="document.getElementById("
                                   "'setting-publishTokenControlEnabled')"
                                   ".checked"))
        page.call("check", selector="#setting-publishTokenControlEnabled")
        page.call("click", selector="#settings-save")
        page.wait_text("settings-message", "Saved")
        self.assertIs(self.server.settings().json()
                      ["publishTokenControlEnabled"], True)
        s = unique_id()
        self.assertRefused(self.ffmpeg(self.url(s)), s)
        self.screenshot(page, "settings")

        # Both schemes to publish: the server refuses, the page says why.
        page.call("check", selector="#setting-publishJwtControlEnabled")
        page.call("fill", selector="#setting-jwtStreamSecretKey",
                  value="k" * 40)
        expected = dict(self.server.settings().json(),
                        publishJwtControlEnabled=True,
                        jwtStreamSecretKey="k" * 40)
        refusal = self.server.set_settings(expected).json()
        self.assertIs(refusal["success"], False, refusal)
        page.call("click", selector="#settings-save")
        page.wait_text("settings-message", refusal["message"])
        self.assertEqual(page.call("eval", expr="document.getElementById("
                                   "'settings-message').dataset.state"),
                         "error")
        self.assertIs(self.server.settings().json()
                      ["publishJwtControlEnabled"], False)

        # An ABR rung with a bad height: refused, naming the field.
        page.call("uncheck", selector="#setting-publishJwtControlEnabled")
        page.call("click", selector="#abr-add")
        page.call("fill", selector="#abr-rows tr:last-child .abr-height",
                  value="-5")
        page.call("fill", selector="#abr-rows tr:last-child .abr-videoBitrate",
                  value="500000")
        page.call("fill", selector="#abr-rows tr:last-child .abr-audioBitrate",
                  value="64000")
        page.call("click", selector="#settings-save")
        page.wait("document.getElementById('settings-message').dataset.state"
                  " === 'error' && document.getElementById('settings-message')"
                  ".textContent.includes('encoderSettings')")
        self.assertEqual(self.server.settings().json()["encoderSettings"], [])
        self.screenshot(page, "settings", "settings-refused")
        self.assertNoErrors(page)

    # -- live streams -----------------------------------------------------
    def test_live_stream_shows_size_and_codecs(self):
        s = unique_id()
        self.publisher(s)
        self.assertTrue(wait_for(lambda: self.broadcasting(s), timeout=30))
        page = self.open_console()
        page.wait_text("stream-%s-resolution" % s, "320x240")
        page.wait_text("stream-%s-codecs" % s, "H264, AAC")
        self.assertEqual(page.text("stream-%s-door" % s), "RTMP")
        page.wait("document.getElementById(%s).textContent.endsWith('bit/s')"
                  % js("stream-%s-bitrate" % s))
        self.assertEqual(page.text("stream-%s-viewers-rtmp" % s), "0")
        self.assertTrue(page.call("eval", expr="document.getElementById("
                                  "'streams-empty').hidden"))
        self.screenshot(page, "streams")
        self.assertNoErrors(page)

    def test_thumbnail(self):
        """Needs GET /{app}/rest/v2/broadcasts/{id}/thumbnail."""
        s = unique_id()
        self.publisher(s)
        self.assertTrue(wait_for(lambda: self.broadcasting(s), timeout=30))
        page = self.open_console()
        width = page.wait("(() => { const i = document.getElementById(%s);"
                          " return i && i.complete && i.naturalWidth; })()"
                          % js("thumb-" + s), timeout=20000)
        self.assertGreater(width, 0)
        self.screenshot(page, "streams", "thumbnail")

    def test_end_session(self):
        """Needs the sessions API: GET and DELETE
        /{app}/rest/v2/broadcasts/{id}/sessions[/{sessionId}]."""
        s = unique_id()
        self.publisher(s)
        self.assertTrue(wait_for(lambda: self.broadcasting(s), timeout=30))
        viewer = subprocess.Popen(
            ["ffmpeg", "-nostdin", "-v", "error", "-i", self.url(s), "-f",
             "null", "-"], stderr=subprocess.PIPE, text=True)
        self.addCleanup(self.end_process, viewer)
        page = self.open_console()
        page.wait_text("stream-%s-viewers-rtmp" % s, "1")
        session = page.wait(
            "(() => { const r = document.querySelector(%s);"
            " return r && r.id; })()"
            % js('#sessions-%s tr[data-type="play"][data-door="RTMP"]' % s))
        self.assertIsNone(viewer.poll())
        self.screenshot(page, "streams", "sessions")
        page.call("click", selector='[id="end-%s"]'
                  % session[len("session-"):])
        viewer.wait(15)  # cut: ffmpeg ends
        page.wait_text("stream-%s-viewers-rtmp" % s, "0")
        page.wait("document.querySelector(%s) === null"
                  % js('[id="%s"]' % session))
        self.assertEqual(page.call("eval", expr="document.getElementById(%s)"
                                   ".dataset.state"
                                   % js("sessions-message-" + s)), "ok")
        self.assertNoErrors(page)

    # -- token and URLs, decisions ------------------------------------------
    def mint_in_page(self, page, stream, type):
        page.call("select", selector="#mint-app", value=APP)
        page.call("fill", selector="#mint-stream", value=stream)
        page.call("select", selector="#mint-type", value=type)
        page.call("fill", selector="#mint-expiry", value="10")
        page.call("click", selector="#mint-submit")
        page.wait("document.getElementById('mint-message').dataset.state"
                  " === 'ok' && document.getElementById('mint-message')"
                  ".textContent.includes(%s)" % js("%s/%s" % (APP, stream)))
        return page.text("mint-token")

    def test_minted_url_publishes(self):
        self.addCleanup(self.restore_settings)
        self.server.set_settings({"publishTokenControlEnabled": True})
        page = self.open_console()
        s = unique_id()
        token = self.mint_in_page(page, s, "publish")
        self.assertRegex(token, r"^[A-Za-z0-9]{22,}$")
        urls = {door: page.text("url-" + door) for door in PUBLISH_DOORS}
        h, r = self.server.http_port, self.server.rtmp_port
        self.assertEqual(urls["rtmp"], "rtmp://127.0.0.1:%d/%s/%s?token=%s"
                         % (r, APP, s, token))
        self.assertEqual(urls["whip"], "http://127.0.0.1:%d/%s/whip/%s"
                         % (h, APP, s))
        self.assertEqual(urls["whip-bearer"], token)
        self.assertEqual(urls["webrtc-publish"],
                         "http://127.0.0.1:%d/%s/?id=%s&token=%s"
                         % (h, APP, s, token))
        for door in ("srt", "rtsp"):
            self.assertIn(token, urls[door])
        # Its Copy button puts the RTMP URL on the clipboard.
        page.call("click", selector="#copy-rtmp")
        page.wait_text("copy-rtmp", "Copied")
        copied = page.call("eval", expr="navigator.clipboard.readText()")
        self.assertEqual(copied, urls["rtmp"])
        self.screenshot(page, "mint")
        # The URL copied publishes; the token is then spent.
        result = self.ffmpeg(copied)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("%s.m3u8" % s, self.files_of(s))
        refused = self.ffmpeg(urls["rtmp"])
        self.assertNotEqual(refused.returncode, 0)
        self.assertIn(REFUSAL, refused.stderr)

        # Play: every door, each with the token.
        play = self.mint_in_page(page, s, "play")
        for door in PLAY_DOORS:
            with self.subTest(door=door):
                self.assertIn(play, page.text("url-" + door))
        self.assertEqual(page.text("url-whep"),
                         "http://127.0.0.1:%d/%s/whep/%s" % (h, APP, s))
        self.assertEqual(page.text("url-srt"),
                         "srt://127.0.0.1:%d?streamid=#!::r=%s/%s,m=request,"
                         "t=%s" % (self.server.srt_port, APP, s, play))
        self.assertEqual(page.text("url-rtsp"),
                         "rtsp://127.0.0.1:%d/%s/%s?token=%s"
                         % (self.server.rtsp_port, APP, s, play))
        self.screenshot(page, "mint", "mint-play")
        self.assertEqual(page.text("url-hls"),
                         "http://127.0.0.1:%d/%s/streams/%s.m3u8?token=%s"
                         % (h, APP, s, play))
        self.assertNoErrors(page)

    def test_chart_counts_decisions(self):
        self.addCleanup(self.restore_settings)
        self.server.set_settings({"publishTokenControlEnabled": True})
        s = unique_id()
        self.assertRefused(self.ffmpeg(self.url(s)), s)
        token = self.server.mint(s, "publish").json()["tokenId"]
        self.assertEqual(self.ffmpeg(self.url(s, token)).returncode, 0)
        decisions = self.server.get("/rest/v2/token-decisions").json()
        self.assertEqual(decisions["step"], 60)
        self.assertEqual(len(decisions["points"]), 60)
        last = decisions["points"][-1]
        # Within the minute (or the one before, at a minute's turn).
        both = decisions["points"][-2:]
        self.assertGreaterEqual(sum(p["admitted"] for p in both), 1, both)
        self.assertGreaterEqual(sum(p["refused"] for p in both), 1, both)
        self.assertLessEqual(last["time"] % 60000, 0)
        page = self.open_console()
        page.wait("Number(document.getElementById('decisions-admitted')"
                  ".textContent) >= 1 && Number(document.getElementById("
                  "'decisions-refused').textContent) >= 1")
        page.wait("document.querySelector('#decisions-chart canvas')"
                  " !== null")
        self.screenshot(page, "decisions")
        self.assertNoErrors(page)


if __name__ == "__main__":
    import unittest
    unittest.main()
