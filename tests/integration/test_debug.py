"""Seeing inside the server (issue 12: logging): with GST_DEBUG=tollgate*:5
its own decisions are in GStreamer's debug log, in categories named after
its log domains, and a stream that fails writes a DOT graph of its pipeline
when GST_DEBUG_DUMP_DOT_DIR is set."""

import os
import shutil
import subprocess
import tempfile
import unittest

from test_rtmp import wait_for
from test_srt import SrtTestCase
from tollgate_fixture import APP, server_env, unique_id

DOT_DIR = tempfile.mkdtemp(prefix="tollgate-dot-")


def debug_env():
    env = server_env()
    env["GST_DEBUG"] = "tollgate*:5"
    env["GST_DEBUG_NO_COLOR"] = "1"
    env["GST_DEBUG_DUMP_DOT_DIR"] = DOT_DIR
    return env


class DebugTest(SrtTestCase):
    SERVER_KW = dict(SrtTestCase.SERVER_KW, env=debug_env())

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        shutil.rmtree(DOT_DIR, ignore_errors=True)

    def setUp(self):
        super().setUp()
        self.server.set_settings({"publishTokenControlEnabled": False})

    def dots_of(self, stream):
        return [f for f in os.listdir(DOT_DIR)
                if f.endswith("-tollgate-%s-%s.dot" % (APP, stream))]

    def test_decisions_in_the_gstreamer_log(self):
        s = unique_id()
        result = self.srt_ffmpeg("%s/%s" % (APP, s), seconds=1)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertTrue(wait_for(lambda: self.ended(s)))
        lines = [line for line in self.server.stderr().splitlines()
                 if " tollgate " in line and s in line]
        self.assertTrue(any("publish %s/%s over SRT" % (APP, s) in line
                            and "admitted" in line for line in lines),
                        lines)

    def test_a_failed_stream_leaves_its_graph(self):
        s = unique_id()
        # MPEG-2 video: refused once the demuxer has seen it.
        argv = ["ffmpeg", "-nostdin", "-loglevel", "error", "-re",
                "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25",
                "-t", "2", "-c:v", "mpeg2video", "-f", "mpegts",
                self.srt_url("%s/%s" % (APP, s))]
        subprocess.run(argv, capture_output=True, timeout=60)
        self.assertTrue(wait_for(lambda: self.dots_of(s)), os.listdir(DOT_DIR))
        with open(os.path.join(DOT_DIR, self.dots_of(s)[0])) as f:
            graph = f.read()
        self.assertIn("digraph", graph)
        self.assertIn("tsdemux", graph)
        # A stream that ends well leaves none.
        ok = unique_id()
        result = self.srt_ffmpeg("%s/%s" % (APP, ok), seconds=1)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertTrue(wait_for(lambda: self.ended(ok)))
        self.assertEqual(self.dots_of(ok), [])


if __name__ == "__main__":
    unittest.main()
