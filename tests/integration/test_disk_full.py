"""A full disk: the data dir is a tmpfs of 32 MB, filled but for a few
seconds of media. The stream writing there ends with one line that says
the disk is full; what it wrote is kept as after a crash (its recording
takes its final name and plays, its playlist gets its end tag, the
segment being written when space ran out is not left half-written); the
server, REST and the token store go on; a token the store cannot write
is refused with a 503, and the server lives; once space returns, a new
publish works as before. The publisher is ffmpeg copying a file made as
users publish (H.264 High with B-frames, AAC at 48 kHz), at 3 Mbit/s so
that the disk fills in seconds.

The tmpfs is mounted by the test: it runs as root (as CI does), or with
sudo that asks no password."""

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest

from test_rtmp import RtmpTestCase, wait_for
from tollgate_fixture import APP, TollgateServer, unique_id

BASE = "/%s/rest/v2/broadcasts" % APP


def as_root(argv):
    return argv if os.geteuid() == 0 else ["sudo", "-n"] + argv


def free_bytes(path):
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


class DiskFullTest(RtmpTestCase):

    @classmethod
    def setUpClass(cls):
        cls.media = tempfile.mkdtemp(prefix="tollgate-media-")
        cls.flv = os.path.join(cls.media, "3mbit.flv")
        subprocess.run(
            ["ffmpeg", "-nostdin", "-loglevel", "error", "-y",
             "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30",
             "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
             "-t", "20", "-c:v", "libx264", "-profile:v", "high", "-bf", "2",
             "-g", "30", "-preset", "ultrafast", "-b:v", "3M",
             "-minrate", "3M", "-maxrate", "3M", "-bufsize", "1M",
             "-x264-params", "nal-hrd=cbr", "-c:a", "aac", "-ar", "48000",
             "-f", "flv", cls.flv], check=True, timeout=120)
        cls.disk = tempfile.mkdtemp(prefix="tollgate-tmpfs-")
        subprocess.run(as_root(["mount", "-t", "tmpfs", "-o", "size=32m",
                                "tmpfs", cls.disk]), check=True)
        try:
            super().setUpClass()
        except BaseException:
            cls.unmount()
            raise

    @classmethod
    def make_server(cls, **kw):
        return TollgateServer(data_dir=cls.disk,
                              extra_args=["--rtmp-port", "1"], **kw)

    @classmethod
    def unmount(cls):
        subprocess.run(as_root(["umount", cls.disk]), check=True)
        shutil.rmtree(cls.disk, ignore_errors=True)
        shutil.rmtree(cls.media, ignore_errors=True)

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            cls.unmount()

    def setUp(self):
        super().setUp()
        self.server.set_settings({"mp4MuxingEnabled": True})
        self.filler = os.path.join(self.disk, "filler")
        self.addCleanup(lambda: os.path.exists(self.filler)
                        and os.remove(self.filler))

    def fill(self, leave):
        """Fills the disk but for leave bytes (0: all of it)."""
        with open(self.filler, "ab") as f:
            try:
                while free_bytes(self.disk) > leave:
                    f.write(b"\0" * min(1 << 20,
                                        free_bytes(self.disk) - leave))
                    f.flush()
            except OSError:
                self.assertEqual(leave, 0)

    def publish(self, stream, seconds):
        return subprocess.run(
            ["ffmpeg", "-nostdin", "-loglevel", "error", "-re", "-i",
             self.flv, "-t", str(seconds), "-c", "copy", "-f", "flv",
             self.url(stream)], capture_output=True, text=True, timeout=60)

    def mint(self):
        return self.server.get("%s/x/token?expireDate=%d&type=publish"
                               % (BASE, time.time() + 600))

    def pipeline_errors(self):
        """tollgate_pipeline_errors_total{door="rtmp"} in /metrics."""
        r = self.server.get("/metrics")
        self.assertEqual(r.status, 200, r)
        m = re.search(r'^tollgate_pipeline_errors_total\{door="rtmp"\} (\S+)$',
                      r.body.decode(), re.M)
        return float(m.group(1)) if m else 0

    def segments(self, stream):
        return [f for f in self.files_of(stream) if f.endswith(".ts")]

    def test_a_full_disk_ends_the_stream_and_keeps_what_it_wrote(self):
        self.assertEqual(self.mint().status, 200)
        full = unique_id()
        r = self.server.post(BASE + "/create", json.dumps({"streamId": full}))
        self.assertEqual(r.status, 200, r)
        errors = self.pipeline_errors()
        self.fill(leave=2 * 1024 * 1024)
        self.publish(full, seconds=20)
        said = re.findall("%s/%s: the disk is full" % (APP, full),
                          self.server.stderr())
        self.assertEqual(len(said), 1, self.server.stderr()[-3000:])
        self.assertIn("%s/%s: publish ended: the disk is full" % (APP, full),
                      self.server.stderr())
        self.assertEqual(self.pipeline_errors(), errors + 1)
        # What it wrote: a recording under its final name that plays, a
        # playlist with its end tag that lists every segment left.
        self.assertTrue(wait_for(lambda: self.ended(full)),
                        self.files_of(full))
        files = self.files_of(full)
        self.assertIn(full + ".mp4", files)
        self.assertEqual([f for f in files if "part" in f], [])
        self.assertGreater(self.probe_duration(
            os.path.join(self.streams_dir(), full + ".mp4")), 0.5)
        listed = sorted(re.findall(r"^(%s\d{9}\.ts)$" % full,
                                   self.playlist(full), re.M))
        self.assertTrue(listed, self.playlist(full))
        self.assertEqual(self.segments(full), listed)
        self.assertGreater(self.probe_duration(
            os.path.join(self.streams_dir(), full + ".m3u8")), 0.5)
        # The server and its REST go on.
        self.assertHealthy()
        r = self.server.get("%s/%s" % (BASE, full))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["status"], "finished")

        # The store's own writes fail on a disk with no byte free: 503
        # (SQLite's log reuses the room it has first: some go through).
        self.fill(leave=0)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            r = self.mint()
            self.assertIn(r.status, (200, 503), r)
            if r.status == 503:
                break
        self.assertResult(r, 503, success=False,
                          message="The store is out of reach")
        self.assertHealthy()

        # Space returns: a new publish works as before.
        os.remove(self.filler)
        self.assertEqual(self.mint().status, 200)
        again = unique_id()
        p = self.publish(again, seconds=3)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(wait_for(lambda: self.ended(again)))
        self.assertTrue(wait_for(lambda: again + ".mp4"
                                 in self.files_of(again)))
        self.assertNotIn("%s/%s: the disk is full" % (APP, again),
                         self.server.stderr())


if __name__ == "__main__":
    unittest.main()
