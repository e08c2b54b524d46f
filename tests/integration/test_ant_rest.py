"""Ant Media's REST as its clients see it (PROTOCOL.md 2, 2.3, 2.4): Result
objects with dataId null, refusals that are 200 success:false where Ant
Media answers so, request bodies that may carry every Ant Media field, an
empty create body, PUT and POST stop of a broadcast, and HLS files deleted
when a stream ends by default (deleteHLSFilesOnEnded)."""

import http.client
import json
import os
import unittest

from test_rtmp import RtmpTestCase, wait_for
from tollgate_fixture import APP, unique_id

BASE = "/%s/rest/v2/broadcasts" % APP
SETTINGS = "/rest/v2/applications/settings/%s" % APP


class AntRestTest(RtmpTestCase):

    def raw_post(self, path, body, method="POST"):
        """A request with exactly this body (bytes, or None for none)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.server.http_port,
                                          timeout=30)
        try:
            headers = {"Content-Type": "application/json"}
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()

    def result(self, status_body, expected=200):
        status, body = status_body
        self.assertEqual(status, expected, body)
        obj = json.loads(body)
        self.assertEqual(set(obj), {"success", "message", "dataId",
                                    "errorId"}, obj)
        return obj

    # --- Result and refusals ---

    def test_result_has_null_data_id(self):
        obj = self.assertResult(self.server.set_settings({}), 200,
                                success=True)
        self.assertIsNone(obj["dataId"])
        self.assertIsNone(obj["message"])

    def test_validate_token_without_type_or_stream_is_a_refusal(self):
        s = unique_id()
        tok = self.mint_ok(s, "play")
        for body in ({"tokenId": tok["tokenId"], "streamId": s},
                     {"tokenId": tok["tokenId"], "type": "play"},
                     {"tokenId": tok["tokenId"], "streamId": s,
                      "type": "Play"}):
            with self.subTest(body=body):
                self.assertResult(self.server.validate(body), 200,
                                  success=False)
        status, body = self.raw_post(BASE + "/validate-token", b"{not json")
        self.assertEqual(status, 200, body)
        self.assertIs(json.loads(body)["success"], False)
        # None of those spent it.
        self.assertEqual(self.tokens_of(s), [tok["tokenId"]])

    def test_refused_settings_are_200_naming_the_field(self):
        for body, field in (({"hlsTime": "abc"}, "hlsTime"),
                            ({"noSuchSetting": 1}, "noSuchSetting"),
                            ({"playJwtControlEnabled": True},
                             "jwtStreamSecretKey")):
            with self.subTest(body=body):
                self.assertResult(self.server.set_settings(body), 200,
                                  success=False, message_contains=field)
        now = self.assertJson(self.server.settings(), 200)
        self.assertEqual(now["hlsTime"], "2")
        self.assertIs(now["playJwtControlEnabled"], False)

    # --- Ant Media's field names ---

    def test_settings_take_ant_fields_and_ignore_them(self):
        body = {"webMMuxingEnabled": True, "listenerHookURL": "http://x/",
                "h264Enabled": True, "mp4MuxingEnabled": True}
        self.assertResult(self.server.set_settings(body), 200, success=True)
        now = self.assertJson(self.server.settings(), 200)
        self.assertIs(now["mp4MuxingEnabled"], True)
        self.assertNotIn("webMMuxingEnabled", now)
        self.assertNotIn("listenerHookURL", now)

    def test_broadcast_takes_ant_fields_and_refuses_others(self):
        s = unique_id()
        r = self.server.post(BASE + "/create", {
            "streamId": s, "name": "n", "username": "u", "password": "p",
            "publicStream": True, "listenerHookURL": None,
            "playListItemList": [], "metaData": "m"})
        b = self.assertJson(r, 200)
        self.assertEqual((b["streamId"], b["name"]), (s, "n"))
        self.assertNotIn("username", b)
        r = self.server.post(BASE + "/create", {"streamID": unique_id()})
        self.assertResult(r, 400, success=False, message_contains="streamID")

    def test_create_without_a_body(self):
        for body in (None, b""):
            with self.subTest(body=body):
                status, text = self.raw_post(BASE + "/create", body)
                self.assertEqual(status, 200, text)
                b = json.loads(text)
                self.assertRegex(b["streamId"], r"^[A-Za-z0-9]{20}$")
                self.assertEqual(b["status"], "created")

    # --- PUT and stop ---

    def test_put_updates_name_and_description(self):
        s = unique_id()
        self.assertJson(self.server.post(BASE + "/create",
                                         {"streamId": s, "name": "a"}), 200)
        status, body = self.raw_post(
            BASE + "/" + s,
            json.dumps({"name": "b", "description": "d",
                        "username": "ignored"}).encode(), method="PUT")
        self.assertIs(self.result((status, body))["success"], True)
        b = self.assertJson(self.server.get(BASE + "/" + s), 200)
        self.assertEqual((b["name"], b["description"], b["status"]),
                         ("b", "d", "created"))
        # Left as it was when not named.
        self.raw_post(BASE + "/" + s, b'{"description":"e"}', method="PUT")
        b = self.assertJson(self.server.get(BASE + "/" + s), 200)
        self.assertEqual((b["name"], b["description"]), ("b", "e"))

    def test_put_refusals(self):
        missing = unique_id("missing")
        obj = self.result(self.raw_post(BASE + "/" + missing, b'{"name":"x"}',
                                        method="PUT"))
        self.assertEqual(obj["message"],
                         "Broadcast with streamId: %s does not exist"
                         % missing)
        s = unique_id()
        self.assertJson(self.server.post(BASE + "/create", {"streamId": s}),
                        200)
        obj = self.result(self.raw_post(BASE + "/" + s, b'{"nmae":"x"}',
                                        method="PUT"))
        self.assertIs(obj["success"], False)
        self.assertIn("nmae", obj["message"])

    def test_stop_when_not_live(self):
        s = unique_id()
        self.assertJson(self.server.post(BASE + "/create", {"streamId": s}),
                        200)
        self.assertResult(self.server.post(BASE + "/%s/stop" % s, {}), 200,
                          success=False)

    def test_stop_cuts_the_publisher_off_and_keeps_the_broadcast(self):
        s = unique_id()
        self.assertJson(self.server.post(BASE + "/create", {"streamId": s}),
                        200)
        p = self.ffmpeg(self.url(s), seconds=60, wait=False)
        try:
            self.assertTrue(wait_for(lambda: "%s000000000.ts" % s
                                     in self.playlist(s), timeout=30))
            status, body = self.raw_post(BASE + "/%s/stop" % s, None)
            self.assertIs(self.result((status, body))["success"], True)
            self.assertNotEqual(p.wait(timeout=20), 0)
        finally:
            p.kill()
            p.wait()
            p.stderr.close()
        self.assertTrue(wait_for(lambda: self.assertJson(
            self.server.get(BASE + "/" + s), 200)["status"] == "finished"))

    # --- deleteHLSFilesOnEnded ---

    def test_hls_files_deleted_when_the_stream_ends_by_default(self):
        self.assertResult(self.server.set_settings(
            {"deleteHLSFilesOnEnded": True}), 200, success=True)
        fresh = self.make_server()
        try:
            fresh.start()
            self.assertIs(self.assertJson(fresh.settings(), 200)
                          ["deleteHLSFilesOnEnded"], True)
        finally:
            fresh.cleanup()
        s = unique_id()
        p = self.ffmpeg(self.url(s), seconds=60, wait=False)
        try:
            self.assertTrue(wait_for(lambda: "%s000000000.ts" % s
                                     in self.files_of(s), timeout=30))
        finally:
            p.terminate()
            p.wait()
            p.stderr.close()
        self.assertTrue(wait_for(lambda: self.files_of(s) == []),
                        self.files_of(s))
        self.assertFalse(os.path.exists(os.path.join(self.streams_dir(),
                                                     s + ".m3u8")))


if __name__ == "__main__":
    unittest.main()
