"""The README's flow: a running server mints a token over REST, a separate
gst-launch-1.0 process spends it once against the server's own database,
and a second use is refused with a clear message."""

import os
import shutil
import subprocess
import unittest

from tollgate_fixture import APP, TollgateTestCase, server_env, unique_id


def gst_launch(*pipeline):
    """gst-launch-1.0 with the build's plugin (server_env() names it when
    run by hand; meson's test_env already does)."""
    env = server_env()
    env.pop("G_DEBUG", None)  # gst-launch-1.0 is not ours to hold to that
    preload = env.get("TOLLGATE_SANITIZER_PRELOAD", "")
    if preload:
        env["LD_PRELOAD"] = preload
    return subprocess.run([shutil.which("gst-launch-1.0"), *pipeline],
                          env=env, capture_output=True, text=True,
                          timeout=60)


class GstLaunchAgainstServerTest(TollgateTestCase):

    def pipeline(self, stream, token, type="play"):
        db = os.path.join(self.server.data_dir, "tollgate.db")
        return ("videotestsrc", "num-buffers=10", "!", "tokencheck",
                "store=sqlite://" + db, "app=" + APP, "stream-id=" + stream,
                "type=" + type, "token=" + token, "!", "fakesink")

    def test_spent_once_then_refused(self):
        stream = unique_id()
        token = self.mint_ok(stream)["tokenId"]

        first = gst_launch(*self.pipeline(stream, token))
        self.assertEqual(first.returncode, 0, first.stderr + first.stdout)
        second = gst_launch(*self.pipeline(stream, token))
        self.assertNotEqual(second.returncode, 0)
        output = second.stdout + second.stderr
        self.assertIn("Token refused for stream %s: unknown-or-spent" % stream,
                      output)
        for run in (first, second):
            self.assertNotIn(token, run.stdout + run.stderr)
        # The server agrees: the token is gone.
        self.assertValid({"tokenId": token, "streamId": stream,
                          "type": "play"}, expect=False)

    def test_refusal_leaves_token_for_the_server(self):
        stream = unique_id()
        token = self.mint_ok(stream)["tokenId"]

        wrong = gst_launch(*self.pipeline(stream, token, type="publish"))
        self.assertNotEqual(wrong.returncode, 0)
        self.assertIn("wrong-type", wrong.stdout + wrong.stderr)
        self.assertValid({"tokenId": token, "streamId": stream,
                          "type": "play"}, expect=True)


if __name__ == "__main__":
    unittest.main()
