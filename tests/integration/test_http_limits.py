"""The front door's limits (issue 11): descriptors, deadlines, framing,
memory and caps per client address, each attacked from outside with raw
sockets against the real binary.

The settings go in a key file (--config), short so that the deadlines pass
within the test: GKeyFile ignores keys a build does not know, so a build
without them starts too and fails by behaviour, not by refusing to start.
Every wait is on an event (a status line, an EOF) with a bound.
"""

import concurrent.futures
import http.client
import os
import shutil
import threading
import time
import unittest

import raw_clients
from raw_clients import (RTMP_S0_S1_S2, client_hello, close_all, drip, gather,
                         rtmp_c0_c1, srt_caller, stop_callers, wait_closed)
from tollgate_fixture import (APP, TollgateTestCase, raw_connect,
                              read_http_response, server_env)

REQUEST_TIMEOUT = 2   # http-request-timeout in these tests, s
IDLE_TIMEOUT = 4      # http-idle-timeout, s
SETTINGS = {"http-request-timeout": REQUEST_TIMEOUT,
            "http-idle-timeout": IDLE_TIMEOUT}
# Extra seconds a deadline may take to be noticed (timers, a busy machine).
SLACK = 3.0
GET = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
# RSS says nothing under AddressSanitizer: its quarantine holds freed memory.
SANITIZED = bool(os.environ.get("TOLLGATE_SANITIZER_PRELOAD"))
MIB = 1024  # kB


def settings_file(directory, settings):
    """A [tollgate] key file with the given settings; returns its path."""
    path = os.path.join(directory, "limits.conf")
    with open(path, "w") as f:
        f.write("[tollgate]\n")
        for key in sorted(settings):
            f.write("%s=%s\n" % (key, settings[key]))
    return path


def sources(n, first=2):
    """n loopback client addresses from 127.0.0.<first> on."""
    return ["127.0.0.%d" % (first + i) for i in range(n)]


def timed_get(server, https=False, source=None, timeout=5.0):
    """GET /healthz on a new connection: (status or the error, seconds)."""
    start = time.monotonic()
    try:
        status = server.healthz(https=https, source=source,
                                timeout=timeout).status
    except (OSError, http.client.HTTPException) as e:
        status = e
    return status, time.monotonic() - start


class Outcome:
    """What one raw exchange got: the first response (or why none), what
    came after it, and whether the server then closed."""

    def __init__(self):
        self.responses = []
        self.error = None
        self.after = b""
        self.closed = False

    @property
    def status(self):
        return self.responses[0].status if self.responses else None

    def __repr__(self):
        return "<Outcome %r error=%r after=%r closed=%s>" % (
            self.responses, self.error, self.after[:200], self.closed)


def exchange(port, data, responses=1, timeout=5.0):
    """Sends data on a new connection, reads that many responses, then
    waits (up to timeout) for the server to close."""
    out = Outcome()
    out.responses, out.error, out.after, out.closed = raw_clients.exchange(
        port, data, read_http_response, responses, timeout)
    return out


class LimitsTestCase(TollgateTestCase):
    """One server per test, started with SETTINGS plus the class's own."""
    PER_TEST = True
    LIMITS = {}

    @classmethod
    def make_server(cls, **kw):
        srv = super().make_server(**kw)
        settings = dict(SETTINGS)
        settings.update(cls.LIMITS)
        srv.config = settings_file(srv.data_dir, settings)
        return srv


class DescriptorExhaustionTest(LimitsTestCase):
    """Issue 11.1: out of descriptors, the listener pauses and comes back."""
    HARD = 256
    SERVER_KW = {"rlimit_nofile": (128, HARD),
                 "env": dict(server_env(), G_MESSAGES_DEBUG="all")}
    # Silent connections stay: only descriptors run out.
    LIMITS = {"http-request-timeout": 60, "http-idle-timeout": 60,
              "http-connections-per-address": 10000}

    def soft_limit(self):
        with open("/proc/%d/limits" % self.server.pid) as f:
            for line in f:
                if line.startswith("Max open files"):
                    return int(line.split()[3])
        return None

    def test_listener_comes_back_after_exhaustion(self):
        self.assertHealthy()
        socks = []
        try:
            # More connections than the server may have descriptors, from
            # 8 addresses; the kernel completes them (accept queue 1024).
            for i, source in enumerate(sources(8) * 50):
                socks.append(raw_connect(self.server.http_port,
                                         source=source, timeout=5))
            deadline = time.monotonic() + 10
            while ("out of file descriptors" not in self.server.stderr()
                   and time.monotonic() < deadline
                   and self.server.proc.poll() is None):
                time.sleep(0.1)
            self.assertIsNone(self.server.proc.poll(), "server died")
            fds = self.server.fd_count()
        finally:
            close_all(socks)
        # Every client has gone: the server answers again at once.
        start = time.monotonic()
        while True:
            status, _ = timed_get(self.server, timeout=1)
            if status == 200 or time.monotonic() - start > 10:
                break
        self.assertEqual(status, 200, "GET /healthz after %d connections "
                         "(server at %d descriptors) were all closed: no "
                         "answer within 10 s" % (len(socks), fds))
        self.assertIn("out of file descriptors", self.server.stderr())
        # The soft limit was raised to the hard one at start.
        self.assertEqual(self.soft_limit(), self.HARD)


class StalledTlsTest(LimitsTestCase):
    """Issue 11.2: stalled TLS handshakes hold no thread and get closed."""

    def test_stalled_handshakes(self):
        hello = client_hello()
        self.assertEqual(hello[0], 0x16, "not a TLS handshake record")
        base = self.server.thread_count()
        socks = []
        try:
            for _ in range(150):
                s = raw_connect(self.server.https_port, timeout=5)
                s.sendall(hello)
                socks.append(s)
            sent = time.monotonic()
            status, took = timed_get(self.server, https=True, timeout=5)
            threads = self.server.thread_count()
            closed = wait_closed(socks, REQUEST_TIMEOUT + SLACK
                                 - (time.monotonic() - sent))
        finally:
            close_all(socks)
        figures = ("HTTPS /healthz: %r in %.1f s; threads %d -> %d; "
                   "%d of 150 stalled handshakes closed within %.0f s"
                   % (status, took, base, threads, len(closed),
                      REQUEST_TIMEOUT + SLACK))
        self.assertEqual(status, 200, figures)
        self.assertLess(threads, 40, figures)
        self.assertEqual(len(closed), 150, figures)
        self.assertHealthy()


class IdleTest(LimitsTestCase):
    """Issue 11.3: idle and slow connections are closed on their deadline."""

    def test_deadlines(self):
        port = self.server.http_port
        silent = raw_connect(port)
        half = raw_connect(port)
        half.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        body = raw_connect(port)
        body.sendall(b"POST /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     b"Content-Length: 100\r\n\r\n0123456789")
        kept = raw_connect(port)
        kept.sendall(GET)
        r, rest = read_http_response(kept)
        self.assertEqual((r.status, rest), (200, b""), r)
        socks = [silent, half, body, kept]
        try:
            closed = wait_closed(socks, IDLE_TIMEOUT + SLACK)
        finally:
            close_all(socks)
        names = {silent: "silent", half: "half a head", body: "stalled body",
                 kept: "idle keep-alive"}
        figures = "seconds until closed: %s" % ", ".join(
            "%s %s" % (names[s], "%.1f" % closed[s] if s in closed else
                       "still open") for s in socks)
        never = float("inf")
        for s, limit in ((silent, REQUEST_TIMEOUT), (half, REQUEST_TIMEOUT),
                         (body, IDLE_TIMEOUT), (kept, IDLE_TIMEOUT)):
            self.assertLessEqual(closed.get(s, never), limit + SLACK,
                                 "%s: %s" % (names[s], figures))
        self.assertGreaterEqual(closed[kept], IDLE_TIMEOUT - 1, figures)

    def test_slowloris(self):
        # 300 connections, 50 from each of 6 addresses (under the default
        # cap per address), each sending one byte of its head a second.
        socks = [raw_connect(self.server.http_port, source=source)
                 for source in sources(6) * 50]
        for s in socks:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: ")
        healthy = []
        client = threading.Thread(target=lambda: healthy.append(
            timed_get(self.server, timeout=5)))
        client.start()
        try:
            closed = drip(socks, REQUEST_TIMEOUT + SLACK)
        finally:
            client.join(10)
            close_all(socks)
        figures = "%d of %d slowloris connections closed within %.0f s; " \
                  "healthy client meanwhile: %r" % (
                      len(closed), len(socks), REQUEST_TIMEOUT + SLACK,
                      healthy)
        self.assertEqual(healthy[:1] and healthy[0][0], 200, figures)
        self.assertEqual(len(closed), len(socks), figures)
        self.assertHealthy()


@unittest.skipIf(SANITIZED, "RSS says nothing under AddressSanitizer")
class HeadLeakTest(LimitsTestCase):
    """Issue 11.4: refused request heads leave no memory behind."""

    PATH = b"/" + b"a" * (60 * 1024)
    HEADS = [
        b"POST " + PATH + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n",
        b"POST " + PATH + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Length: 2, 40\r\n\r\n{}",
    ]

    def send_many(self, count):
        """count refused heads, alternating, 4 clients at once: the
        outcomes that were not an error status followed by a close."""
        def one(i):
            out = exchange(self.server.http_port, self.HEADS[i % 2])
            ok = out.status is not None and out.status >= 400 and out.closed
            return None if ok else out

        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            return [o for o in pool.map(one, range(count)) if o is not None]

    def test_refused_heads_do_not_leak(self):
        self.assertEqual(self.send_many(200), [])  # warm-up
        before = self.server.rss_kib()
        bad = self.send_many(2000)
        after = self.server.rss_kib()
        self.assertEqual(bad[:3], [], "%d of 2000 not refused and closed"
                         % len(bad))
        self.assertLess(after - before, 20 * MIB,
                        "RSS %.1f -> %.1f MiB after 2000 refused 60 KB heads"
                        % (before / MIB, after / MIB))
        self.assertHealthy()


# Request framing refused (RFC 9112 6.1, 6.3; issue 11.5): the status, then
# the connection closed. The CL+TE one carries a request that a server
# reading it by Transfer-Encoding would answer too.
SMUGGLED = b"0\r\n\r\nGET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
POST = b"POST /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"
# A complete WebSocket handshake (RFC 6455 4.1), without the final CRLF.
UPGRADE = (b"GET /%s/websocket HTTP/1.1\r\nHost: 127.0.0.1\r\n"
           b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
           b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
           b"Sec-WebSocket-Version: 13\r\n" % APP.encode())
SHAPES = [
    ("CL and TE", POST + b"Content-Length: %d\r\nTransfer-Encoding: chunked"
     b"\r\n\r\n" % len(SMUGGLED) + SMUGGLED, 400),
    ("TE and CL", POST + b"Transfer-Encoding: chunked\r\nContent-Length: %d"
     b"\r\n\r\n" % len(SMUGGLED) + SMUGGLED, 400),
    ("two CL equal", POST + b"Content-Length: 2\r\nContent-Length: 2\r\n\r\n"
     b"{}", 400),
    ("two CL different", POST + b"Content-Length: 2\r\nContent-Length: 40"
     b"\r\n\r\n{}", 400),
    ("CL +2", POST + b"Content-Length: +2\r\n\r\n{}", 400),
    ("CL -1", POST + b"Content-Length: -1\r\n\r\n{}", 400),
    ("CL 2, 40", POST + b"Content-Length: 2, 40\r\n\r\n{}", 400),
    ("CL empty", POST + b"Content-Length: \r\n\r\n{}", 400),
    ("CL 19 digits", POST + b"Content-Length: 1000000000000000000\r\n\r\n{}",
     400),
    ("CL hex", POST + b"Content-Length: 0x2\r\n\r\n{}", 400),
    ("space before colon", POST + b"Transfer-Encoding : chunked\r\n\r\n"
     b"0\r\n\r\n", 400),
    ("obs-fold", b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: a\r\n"
     b" b\r\n\r\n", 400),
    ("obs-fold of TE", POST + b"Transfer-Encoding: chunked\r\n\tidentity"
     b"\r\n\r\n0\r\n\r\n", 400),
    ("bare LF", b"GET /healthz HTTP/1.1\nHost: 127.0.0.1\n\n", 400),
    ("one bare LF", b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\nX-A: b\r\n"
     b"\r\n", 400),
    ("TE on HTTP/1.0", b"POST /healthz HTTP/1.0\r\nTransfer-Encoding: "
     b"chunked\r\n\r\n0\r\n\r\n", 400),
    ("two TE", POST + b"Transfer-Encoding: chunked\r\nTransfer-Encoding: "
     b"chunked\r\n\r\n0\r\n\r\n", 400),
    ("TE chunked, identity", POST + b"Transfer-Encoding: chunked, identity"
     b"\r\n\r\n0\r\n\r\n", 501),
    ("TE identity", POST + b"Transfer-Encoding: identity\r\n\r\n", 501),
    ("TE gzip, chunked", POST + b"Transfer-Encoding: gzip, chunked\r\n\r\n"
     b"0\r\n\r\n", 501),
    ("no Host", b"GET /healthz HTTP/1.1\r\n\r\n", 400),
    ("two Host", b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: x\r\n"
     b"\r\n", 400),
    ("Host with /", b"GET /healthz HTTP/1.1\r\nHost: a/b\r\n\r\n", 400),
    ("name not a token", b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"
     b"X(A): b\r\n\r\n", 400),
    ("CTL in value", b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"
     b"X-A: a\x01b\r\n\r\n", 400),
    ("method not a token", b"G(T /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"
     b"\r\n", 400),
    ("HTTP/1.2", b"GET /healthz HTTP/1.2\r\nHost: 127.0.0.1\r\n\r\n", 505),
    ("Upgrade with a body", UPGRADE + b"Content-Length: 2\r\n\r\n{}", 400),
    ("Upgrade with TE", UPGRADE + b"Transfer-Encoding: chunked\r\n\r\n"
     b"2\r\n{}\r\n0\r\n\r\n", 400),
    ("Upgrade with Expect", UPGRADE + b"Expect: 100-continue\r\n\r\n", 400),
]


class SmugglingTest(LimitsTestCase):
    """Issue 11.5: ambiguous framing is refused and the connection closed."""
    PER_TEST = False

    def assertRefused(self, out, status):
        self.assertEqual(out.status, status, out)
        r = out.responses[0]
        self.assertEqual(r.headers.get("connection", "").lower(), "close", r)
        self.assertTrue(r.headers.get("content-type", "")
                        .startswith("text/plain"), r)
        self.assertTrue(r.body.strip(), r)
        self.assertEqual(out.after, b"", "more after the refusal: %r" % out)
        self.assertTrue(out.closed, "not closed after the refusal: %r" % out)

    def test_shapes_refused_and_closed(self):
        port = self.server.http_port
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            outcomes = list(pool.map(lambda shape: exchange(port, shape[1]),
                                     SHAPES))
        for (name, data, status), out in zip(SHAPES, outcomes):
            with self.subTest(name):
                self.assertRefused(out, status)
        self.assertHealthy()

    def test_keep_alive_still_works(self):
        with raw_connect(self.server.http_port) as s:
            for _ in range(2):
                s.sendall(GET)
                r, rest = read_http_response(s)
                self.assertEqual((r.status, rest), (200, b""), r)
                self.assertNotIn("close",
                                 r.headers.get("connection", "").lower(), r)

    def test_pipelined_good_then_bad(self):
        out = exchange(self.server.http_port,
                       GET + POST + b"Content-Length: +2\r\n\r\n{}",
                       responses=2)
        self.assertEqual([r.status for r in out.responses], [200, 400], out)
        self.assertEqual(out.after, b"", out)
        self.assertTrue(out.closed, out)


# What a client does with a connection, in MemoryPerConnectionTest.
CHURN = [
    ("connect and close", None),
    ("GET keep-alive, client closes", GET),
    ("GET Connection: close", b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1"
     b"\r\nConnection: close\r\n\r\n"),
    ("GET HTTP/1.0", b"GET /healthz HTTP/1.0\r\n\r\n"),
]


@unittest.skipIf(SANITIZED, "RSS says nothing under AddressSanitizer")
class MemoryPerConnectionTest(LimitsTestCase):
    """Issue 11.6: memory per accepted connection is given back."""

    def churn(self, count, request):
        """count connections from 4 addresses at once, each sending request
        (None: nothing) and reading its answer, then closed by the client.
        Returns the errors."""
        errors = []

        def run(source, n):
            for _ in range(n):
                try:
                    with raw_connect(self.server.http_port, source=source,
                                     timeout=10) as s:
                        if request is None:
                            continue
                        s.sendall(request)
                        r, _ = read_http_response(s)
                        if r.status != 200:
                            errors.append(r)
                except (OSError, EOFError) as e:
                    errors.append(e)

        threads = [threading.Thread(target=run, args=(source, count // 4))
                   for source in sources(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return errors

    def settled_rss(self, fds):
        """RSS once the server holds no more descriptors than fds (+2)."""
        deadline = time.monotonic() + 10
        while self.server.fd_count() > fds + 2 and \
                time.monotonic() < deadline:
            time.sleep(0.1)
        return self.server.rss_kib()

    def test_memory_is_given_back(self):
        fds = self.server.fd_count()
        for _, request in CHURN:  # warm-up: 2000 connections
            self.assertEqual(self.churn(500, request)[:3], [])
        before = last = self.settled_rss(fds)
        figures = []
        for name, request in CHURN:  # 20000 connections
            errors = self.churn(5000, request)
            self.assertEqual(errors[:3], [], "%s: %d errors"
                             % (name, len(errors)))
            rss = self.settled_rss(fds)
            figures.append("%s %.0f B" % (name, (rss - last) * 1024 / 5000))
            last = rss
        self.assertLess(last - before, 8 * MIB,
                        "RSS %.1f -> %.1f MiB over 20000 connections; per "
                        "connection: %s; descriptors %d -> %d"
                        % (before / MIB, last / MIB, ", ".join(figures), fds,
                           self.server.fd_count()))
        self.assertHealthy()


class CapsTest(LimitsTestCase):
    """Issue 11.7: connections at once from one address, per door."""
    HTTP_CAP, RTMP_CAP, SRT_CAP = 20, 5, 3
    SERVER_KW = {"extra_args": ["--rtmp-port", "1", "--srt-port", "1"]}
    # Silent connections under the cap stay open for the test.
    LIMITS = {"http-request-timeout": 30, "http-idle-timeout": 30,
              "http-connections-per-address": HTTP_CAP,
              "rtmp-connections-per-address": RTMP_CAP,
              "srt-connections-per-address": SRT_CAP}

    def setUp(self):
        super().setUp()
        # Streams with no output end at once when their publisher goes.
        self.server.set_settings({"hlsMuxingEnabled": False,
                                  "mp4MuxingEnabled": False,
                                  "publishTokenControlEnabled": False})

    def test_http_cap(self):
        port = self.server.http_port
        # From an address of its own: the fixture's clients use 127.0.0.1.
        me = "127.0.0.3"
        socks = [raw_connect(port, source=me)
                 for _ in range(self.HTTP_CAP + 10)]
        try:
            closed = wait_closed(socks, 2.0)
            other, _ = timed_get(self.server, source="127.0.0.2")
            same, _ = timed_get(self.server, source=me)
            self.assertEqual(len(closed), 10, "%d of %d connections from "
                             "one address closed at once (cap %d)"
                             % (len(closed), len(socks), self.HTTP_CAP))
            self.assertLess(max(closed.values()), 1.0, closed)
            self.assertEqual(other, 200, "another address")
            self.assertIsInstance(same, (OSError, http.client.HTTPException),
                                  "the same address, over its cap")
            # Slots come back as connections go.
            open_ = [s for s in socks if s not in closed]
            close_all(open_[:5])
            deadline = time.monotonic() + 5
            while True:
                same, _ = timed_get(self.server, source=me, timeout=2)
                if same == 200 or time.monotonic() > deadline:
                    break
                time.sleep(0.1)
            self.assertEqual(same, 200, "after 5 of the address's "
                             "connections closed")
        finally:
            close_all(socks)

    def test_rtmp_cap(self):
        port = self.server.rtmp_port
        base = self.server.thread_count()
        socks = [rtmp_c0_c1(port) for _ in range(self.RTMP_CAP + 5)]
        try:
            got = gather(socks, RTMP_S0_S1_S2, 5)
            done = [s for s in socks if len(got[s][0]) == RTMP_S0_S1_S2]
            refused = {s: got[s][1] for s in socks
                       if got[s][0] == b"" and got[s][1] is not None}
            for s in done:
                s.sendall(got[s][0][1:1 + 1536])  # C2 echoes S1
            threads = self.server.thread_count()
            other = rtmp_c0_c1(port, source="127.0.0.2")
            with other:
                other_got = gather([other], RTMP_S0_S1_S2, 5)[other][0]
            figures = ("%d handshakes done, %d closed at once, of %d from "
                       "one address (cap %d); threads %d -> %d"
                       % (len(done), len(refused), len(socks), self.RTMP_CAP,
                          base, threads))
            self.assertEqual(len(done), self.RTMP_CAP, figures)
            self.assertEqual(len(refused), 5, figures)
            self.assertLess(max(refused.values()), 3.0, figures)
            self.assertLessEqual(threads - base, self.RTMP_CAP, figures)
            self.assertEqual(len(other_got), RTMP_S0_S1_S2, "another address")
        finally:
            close_all(socks)

    @unittest.skipUnless(shutil.which("srt-live-transmit"),
                         "srt-live-transmit (srt-tools) not installed")
    def test_srt_cap(self):
        callers = []
        outcome = {}

        def watch(i, proc, lines):
            for line in proc.stderr:
                lines.append(line)
                if "SRT target connected" in line:
                    outcome[i] = "connected"
                elif "REJECT" in line or "rejected" in line.lower():
                    outcome[i] = "refused"
            outcome.setdefault(i, "exited")

        url = "srt://127.0.0.1:%d?streamid=%s/%%s" % (self.server.srt_port,
                                                      APP)
        watchers = []
        try:
            for i in range(self.SRT_CAP + 2):
                proc = srt_caller(url % ("cap%d" % i))
                callers.append(proc)
                t = threading.Thread(target=watch, args=(i, proc, []),
                                     daemon=True)
                t.start()
                watchers.append(t)
            deadline = time.monotonic() + 8
            while len(outcome) < len(callers) and \
                    time.monotonic() < deadline:
                time.sleep(0.1)
            connected = sorted(i for i, o in outcome.items()
                               if o == "connected")
            self.assertEqual(len(connected), self.SRT_CAP, outcome)
            self.assertEqual(len(outcome), len(callers), outcome)
        finally:
            stop_callers(callers)
            for t in watchers:
                t.join(5)
            for proc in callers:
                proc.stderr.close()
        self.assertHealthy()


if __name__ == "__main__":
    unittest.main()
