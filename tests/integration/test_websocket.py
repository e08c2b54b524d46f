"""WebSocket signalling at /{app}/websocket (PROTOCOL.md 5), driven with
websocket-client over ws:// and wss://: ping, ICE server config, stream
info, the documented errors for missing or bad fields, publish refusals in
their order with no token spent, a play that waits for its stream and is
told when it goes live (published over RTMP), bad frames closing only their
own connection. (WebRTC media, publish and play: test_webrtc.py.)"""

import json
import ssl
import unittest

import websocket

from test_rtmp import RtmpTestCase, wait_for
from tollgate_fixture import APP, unique_id


class WebSocketTestCase(RtmpTestCase):

    def connect(self, tls=False, app=APP):
        if tls:
            url = "wss://127.0.0.1:%d/%s/websocket" % (self.server.https_port,
                                                       app)
        else:
            url = "ws://127.0.0.1:%d/%s/websocket?target=x" % (
                self.server.http_port, app)
        ws = websocket.create_connection(
            url, timeout=20, sslopt={"cert_reqs": ssl.CERT_NONE})
        self.addCleanup(ws.close)
        return ws

    def ask(self, ws, **message):
        ws.send(json.dumps(message))
        return json.loads(ws.recv())

    def assertError(self, reply, definition, stream=None):
        self.assertEqual(reply["command"], "error", reply)
        self.assertEqual(reply["definition"], definition, reply)
        if stream:
            self.assertEqual(reply["streamId"], stream, reply)


class SignallingTest(WebSocketTestCase):

    def test_ping_and_ice_config_over_ws_and_wss(self):
        for tls in (False, True):
            with self.subTest(tls=tls):
                ws = self.connect(tls)
                self.assertEqual(self.ask(ws, command="ping"),
                                 {"command": "pong"})
                ice = self.ask(ws, command="getIceServerConfig")
                self.assertEqual(ice["command"], "iceServerConfig")
                self.assertEqual(ice["stunServerUri"], "")

    def test_missing_and_bad_fields_get_the_documented_errors(self):
        ws = self.connect()
        cases = [
            ({"command": "publish"}, "noStreamNameSpecified"),
            ({"command": "play", "streamId": ""}, "noStreamNameSpecified"),
            ({"command": "play", "streamId": 12}, "invalidStreamName"),
            ({"command": "getStreamInfo", "streamId": "a/b"},
             "invalidStreamName"),
            ({"command": "takeConfiguration", "streamId": "s",
              "type": "offer"}, "notSetRemoteDescription"),
            ({"command": "takeCandidate", "streamId": "s", "label": "x",
              "candidate": "c"}, "invalidCandidate"),
        ]
        for message, definition in cases:
            with self.subTest(message=message):
                self.assertError(self.ask(ws, **message), definition)
        # Unknown commands are ignored: the next answer is the ping's.
        ws.send(json.dumps({"command": "joinRoom", "room": "r"}))
        self.assertEqual(self.ask(ws, command="ping"), {"command": "pong"})

    def test_publish_refusals_in_order_spend_nothing(self):
        s = unique_id()
        token = self.mint_ok(s, "publish")["tokenId"]
        play = self.mint_ok(s, "play")["tokenId"]
        ws = self.connect()
        self.server.set_settings({"publishTokenControlEnabled": True,
                                  "acceptOnlyStreamsInDataStore": True})
        # The undefined stream is refused before its token is looked at.
        self.assertError(self.ask(ws, command="publish", streamId=s,
                                  token=token),
                         "not_allowed_unregistered_streams", s)
        self.server.set_settings({"acceptOnlyStreamsInDataStore": False})
        for bad in (None, "nope", play):
            with self.subTest(token=bad):
                message = {"command": "publish", "streamId": s}
                if bad:
                    message["token"] = bad
                self.assertError(self.ask(ws, **message),
                                 "unauthorized_access", s)
        self.assertEqual(sorted(self.tokens_of(s)), sorted([token, play]))
        # Every check passed: the stream is built, which spends the token.
        self.assertEqual(self.ask(ws, command="publish", streamId=s,
                                  token=token),
                         {"command": "start", "streamId": s})
        self.assertEqual(self.tokens_of(s), [play])
        # A publisher that leaves before sending media ends its stream.
        ws.close()
        self.assertTrue(wait_for(lambda: self.server.get(
            "/%s/rest/v2/broadcasts/%s" % (APP, s)).status == 404))

    def test_play_waits_for_the_stream_then_hears_it_started(self):
        s = unique_id()
        ws = self.connect()
        reply = self.ask(ws, command="play", streamId=s)
        self.assertError(reply, "no_stream_exist", s)
        self.assertEqual(reply["error_code"], "404")
        self.assertEqual(reply["information"],
                         "stream_not_exist_or_not_streaming")
        self.assertError(self.ask(ws, command="getStreamInfo", streamId=s),
                         "no_stream_exist", s)
        rtmp = self.ffmpeg(self.url(s), seconds=30, wait=False)
        try:
            self.assertEqual(json.loads(ws.recv()),
                             {"command": "notification", "streamId": s,
                              "definition": "streaming_started"})
            info = self.ask(ws, command="getStreamInfo", streamId=s)
            self.assertEqual(info["command"], "streamInformation")
            self.assertEqual(info["streamId"], s)
            # Live now: the streamId is in use for a WebRTC publisher.
            self.assertError(self.ask(ws, command="publish", streamId=s),
                             "streamIdInUse", s)
        finally:
            rtmp.kill()
            rtmp.wait()
            rtmp.stderr.close()

    def test_bad_frames_close_only_their_connection(self):
        other = self.connect()
        for frame in ("not json", "[1]", '{"command": 5}',
                      "x" * (70 * 1024)):
            with self.subTest(frame=frame[:10]):
                ws = self.connect()
                ws.send(frame)
                # The server closes: recv sees the close frame, then EOF.
                with self.assertRaises(
                        (websocket.WebSocketConnectionClosedException,
                         ConnectionError)):
                    while True:
                        if ws.recv() == "":
                            raise ConnectionError("closed")
        self.assertEqual(self.ask(other, command="ping"), {"command": "pong"})
        self.assertHealthy()

    def test_plain_get_is_refused_and_unknown_app_is_404(self):
        r = self.server.get("/%s/websocket" % APP)
        self.assertEqual(r.status, 400)
        with self.assertRaises(websocket.WebSocketBadStatusException):
            self.connect(app="NoSuchApp")


if __name__ == "__main__":
    unittest.main()
