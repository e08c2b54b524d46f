"""One-time tokens over REST: PROTOCOL.md 2.1 and 2.2."""

import json
import socket
import threading
import time
import unittest
import urllib.parse

from tollgate_fixture import (APP, APP2, MSG_BAD_TYPE, MSG_DEFINE, TOKEN_KEYS,
                              TollgateTestCase, future, token_body, unique_id)


class MintTest(TollgateTestCase):

    def mint_raw(self, stream, query):
        return self.server.get("/%s/rest/v2/broadcasts/%s/token?%s"
                               % (APP, stream, query))

    def test_mint_play_and_publish(self):
        exp = future(7200)
        for kind in ("play", "publish"):
            s = unique_id()
            tok = self.assertToken(self.server.mint(s, kind, expire=exp), s,
                                   kind, expire=exp, room=None)
            self.assertGreaterEqual(len(tok["tokenId"]), 22)

    def test_two_mints_differ(self):
        s = unique_id()
        ids = {self.mint_ok(s)["tokenId"] for _ in range(5)}
        self.assertEqual(len(ids), 5)

    def test_room_id_echoed(self):
        s = unique_id()
        r = self.server.mint(s, "play", room="room1")
        self.assertToken(r, s, "play", room="room1")

    def test_mint_in_second_app(self):
        self.mint_ok(app=APP2)

    def test_missing_or_bad_expire_date(self):
        s = unique_id()
        exp = future()  # one value: a tick of the clock must not matter
        empty_type = "expireDate=%d&type=" % exp
        for query in ("type=play", "expireDate=%d" % exp,
                      "", "expireDate=0&type=play", "expireDate=-5&type=play",
                      "expireDate=abc&type=play", "expireDate=&type=play",
                      "expireDate=12abc&type=play", empty_type):
            with self.subTest(query=query):
                r = self.mint_raw(s, query)
                if query == empty_type:
                    # An empty type is either "missing" or "invalid".
                    obj = self.assertResult(r, 400, success=False)
                    self.assertIn(obj["message"], (MSG_DEFINE, MSG_BAD_TYPE))
                else:
                    self.assertResult(r, 400, success=False,
                                      message=MSG_DEFINE)

    def test_invalid_type(self):
        s = unique_id()
        for kind in ("Play", "PUBLISH", "view", "play "):
            with self.subTest(type=kind):
                r = self.mint_raw(s, urllib.parse.urlencode(
                    {"expireDate": future(), "type": kind}))
                self.assertResult(r, 400, success=False, message=MSG_BAD_TYPE)

    def test_expire_date_in_the_past(self):
        s = unique_id()
        for exp in (int(time.time()) - 10, 1, 1000000000):
            with self.subTest(expireDate=exp):
                r = self.server.mint(s, "play", expire=exp)
                self.assertResult(r, 400, success=False,
                                  message_contains="future")

    def test_expire_date_in_milliseconds(self):
        s = unique_id()
        r = self.server.mint(s, "play", expire=int(time.time() * 1000) + 60000)
        self.assertResult(r, 400, success=False,
                          message_contains="milliseconds")
        r = self.server.mint(s, "play", expire=10 ** 11 + 1)
        self.assertResult(r, 400, success=False,
                          message_contains="milliseconds")

    def test_invalid_stream_id(self):
        f = future()
        for sid in ("a%20b", "a%24b", "caf%C3%A9", "a%3Bb"):
            with self.subTest(streamId=sid):
                r = self.mint_raw(sid, "expireDate=%d&type=play" % f)
                self.assertResult(r, 400, success=False)

    def test_unknown_app(self):
        r = self.server.mint(unique_id(), "play", app="NoSuchApp")
        self.assertEqual(r.status, 404, r)


class ValidateTest(TollgateTestCase):

    def test_consumed_once(self):
        tok = self.mint_ok()
        obj = self.assertValid(token_body(tok), expect=True)
        self.assertTrue(obj["success"])
        self.assertValid(token_body(tok), expect=False)

    def test_minted_json_posted_verbatim(self):
        # PROTOCOL 2.1: the body of validate-token is the token JSON itself,
        # as minted (with expireDate and roomId null).
        tok = self.mint_ok(type="publish")
        self.assertEqual(set(tok), TOKEN_KEYS)
        self.assertValid(tok, expect=True)
        self.assertValid(tok, expect=False)

    def test_wrong_stream_does_not_consume(self):
        tok = self.mint_ok()
        self.assertValid(token_body(tok, streamId=unique_id()), expect=False)
        self.assertValid(token_body(tok), expect=True)

    def test_wrong_type_does_not_consume(self):
        tok = self.mint_ok(type="play")
        self.assertValid(token_body(tok, type="publish"), expect=False)
        self.assertValid(token_body(tok), expect=True)

    def test_unknown_token(self):
        self.assertValid({"tokenId": "A" * 32, "streamId": unique_id(),
                          "type": "play"}, expect=False)
        self.assertValid({"tokenId": "", "streamId": unique_id(),
                          "type": "play"}, expect=False)

    def test_other_app_does_not_consume(self):
        tok = self.mint_ok(app=APP)
        self.assertValid(token_body(tok), app=APP2, expect=False)
        self.assertValid(token_body(tok), app=APP, expect=True)

    def test_unknown_app_is_404_and_does_not_consume(self):
        tok = self.mint_ok()
        r = self.server.validate(token_body(tok), app="NoSuchApp")
        self.assertEqual(r.status, 404, r)
        self.assertValid(token_body(tok), expect=True)

    def test_expired_token_refused(self):
        tok = self.mint_ok(expire=int(time.time()) + 2)
        # Waiting on the wall clock itself, not on the server.
        while time.time() < tok["expireDate"] + 0.5:
            time.sleep(0.25)
        self.assertValid(token_body(tok), expect=False)

    def test_room_token_not_deleted(self):
        s = unique_id()
        tok = self.assertToken(self.server.mint(s, "play", room="r1"), s,
                               "play", room="r1")
        body = token_body(tok, roomId="r1")
        self.assertValid(body, expect=True)
        self.assertValid(body, expect=True)

    def test_concurrent_consumers_exactly_one_wins(self):
        tok = self.mint_ok()
        results = []
        lock = threading.Lock()
        go = threading.Event()

        def worker():
            go.wait()
            r = self.server.validate(token_body(tok))
            with lock:
                results.append(r)

        threads = [threading.Thread(target=worker) for _ in range(16)]
        for t in threads:
            t.start()
        go.set()
        for t in threads:
            t.join(30)
        self.assertEqual(len(results), 16)
        wins = 0
        for r in results:
            wins += self.assertResult(r, 200)["success"]
        self.assertEqual(wins, 1, results)

    def run_at_once(self, calls):
        """Runs each call on a thread of its own, all released together:
        the server's worker gathers them into shared store commits."""
        results = [None] * len(calls)
        go = threading.Event()

        def worker(i):
            go.wait()
            results[i] = calls[i]()

        threads = [threading.Thread(target=worker, args=(i,))
                   for i in range(len(calls))]
        for t in threads:
            t.start()
        go.set()
        for t in threads:
            t.join(60)
        return results

    def test_many_at_once_each_consumed_once(self):
        # Mints and validations that arrive together share one commit
        # (group commit): each token still exists once, and is consumed
        # once, also when it is validated twice in the same commit.
        s = unique_id()
        minted = self.run_at_once([lambda: self.server.mint(s)] * 48)
        tokens = [self.assertToken(r, s, "play") for r in minted]
        self.assertEqual(len({t["tokenId"] for t in tokens}), 48)
        checks = self.run_at_once(
            [lambda t=t: self.server.validate(token_body(t))
             for t in tokens for _ in range(2)])
        wins = {}
        for t, r in zip([t for t in tokens for _ in range(2)], checks):
            wins[t["tokenId"]] = (wins.get(t["tokenId"], 0)
                                  + self.assertResult(r, 200)["success"])
        self.assertEqual(sorted(wins.values()), [1] * 48)

    def test_client_gone_while_waiting(self):
        # A client that leaves before its commit: nothing is answered, the
        # server goes on, and the token is consumed at most once.
        tok = self.mint_ok()
        body = json.dumps(token_body(tok)).encode()
        for _ in range(20):
            with socket.create_connection(("127.0.0.1",
                                           self.server.http_port)) as c:
                c.sendall(b"POST /%s/rest/v2/broadcasts/validate-token "
                          b"HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n"
                          b"Content-Type: application/json\r\n\r\n%s"
                          % (APP.encode(), len(body), body))
        self.assertHealthy()
        wins = sum(self.assertResult(self.server.validate(token_body(tok)),
                                     200)["success"] for _ in range(2))
        self.assertLessEqual(wins, 1)


class RevokeAndListTest(TollgateTestCase):

    def list_tokens(self, stream, offset, size, app=APP):
        r = self.server.get("/%s/rest/v2/broadcasts/%s/tokens/list/%d/%d"
                            % (app, stream, offset, size))
        arr = self.assertJson(r, 200)
        self.assertIsInstance(arr, list, r)
        return arr

    def test_list_capped_at_50(self):
        s = unique_id()
        minted = {self.mint_ok(s)["tokenId"] for _ in range(55)}
        first = self.list_tokens(s, 0, 100)
        self.assertEqual(len(first), 50)
        for t in first:
            self.assertEqual(set(t), TOKEN_KEYS, t)
            self.assertEqual(t["streamId"], s)
        rest = self.list_tokens(s, 50, 100)
        self.assertEqual(len(rest), 5)
        ids = {t["tokenId"] for t in first + rest}
        self.assertEqual(ids, minted)
        self.assertEqual(len(self.list_tokens(s, 0, 10)), 10)

    def test_list_only_this_stream(self):
        s, other = unique_id(), unique_id()
        a = self.mint_ok(s)
        self.mint_ok(other)
        arr = self.list_tokens(s, 0, 50)
        self.assertEqual([t["tokenId"] for t in arr], [a["tokenId"]])
        self.assertEqual(self.list_tokens(unique_id(), 0, 50), [])

    def test_apps_are_separate(self):
        s = unique_id()
        a = self.mint_ok(s, app=APP)
        b = self.mint_ok(s, app=APP2)
        self.assertEqual([t["tokenId"] for t in self.list_tokens(s, 0, 50)],
                         [a["tokenId"]])
        self.assertEqual([t["tokenId"] for t in
                          self.list_tokens(s, 0, 50, app=APP2)],
                         [b["tokenId"]])
        r = self.server.delete("/%s/rest/v2/broadcasts/%s/tokens" % (APP2, s))
        self.assertResult(r, 200, success=True)
        self.assertValid(token_body(b), app=APP2, expect=False)
        self.assertValid(token_body(a), app=APP, expect=True)

    def test_list_pages_beyond_end(self):
        s = unique_id()
        self.mint_ok(s)
        self.assertEqual(self.list_tokens(s, 1, 50), [])
        self.assertEqual(self.list_tokens(s, 1000, 50), [])
        self.assertEqual(self.list_tokens(s, 0, 0), [])

    def test_list_omits_spent_token(self):
        s = unique_id()
        tok = self.mint_ok(s)
        self.assertValid(token_body(tok), expect=True)
        self.assertEqual(self.list_tokens(s, 0, 50), [])

    def test_revoke_all_tokens_of_stream(self):
        s, other = unique_id(), unique_id()
        toks = [self.mint_ok(s, "play"), self.mint_ok(s, "publish")]
        keep = self.mint_ok(other)
        r = self.server.delete("/%s/rest/v2/broadcasts/%s/tokens" % (APP, s))
        self.assertResult(r, 200, success=True)
        for tok in toks:
            self.assertValid(token_body(tok), expect=False)
        self.assertEqual(self.list_tokens(s, 0, 50), [])
        self.assertValid(token_body(keep), expect=True)


if __name__ == "__main__":
    unittest.main()
