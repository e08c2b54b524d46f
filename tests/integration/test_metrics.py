"""GET /metrics: Prometheus' text format (read back with prometheus_client's
own parser), every token decision counted with its labels, tokens minted,
live publications by door, HTTP requests by status; closed as REST is."""

import subprocess
import unittest

from prometheus_client.parser import text_string_to_metric_families

from test_rtmp import RtmpTestCase, wait_for
from tollgate_fixture import APP, unique_id

OUTSIDER = "127.0.0.2"
APPS = ("LiveApp", "WebRTCAppEE", "live")  # the embedded defaults


class MetricsTest(RtmpTestCase):
    def scrape(self, **kw):
        r = self.server.get("/metrics", **kw)
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.headers["Content-Type"].startswith(
            "text/plain; version=0.0.4"), r.headers)
        text = r.body.decode("utf-8")
        samples = {}
        for family in text_string_to_metric_families(text):
            for s in family.samples:
                key = (s.name, tuple(sorted(s.labels.items())))
                samples[key] = s.value
        return text, samples

    @staticmethod
    def value(samples, name, **labels):
        return samples.get((name, tuple(sorted(labels.items()))), 0)

    def delta(self, before, after, name, **labels):
        return (self.value(after, name, **labels)
                - self.value(before, name, **labels))

    def test_token_decisions_counted_by_labels(self):
        self.server.set_settings({"publishTokenControlEnabled": True})
        try:
            _, before = self.scrape()
            s = unique_id()
            token = self.mint_ok(s, "publish")["tokenId"]
            # No token, a token that is no token, then the real one.
            for t in (None, "not-a-token"):
                r = self.ffmpeg(self.url(s, t), seconds=1)
                self.assertNotEqual(r.returncode, 0)
            r = self.ffmpeg(self.url(s, token), seconds=1)
            self.assertEqual(r.returncode, 0, r.stderr)
            # An app that does not exist: its name is the client's, and no
            # label.
            r = self.ffmpeg("rtmp://127.0.0.1:%d/NoSuchApp/%s"
                            % (self.server.rtmp_port, s), seconds=1)
            self.assertNotEqual(r.returncode, 0)
            text, after = self.scrape()
        finally:
            self.server.set_settings({"publishTokenControlEnabled": False})
        # RTMP checks the token as the publisher asks, and its stream's
        # tokencheck spends it as the pipeline starts.
        decision = dict(name="tollgate_token_decisions_total", app=APP,
                        direction="publish", door="rtmp", scheme="token",
                        stage="check")
        self.assertEqual(self.delta(before, after, **decision,
                                    result="refused", reason="no-token"), 1)
        self.assertEqual(self.delta(before, after, **decision,
                                    result="refused",
                                    reason="unknown-or-spent"), 1)
        self.assertEqual(self.delta(before, after, **decision,
                                    result="admitted", reason="ok"), 1)
        self.assertEqual(self.delta(
            before, after, "tollgate_token_decisions_total", app=APP,
            direction="publish", door="tokencheck", scheme="token",
            stage="spend", result="admitted", reason="ok"), 1)
        self.assertEqual(self.delta(
            before, after, "tollgate_token_decisions_total", app="",
            direction="publish", door="rtmp", scheme="none", result="refused",
            reason="unknown-app", stage="check"), 1)
        self.assertNotIn("NoSuchApp", text)
        self.assertNotIn(token, text)
        self.assertEqual(self.delta(
            before, after, "tollgate_tokens_minted_total", app=APP,
            direction="publish", scheme="token"), 1)
        # The store's time: the two tokens presented were looked up
        # (checked, or spent), each timed in a histogram whose +Inf bucket
        # holds every one.
        looked_up = 0
        for op in ("check", "consume"):
            count = self.delta(
                before, after,
                "tollgate_store_operation_duration_seconds_count",
                operation=op)
            self.assertEqual(self.delta(
                before, after,
                "tollgate_store_operation_duration_seconds_bucket",
                operation=op, le="+Inf"), count)
            looked_up += count
        self.assertGreaterEqual(looked_up, 2)

    def test_live_publications_and_viewers_by_door(self):
        s = unique_id()
        publisher = self.ffmpeg(self.url(s), seconds=30, wait=False)
        viewer = None
        try:
            self.assertTrue(wait_for(lambda: self.value(
                self.scrape()[1], "tollgate_live_publications",
                door="rtmp") == 1))
            _, samples = self.scrape()
            for door in ("rtmp", "srt", "rtsp", "webrtc", "hls", "dash"):
                self.assertIn(("tollgate_live_viewers", (("door", door),)),
                              samples)
            # Playable once its tracks are known (its first segment).
            self.assertTrue(wait_for(lambda: "%s000000000.ts" % s
                                     in self.playlist(s)))
            token = self.mint_ok(s, "play")["tokenId"]
            viewer = subprocess.Popen(
                ["ffmpeg", "-nostdin", "-v", "error", "-i", self.url(s, token),
                 "-f", "null", "-"], stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL)
            self.assertTrue(wait_for(lambda: self.value(
                self.scrape()[1], "tollgate_live_viewers", door="rtmp") == 1))
            viewer.kill()
            viewer.wait()
            self.assertTrue(wait_for(lambda: self.value(
                self.scrape()[1], "tollgate_live_viewers", door="rtmp") == 0))
        finally:
            for p in (viewer, publisher):
                if p is not None:
                    p.kill()
                    p.wait()
        # Gone: the gauge says 0, not its last reading.
        self.assertTrue(wait_for(lambda: self.value(
            self.scrape()[1], "tollgate_live_publications", door="rtmp") == 0
            and ("tollgate_live_publications", (("door", "rtmp"),))
            in self.scrape()[1]))

    def test_http_requests_by_status(self):
        _, before = self.scrape()
        for _ in range(2):
            self.assertEqual(self.server.get("/%s/nothing/here" % APP).status,
                             404)
        # Counted once the response is written, which may be just after
        # the client has read it.
        self.assertTrue(wait_for(lambda: self.delta(
            before, self.scrape()[1], "tollgate_http_requests_total",
            code="404") == 2))
        _, after = self.scrape()
        self.assertEqual(self.delta(before, after,
                                    "tollgate_http_requests_total",
                                    code="404"), 2)
        # (the first scrape, answered before the second)
        self.assertGreaterEqual(self.delta(before, after,
                                           "tollgate_http_requests_total",
                                           code="200"), 1)

    def test_closed_as_rest_is(self):
        r = self.server.get("/metrics", source=OUTSIDER)
        self.assertEqual(r.status, 403, r)
        self.assertEqual(self.server.post("/metrics", {}).status, 405)
        # Allowed to one app's REST API only: the metrics speak of them all.
        wide = {"remoteAllowedCIDR": "127.0.0.1,%s" % OUTSIDER}
        narrow = {"remoteAllowedCIDR": "127.0.0.1"}
        try:
            self.server.set_settings(wide, app=APPS[0])
            self.assertEqual(
                self.server.get("/metrics", source=OUTSIDER).status, 403)
            for app in APPS[1:]:
                self.server.set_settings(wide, app=app)
            self.scrape(source=OUTSIDER)
            # The web console is closed the same way (tg-rest-guard.c).
            r = self.server.get("/console/", source=OUTSIDER)
            self.assertEqual(r.status, 200, r)
            self.assertTrue(r.headers["Content-Type"].startswith(
                "text/html"), r.headers)
        finally:
            for app in APPS:
                self.server.set_settings(narrow, app=app)
        for path in ("/metrics", "/console/", "/console/console.js"):
            self.assertEqual(self.server.get(path, source=OUTSIDER).status,
                             403, path)


if __name__ == "__main__":
    unittest.main()
