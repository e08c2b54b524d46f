"""Three Tollgate nodes joined on one Redis (--store redis://...,
--cluster-secret, --node-address; README "Several nodes on one Redis"):
a stream published over RTMP to node 1 plays over WebRTC and HLS from
node 2 (an edge: it pulls the stream from its origin over SRT), through
play tokens minted on node 3, each spent once; the HLS session opened on
node 2 is taken by node 3 (session keys are signed with the cluster
secret); kill -9 of the origin ends the edge's viewers and the broadcast
is repaired by a living node. A real redis-server (Debian's), started
here, and real clients: ffmpeg publishing as users do (H.264 High with
B-frames, AAC at 48 kHz), ffprobe reading HLS, a webrtcbin viewer."""

import json
import re
import subprocess
import time
import unittest

from test_redis import RedisNodesCase
from test_rtmp import REFUSAL, USER_AUDIO, USER_TONE, USER_VIDEO, wait_for
from test_rtmp_play import LOG_ENV
from tollgate_fixture import APP, token_body, unique_id
from webrtc_client import WebRtcViewer

SECRET = "the cluster's shared secret, for tests"
# The longest an edge may take to play, and a node's death to be seen
# (TG_CLUSTER_LAPSE_S and the link's silence, on a loaded machine).
PLAY_TIMEOUT = 40
DEATH_TIMEOUT = 40
# TG_CLUSTER_LAPSE_S: a node not heard of for this long is taken for dead.
LAPSE = 5


class ClusterTest(RedisNodesCase):
    NODE_KW = {"env": LOG_ENV,
               "extra_args": ["--cluster-secret", SECRET,
                              "--node-address", "127.0.0.1",
                              "--rtmp-port", "1", "--srt-port", "1"]}

    def setUp(self):
        settings = {"publishTokenControlEnabled": False,
                    "playTokenControlEnabled": True,
                    "acceptOnlyStreamsInDataStore": False,
                    "mp4MuxingEnabled": False, "hlsTime": "1"}
        self.assertEqual(self.nodes[0].set_settings(settings).status, 200)
        for node in self.nodes:
            self.assertTrue(wait_for(lambda: all(
                node.settings().json().get(k) == v
                for k, v in settings.items())), node.settings().json())

    def status(self, node, stream):
        r = node.get("/%s/rest/v2/broadcasts/%s" % (APP, stream))
        return r.json().get("status") if r.status == 200 else None

    def spent(self, node, token):
        r = node.validate(token_body(token))
        return r.status != 200 or r.json().get("success") is not True

    def publish(self, node, stream, seconds=120):
        argv = ["ffmpeg", "-nostdin", "-loglevel", "error", "-re",
                "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25",
                "-f", "lavfi", "-i", USER_TONE, "-t", str(seconds)] \
            + USER_VIDEO + USER_AUDIO \
            + ["-f", "flv", "rtmp://127.0.0.1:%d/%s/%s"
               % (node.rtmp_port, APP, stream)]
        p = subprocess.Popen(argv, stderr=subprocess.PIPE, text=True)

        def stop():
            if p.poll() is None:
                p.kill()
            p.communicate()
        self.addCleanup(stop)
        return p

    def probe_hls(self, node, stream, token):
        """ffprobe reading 3 s of the stream's HLS from node: its tracks
        and how many packets of each."""
        out = subprocess.run(
            ["ffprobe", "-v", "error", "-count_packets", "-read_intervals",
             "%+3", "-show_entries", "stream=codec_name,nb_read_packets",
             "-of", "json", "http://127.0.0.1:%d/%s/streams/%s.m3u8?token=%s"
             % (node.http_port, APP, stream, token)],
            capture_output=True, text=True, timeout=PLAY_TIMEOUT + 30)
        self.assertEqual(out.returncode, 0, out.stderr)
        return sorted((t["codec_name"], int(t["nb_read_packets"]) > 20)
                      for t in json.loads(out.stdout)["streams"])

    def test_published_on_one_node_plays_on_another_until_its_origin_dies(self):
        origin, edge, third = self.nodes
        s = unique_id()
        self.assertEqual(third.post("/%s/rest/v2/broadcasts/create" % APP,
                                    json.dumps({"streamId": s})).status, 200)
        publisher = self.publish(origin, s)
        self.assertTrue(wait_for(lambda: self.status(third, s)
                                 == "broadcasting", PLAY_TIMEOUT),
                        origin.stderr())
        minted = [self.assertToken(third.mint(s), s) for _ in range(3)]
        tokens = [t["tokenId"] for t in minted]
        # One publisher of a stream in the whole cluster.
        _, said = self.publish(third, s, seconds=2).communicate(timeout=60)
        self.assertIn(REFUSAL, said)

        # WebRTC from the edge: told to wait while the stream is pulled,
        # then played.
        viewer = WebRtcViewer("ws://127.0.0.1:%d/%s/websocket"
                              % (edge.http_port, APP), s, tokens[0]).start()
        self.addCleanup(viewer.stop)
        self.assertTrue(viewer.wait_for_definition("streaming_started",
                                                   PLAY_TIMEOUT),
                        (viewer.definitions(), edge.stderr()))
        viewer.send({"command": "play", "streamId": s, "token": tokens[0]})
        self.assertTrue(viewer.wait_for(
            lambda: viewer.decoded_frames >= 10 and viewer.audio_buffers > 0,
            PLAY_TIMEOUT), (viewer.definitions(), viewer.errors))
        self.assertEqual(viewer.frame_size, (320, 240))
        self.assertIn("Edge: pulling %s/%s" % (APP, s), edge.stderr())

        # HLS from the edge, and its session on the third node.
        self.assertEqual(self.probe_hls(edge, s, tokens[1]),
                         [("aac", True), ("h264", True)])
        r = edge.get("/%s/streams/%s.m3u8?token=%s" % (APP, s, tokens[2]))
        self.assertEqual(r.status, 200, r)
        key = re.search(r"session=([A-Za-z0-9_.-]+)", r.body.decode())
        self.assertIsNotNone(key, r.body)
        r = third.get("/%s/streams/%s.m3u8?session=%s" % (APP, s, key[1]))
        self.assertEqual(r.status, 200, (r, third.stderr()))
        self.assertIn(b"#EXTINF", r.body)
        forged = key[1][:-2] + ("AA" if key[1][-2:] != "AA" else "BB")
        r = third.get("/%s/streams/%s.m3u8?session=%s" % (APP, s, forged))
        self.assertEqual(r.status, 403, r)
        for token in minted:
            self.assertTrue(self.spent(origin, token))
            self.assertNotIn(token["tokenId"],
                             edge.stderr() + origin.stderr())

        # The origin dies: the edge's viewer sees the stream end, a living
        # node repairs the broadcast.
        origin.kill()
        self.assertTrue(viewer.wait_for_definition("play_finished",
                                                   DEATH_TIMEOUT),
                        (viewer.definitions(), edge.stderr()))
        self.assertTrue(wait_for(lambda: self.status(third, s) == "finished",
                                 DEATH_TIMEOUT),
                        (self.status(third, s), third.stderr()))
        self.assertIn("is gone: its 1 publications ended",
                      edge.stderr() + third.stderr())
        # Its publisher, back on another node, makes that one the origin.
        publisher.kill()
        self.publish(edge, s)
        self.assertTrue(wait_for(lambda: self.status(third, s)
                                 == "broadcasting", PLAY_TIMEOUT),
                        (self.status(third, s), edge.stderr()))

    def test_an_outage_of_the_store_buries_no_living_node(self):
        # Nodes 2 and 3 only (node 1 may have been killed above).
        origin, edge = self.nodes[1], self.nodes[2]
        s = unique_id()
        self.publish(origin, s)
        self.assertTrue(wait_for(lambda: self.status(edge, s)
                                 == "broadcasting", PLAY_TIMEOUT))
        said = {node: node.stderr() for node in (origin, edge)}

        def says(node, text):
            return node.stderr()[len(said[node]):].count(text)
        self.redis.stop()
        stopped = time.monotonic()
        try:
            for node in (origin, edge):
                self.assertTrue(wait_for(lambda: says(
                    node, "Cluster: the store is out of reach"), 10))
            self.assertEqual(edge.mint(s).status, 503)
            # Whether a stream is live elsewhere cannot be told: a
            # publisher is refused.
            _, refused = self.publish(edge, unique_id(), 2).communicate(
                timeout=60)
            self.assertIn(REFUSAL, refused)
            # An outage longer than a lapse: every heartbeat is older.
            time.sleep(max(0, LAPSE + 1 - (time.monotonic() - stopped)))
        finally:
            self.redis.start()
        for node in (origin, edge):
            self.assertTrue(wait_for(lambda: says(
                node, "Cluster: the store is back"), 10), node.stderr())
        # The stream plays from the edge, and nobody is taken for dead
        # within a lapse after (the time the others have to beat again).
        token = self.assertToken(edge.mint(s), s)["tokenId"]
        r = edge.get("/%s/streams/%s.m3u8?token=%s" % (APP, s, token))
        self.assertEqual(r.status, 200, (r, edge.stderr()))
        time.sleep(LAPSE + 2)
        self.assertEqual(self.status(edge, s), "broadcasting")
        for node in (origin, edge):
            self.assertEqual(says(node, "is gone"), 0, node.stderr())


if __name__ == "__main__":
    unittest.main()
