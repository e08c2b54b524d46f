"""Malformed requests: 4xx answers, no crash, no token consumed."""

import contextlib
import json
import socket
import ssl
import threading
import unittest

from tollgate_fixture import (APP, TollgateTestCase, future, raw_connect,
                              read_http_response, token_body, unique_id)

VALIDATE = "/%s/rest/v2/broadcasts/validate-token" % APP
CREATE = "/%s/rest/v2/broadcasts/create" % APP
SETTINGS = "/rest/v2/applications/settings/%s" % APP
BIG = 10 * 1024 * 1024


class MalformedTest(TollgateTestCase):

    @contextlib.contextmanager
    def survives(self):
        """The server stays up and a token minted before is still usable."""
        tok = self.mint_ok()
        yield tok
        self.assertHealthy()
        self.assertValid(token_body(tok), expect=True)

    def post_raw(self, path, body):
        return self.server.post(path, body)

    # -- JSON bodies -----------------------------------------------------
    def test_validate_bad_bodies(self):
        with self.survives() as tok:
            t, s = tok["tokenId"], tok["streamId"]
            good = json.dumps(token_body(tok))
            bodies = [
                b"", b"{", b"}", b"[]", b"[1,2]", b'"x"', b"42", b"null",
                b"true", b"{'tokenId':'x'}", b"\xff\xfe{}",
                json.dumps([token_body(tok)]),
                good + "x",
                json.dumps({"tokenId": t, "streamId": s}),
                json.dumps({"tokenId": t, "type": "play"}),
                json.dumps({"streamId": s, "type": "play"}),
                json.dumps({"tokenId": 5, "streamId": s, "type": "play"}),
                json.dumps({"tokenId": [t], "streamId": s, "type": "play"}),
                json.dumps({"tokenId": t, "streamId": 7, "type": "play"}),
                json.dumps({"tokenId": t, "streamId": s, "type": True}),
                json.dumps({"tokenId": t, "streamId": s, "type": None}),
                json.dumps({"tokenId": None, "streamId": s, "type": "play"}),
                json.dumps({"tokenId": t, "streamId": s, "type": "play",
                            "roomId": 3}),
                json.dumps({"tokenId": t, "streamId": s, "type": "play",
                            "bogus": 1}),
                json.dumps({"tokenId": t, "streamId": s, "type": "play",
                            "TokenId": t}),
                b'{"tokenId":"' + t.encode() + b'\xff","streamId":"' +
                s.encode() + b'","type":"play"}',
            ]
            for body in bodies:
                with self.subTest(body=body[:80]):
                    r = self.post_raw(VALIDATE, body)
                    # validate-token answers every refusal with a 200
                    # Result, as Ant Media does (PROTOCOL.md 2.1).
                    self.assertResult(r, 200, success=False)
                    self.assertTrue(r.json()["message"], r)

    def check_refused_keeps_token(self, make_body, statuses=(200,)):
        """make_body(token) is refused and the token stays usable."""
        tok = self.mint_ok()
        r = self.post_raw(VALIDATE, make_body(tok))
        self.assertIn(r.status, statuses, r)
        self.assertResult(r, r.status, success=False)
        self.assertValid(token_body(tok), expect=True)

    def test_range_outside_files_is_ignored(self):
        # libsoup 3.2.3 would apply a Range to any body; past its end it
        # hits a critical, fatal in tests. Only files answer Range.
        for path in ("/healthz", "/rest/v2/applications/settings/LiveApp"):
            for value in ("bytes=0-100000", "bytes=5000-6000", "bytes=-1"):
                r = self.server.request("GET", path,
                                        headers={"Range": value})
                self.assertEqual(r.status, 200, (path, value))
                self.assertIsNone(r.headers.get("Content-Range"))
        self.assertHealthy()

    def test_validate_concatenated_documents(self):
        # Two JSON texts in one body are not one valid JSON text.
        for tail in (" %s", "\n{}", "[]", " 1"):
            with self.subTest(tail=tail):
                self.check_refused_keeps_token(
                    lambda tok: json.dumps(token_body(tok)) +
                    (tail % json.dumps(token_body(tok)) if "%" in tail
                     else tail))

    def test_validate_nul_in_strings(self):
        # A string with an embedded NUL is another string, not a prefix.
        for field, suffix in (("tokenId", "\0"), ("tokenId", "\0xyz"),
                              ("streamId", "\0"), ("type", "\0")):
            with self.subTest(field=field, suffix=suffix):
                self.check_refused_keeps_token(
                    lambda tok: token_body(tok, **{field: tok[field] +
                                                   suffix}))
        self.assertHealthy()

    def test_create_bad_bodies(self):
        count = "/%s/rest/v2/broadcasts/count" % APP
        before = self.assertJson(self.server.get(count), 200)
        with self.survives():
            for body in (b"{", b"[]", b"[{}]", b'"x"', b"null",
                         json.dumps({"streamId": 5}),
                         json.dumps({"streamId": ["a"]}),
                         json.dumps({"name": {"a": 1}})):
                with self.subTest(body=body):
                    self.assertResult(self.post_raw(CREATE, body), 400,
                                      success=False)
            self.assertEqual(self.assertJson(self.server.get(count), 200),
                             before)

    def test_chunked_body_accepted(self):
        tok = self.mint_ok()
        body = json.dumps(token_body(tok)).encode()
        sock = raw_connect(self.server.http_port)
        with sock:
            sock.sendall(b"POST " + VALIDATE.encode() + b" HTTP/1.1\r\n"
                         b"Host: 127.0.0.1\r\nContent-Type: application/json"
                         b"\r\nTransfer-Encoding: chunked\r\n\r\n" +
                         b"%x\r\n" % 10 + body[:10] + b"\r\n" +
                         b"%x\r\n" % (len(body) - 10) + body[10:] +
                         b"\r\n0\r\n\r\n")
            r, _ = read_http_response(sock)
        self.assertEqual(r.status, 200, r)
        self.assertIs(r.json()["success"], True, r)

    # -- huge bodies -----------------------------------------------------
    def big_body(self, path):
        filler = "A" * BIG
        if path == VALIDATE:
            obj = {"tokenId": filler, "streamId": "s", "type": "play"}
        elif path == CREATE:
            obj = {"streamId": unique_id(), "name": filler}
        else:
            obj = {"jwtStreamSecretKey": filler}
        return json.dumps(obj).encode()

    def send_big(self, path, body, expect_continue):
        sock = raw_connect(self.server.http_port, timeout=30)
        head = (b"POST " + path.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/json\r\nContent-Length: " +
                str(len(body)).encode() + b"\r\n")
        if expect_continue:
            head += b"Expect: 100-continue\r\n"
        got = {}

        def reader(buf=b""):
            try:
                while True:
                    r, buf = read_http_response(sock, buf)
                    if r.status != 100:
                        got["r"] = r
                        return
                    got["continue"] = True
                    sent.wait(60)
            except (OSError, EOFError) as e:
                got["error"] = e

        sent = threading.Event()
        with sock:
            sock.sendall(head + b"\r\n")
            t = threading.Thread(target=reader, daemon=True)
            t.start()
            if expect_continue:
                # Wait for "100 Continue" or the final answer.
                for _ in range(300):
                    if got or not t.is_alive():
                        break
                    t.join(0.1)
            if "r" not in got:
                try:
                    view = memoryview(body)
                    for i in range(0, len(body), 65536):
                        sock.sendall(view[i:i + 65536])
                except OSError:
                    pass  # the server may answer and close early
            sent.set()
            t.join(60)
        self.assertIn("r", got, "no response to a %d byte body: %r"
                      % (len(body), got))
        return got["r"]

    def check_big(self, path, expect_continue):
        with self.survives():
            r = self.send_big(path, self.big_body(path), expect_continue)
            # validate-token and settings refuse with a 200 Result.
            self.assertIn(r.status, (400, 413) if path == CREATE
                          else (200, 413), r)
            self.assertTrue(r.headers.get("content-type", "")
                            .startswith("application/json"), r)
            obj = r.json()
            self.assertEqual(set(obj), {"success", "message", "dataId",
                                        "errorId"}, obj)
            self.assertIs(obj["success"], False)

    def test_big_body_validate(self):
        self.check_big(VALIDATE, False)

    def test_big_body_validate_expect_continue(self):
        self.check_big(VALIDATE, True)

    def test_big_body_create(self):
        count = "/%s/rest/v2/broadcasts/count" % APP
        before = self.assertJson(self.server.get(count), 200)
        self.check_big(CREATE, False)
        self.assertEqual(self.assertJson(self.server.get(count), 200), before)

    def test_big_body_settings(self):
        self.check_big(SETTINGS, False)
        s = self.assertJson(self.server.settings(APP), 200)
        self.assertEqual(s["jwtStreamSecretKey"], "")

    # -- percent-encoding ------------------------------------------------
    def test_bad_percent_encoding_in_path(self):
        q = "?expireDate=%d&type=play" % future()
        paths = [
            "/LiveApp/rest/v2/broadcasts/%zz",
            "/LiveApp/rest/v2/broadcasts/%",
            "/LiveApp/rest/v2/broadcasts/%4",
            "/LiveApp/rest/v2/broadcasts/%zz/token" + q,
            "/LiveApp/rest/v2/broadcasts/%/token" + q,
            "/LiveApp/rest/v2/broadcasts/a%00b/token" + q,
            "/LiveApp/rest/v2/broadcasts/a%2Fb/token" + q,
            "/LiveApp/rest/v2/broadcasts/%C3%28/token" + q,
            "/LiveApp/rest/v2/broadcasts/..%2F..%2Fx/token" + q,
            "/LiveApp/rest/v2/broadcasts/%zz/tokens/list/0/10",
            "/LiveApp/rest/v2/broadcasts/list/%zz/10",
            "/LiveApp/rest/v2/broadcasts/list/0/%",
            "/Live%zzApp/rest/v2/broadcasts/count",
            "/%/rest/v2/broadcasts/count",
            "/rest/v2/applications/settings/%zz",
            "/rest/v2/applications/settings/%",
        ]
        with self.survives():
            for p in paths:
                with self.subTest(path=p):
                    r = self.server.get(p)
                    self.assertTrue(400 <= r.status < 500, r)
            for p in ("/LiveApp/rest/v2/broadcasts/%zz/tokens",
                      "/LiveApp/rest/v2/broadcasts/%"):
                with self.subTest(delete=p):
                    r = self.server.delete(p)
                    self.assertTrue(400 <= r.status < 500, r)

    def test_bad_percent_encoding_in_query(self):
        s = unique_id()
        f = future()
        queries = ["expireDate=%zz&type=play",
                   "expireDate=%d%%&type=play" % f,
                   "expireDate=%d&type=%%" % f,
                   "expireDate=%d&type=pl%%zzay" % f,
                   "expireDate=%d&type=play%%" % f,
                   "expireDate=%d&type=%%00play" % f]
        with self.survives():
            for q in queries:
                with self.subTest(query=q):
                    r = self.server.get("/%s/rest/v2/broadcasts/%s/token?%s"
                                        % (APP, s, q))
                    self.assertTrue(400 <= r.status < 500, r)
            # Nothing was minted by any of them.
            r = self.server.get("/%s/rest/v2/broadcasts/%s/tokens/list/0/50"
                                % (APP, s))
            self.assertEqual(self.assertJson(r, 200), [])

    def test_valid_percent_encoding_is_decoded(self):
        f = future()
        r = self.server.get("/%s/rest/v2/broadcasts/ab%%43/token?"
                            "expireDate=%d&type=pl%%61y" % (APP, f))
        tok = self.assertToken(r, "abC", "play", expire=f)
        self.assertValid(token_body(tok), expect=True)

    def test_invalid_utf8_room_id(self):
        with self.survives():
            r = self.server.get("/%s/rest/v2/broadcasts/s1/token?expireDate=%d"
                                "&type=play&roomId=%%C3%%28" % (APP, future()))
            self.assertTrue(r.status == 200 or 400 <= r.status < 500, r)
            if r.status == 200:
                tok = self.assertJson(r, 200)
                self.assertIsInstance(tok["roomId"], str)

    # -- broken HTTP -----------------------------------------------------
    def raw_exchange(self, data, port=None, close_write=False):
        sock = raw_connect(port or self.server.http_port, timeout=5)
        with sock:
            try:
                sock.sendall(data)
                if close_write:
                    sock.shutdown(socket.SHUT_WR)
                r, _ = read_http_response(sock)
                return r
            except (OSError, EOFError, ValueError, IndexError):
                return None

    def test_broken_http(self):
        reqs = [
            b"GARBAGE\r\n\r\n",
            b"\x00\x01\x02\x03\r\n\r\n",
            b"GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n",
            b"GET /healthz HTTP/1.1\r\nHost: x\r\nBad header line\r\n\r\n",
            b"POST " + VALIDATE.encode() +
            b" HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
            b"POST " + VALIDATE.encode() +
            b" HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999"
            b"\r\n\r\n{}",
            b"POST " + VALIDATE.encode() +
            b" HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"zz\r\nabc\r\n0\r\n\r\n",
            b"GET /LiveApp/rest/v2/broadcasts/" + b"a" * 200000 +
            b"/token?expireDate=4102444800&type=play HTTP/1.1\r\nHost: x\r\n"
            b"\r\n",
            b"GET /healthz HTTP/1.1\r\nHost: x\r\nX: " + b"y" * 200000 +
            b"\r\n\r\n",
        ]
        with self.survives():
            for data in reqs:
                with self.subTest(request=data[:60]):
                    r = self.raw_exchange(data)
                    if r is not None and r.status != 200:
                        self.assertGreaterEqual(r.status, 400, r)
                    self.assertHealthy()
            # A request cut short by the client.
            self.raw_exchange(b"POST " + VALIDATE.encode() +
                              b" HTTP/1.1\r\nHost: x\r\nContent-Length: 100"
                              b"\r\n\r\n{\"tokenId\"", close_write=True)
            self.assertHealthy()

    def test_tls_on_http_port_and_http_on_tls_port(self):
        with self.survives():
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            sock = raw_connect(self.server.http_port, timeout=5)
            with sock:
                try:
                    ctx.wrap_socket(sock).close()
                except (OSError, ssl.SSLError):
                    pass
            self.raw_exchange(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
                              port=self.server.https_port)
            self.assertHealthy()
            r = self.server.healthz(https=True)
            self.assertEqual(r.status, 200)


class DeepNestingTest(TollgateTestCase):
    """Deeply nested JSON (well under the body limit) must not crash the
    parser; on its own server so that a crash does not hide other tests."""
    PER_TEST = True

    def check_body(self, path, body):
        tok = self.mint_ok()
        r = self.server.post(path, body)
        self.assertResult(r, 200, success=False)
        self.assertHealthy()
        self.assertValid(token_body(tok), expect=True)

    def test_deep_arrays(self):
        self.check_body(VALIDATE, b"[" * 100000 + b"]" * 100000)

    def test_deep_objects(self):
        self.check_body(VALIDATE,
                        b'{"a":' * 100000 + b"1" + b"}" * 100000)

    def test_deep_value_in_settings(self):
        self.check_body(SETTINGS, b'{"encoderSettings":' + b"[" * 100000 +
                        b"]" * 100000 + b"}")


if __name__ == "__main__":
    unittest.main()
