"""Application settings over REST: PROTOCOL.md 2.4."""

import unittest

from tollgate_fixture import APP, APP2, TollgateTestCase

DEFAULTS = {
    "publishTokenControlEnabled": False,
    "playTokenControlEnabled": False,
    "acceptOnlyStreamsInDataStore": False,
    "publishJwtControlEnabled": False,
    "playJwtControlEnabled": False,
    "jwtStreamSecretKey": "",
    "hlsMuxingEnabled": True,
    "dashMuxingEnabled": False,
    "mp4MuxingEnabled": False,
    "hlsTime": "2",
    "hlsListSize": "15",
    "encoderSettings": [],
    "webRTCEnabled": True,
    "remoteAllowedCIDR": "127.0.0.1",
    "ipFilterEnabled": True,
}


class SettingsTest(TollgateTestCase):
    PER_TEST = True

    def get_settings(self, app=APP):
        obj = self.assertJson(self.server.settings(app), 200)
        self.assertIsInstance(obj, dict)
        return obj

    def post_ok(self, obj, app=APP):
        self.assertResult(self.server.set_settings(obj, app), 200,
                          success=True)

    def assertDefaults(self, obj):
        for k, v in DEFAULTS.items():
            self.assertIn(k, obj, "settings lack %s" % k)
            self.assertEqual(obj[k], v, k)
            self.assertIs(type(obj[k]), type(v), k)

    def test_defaults(self):
        for app in (APP, APP2):
            with self.subTest(app=app):
                self.assertDefaults(self.get_settings(app))

    def test_change_and_persist(self):
        s = self.get_settings()
        s["mp4MuxingEnabled"] = True
        s["hlsTime"] = "4"
        s["hlsListSize"] = "6"
        s["playTokenControlEnabled"] = True
        s["encoderSettings"] = [{"height": 480, "videoBitrate": 1000000,
                                 "audioBitrate": 96000}]
        self.post_ok(s)
        want = dict(DEFAULTS, mp4MuxingEnabled=True, hlsTime="4",
                    hlsListSize="6", playTokenControlEnabled=True,
                    encoderSettings=s["encoderSettings"])

        def check():
            got = self.get_settings()
            for k, v in want.items():
                self.assertEqual(got[k], v, k)
            ladder = got["encoderSettings"]
            self.assertEqual(len(ladder), 1)
            for k in ("height", "videoBitrate", "audioBitrate"):
                self.assertEqual(ladder[0][k], s["encoderSettings"][0][k])
            # The other app is not touched.
            self.assertDefaults(self.get_settings(APP2))

        check()
        self.server.restart()
        check()

    def test_post_returned_object_unchanged(self):
        # GET then POST of the same object is accepted and changes nothing.
        s = self.get_settings()
        self.post_ok(s)
        self.assertEqual(self.get_settings(), s)

    def test_jwt_secret(self):
        s = self.get_settings()
        s["playJwtControlEnabled"] = True
        s["jwtStreamSecretKey"] = "0123456789abcdef0123456789abcdef"
        self.post_ok(s)
        got = self.get_settings()
        self.assertIs(got["playJwtControlEnabled"], True)
        self.assertEqual(got["jwtStreamSecretKey"], s["jwtStreamSecretKey"])

    def test_bad_values_change_nothing(self):
        cases = [
            ("hlsTime", {"hlsTime": "abc"}),
            ("hlsTime", {"hlsTime": "2x"}),
            ("hlsListSize", {"hlsListSize": "many"}),
            ("encoderSettings", {"encoderSettings": [
                {"height": -1, "videoBitrate": 1000000,
                 "audioBitrate": 96000}]}),
            ("encoderSettings", {"encoderSettings": {"height": 480}}),
            ("publishTokenControlEnabled",
             {"publishTokenControlEnabled": "yes"}),
            ("playTokenControlEnabled", {"playTokenControlEnabled": "on"}),
            ("remoteAllowedCIDR", {"remoteAllowedCIDR": "not-a-cidr"}),
            ("publish", {"publishTokenControlEnabled": True,
                         "publishJwtControlEnabled": True}),
            ("play", {"playTokenControlEnabled": True,
                      "playJwtControlEnabled": True}),
        ]
        before = self.get_settings()
        for field, change in cases:
            with self.subTest(field=field, change=change):
                s = dict(before)
                # A valid change in the same POST must not be applied either.
                s["mp4MuxingEnabled"] = True
                s["hlsListSize"] = "9"
                s.update(change)
                r = self.server.set_settings(s)
                # A refused settings POST is a 200 Result, as Ant Media's.
                obj = self.assertResult(r, 200, success=False)
                self.assertIsInstance(obj["message"], str)
                if field == "encoderSettings":
                    self.assertTrue("encoderSettings" in obj["message"] or
                                    "height" in obj["message"], obj)
                elif field in ("publish", "play"):
                    self.assertTrue(any(k in obj["message"] for k in change),
                                    obj)
                else:
                    self.assertIn(field, obj["message"])
                self.assertEqual(self.get_settings(), before)

    def test_invalid_json(self):
        before = self.get_settings()
        for body in (b"{", b"[]", b'"x"', b"", b"null"):
            with self.subTest(body=body):
                r = self.server.post(
                    "/rest/v2/applications/settings/%s" % APP, body)
                self.assertResult(r, 200, success=False)
        self.assertEqual(self.get_settings(), before)

    def test_unknown_app(self):
        r = self.server.settings("NoSuchApp")
        self.assertEqual(r.status, 404, r)
        r = self.server.set_settings(dict(DEFAULTS), "NoSuchApp")
        self.assertEqual(r.status, 404, r)


if __name__ == "__main__":
    unittest.main()
