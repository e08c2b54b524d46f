"""Three Tollgate nodes on one Redis (--store redis://HOST:PORT/DB; README
"Several nodes on one Redis"): settings told to one node take effect on
every node (at its RTMP door); a token minted on one node is spent once, on
whichever node first, and refused on every other; tokens raced from all
three nodes at once are each spent exactly once; a publish token minted on
one node admits an RTMP publisher on another, once; GStreamer's tokencheck
spends a token minted by a node through the same URI; with Redis out of
reach REST answers 503 with the reason and a publisher is refused, nothing
spent, and all works again when Redis is back. A real redis-server
(Debian's), started here, with its append-only file on so that a restart
keeps what it held."""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unittest

from test_gst_launch import gst_launch
from test_rtmp import REFUSAL, USER_AUDIO, USER_TONE, USER_VIDEO, wait_for
from tollgate_fixture import (APP, TollgateServer, TollgateTestCase,
                              token_body, unique_id)

NODES = 3
RACED_TOKENS = 100


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """redis-server on 127.0.0.1 and a port of its own, in a temporary
    folder, its data kept across restarts (appendonly)."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="tg-redis-")
        self.port = free_port()
        self.proc = None

    def start(self):
        exe = shutil.which("redis-server")
        if exe is None:
            raise AssertionError("redis-server missing (Debian: redis-server)")
        self.proc = subprocess.Popen(
            [exe, "--port", str(self.port), "--bind", "127.0.0.1",
             "--dir", self.dir, "--save", "", "--appendonly", "yes"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not wait_for(self.answers, timeout=10):
            raise AssertionError("redis-server did not answer within 10 s")

    def answers(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port),
                                          timeout=1) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self):
        if self.proc is not None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=20)
            self.proc = None

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def uri(self, db=0):
        return "redis://127.0.0.1:%d/%d" % (self.port, db)


class RedisNodesCase(TollgateTestCase):
    """A redis-server and NODES Tollgate nodes on it for the class, each a
    TollgateServer(store=..., **NODE_KW)."""

    NODE_KW = {}

    @classmethod
    def setUpClass(cls):
        cls.redis = RedisServer()
        cls.nodes = []
        try:
            cls.redis.start()
            for _ in range(NODES):
                node = TollgateServer(store=cls.redis.uri(), **cls.NODE_KW)
                cls.nodes.append(node)
                node.start()
        except BaseException:
            cls.tearDownClass()
            raise
        cls.server = cls.nodes[0]

    @classmethod
    def tearDownClass(cls):
        try:
            for node in cls.nodes:
                if node.proc is not None:
                    node.stop()
        finally:
            for node in cls.nodes:
                node.cleanup()
            cls.redis.cleanup()


class RedisNodesTest(RedisNodesCase):
    NODE_KW = {"extra_args": ["--rtmp-port", "1"]}

    SETTINGS = {"publishTokenControlEnabled": True,
                "playTokenControlEnabled": True,
                "acceptOnlyStreamsInDataStore": False}

    def setUp(self):
        # Settings are the store's too: told to one node, every node has
        # them within about a second.
        self.set_everywhere(self.SETTINGS)

    def set_everywhere(self, settings):
        self.assertEqual(self.nodes[0].set_settings(settings).status, 200)
        for node in self.nodes:
            self.assertTrue(wait_for(lambda: all(
                node.settings().json().get(k) == v
                for k, v in settings.items())), node.settings().json())

    def mint_on(self, node, stream=None, type="play"):
        stream = stream or unique_id()
        return self.assertToken(node.mint(stream, type), stream, type)

    def validated(self, node, token):
        r = node.validate(token_body(token))
        self.assertIn(r.status, (200, 400, 404), r)
        return r.status == 200 and r.json().get("success") is True

    def test_minted_on_one_node_spent_once_on_any(self):
        token = self.mint_on(self.nodes[0])
        self.assertTrue(self.validated(self.nodes[2], token))
        self.assertFalse(self.validated(self.nodes[1], token))
        self.assertFalse(self.validated(self.nodes[0], token))

    def test_tokens_raced_from_every_node_are_spent_once(self):
        tokens = [self.mint_on(self.nodes[i % NODES])
                  for i in range(RACED_TOKENS)]
        wins = [0] * RACED_TOKENS
        lock = threading.Lock()
        go = threading.Event()
        errors = []

        def consume(node):
            go.wait()
            for i, token in enumerate(tokens):
                try:
                    if self.validated(node, token):
                        with lock:
                            wins[i] += 1
                except Exception as e:
                    errors.append(e)

        threads = [threading.Thread(target=consume, args=(node,))
                   for node in self.nodes for _ in range(2)]
        for t in threads:
            t.start()
        go.set()
        for t in threads:
            t.join(timeout=120)
        self.assertEqual(errors, [])
        self.assertEqual(wins, [1] * RACED_TOKENS)

    def live(self, node, stream):
        r = node.get("/%s/rest/v2/broadcasts/%s" % (APP, stream))
        return r.status == 200 and r.json().get("status") == "broadcasting"

    def rtmp(self, node, stream, token):
        url = "rtmp://127.0.0.1:%d/%s/%s?token=%s" % (node.rtmp_port, APP,
                                                      stream, token)
        return subprocess.run(
            ["ffmpeg", "-nostdin", "-loglevel", "error", "-re", "-f", "lavfi",
             "-i", "testsrc=size=320x240:rate=25", "-f", "lavfi", "-i",
             USER_TONE, "-t", "2"] + USER_VIDEO + USER_AUDIO
            + ["-f", "flv", url], capture_output=True, text=True, timeout=60)

    def test_publish_token_minted_on_one_node_admits_once_on_another(self):
        s = unique_id()
        token = self.mint_on(self.nodes[0], s, "publish")["tokenId"]
        first = self.rtmp(self.nodes[1], s, token)
        self.assertEqual(first.returncode, 0, first.stderr)
        self.assertTrue(wait_for(lambda: not self.live(self.nodes[1], s)))
        again = self.rtmp(self.nodes[2], s, token)
        self.assertNotEqual(again.returncode, 0)
        self.assertIn(REFUSAL, again.stderr)

    def test_settings_told_to_one_node_take_effect_on_every_node(self):
        s = unique_id()
        refused = self.rtmp(self.nodes[2], s, "")
        self.assertNotEqual(refused.returncode, 0)
        self.assertIn(REFUSAL, refused.stderr)
        self.set_everywhere({"publishTokenControlEnabled": False})
        admitted = self.rtmp(self.nodes[2], s, "")
        self.assertEqual(admitted.returncode, 0, admitted.stderr)

    def test_tokencheck_spends_a_token_minted_by_a_node(self):
        s = unique_id()
        token = self.mint_on(self.nodes[2], s)["tokenId"]
        pipeline = ("videotestsrc", "num-buffers=10", "!", "tokencheck",
                    "store=" + self.redis.uri(), "app=" + APP,
                    "stream-id=" + s, "type=play", "token=" + token, "!",
                    "fakesink")
        first = gst_launch(*pipeline)
        self.assertEqual(first.returncode, 0, first.stderr + first.stdout)
        second = gst_launch(*pipeline)
        self.assertNotEqual(second.returncode, 0)
        self.assertIn("unknown-or-spent", second.stdout + second.stderr)
        self.assertFalse(self.validated(self.nodes[0],
                                        {"tokenId": token, "streamId": s,
                                         "type": "play"}))

    def test_redis_out_of_reach_fails_closed_then_recovers(self):
        s = unique_id()
        token = self.mint_on(self.nodes[0], s, "publish")
        self.redis.stop()
        try:
            r = self.nodes[1].mint(unique_id(), "play")
            self.assertEqual(r.status, 503, r)
            self.assertEqual(r.json().get("message"),
                             "The store is out of reach", r)
            refused = self.rtmp(self.nodes[2], s, token["tokenId"])
            self.assertNotEqual(refused.returncode, 0)
        finally:
            self.redis.start()
        for node in self.nodes:
            self.assertEqual(node.healthz().status, 200)
        # The token was not spent by the refused publisher.
        self.assertTrue(self.validated(self.nodes[1], token_body(token)))
        again = self.mint_on(self.nodes[1])
        self.assertTrue(self.validated(self.nodes[2], again))
        for node in self.nodes:
            self.assertIsNotNone(node.proc)
            self.assertIsNone(node.proc.poll())


if __name__ == "__main__":
    unittest.main()
