"""WHIP ingest (RFC 9725) and WHEP play against the real server, with
webrtcbin clients (whip_client.py): a WHIP publication is written as HLS
and plays over WHEP and WebSocket; tokens are spent once, and only by a
request that is accepted; DELETE ends the publication and the viewer."""

import json
import unittest

from test_rtmp import wait_for
from test_webrtc import WebRtcTestCase
from tollgate_fixture import APP, unique_id
from whip_client import WhepViewer, WhipPublisher, request

# An offer in form (what the server checks before the admission); no
# client answers it.
CANNED_OFFER = "\r\n".join([
    "v=0", "o=- 1 0 IN IP4 0.0.0.0", "s=-", "t=0 0",
    "a=group:BUNDLE video0",
    "a=fingerprint:sha-256 " + ":".join(["AB"] * 32),
    "m=video 9 UDP/TLS/RTP/SAVPF 96", "c=IN IP4 0.0.0.0",
    "a=mid:video0", "a=sendonly", "a=ice-ufrag:abcd",
    "a=ice-pwd:abcdefghijklmnopqrstuvwx", "a=setup:actpass",
    "a=rtcp-mux", "a=rtpmap:96 H264/90000",
    "a=fmtp:96 packetization-mode=1;profile-level-id=42e01f", ""])


class WhipTestCase(WebRtcTestCase):

    def setUp(self):
        super().setUp()
        self.server.set_settings({"publishTokenControlEnabled": True})
        self.addCleanup(self.server.set_settings,
                        {"publishTokenControlEnabled": False})

    def whip(self, stream, token):
        p = WhipPublisher(self.server.http_port, APP, stream, token)
        self.addCleanup(p.stop)
        return p

    def whep(self, stream, token, **kw):
        v = WhepViewer(self.server.http_port, APP, stream, token, **kw)
        self.addCleanup(v.stop)
        return v

    def post(self, kind, stream, body, token=None,
             content_type="application/sdp"):
        headers = {"Content-Type": content_type}
        if token is not None:
            headers["Authorization"] = "Bearer " + token
        return request(self.server.http_port, "POST",
                       "/%s/%s/%s" % (APP, kind, stream),
                       body.encode() if isinstance(body, str) else body,
                       headers)

    def publish_whip(self, stream):
        """A WHIP publisher of stream, once its HLS has a segment."""
        p = self.whip(stream, self.mint_ok(stream, "publish")["tokenId"])
        r = p.start()
        self.assertEqual(r.status, 201, r)
        self.assertTrue(wait_for(lambda: "%s000000000.ts" % stream
                                 in self.playlist(stream), timeout=30),
                        p.errors)
        return p

    def broadcast(self, stream):
        return self.server.get("/%s/rest/v2/broadcasts/%s" % (APP, stream))


class WhipTest(WhipTestCase):

    def test_whip_publish_plays_over_whep_and_ends_on_delete(self):
        s = unique_id()
        token = self.mint_ok(s, "publish")["tokenId"]
        p = self.whip(s, token)
        r = p.start()
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.headers["Content-Type"], "application/sdp")
        self.assertRegex(p.location,
                         r"^/%s/whip/%s/[0-9a-f]{64}$" % (APP, s))
        answer = r.body.decode()
        self.assertIn("a=candidate:", answer)
        self.assertIn("a=end-of-candidates", answer)
        # Spent by the accepted publication, once.
        self.assertEqual(self.tokens_of(s), [])
        self.assertTrue(wait_for(lambda: "%s000000001.ts" % s
                                 in self.playlist(s), timeout=30), p.errors)
        b = self.broadcast(s).json()
        self.assertEqual((b["status"], b["publishType"]),
                         ("broadcasting", "WHIP"))
        # Played back over WHEP: decoded, the play token spent once.
        play = self.play_token(s)
        v = self.whep(s, play)
        r = v.start()
        self.assertEqual(r.status, 201, r)
        self.assertRegex(v.location,
                         r"^/%s/whep/%s/[0-9a-f]{64}$" % (APP, s))
        self.assertTrue(v.wait_for(lambda: v.decoded_frames >= 10
                                   and v.audio_buffers >= 10),
                        (v.errors, v.decoded_frames, v.audio_buffers))
        self.assertEqual(v.frame_size, (320, 240))
        self.assertEqual(self.tokens_of(s), [])
        # And over the WebSocket, as any stream.
        ws = self.viewer(s, self.play_token(s))
        self.assertPlays(ws)
        # DELETE ends the viewer, then the publication; a second is 404.
        self.assertEqual(v.delete().status, 200)
        self.assertEqual(v.delete().status, 404)
        self.assertEqual(p.delete().status, 200)
        self.assertTrue(wait_for(lambda: self.ended(s)))
        self.assertTrue(ws.wait_for_definition("play_finished"),
                        ws.definitions())
        self.assertEqual(p.delete().status, 404)
        self.assertEqual(self.decoded_frames(
            "%s/%s.m3u8" % (self.streams_dir(), s)) > 25, True)

    def test_refusals_spend_nothing(self):
        s = unique_id()
        token = self.mint_ok(s, "publish")["tokenId"]
        # No token, a made-up one, or a Basic one: 401, Bearer asked for.
        for t in (None, "madeup"):
            r = self.post("whip", s, CANNED_OFFER, t)
            self.assertEqual(r.status, 401, r)
            self.assertEqual(r.headers["WWW-Authenticate"], "Bearer")
        r = request(self.server.http_port, "POST", "/%s/whip/%s" % (APP, s),
                    CANNED_OFFER.encode(),
                    {"Content-Type": "application/sdp",
                     "Authorization": "Basic " + token})
        self.assertEqual(r.status, 401, r)
        # Not SDP, or not an offer webrtcbin can take: 415, 400.
        r = self.post("whip", s, CANNED_OFFER, token, "application/json")
        self.assertEqual(r.status, 415, r)
        for body in ("hello", "v=0\r\n", json.dumps({"sdp": CANNED_OFFER}),
                     CANNED_OFFER.replace("a=mid:video0\r\n", ""),
                     CANNED_OFFER.replace("a=sendonly", "a=recvonly")):
            r = self.post("whip", s, body, token)
            self.assertEqual(r.status, 400, (body, r))
        r = self.post("whip", s, "v=0\r\n" + "a=x:" + "y" * 100000, token)
        self.assertEqual(r.status, 413, r)
        # An invalid stream id: 400.
        r = self.post("whip", "bad%20id", CANNED_OFFER, token)
        self.assertEqual(r.status, 400, r)
        self.assertEqual(self.tokens_of(s), [token])
        # WHEP, the same, and a stream that is not live: 404.
        play = self.play_token(s)
        self.assertEqual(self.post("whep", s, CANNED_OFFER).status, 401)
        self.assertEqual(self.post("whep", s, "hello", play).status, 400)
        self.assertEqual(self.post("whep", s, CANNED_OFFER, play,
                                   "text/plain").status, 415)
        self.assertEqual(self.post("whep", s, CANNED_OFFER, play).status,
                         404)
        self.assertEqual(sorted(self.tokens_of(s)), sorted([token, play]))
        self.assertHealthy()

    def test_spent_token_and_stream_in_use(self):
        s = unique_id()
        token = self.mint_ok(s, "publish")["tokenId"]
        p = self.whip(s, token)
        self.assertEqual(p.start().status, 201)
        # In use: 409 before the token is looked at.
        other = self.mint_ok(s, "publish")["tokenId"]
        r = self.post("whip", s, CANNED_OFFER, other)
        self.assertEqual(r.status, 409, r)
        self.assertEqual(self.tokens_of(s), [other])
        self.assertEqual(p.delete().status, 200)
        self.assertTrue(wait_for(lambda: self.broadcast(s).status == 404))
        # Spent: 401.
        r = self.post("whip", s, CANNED_OFFER, token)
        self.assertEqual(r.status, 401, r)
        self.assertEqual(self.tokens_of(s), [other])

    def test_whep_spent_token_and_profiles(self):
        """A WHEP client offering only High gets the stream's own video
        (constrained baseline here) only if it lists it: one that lists
        none of it is 400, nothing spent. A spent play token is 401."""
        s = unique_id()
        p = self.publish_whip(s)
        play = self.play_token(s)
        v = self.whep(s, play, video=[(120, "640032")])
        r = v.start()
        self.assertEqual(r.status, 400, r)
        self.assertEqual(self.tokens_of(s), [play])
        v = self.whep(s, play, video=[(98, "42001f")])
        self.assertEqual(v.start().status, 201)
        self.assertTrue(v.wait_for(lambda: v.decoded_frames >= 5), v.errors)
        self.assertEqual(self.tokens_of(s), [])
        again = self.whep(s, play)
        self.assertEqual(again.start().status, 401)
        self.assertEqual(p.delete().status, 200)
        self.assertTrue(wait_for(lambda: self.ended(s)))

    def test_whep_offer_with_level_asymmetry_allowed(self):
        """Browsers' H.264 fmtp has level-asymmetry-allowed=1, with which
        GStreamer 1.22 reads the profile's name from the SDP, not its
        profile-level-id: such an offer is answered with its own payload
        type and profile (browser play: test_whip_browser)."""
        s = unique_id()
        p = self.publish_whip(s)
        play = self.play_token(s)
        offer = CANNED_OFFER.replace("a=sendonly", "a=recvonly").replace(
            "a=fmtp:96 ", "a=fmtp:96 level-asymmetry-allowed=1;")
        r = self.post("whep", s, offer, play)
        self.assertEqual(r.status, 201, r)
        self.assertRegex(r.body.decode(),
                         r"a=fmtp:96 .*profile-level-id=42e01f")
        # Nothing connects: nothing spent.
        self.assertEqual(self.tokens_of(s), [play])
        self.assertEqual(request(self.server.http_port, "DELETE",
                                 r.headers["Location"]).status, 200)
        self.assertEqual(p.delete().status, 200)
        self.assertTrue(wait_for(lambda: self.ended(s)))

    def test_publisher_gone_without_delete_is_ended(self):
        """A WHIP client that goes without DELETE (no connection tells the
        server) is ended once its media has stopped for 10 s."""
        s = unique_id()
        p = self.publish_whip(s)
        p.stop()
        self.assertTrue(wait_for(lambda: self.ended(s), timeout=20))
        self.assertEqual(p.delete().status, 404)

    def test_methods_and_unknown_sessions(self):
        s = unique_id()
        port = self.server.http_port
        for kind in ("whip", "whep"):
            endpoint = "/%s/%s/%s" % (APP, kind, s)
            r = request(port, "GET", endpoint)
            self.assertEqual(r.status, 405, r)
            self.assertEqual(r.headers["Allow"], "POST, OPTIONS")
            r = request(port, "OPTIONS", endpoint)
            self.assertEqual(r.status, 204, r)
            self.assertEqual(r.headers["Accept-Post"], "application/sdp")
            self.assertIsNone(r.headers["Link"])
            r = request(port, "OPTIONS", endpoint, headers={
                "Origin": "https://example.org",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization,content-type"})
            self.assertEqual(r.status, 200, r)
            self.assertIn("POST", r.headers["Access-Control-Allow-Methods"])
            session = endpoint + "/" + "0" * 64
            for method in ("DELETE", "PATCH"):
                r = request(port, method, session, b"a=end-of-candidates",
                            {"Content-Type": "application/trickle-ice-sdpfrag"})
                self.assertEqual(r.status, 404, (method, r))
            r = request(port, "POST", session, b"x")
            self.assertEqual(r.status, 404, r)
        r = request(port, "POST", "/NoSuchApp/whip/%s" % s,
                    CANNED_OFFER.encode(), {"Content-Type": "application/sdp"})
        self.assertEqual(r.status, 404, r)
        self.assertHealthy()


if __name__ == "__main__":
    unittest.main()
