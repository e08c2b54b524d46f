"""Shared helper of the integration tests: start and stop the real server.

Every test starts the real binary ($TOLLGATE_BINARY) with --random-ports, reads
the one "tollgate: ready http=PORT https=PORT" line from its stdout and talks to
it with real clients (http.client, socket, ssl). Teardown sends SIGTERM and
asserts a clean exit (code 0, no GLib CRITICAL/WARNING, no sanitizer report).
"""

import http.client
import json
import os
import queue
import re
import resource
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.parse

READY_RE = re.compile(rb"^tollgate: ready http=(\d+) https=(\d+)"
                      rb"(?: rtmp=(\d+))?(?: srt=(\d+))?(?: rtsp=(\d+))?"
                      rb"\s*$")
# GLib's format: "(tollgate:123): tollgate-WARNING **: ..." / "** CRITICAL **".
BAD_STDERR_RE = re.compile(
    r"-(CRITICAL|WARNING) \*\*|\bCRITICAL\b|\bWARNING\b|AddressSanitizer|"
    r"LeakSanitizer|runtime error:")

START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0

APP = "LiveApp"
APP2 = "WebRTCAppEE"

MSG_DEFINE = "Define Stream ID, Token Type and Expire Date (unix time)"
MSG_BAD_TYPE = "Invalid token type. Supported types are 'play' and 'publish'"
MSG_ID_USED = ("Stream id is already being used. Please change stream id or "
               "keep it empty")
MSG_ID_INVALID = "Stream id is not valid."
# Ant Media's words, its spelling kept (PROTOCOL.md 2.3).
MSG_DELETED = "brodcast is deleted and stopped successfully"
MSG_DELETED_NOT_LIVE = "brodcast is deleted but could not stopped "

RESULT_KEYS = {"success", "message", "dataId", "errorId"}
TOKEN_KEYS = {"tokenId", "streamId", "expireDate", "type", "roomId"}
TOKEN_ID_RE = re.compile(r"^[A-Za-z0-9]{22,}$")


def _source_root():
    env = os.environ.get("TOLLGATE_SOURCE_ROOT")
    if env:
        return env
    return os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))


def binary_path():
    """The server binary: $TOLLGATE_BINARY, else <build root>/server/tollgate."""
    env = os.environ.get("TOLLGATE_BINARY")
    if env:
        return env
    build = os.environ.get("TOLLGATE_BUILD_ROOT",
                           os.path.join(_source_root(), "build"))
    return os.path.join(build, "server", "tollgate")


def server_env():
    """The environment meson's test_env gives, when run by hand."""
    env = dict(os.environ)
    env.setdefault("G_DEBUG", "fatal-warnings")
    env.setdefault("GIO_USE_PROXY_RESOLVER", "dummy")
    env.setdefault("GSETTINGS_BACKEND", "memory")
    env.setdefault("GST_REGISTRY_FORK", "no")
    build = os.environ.get("TOLLGATE_BUILD_ROOT")
    if build:
        env.setdefault("GST_PLUGIN_PATH_1_0", os.path.join(build, "plugins"))
    return env


def unique_id(prefix="s"):
    return "%s%s" % (prefix, secrets.token_hex(6))


def future(seconds=3600):
    return int(time.time()) + seconds


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def content_type(self):
        return (self.headers.get("Content-Type") or "").split(";")[0].strip()

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def __repr__(self):
        return "<Response %d %r>" % (self.status, self.body[:300])


class ServerError(AssertionError):
    pass


class TollgateServer:
    """One server process on its own data dir and OS-chosen ports."""

    def __init__(self, data_dir=None, config=None, store=None,
                 http_threads=None, extra_args=(), pass_data_dir=True,
                 env=None, rlimit_nofile=None, log_dir=None):
        self._own_dir = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="tollgate-it-")
        # The server's stderr goes to log_dir (a folder of its own, removed
        # by cleanup() unless TOLLGATE_KEEP_LOGS, when None).
        self._own_log_dir = log_dir is None
        self._log_dir = log_dir or tempfile.mkdtemp(prefix="tollgate-it-log-")
        self.config = config
        self.store = store
        self.http_threads = http_threads
        self.extra_args = list(extra_args)
        self.pass_data_dir = pass_data_dir
        self.env = env
        # (soft, hard) RLIMIT_NOFILE the server starts with; None: ours.
        self.rlimit_nofile = rlimit_nofile
        self.proc = None
        self.http_port = None
        self.https_port = None
        self.rtmp_port = None
        self.rtsp_port = None
        self.ready_line = None
        self._starts = 0
        self._stderr_path = None

    # -- process ---------------------------------------------------------
    def argv(self):
        argv = [binary_path()]
        if self.pass_data_dir:
            argv += ["--data-dir", self.data_dir]
        argv += ["--random-ports", "--rtmp-port", "0", "--srt-port", "0",
                 "--rtsp-port", "0"]
        if self.config:
            argv += ["--config", self.config]
        if self.store:
            argv += ["--store", self.store]
        if self.http_threads is not None:
            argv += ["--http-threads", str(self.http_threads)]
        return argv + self.extra_args

    def spawn(self):
        """Start the process; do not wait for it."""
        exe = binary_path()
        if not os.access(exe, os.X_OK):
            raise ServerError("server binary %s does not exist; build it or "
                              "set TOLLGATE_BINARY" % exe)
        self._starts += 1
        self._stderr_path = os.path.join(self._log_dir,
                                         "stderr.%d.log" % self._starts)
        self._stderr = open(self._stderr_path, "wb")
        self.proc = subprocess.Popen(self.argv(), stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE,
                                     stderr=self._stderr,
                                     env=self.env or server_env(),
                                     preexec_fn=self._limit_nofile
                                     if self.rlimit_nofile else None)
        self._lines = queue.Queue()
        self._stdout_extra = []
        t = threading.Thread(target=self._read_stdout, args=(self.proc,
                                                              self._lines),
                             daemon=True)
        t.start()
        return self.proc

    def _limit_nofile(self):
        """In the child, before exec: the server's descriptor limits."""
        resource.setrlimit(resource.RLIMIT_NOFILE, self.rlimit_nofile)

    @staticmethod
    def _read_stdout(proc, lines):
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    def start(self, timeout=START_TIMEOUT):
        self.spawn()
        deadline = time.monotonic() + timeout
        seen = []
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self.kill()
                raise ServerError("no ready line within %.0fs; stdout=%r "
                                  "stderr=%s" % (timeout, seen, self.stderr()))
            try:
                line = self._lines.get(timeout=left)
            except queue.Empty:
                continue
            if line is None:
                rc = self.proc.wait(timeout=STOP_TIMEOUT)
                raise ServerError("server exited (rc=%s) before ready; "
                                  "stdout=%r stderr=%s"
                                  % (rc, seen, self.stderr()))
            seen.append(line)
            m = READY_RE.match(line)
            if m:
                self.ready_line = line
                self.http_port = int(m.group(1))
                self.https_port = int(m.group(2))
                self.rtmp_port = int(m.group(3) or 0)
                self.srt_port = int(m.group(4) or 0)
                self.rtsp_port = int(m.group(5) or 0)
                return self

    def wait_exit(self, timeout=STOP_TIMEOUT):
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stdout_lines(self):
        """Lines printed so far and not consumed by start()."""
        out = []
        while True:
            try:
                line = self._lines.get_nowait()
            except queue.Empty:
                return out
            if line is not None:
                out.append(line)

    @property
    def stderr_path(self):
        """The file the running (or last) process writes its stderr to."""
        return self._stderr_path

    def stderr(self):
        if not self._stderr_path or not os.path.exists(self._stderr_path):
            return ""
        with open(self._stderr_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stacks(self):
        """Every thread's stack of the running server, by gdb if there is
        one: what a server that does not stop is waiting for."""
        gdb = shutil.which("gdb")
        if gdb is None or self.proc is None:
            return "(no gdb: no stacks)"
        try:
            out = subprocess.run(
                [gdb, "-p", str(self.proc.pid), "-batch", "-nx",
                 "-ex", "thread apply all bt 30"],
                capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as err:
            return "(gdb failed: %s)" % err
        return out.stdout[-60000:]

    def stop(self, sig=signal.SIGTERM, timeout=STOP_TIMEOUT):
        """Signal the server, wait, and assert a clean exit."""
        if self.proc is None:
            return 0
        proc = self.proc
        if proc.poll() is None:
            proc.send_signal(sig)
        rc = self.wait_exit(timeout)
        if rc is None:
            stacks = self.stacks()
            self.kill()
            raise ServerError("server did not exit within %.0fs of %s; "
                              "stderr=%s\n%s" % (timeout, sig.name,
                                                  self.stderr(), stacks))
        self._close_process()
        err = self.stderr()
        if rc != 0:
            raise ServerError("server exited with %d (expected 0); stderr=%s"
                              % (rc, err[-4000:]))
        bad = BAD_STDERR_RE.search(err)
        if bad:
            raise ServerError("server stderr has %r: %s"
                              % (bad.group(0), err[-4000:]))
        return rc

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._close_process()

    def _close_process(self):
        if self.proc is not None:
            self.proc.stdout.close()
            self._stderr.close()
        self.proc = None

    def restart(self):
        self.stop()
        return self.start()

    def cleanup(self):
        self.kill()
        if self._own_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)
        if self._own_log_dir and not os.environ.get("TOLLGATE_KEEP_LOGS"):
            shutil.rmtree(self._log_dir, ignore_errors=True)

    @property
    def pid(self):
        return self.proc.pid

    def fd_count(self):
        return len(os.listdir("/proc/%d/fd" % self.pid))

    def thread_count(self):
        return len(os.listdir("/proc/%d/task" % self.pid))

    def rss_kib(self):
        """VmRSS in kB (KiB)."""
        with open("/proc/%d/status" % self.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise ServerError("no VmRSS in /proc/%d/status" % self.pid)

    def socket_fd_count(self):
        n = 0
        for fd in os.listdir("/proc/%d/fd" % self.pid):
            try:
                if os.readlink("/proc/%d/fd/%s" % (self.pid, fd)).startswith(
                        "socket:"):
                    n += 1
            except OSError:
                pass
        return n

    # -- clients ---------------------------------------------------------
    def connection(self, https=False, host="127.0.0.1", source=None,
                   timeout=15):
        if https:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            return http.client.HTTPSConnection(
                host, self.https_port, timeout=timeout, context=ctx,
                source_address=(source, 0) if source else None)
        return http.client.HTTPConnection(
            host, self.http_port, timeout=timeout,
            source_address=(source, 0) if source else None)

    def request(self, method, path, body=None, headers=None, https=False,
                host="127.0.0.1", source=None, timeout=15):
        conn = self.connection(https=https, host=host, source=source,
                               timeout=timeout)
        try:
            hdrs = dict(headers or {})
            if isinstance(body, (dict, list)):
                body = json.dumps(body)
                hdrs.setdefault("Content-Type", "application/json")
            if isinstance(body, str):
                body = body.encode("utf-8")
            if body is not None:
                hdrs.setdefault("Content-Type", "application/json")
            conn.request(method, path, body=body, headers=hdrs)
            r = conn.getresponse()
            data = r.read()
            return Response(r.status, r.headers, data)
        finally:
            conn.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body, **kw):
        return self.request("POST", path, body=body, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    # -- API shortcuts ---------------------------------------------------
    def mint(self, stream, type="play", expire=None, app=APP, room=None,
             **kw):
        q = {"expireDate": str(future() if expire is None else expire),
             "type": type}
        if room is not None:
            q["roomId"] = room
        return self.get("/%s/rest/v2/broadcasts/%s/token?%s"
                        % (app, stream, urllib.parse.urlencode(q)), **kw)

    def validate(self, token, app=APP, **kw):
        return self.post("/%s/rest/v2/broadcasts/validate-token" % app,
                         token, **kw)

    def healthz(self, **kw):
        return self.get("/healthz", **kw)

    def settings(self, app=APP):
        return self.get("/rest/v2/applications/settings/%s" % app)

    def set_settings(self, obj, app=APP):
        return self.post("/rest/v2/applications/settings/%s" % app, obj)


class RawResponse:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # lower-case names
        self.body = body

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def __repr__(self):
        return "<RawResponse %d %r %r>" % (self.status, self.headers,
                                           self.body[:300])


def _recv_until(sock, buf, marker):
    while marker not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise EOFError("connection closed; got %r" % buf[:300])
        buf += chunk
    return buf


def _recv_exact(sock, buf, n):
    while len(buf) < n:
        chunk = sock.recv(65536)
        if not chunk:
            raise EOFError("connection closed after %d of %d bytes"
                           % (len(buf), n))
        buf += chunk
    return buf


def read_http_response(sock, buf=b"", head=False):
    """Read one HTTP/1.x response from a raw socket.

    Returns (RawResponse, bytes read past its end)."""
    buf = _recv_until(sock, buf, b"\r\n\r\n")
    raw_head, buf = buf.split(b"\r\n\r\n", 1)
    lines = raw_head.decode("iso-8859-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    status = int(parts[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if head or status in (204, 304) or 100 <= status < 200:
        return RawResponse(status, headers, b""), buf
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = b""
        while True:
            buf = _recv_until(sock, buf, b"\r\n")
            size_line, buf = buf.split(b"\r\n", 1)
            size = int(size_line.split(b";")[0], 16)
            buf = _recv_exact(sock, buf, size + 2)
            body += buf[:size]
            buf = buf[size + 2:]
            if size == 0:
                return RawResponse(status, headers, body), buf
    if "content-length" in headers:
        n = int(headers["content-length"])
        buf = _recv_exact(sock, buf, n)
        return RawResponse(status, headers, buf[:n]), buf[n:]
    while True:  # delimited by close
        chunk = sock.recv(65536)
        if not chunk:
            return RawResponse(status, headers, buf), b""
        buf += chunk


def raw_connect(port, host="127.0.0.1", source=None, timeout=15):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(fam, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    if source:
        sock.bind((source, 0))
    sock.connect((host, port))
    return sock


def token_body(tok, **override):
    """The validate-token body for a minted token."""
    body = {"tokenId": tok["tokenId"], "streamId": tok["streamId"],
            "type": tok["type"]}
    body.update(override)
    return body


class TollgateTestCase(unittest.TestCase):
    """Starts one server for the class (or one per test with PER_TEST)."""

    PER_TEST = False
    SERVER_KW = {}

    @classmethod
    def make_server(cls, **kw):
        args = dict(cls.SERVER_KW)
        args.update(kw)
        return TollgateServer(**args)

    @classmethod
    def setUpClass(cls):
        cls.server = None
        if not cls.PER_TEST:
            srv = cls.make_server()
            try:
                srv.start()
            except BaseException:
                srv.cleanup()
                raise
            cls.server = srv

    @classmethod
    def tearDownClass(cls):
        if cls.server is not None and not cls.PER_TEST:
            try:
                cls.server.stop()
            finally:
                cls.server.cleanup()

    def setUp(self):
        if self.PER_TEST:
            srv = self.make_server()
            self.addCleanup(srv.cleanup)
            srv.start()
            self.server = srv

    def tearDown(self):
        if self.PER_TEST and self.server is not None and \
                self.server.proc is not None:
            self.server.stop()

    # -- assertions ------------------------------------------------------
    def assertJson(self, resp, status):
        self.assertEqual(resp.status, status, resp)
        self.assertEqual(resp.content_type, "application/json", resp.headers)
        try:
            return resp.json()
        except ValueError as e:
            self.fail("body is not JSON (%s): %r" % (e, resp.body[:300]))

    def assertResult(self, resp, status, success=None, message=None,
                     message_contains=None):
        obj = self.assertJson(resp, status)
        self.assertIsInstance(obj, dict, resp)
        self.assertEqual(set(obj), RESULT_KEYS, obj)
        self.assertIsInstance(obj["success"], bool, obj)
        self.assertIsInstance(obj["errorId"], int, obj)
        self.assertNotIsInstance(obj["errorId"], bool, obj)
        self.assertIsInstance(obj["message"], (str, type(None)), obj)
        self.assertIsInstance(obj["dataId"], (str, type(None)), obj)
        if success is not None:
            self.assertIs(obj["success"], success, obj)
        if message is not None:
            self.assertEqual(obj["message"], message, obj)
        if message_contains is not None:
            self.assertIsInstance(obj["message"], str, obj)
            self.assertIn(message_contains, obj["message"], obj)
        return obj

    def assertToken(self, resp, stream, type="play", expire=None, room=None):
        tok = self.assertJson(resp, 200)
        self.assertIsInstance(tok, dict, resp)
        self.assertEqual(set(tok), TOKEN_KEYS, tok)
        self.assertRegex(tok["tokenId"], TOKEN_ID_RE)
        self.assertEqual(tok["streamId"], stream)
        self.assertIsInstance(tok["expireDate"], int, tok)
        self.assertNotIsInstance(tok["expireDate"], bool, tok)
        if expire is not None:
            self.assertEqual(tok["expireDate"], expire)
        self.assertEqual(tok["type"], type)
        self.assertEqual(tok["roomId"], room)
        return tok

    def mint_ok(self, stream=None, type="play", app=APP, **kw):
        stream = stream or unique_id()
        return self.assertToken(self.server.mint(stream, type, app=app, **kw),
                                stream, type)

    def assertValid(self, body, app=APP, expect=True, **kw):
        r = self.server.validate(body, app=app, **kw)
        return self.assertResult(r, 200, success=expect)

    def assertHealthy(self):
        r = self.server.healthz()
        self.assertEqual(r.status, 200, r)
        self.assertIsNotNone(self.server.proc, "server not running")
        self.assertIsNone(self.server.proc.poll(), "server died")
