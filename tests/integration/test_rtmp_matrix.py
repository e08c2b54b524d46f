"""The RTMP publish matrix: every combination of the four per-app settings
that decide a publish (publishTokenControlEnabled,
acceptOnlyStreamsInDataStore, hlsMuxingEnabled, mp4MuxingEnabled), each
published by real ffmpeg with no token and with a minted publish token, to a
registered and to an unregistered stream id, and the outcome checked: refusal,
token spent or kept, and the HLS/MP4 files left (PROTOCOL.md 2.3, 2.5, 3).

The publishes of one combination run at once, and the checks that need a
broadcast to be over run after the whole matrix, so that slow endings
overlap."""

import itertools
import subprocess
import unittest

from test_rtmp import RtmpTestCase, wait_for
from tollgate_fixture import APP, unique_id

TOKENS = "publishTokenControlEnabled"
ONLY_DEFINED = "acceptOnlyStreamsInDataStore"
HLS = "hlsMuxingEnabled"
MP4 = "mp4MuxingEnabled"
SETTINGS = (TOKENS, ONLY_DEFINED, HLS, MP4)


def combinations():
    """All 16 settings combinations, each with the publishes to try on it:
    (registered, with_token) pairs; registering only matters, and is only
    tried, when undefined streams are refused."""
    for values in itertools.product((False, True), repeat=len(SETTINGS)):
        settings = dict(zip(SETTINGS, values))
        registered = (True, False) if settings[ONLY_DEFINED] else (False,)
        yield settings, list(itertools.product(registered, (False, True)))


class Publish:
    """One publish of the matrix: what it was tried under, and its ffmpeg."""

    def __init__(self, settings, registered, stream, token, proc):
        self.settings = settings
        self.registered = registered
        self.stream = stream
        self.token = token
        self.proc = proc

    def name(self):
        return dict(self.settings, registered=self.registered,
                    token=self.token is not None)

    def presented(self):
        return [self.token] if self.token else []

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.proc.stderr.close()


class PublishMatrixTest(RtmpTestCase):

    def apply(self, settings):
        self.assertResult(self.server.set_settings(settings), 200,
                          success=True)
        now = self.assertJson(self.server.settings(), 200)
        self.assertEqual({k: now[k] for k in SETTINGS}, settings)

    def register(self, stream):
        r = self.server.post("/%s/rest/v2/broadcasts/create" % APP,
                             {"streamId": stream})
        b = self.assertJson(r, 200)
        self.assertEqual((b["streamId"], b["status"]), (stream, "created"))

    def start(self, settings, registered, with_token):
        s = unique_id()
        if registered:
            self.register(s)
        token = self.mint_ok(s, "publish")["tokenId"] if with_token else None
        p = Publish(settings, registered, s, token,
                    self.ffmpeg(self.url(s, token), seconds=1, wait=False))
        self.addCleanup(p.stop)
        return p

    def check_publish(self, p):
        """Checks what the publish did as soon as ffmpeg is done; returns
        whether it was accepted (and so has a broadcast to end)."""
        _, err = p.proc.communicate(timeout=60)
        result = subprocess.CompletedProcess(p.proc.args, p.proc.returncode,
                                             None, err)
        s = p.stream
        if p.settings[ONLY_DEFINED] and not p.registered:
            # Refused before the token is looked at: the token stays.
            self.assertRefused(result, s)
            self.assertEqual(self.tokens_of(s), p.presented())
            return False
        if p.settings[TOKENS] and not p.token:
            self.assertRefused(result, s)
            return False

        self.assertEqual(result.returncode, 0, result.stderr)
        # The publish it opened spent the token, if token control is on.
        self.assertEqual(self.tokens_of(s),
                         [] if p.settings[TOKENS] else p.presented())
        if p.settings[HLS]:
            self.assertTrue(wait_for(lambda: self.ended(s)),
                            (self.files_of(s), self.playlist(s)))
            self.assertTrue(self.playlist(s).rstrip().endswith(
                "#EXT-X-ENDLIST"), self.playlist(s))
            self.assertIn(s + ".m3u8", self.files_of(s))
            self.assertIn("%s000000000.ts" % s, self.files_of(s))
        if p.settings[MP4]:
            self.assertTrue(wait_for(lambda: s + ".mp4" in self.files_of(s)),
                            self.files_of(s))
        return True

    def over(self, p):
        """Whether the server has ended the publish's broadcast: a registered
        one goes to finished, an undefined (zombi) one is deleted."""
        r = self.server.get("/%s/rest/v2/broadcasts/%s" % (APP, p.stream))
        if not p.registered:
            return r.status == 404
        return r.status == 200 and r.json()["status"] == "finished"

    def check_over(self, p):
        """Once the broadcast is over no file may still be on its way: what
        is there is what the outputs leave."""
        s = p.stream
        self.assertTrue(wait_for(lambda: self.over(p)), self.server.get(
            "/%s/rest/v2/broadcasts/%s" % (APP, s)))
        files = self.files_of(s)
        self.assertNotIn(s + ".mp4.part", files)
        if p.settings[HLS]:
            self.assertIn(s + ".m3u8", files)
        else:
            self.assertEqual([f for f in files
                              if f.endswith((".m3u8", ".ts"))], [], files)
        if p.settings[MP4]:
            self.assertIn(s + ".mp4", files)
        else:
            self.assertEqual([f for f in files if ".mp4" in f], [], files)
        if not p.settings[HLS] and not p.settings[MP4]:
            self.assertEqual(files, [])
        self.assertEqual(self.tokens_of(s),
                         [] if p.settings[TOKENS] else p.presented())

    def test_every_combination(self):
        accepted = []
        for settings, publishes in combinations():
            self.apply(settings)
            started = [self.start(settings, registered, with_token)
                       for registered, with_token in publishes]
            for p in started:
                with self.subTest(**p.name()):
                    if self.check_publish(p):
                        accepted.append(p)
        for p in accepted:
            with self.subTest(over=True, **p.name()):
                self.check_over(p)


if __name__ == "__main__":
    unittest.main()
