"""Who may call REST: PROTOCOL.md 2.6 (remoteAllowedCIDR, ipFilterEnabled)."""

import unittest

from tollgate_fixture import (APP, APP2, TollgateTestCase, token_body,
                              unique_id)

COUNT = "/%s/rest/v2/broadcasts/count"
OUTSIDER = "127.0.0.2"


class AccessTest(TollgateTestCase):
    PER_TEST = True

    def change(self, **fields):
        s = self.assertJson(self.server.settings(APP), 200)
        s.update(fields)
        self.assertResult(self.server.set_settings(s), 200, success=True)

    def test_loopback_v4_and_v6_allowed(self):
        for host in ("127.0.0.1", "::1"):
            with self.subTest(host=host):
                r = self.server.get(COUNT % APP, host=host)
                self.assertJson(r, 200)
                tok = self.assertToken(
                    self.server.mint("s1", "play", host=host), "s1", "play")
                self.assertValid(token_body(tok), host=host, expect=True)
                r = self.server.settings(APP)
                self.assertEqual(r.status, 200)

    def test_outsider_refused_by_default(self):
        s = unique_id()
        checks = [
            ("GET", COUNT % APP, None),
            ("GET", "/%s/rest/v2/broadcasts/%s/token?expireDate=%d&type=play"
             % (APP, s, 4102444800), None),
            ("POST", "/%s/rest/v2/broadcasts/create" % APP, {}),
            ("GET", "/%s/rest/v2/broadcasts/list/0/10" % APP, None),
            ("DELETE", "/%s/rest/v2/broadcasts/%s/tokens" % (APP, s), None),
            ("GET", "/rest/v2/applications/settings/%s" % APP, None),
            ("POST", "/rest/v2/applications/settings/%s" % APP,
             {"ipFilterEnabled": False}),
            ("GET", COUNT % APP2, None),
        ]
        for method, path, body in checks:
            with self.subTest(method=method, path=path):
                r = self.server.request(method, path, body=body,
                                        source=OUTSIDER)
                self.assertEqual(r.status, 403, r)
        # Nothing an outsider asked for happened.
        n = self.assertJson(self.server.get(COUNT % APP), 200)
        self.assertEqual(n, {"number": 0})
        self.assertIs(self.assertJson(self.server.settings(APP), 200)
                      ["ipFilterEnabled"], True)

    def test_forwarding_headers_ignored(self):
        # Only the socket's peer address counts, not what the client claims.
        for name in ("X-Forwarded-For", "X-Real-IP", "Forwarded"):
            with self.subTest(header=name):
                value = "for=127.0.0.1" if name == "Forwarded" else "127.0.0.1"
                r = self.server.get(COUNT % APP, source=OUTSIDER,
                                    headers={name: value})
                self.assertEqual(r.status, 403, r)

    def test_outsider_refused_over_https(self):
        r = self.server.get(COUNT % APP, https=True, source=OUTSIDER)
        self.assertEqual(r.status, 403, r)
        r = self.server.get(COUNT % APP, https=True)
        self.assertEqual(r.status, 200, r)

    def test_refused_validate_does_not_consume(self):
        tok = self.mint_ok()
        r = self.server.validate(token_body(tok), source=OUTSIDER)
        self.assertEqual(r.status, 403, r)
        self.assertValid(token_body(tok), expect=True)

    def test_allowed_cidr_list(self):
        self.change(remoteAllowedCIDR="127.0.0.1,127.0.0.2/32")
        r = self.server.get(COUNT % APP, source=OUTSIDER)
        self.assertJson(r, 200)
        tok = self.assertToken(
            self.server.mint("s2", "publish", source=OUTSIDER), "s2",
            "publish")
        self.assertValid(token_body(tok), source=OUTSIDER, expect=True)
        # 127.0.0.3 is still outside, and so is the outsider in other apps.
        self.assertEqual(
            self.server.get(COUNT % APP, source="127.0.0.3").status, 403)
        self.assertEqual(
            self.server.get(COUNT % APP2, source=OUTSIDER).status, 403)
        # 127.0.0.1 and ::1 still get in.
        self.assertEqual(self.server.get(COUNT % APP).status, 200)
        self.assertEqual(self.server.get(COUNT % APP, host="::1").status, 200)

    def test_wider_cidr(self):
        self.change(remoteAllowedCIDR="127.0.0.0/8")
        for src in ("127.0.0.2", "127.0.0.3", "127.1.2.3"):
            with self.subTest(source=src):
                self.assertEqual(
                    self.server.get(COUNT % APP, source=src).status, 200)

    def test_ip_filter_disabled(self):
        self.change(ipFilterEnabled=False)
        for src in ("127.0.0.2", "127.0.0.3"):
            with self.subTest(source=src):
                self.assertJson(self.server.get(COUNT % APP, source=src), 200)
        self.assertEqual(
            self.server.get(COUNT % APP2, source=OUTSIDER).status, 403)

    def test_filter_survives_restart(self):
        self.change(remoteAllowedCIDR="127.0.0.1,127.0.0.2/32")
        self.server.restart()
        self.assertEqual(
            self.server.get(COUNT % APP, source=OUTSIDER).status, 200)
        self.assertEqual(
            self.server.get(COUNT % APP, source="127.0.0.3").status, 403)


if __name__ == "__main__":
    unittest.main()
