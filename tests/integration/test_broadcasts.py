"""Broadcast records over REST: PROTOCOL.md 2.3."""

import re
import time
import unittest

from tollgate_fixture import (APP, APP2, MSG_DELETED_NOT_LIVE,
                              MSG_ID_INVALID, MSG_ID_USED, TollgateTestCase,
                              unique_id)

BASE = "/%s/rest/v2/broadcasts" % APP
FIELDS = ("streamId", "name", "description", "status", "type", "publishType",
          "date", "startTime", "updateTime", "duration", "hlsViewerCount",
          "dashViewerCount", "webRTCViewerCount", "rtmpViewerCount",
          "srtViewerCount", "rtspViewerCount", "rtmpURL", "zombi", "width", "height", "bitrate", "remoteIp")
NUMBERS = ("date", "startTime", "updateTime", "duration", "hlsViewerCount",
           "dashViewerCount", "webRTCViewerCount", "rtmpViewerCount",
           "srtViewerCount", "rtspViewerCount", "width", "height", "bitrate")
VIEWER_COUNTS = ("hlsViewerCount", "dashViewerCount", "webRTCViewerCount",
                 "rtmpViewerCount", "srtViewerCount", "rtspViewerCount")
ID_RE = re.compile(r"^[A-Za-z0-9_.-]+$")


class BroadcastTest(TollgateTestCase):

    def create(self, body, app=APP):
        return self.server.post("/%s/rest/v2/broadcasts/create" % app, body)

    def create_ok(self, body):
        b = self.assertJson(self.create(body), 200)
        self.assertBroadcast(b)
        return b

    def assertBroadcast(self, b):
        self.assertIsInstance(b, dict)
        for f in FIELDS:
            self.assertIn(f, b, "field %s missing in %r" % (f, b))
        for f in NUMBERS:
            self.assertIsInstance(b[f], int, "%s not a number: %r" % (f, b))
            self.assertNotIsInstance(b[f], bool, "%s: %r" % (f, b))
        self.assertIsInstance(b["zombi"], bool, b)
        self.assertIsInstance(b["streamId"], str, b)
        for f in ("name", "description", "publishType", "rtmpURL",
                  "remoteIp"):
            self.assertIsInstance(b[f], (str, type(None)), "%s: %r" % (f, b))

    def count(self):
        obj = self.assertJson(self.server.get(BASE + "/count"), 200)
        self.assertEqual(set(obj), {"number"}, obj)
        self.assertIsInstance(obj["number"], int)
        return obj["number"]

    def test_create_empty(self):
        before_ms = int(time.time() * 1000)
        b = self.create_ok({})
        self.assertRegex(b["streamId"], ID_RE)
        self.assertEqual(b["status"], "created")
        self.assertEqual(b["type"], "liveStream")
        self.assertIs(b["zombi"], False)
        for f in VIEWER_COUNTS:
            self.assertEqual(b[f], 0, f)
        # Unset fields are written as null, not left out (PROTOCOL 2).
        self.assertIsNone(b["publishType"], b)
        self.assertIsNone(b["remoteIp"], b)
        self.assertIsNone(b["name"], b)
        self.assertIsNone(b["description"], b)
        # date is the creation time in ms since the epoch.
        self.assertLess(abs(b["date"] - before_ms), 600000, b)

    def test_generated_ids_differ(self):
        a, b = self.create_ok({}), self.create_ok({})
        self.assertNotEqual(a["streamId"], b["streamId"])

    def test_create_with_id_name_description(self):
        s = unique_id()
        b = self.create_ok({"streamId": s, "name": "My show",
                            "description": "d\u00e9j\u00e0 vu"})
        self.assertEqual(b["streamId"], s)
        self.assertEqual(b["name"], "My show")
        self.assertEqual(b["description"], "d\u00e9j\u00e0 vu")
        got = self.assertJson(self.server.get(BASE + "/" + s), 200)
        self.assertBroadcast(got)
        self.assertEqual(got["name"], "My show")
        self.assertEqual(got["description"], "d\u00e9j\u00e0 vu")
        self.assertEqual(got["status"], "created")

    def test_stream_id_trimmed(self):
        s = unique_id("abc")
        b = self.create_ok({"streamId": "  %s \t" % s})
        self.assertEqual(b["streamId"], s)
        self.assertEqual(self.server.get(BASE + "/" + s).status, 200)

    def test_blank_stream_id_is_generated(self):
        for given in ("", "   "):
            with self.subTest(streamId=given):
                b = self.create_ok({"streamId": given})
                self.assertRegex(b["streamId"], ID_RE)

    def test_list_beyond_end(self):
        self.create_ok({})
        r = self.server.get(BASE + "/list/100000/10")
        self.assertEqual(self.assertJson(r, 200), [])

    def test_all_allowed_characters(self):
        s = "A-z_0.9-" + unique_id()
        self.assertEqual(self.create_ok({"streamId": s})["streamId"], s)

    def test_duplicate(self):
        s = unique_id()
        self.create_ok({"streamId": s})
        for dup in (s, " %s " % s):
            with self.subTest(streamId=dup):
                self.assertResult(self.create({"streamId": dup}), 400,
                                  success=False, message=MSG_ID_USED)

    def test_invalid_stream_ids(self):
        for bad in ("a b", "a/b", "a$b", "caf\u00e9", "a?b", "a%b", "a:b",
                    "<script>", "a\nb"):
            with self.subTest(streamId=bad):
                self.assertResult(self.create({"streamId": bad}), 400,
                                  success=False, message=MSG_ID_INVALID)

    def test_get_missing_is_404_empty(self):
        r = self.server.get(BASE + "/" + unique_id("missing"))
        self.assertEqual(r.status, 404, r)
        self.assertEqual(r.body, b"")

    def test_list_capped_at_50(self):
        for _ in range(55 - self.count()):
            self.create_ok({})
        self.assertGreaterEqual(self.count(), 55)
        first = self.assertJson(self.server.get(BASE + "/list/0/100"), 200)
        self.assertIsInstance(first, list)
        self.assertEqual(len(first), 50)
        for b in first:
            self.assertBroadcast(b)
        n = self.count()
        rest = self.assertJson(self.server.get(BASE + "/list/50/100"), 200)
        self.assertEqual(len(rest), n - 50)
        ids = [b["streamId"] for b in first + rest]
        self.assertEqual(len(set(ids)), n, "pages overlap or repeat")
        small = self.assertJson(self.server.get(BASE + "/list/0/3"), 200)
        self.assertEqual(len(small), 3)

    def test_delete(self):
        s = unique_id()
        self.create_ok({"streamId": s})
        n = self.count()
        r = self.server.delete(BASE + "/" + s)
        # Not live: Ant Media's words for a broadcast it could not stop.
        self.assertResult(r, 200, success=True, message=MSG_DELETED_NOT_LIVE)
        r = self.server.get(BASE + "/" + s)
        self.assertEqual(r.status, 404, r)
        self.assertEqual(r.body, b"")
        self.assertEqual(self.count(), n - 1)
        r = self.server.delete(BASE + "/" + s)
        obj = self.assertResult(r, 200, success=False)
        self.assertEqual((obj["message"], obj["dataId"]), (None, None))
        # The id is free again.
        self.assertEqual(self.create_ok({"streamId": s})["streamId"], s)

    def test_delete_missing(self):
        r = self.server.delete(BASE + "/" + unique_id("missing"))
        self.assertResult(r, 200, success=False)

    def test_count(self):
        n = self.count()
        self.create_ok({})
        self.create_ok({"streamId": unique_id()})
        self.assertEqual(self.count(), n + 2)

    def test_active_live_stream_count(self):
        self.create_ok({})
        obj = self.assertJson(
            self.server.get(BASE + "/active-live-stream-count"), 200)
        self.assertEqual(obj, {"number": 0})

    def test_apps_are_separate(self):
        s = unique_id()
        self.create_ok({"streamId": s})
        r = self.server.get("/%s/rest/v2/broadcasts/%s" % (APP2, s))
        self.assertEqual(r.status, 404, r)
        b = self.assertJson(self.create({"streamId": s}, app=APP2), 200)
        self.assertEqual(b["streamId"], s)

    def test_unknown_app(self):
        self.assertEqual(self.create({}, app="NoSuchApp").status, 404)
        r = self.server.get("/NoSuchApp/rest/v2/broadcasts/count")
        self.assertEqual(r.status, 404, r)


if __name__ == "__main__":
    unittest.main()
