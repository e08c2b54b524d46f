"""GET /{app}/rest/v2/broadcasts/{id}/thumbnail against the real server and
real ffmpeg publishers (H.264 High with B-frames, AAC 48 kHz, over RTMP):
a JPEG of the live stream at most 320 px wide with its aspect kept, served
again within the 2 s window and made again after it; 404 for a stream not
live or without video, 403 from an address REST is closed to, 503 with
Retry-After for a stream whose key frame does not come in time; a flood of
requests over several streams answered 200 or 503, every decoder's
descriptors and threads gone afterwards; a server stopped while a
thumbnail is being made exits cleanly."""

import os
import struct
import subprocess
import threading
import time
import unittest

from test_rtmp import (USER_AUDIO, USER_TONE, USER_VIDEO, RtmpTestCase,
                       wait_for)
from tollgate_fixture import APP, unique_id

OUTSIDER = "127.0.0.2"
MAX_WIDTH = 320
KEEP_S = 2.0


def thumbnail_path(stream, app=APP):
    return "/%s/rest/v2/broadcasts/%s/thumbnail" % (app, stream)


def jpeg_size(data):
    """(width, height) from a JPEG's SOF0 header, after checking that it
    starts with SOI and ends with EOI."""
    if data[:2] != b"\xff\xd8" or data[-2:] != b"\xff\xd9":
        raise AssertionError("not a whole JPEG: %r ... %r"
                             % (data[:4], data[-4:]))
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            raise AssertionError("no marker at %d" % i)
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        length = struct.unpack(">H", data[i + 2:i + 4])[0]
        if marker == 0xC0:
            height, width = struct.unpack(">HH", data[i + 5:i + 9])
            return width, height
        if marker == 0xDA:  # the scan: no SOF0 before it
            break
        i += 2 + length
    raise AssertionError("no SOF0 (baseline) header")


class ThumbnailCase(RtmpTestCase):

    def publish(self, stream, size="640x360", audio=True, video=True,
                gop=25, seconds=60):
        """A publisher as users send (USER_VIDEO, USER_AUDIO), in the
        background; testsrc moves, so its frames differ."""
        argv = ["ffmpeg", "-nostdin", "-loglevel", "error", "-re"]
        if video:
            argv += ["-f", "lavfi", "-i", "testsrc=size=%s:rate=25" % size]
        if audio:
            argv += ["-f", "lavfi", "-i", USER_TONE]
        argv += ["-t", str(seconds)]
        if video:
            argv += USER_VIDEO[:USER_VIDEO.index("-g")] + ["-g", str(gop)]
        if audio:
            argv += USER_AUDIO
        argv += ["-f", "flv", self.url(stream)]
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)

        def stop():
            proc.kill()
            proc.wait(timeout=20)
            proc.stderr.close()
        self.addCleanup(stop)
        return proc

    def thumbnail(self, stream, **kw):
        return self.server.get(thumbnail_path(stream), **kw)

    def first_thumbnail(self, stream, timeout=30):
        """The first 200, asking again on 404 (not live yet) and 503 (no
        picture yet)."""
        got = []

        def ready():
            r = self.thumbnail(stream)
            self.assertIn(r.status, (200, 404, 503), r)
            got[:] = [r]
            return r.status == 200
        self.assertTrue(wait_for(ready, timeout=timeout, step=0.2), got)
        return got[0]

    def decoding(self):
        """Whether a thumbnail's thread runs in the server."""
        for task in os.listdir("/proc/%d/task" % self.server.pid):
            try:
                with open("/proc/%d/task/%s/comm"
                          % (self.server.pid, task)) as f:
                    if f.read().strip() == "tg-thumbnail":
                        return True
            except OSError:
                pass
        return False

    def ask_while_decoding(self, stream):
        """A thumbnail request in a thread, returned once the server makes
        the thumbnail (a request that comes before the stream's tracks are
        known is answered at once: it is made again). (thread, answers:
        the response, or the OSError, and how long it took)."""
        for _ in range(100):
            answers = []

            def ask():
                start = time.monotonic()
                try:
                    r = self.thumbnail(stream, timeout=30)
                except OSError as e:  # closed with the server
                    r = e
                answers.append((r, time.monotonic() - start))
            asking = threading.Thread(target=ask)
            asking.start()
            wait_for(lambda: self.decoding() or not asking.is_alive(),
                     timeout=10, step=0.02)
            if asking.is_alive():
                return asking, answers
            asking.join()
            self.assertNoFrameYet(answers[0][0])
            time.sleep(0.1)
        self.fail("no thumbnail of %s was made" % stream)

    def wait_live(self, stream):
        self.assertTrue(wait_for(lambda: b'"broadcasting"' in self.server.get(
            "/%s/rest/v2/broadcasts/%s" % (APP, stream)).body, timeout=30,
            step=0.2), "%s is not live" % stream)

    def assertNoFrameYet(self, r):
        self.assertEqual(r.status, 503, r)
        self.assertEqual(r.json()["message"], "No frame yet")
        self.assertEqual(r.headers.get("Retry-After"), "1")


class ThumbnailTest(ThumbnailCase):

    def test_jpeg_of_the_stream_kept_then_made_again(self):
        stream = unique_id()
        self.publish(stream)
        r = self.first_thumbnail(stream)
        self.assertEqual(r.headers["Content-Type"], "image/jpeg")
        self.assertEqual(r.headers["Cache-Control"], "no-store")
        # 640x360 at most 320 wide, the aspect kept
        self.assertEqual(jpeg_size(r.body), (320, 180))
        first_at = time.monotonic()
        again = self.thumbnail(stream)
        if time.monotonic() - first_at < KEEP_S:
            self.assertEqual(again.status, 200, again)
            self.assertEqual(again.body, r.body)
        time.sleep(max(0.0, first_at + KEEP_S + 0.2 - time.monotonic()))
        later = self.thumbnail(stream)
        self.assertEqual(later.status, 200, later)
        self.assertEqual(jpeg_size(later.body), (320, 180))
        self.assertNotEqual(later.body, r.body)

    def test_narrow_stream_is_not_enlarged(self):
        stream = unique_id()
        self.publish(stream, size="176x144")
        self.assertEqual(jpeg_size(self.first_thumbnail(stream).body),
                         (176, 144))

    def test_not_live(self):
        for stream in (unique_id(), "no such stream"):
            r = self.server.get(thumbnail_path(stream).replace(" ", "%20"))
            self.assertEqual(r.status, 404, r)
            self.assertEqual(r.json()["message"], "Stream is not live")
            self.assertIs(r.json()["success"], False)
        r = self.server.get(thumbnail_path(unique_id(), app="NoSuchApp"))
        self.assertEqual(r.status, 404, r)
        self.assertEqual(r.json()["message"], "Application not found")

    def test_refused_address(self):
        r = self.thumbnail(unique_id(), source=OUTSIDER)
        self.assertEqual(r.status, 403, r)
        self.assertIs(r.json()["success"], False)

    def test_audio_only_has_no_video(self):
        stream = unique_id()
        self.publish(stream, video=False)
        got = []

        def answered():
            r = self.thumbnail(stream)
            got[:] = [r]
            return r.status != 404 or r.json()["message"] != \
                "Stream is not live"
        self.assertTrue(wait_for(answered, timeout=30, step=0.2), got)
        r = got[0]
        if r.status == 503:  # live, its track not known yet
            self.assertNoFrameYet(r)
            self.assertTrue(wait_for(
                lambda: self.thumbnail(stream).status == 404,
                timeout=30, step=0.2))
            r = self.thumbnail(stream)
        self.assertEqual(r.status, 404, r)
        self.assertEqual(r.json()["message"], "Stream has no video")

    def test_key_frame_late_gives_503_in_bounded_time(self):
        """One key frame only (the first): the stream's MPEG-TS for its
        viewers starts with the first thumbnail asked, and waits for the
        next key frame, which does not come: 503 within the wait."""
        stream = unique_id()
        self.publish(stream, gop=10000)
        self.wait_live(stream)
        asking, answers = self.ask_while_decoding(stream)
        # Its viewer of the stream is counted as nobody's.
        broadcast = self.server.get("/%s/rest/v2/broadcasts/%s"
                                    % (APP, stream)).json()
        self.assertEqual((broadcast["rtmpViewerCount"],
                          broadcast["srtViewerCount"],
                          broadcast["rtspViewerCount"]), (0, 0, 0))
        asking.join(30)
        r, took = answers[0]
        self.assertNoFrameYet(r)
        self.assertLess(took, 8.0)
        self.assertEqual(self.server.healthz().status, 200)

    def test_flood_over_several_streams(self):
        streams = [unique_id() for _ in range(3)]
        for s in streams:
            self.publish(s)
        for s in streams:
            self.first_thumbnail(s)
        time.sleep(KEEP_S + 0.2)  # every stream's thumbnail is stale
        fds = self.server.fd_count()
        threads = self.server.thread_count()
        answers = [None] * 50

        def ask(i):
            answers[i] = self.thumbnail(streams[i % len(streams)],
                                        timeout=30)
        workers = [threading.Thread(target=ask, args=(i,))
                   for i in range(len(answers))]
        for t in workers:
            t.start()
        for t in workers:
            t.join(60)
        statuses = {}
        for r in answers:
            self.assertIsNotNone(r)
            self.assertIn(r.status, (200, 503), r)
            statuses[r.status] = statuses.get(r.status, 0) + 1
            if r.status == 200:
                self.assertEqual(jpeg_size(r.body), (320, 180))
            else:
                self.assertEqual(r.headers.get("Retry-After"), "1")
                self.assertIn(r.json()["message"],
                              ("Too many thumbnails at once", "No frame yet"))
        self.assertGreater(statuses.get(200, 0), 0, statuses)
        # The decoders are gone: their descriptors and threads with them.
        self.assertTrue(wait_for(lambda: self.server.fd_count() <= fds,
                                 timeout=20),
                        (self.server.fd_count(), fds))
        self.assertTrue(wait_for(
            lambda: self.server.thread_count() <= threads, timeout=30),
            (self.server.thread_count(), threads))
        self.assertEqual(self.server.healthz().status, 200)
        for s in streams:
            self.assertEqual(self.thumbnail(s).status, 200)


class ThumbnailShutdownTest(ThumbnailCase):
    """The server stops while a thumbnail is being made: the request is
    answered (or its connection closed), the server exits cleanly."""

    def test_stop_while_decoding(self):
        stream = unique_id()
        self.publish(stream, gop=10000)  # no key frame after the first
        self.wait_live(stream)
        asking, answers = self.ask_while_decoding(stream)
        self.server.stop()  # a clean exit, in time
        asking.join(30)
        self.assertEqual(len(answers), 1)
        if not isinstance(answers[0][0], OSError):
            self.assertNoFrameYet(answers[0][0])


if __name__ == "__main__":
    unittest.main()
