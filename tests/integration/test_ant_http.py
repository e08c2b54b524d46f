"""What Ant Media's HTTP side gives clients and Tollgate must too (PROTOCOL.md
1): CORS on every answer and preflights answered (Ant Media's CorsHeaderFilter
on Tomcat's CorsFilter), the default app `live`, and /{app} redirected to
/{app}/ with its query (Tomcat's context-root redirect)."""

import os
import unittest
import urllib.parse

from test_rtmp import RtmpTestCase, wait_for
from tollgate_fixture import (APP, APP2, TollgateTestCase, future, token_body,
                              unique_id)

ORIGIN = "https://player.example.com"
OUTSIDER = "127.0.0.2"
COUNT = "/%s/rest/v2/broadcasts/count"
SETTINGS = "/rest/v2/applications/settings/%s"
EXPOSED = {"accept-ranges", "content-length", "content-range"}


def names(value):
    """A comma-separated header value as a set of lower-case names."""
    return {v.strip().lower() for v in (value or "").split(",") if v.strip()}


class CorsTest(TollgateTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.folder = os.path.join(cls.server.data_dir, "streams", APP)
        with open(os.path.join(cls.folder, "c1.mp4"), "wb") as f:
            f.write(b"0123456789")

    def media(self, name="c1.mp4"):
        return "/%s/streams/%s" % (APP, name)

    def assertCors(self, r, origin=ORIGIN):
        """The headers every answer carries, for a request from origin
        (None: a request without Origin)."""
        h = r.headers
        if origin is None:
            self.assertEqual(h.get("Access-Control-Allow-Origin"), "*", h)
            self.assertIsNone(h.get("Access-Control-Allow-Credentials"), h)
        else:
            self.assertEqual(h.get("Access-Control-Allow-Origin"), origin, h)
            self.assertEqual(h.get("Access-Control-Allow-Credentials"),
                             "true", h)
        self.assertEqual(len(h.get_all("Access-Control-Allow-Origin")), 1, h)
        self.assertIn("origin", names(", ".join(h.get_all("Vary") or [])), h)
        self.assertLessEqual(
            EXPOSED, names(h.get("Access-Control-Expose-Headers")), h)

    def preflight(self, path, method, headers=None, source=None):
        hdrs = {"Origin": ORIGIN, "Access-Control-Request-Method": method}
        if headers is not None:
            hdrs["Access-Control-Request-Headers"] = headers
        return self.server.request("OPTIONS", path, headers=hdrs,
                                   source=source)

    def assertPreflight(self, r, methods, headers):
        self.assertIn(r.status, (200, 204), r)
        self.assertCors(r)
        self.assertEqual(
            names(r.headers.get("Access-Control-Allow-Methods")), methods,
            r.headers)
        self.assertLessEqual(
            headers, names(r.headers.get("Access-Control-Allow-Headers")),
            r.headers)
        self.assertGreater(int(r.headers.get("Access-Control-Max-Age", "0")),
                           0, r.headers)

    # -- answers ---------------------------------------------------------
    def test_origin_echoed_on_every_route(self):
        for path in (self.media(), "/%s/streams/s1.m3u8" % APP,
                     "/%s/play.html" % APP, "/%s/" % APP, COUNT % APP,
                     SETTINGS % APP, "/healthz"):
            with self.subTest(path=path):
                r = self.server.get(path, headers={"Origin": ORIGIN})
                self.assertIn(r.status, (200, 404), r)
                self.assertCors(r)

    def test_star_without_origin(self):
        for path in (self.media(), "/%s/play.html" % APP, COUNT % APP):
            with self.subTest(path=path):
                r = self.server.get(path)
                self.assertEqual(r.status, 200, r)
                self.assertCors(r, origin=None)

    def test_origin_that_is_no_http_origin_gets_star(self):
        for origin in ("null", "file://", "https://a.example, https://b"):
            with self.subTest(origin=origin):
                r = self.server.get(self.media(), headers={"Origin": origin})
                self.assertEqual(r.status, 200, r)
                self.assertCors(r, origin=None)

    def test_media_range_is_readable(self):
        r = self.server.get(self.media(),
                            headers={"Origin": ORIGIN, "Range": "bytes=2-4"})
        self.assertEqual((r.status, r.body), (206, b"234"))
        self.assertEqual(r.headers["Content-Range"], "bytes 2-4/10")
        self.assertCors(r)

    def test_over_https(self):
        r = self.server.get(self.media(), https=True,
                            headers={"Origin": ORIGIN})
        self.assertEqual(r.status, 200, r)
        self.assertCors(r)

    def test_refusals_carry_cors(self):
        checks = [
            ("GET", "/NoSuchApp/streams/s1.m3u8", None, 404),
            ("GET", "/NoSuchApp/play.html", None, 404),
            ("GET", self.media("missing.ts"), None, 404),
            ("POST", self.media(), None, 403),
            ("DELETE", self.media(), None, 403),
            ("POST", "/%s/play.html" % APP, None, 405),
            ("GET", COUNT % APP, OUTSIDER, 403),
            ("GET", SETTINGS % APP, OUTSIDER, 403),
            ("GET", COUNT % "NoSuchApp", None, 404),
        ]
        for method, path, source, status in checks:
            with self.subTest(method=method, path=path):
                r = self.server.request(method, path, source=source,
                                        headers={"Origin": ORIGIN})
                self.assertEqual(r.status, status, r)
                self.assertCors(r)

    def test_token_refusal_carries_cors_and_preflight_spends_nothing(self):
        self.assertResult(self.server.set_settings(
            {"playTokenControlEnabled": True}, app=APP2), 200, success=True)
        self.addCleanup(self.server.set_settings,
                        {"playTokenControlEnabled": False}, app=APP2)
        folder = os.path.join(self.server.data_dir, "streams", APP2)
        with open(os.path.join(folder, "t1.mp4"), "wb") as f:
            f.write(b"media")
        tok = self.mint_ok("t1", app=APP2)["tokenId"]
        path = "/%s/streams/t1.mp4?token=%s" % (APP2, tok)
        r = self.server.get("/%s/streams/t1.mp4?token=wrong" % APP2,
                            headers={"Origin": ORIGIN})
        self.assertEqual((r.status, r.body), (403, b"Invalid Token for "
                                                    b"streamId:t1"))
        self.assertCors(r)
        r = self.preflight(path, "GET", "range")
        self.assertPreflight(r, {"get", "head", "options"}, {"range"})
        r = self.server.get(path, headers={"Origin": ORIGIN})
        self.assertEqual((r.status, r.body), (200, b"media"))
        self.assertCors(r)

    # -- preflights ------------------------------------------------------
    def test_preflight_streams(self):
        for name in ("c1.mp4", "s1.m3u8", "missing.ts"):
            with self.subTest(name=name):
                r = self.preflight(self.media(name), "GET", "range")
                self.assertPreflight(r, {"get", "head", "options"},
                                     {"range"})
                self.assertEqual(r.body, b"")

    def test_preflight_streams_other_methods_refused(self):
        for method in ("PUT", "POST", "DELETE"):
            with self.subTest(method=method):
                r = self.preflight(self.media(), method)
                self.assertEqual(r.status, 403, r)
                self.assertCors(r)
                self.assertIsNone(
                    r.headers.get("Access-Control-Allow-Methods"), r.headers)
        self.assertTrue(os.path.exists(os.path.join(self.folder, "c1.mp4")))

    def test_preflight_pages(self):
        for path in ("/%s/" % APP, "/%s/play.html" % APP):
            with self.subTest(path=path):
                r = self.preflight(path, "GET")
                self.assertPreflight(
                    r, {"get", "head", "options"},
                    {"content-type", "authorization", "range"})

    def test_preflight_rest(self):
        for path, method in ((COUNT % APP, "GET"),
                             ("/%s/rest/v2/broadcasts/create" % APP, "POST"),
                             ("/%s/rest/v2/broadcasts/s1" % APP, "PUT"),
                             ("/%s/rest/v2/broadcasts/s1" % APP, "DELETE"),
                             (SETTINGS % APP, "POST")):
            with self.subTest(path=path, method=method):
                r = self.preflight(path, method, "content-type, authorization")
                self.assertPreflight(
                    r, {"get", "post", "put", "delete", "options"},
                    {"content-type", "authorization"})

    def test_preflight_rest_from_refused_address_as_today(self):
        # As any request from there: 403, and nothing about the route.
        for path in (COUNT % APP, SETTINGS % APP,
                     "/%s/rest/v2/broadcasts/create" % APP):
            with self.subTest(path=path):
                r = self.preflight(path, "POST", "content-type",
                                   source=OUTSIDER)
                plain = self.server.request("POST", path, body={},
                                            source=OUTSIDER)
                self.assertEqual(r.status, 403, r)
                self.assertEqual(r.body, plain.body)
                self.assertCors(r)
                self.assertIsNone(
                    r.headers.get("Access-Control-Allow-Methods"), r.headers)

    def test_preflight_unknown_app_is_404(self):
        for path in ("/NoSuchApp/streams/s1.m3u8", COUNT % "NoSuchApp",
                     SETTINGS % "NoSuchApp"):
            with self.subTest(path=path):
                r = self.preflight(path, "GET")
                self.assertEqual(r.status, 404, r)
                self.assertCors(r)
                self.assertIsNone(
                    r.headers.get("Access-Control-Allow-Methods"), r.headers)

    def test_plain_options_unchanged(self):
        r = self.server.request("OPTIONS", self.media(),
                                headers={"Origin": ORIGIN})
        self.assertIn(r.status, (200, 204), r)
        self.assertEqual(names(r.headers["Allow"]), {"get", "head", "options"})
        self.assertCors(r)


class RedirectTest(TollgateTestCase):

    def test_app_without_slash_redirects_keeping_the_query(self):
        for app in (APP, APP2, "live"):
            for query in ("", "?id=s1&token=T",
                          "?id=s%201&token=a%2Bb&x=%C3%A9&y="):
                with self.subTest(app=app, query=query):
                    r = self.server.get("/%s%s" % (app, query))
                    self.assertEqual(r.status, 302, r)
                    self.assertEqual(r.headers["Location"],
                                     "/%s/%s" % (app, query))
                    r = self.server.get(r.headers["Location"])
                    self.assertEqual(r.status, 200, r)
                    self.assertEqual(r.content_type, "text/html")

    def test_over_https_the_location_stays_relative(self):
        r = self.server.get("/%s?id=s1" % APP, https=True)
        self.assertEqual((r.status, r.headers["Location"]),
                         (302, "/%s/?id=s1" % APP))

    def test_unknown_app_stays_404(self):
        for path in ("/NoSuchApp", "/NoSuchApp?id=s1", "/liveapp"):
            with self.subTest(path=path):
                self.assertEqual(self.server.get(path).status, 404)

    def test_redirect_spends_no_token(self):
        s = unique_id()
        publish = self.mint_ok(s, "publish")
        play = self.mint_ok(s, "play")
        for tok in (publish, play):
            r = self.server.get("/%s?id=%s&token=%s"
                                % (APP, s, tok["tokenId"]))
            self.assertEqual(r.status, 302, r)
        for tok in (publish, play):
            self.assertValid(token_body(tok), expect=True)


class LiveAppTest(RtmpTestCase):
    """`live` exists on a fresh server: its REST API, RTMP publishing and
    HLS playback over HTTP, token-gated both ways."""
    PER_TEST = True

    def test_live_app_mints_publishes_and_plays(self):
        app = "live"
        self.assertTrue(os.path.isdir(
            os.path.join(self.server.data_dir, "streams", app)))
        # HLS kept when the stream ends, to be played as VoD.
        self.assertResult(self.server.set_settings(
            {"publishTokenControlEnabled": True,
             "playTokenControlEnabled": True,
             "deleteHLSFilesOnEnded": False}, app=app), 200, success=True)
        s = unique_id()
        q = urllib.parse.urlencode({"expireDate": future(), "type": "play"})
        r = self.server.get("/%s/rest/v2/broadcasts/%s/token?%s"
                            % (app, s, q))
        play = self.assertToken(r, s, "play")["tokenId"]
        publish = self.mint_ok(s, "publish", app=app)["tokenId"]
        url = "rtmp://127.0.0.1:%d/%s/%s" % (self.server.rtmp_port, app, s)
        refused = self.ffmpeg(url + "?token=wrong", seconds=2)
        self.assertNotEqual(refused.returncode, 0)
        r = self.ffmpeg(url + "?token=" + publish, seconds=2)
        self.assertEqual(r.returncode, 0, r.stderr)
        playlist = os.path.join(self.server.data_dir, "streams", app,
                                s + ".m3u8")

        def ended():
            if not os.path.exists(playlist):
                return False
            with open(playlist) as f:
                return "#EXT-X-ENDLIST" in f.read()
        self.assertTrue(wait_for(ended))
        path = "/%s/streams/%s.m3u8" % (app, s)
        self.assertEqual(self.server.get(path).status, 403)
        r = self.server.get("%s?token=%s" % (path, play))
        self.assertEqual(r.status, 200, r)
        self.assertIn(b"#EXTINF", r.body)
        # Spent by the request above: refused to any other client.
        self.assertEqual(self.server.get("%s?token=%s" % (path, play),
                                         source="127.0.0.2").status, 403)
        fresh = self.mint_ok(s, "play", app=app)["tokenId"]
        url = "http://127.0.0.1:%d%s?token=%s" % (self.server.http_port, path,
                                                  fresh)
        self.assertGreater(self.probe_duration(url), 1.0)

if __name__ == "__main__":
    unittest.main()
