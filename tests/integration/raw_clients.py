"""Raw-socket clients for attacking the server from outside: what
test_http_limits.py and bench/http-probe (which puts this folder on its
sys.path) both send, Python 3 standard library only.

- connect(): a TCP connection to 127.0.0.1 from a given loopback address.
- read_response(): one HTTP/1.x response, framed by Content-Length only:
  (status, bytes past it). tollgate_fixture.read_http_response is the full
  reader (headers, chunked bodies) the tests use.
- exchange(): sends bytes on a new connection, reads responses, then waits
  for the server to close.
- client_hello(): the bytes of a real TLS ClientHello; tls_context(), a
  client context that checks no certificate.
- rtmp_c0_c1(): a connection that sent the RTMP handshake's C0 and C1.
- gather(), wait_closed(), drip(): many sockets at once, on one selector:
  read until so many bytes or the close; wait for the closes; send a
  slowloris byte a second meanwhile.
- close_all().
- srt_caller(), stop_callers(): srt-live-transmit (Debian srt-tools) as an
  SRT publisher that sends nothing, and stopping such callers.
"""

import contextlib
import math
import os
import selectors
import signal
import socket
import ssl
import subprocess
import time

# What the server answers an RTMP C0 and C1 with: S0, S1 and S2.
RTMP_S0_S1_S2 = 1 + 2 * 1536


def connect(port, source=None, timeout=5.0):
    """A connection to 127.0.0.1:port from source (a loopback address;
    None: the kernel's choice)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    if source:
        sock.bind((source, 0))
    sock.connect(("127.0.0.1", port))
    return sock


def read_response(sock, buf=b""):
    """One response, its body framed by Content-Length (none without it):
    (status, bytes past it). buf: what was read past the one before.
    Raises EOFError, OSError, and ValueError or IndexError on a malformed
    head."""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise EOFError
        buf += chunk
    head, buf = buf.split(b"\r\n\r\n", 1)
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ")[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    if status < 200 or status in (204, 304):
        length = 0
    while len(buf) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise EOFError
        buf += chunk
    return status, buf[length:]


def exchange(port, data, read=read_response, responses=1, timeout=5.0,
             source=None):
    """Sends data on a new connection, reads that many responses with
    read(sock, buf) -> (response, bytes past it), then waits (up to timeout
    s) for the server to close. Returns (the responses read, the error that
    stopped reading them or None, the bytes after the last, whether the
    server closed); after an error nothing more is read, and closed is
    False."""
    got = []
    sock = connect(port, source, timeout)
    with sock:
        try:
            sock.sendall(data)
        except OSError:
            pass  # the server may refuse and close before reading it all
        after = b""
        try:
            for _ in range(responses):
                r, after = read(sock, after)
                got.append(r)
        except (OSError, EOFError, ValueError, IndexError) as e:
            return got, e, b"", False
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    return got, None, after, True
                after += chunk
        except socket.timeout:
            return got, None, after, False
        except OSError:
            return got, None, after, True  # reset


def tls_context():
    """A TLS client context that checks no certificate or name."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def client_hello():
    """The bytes of a real TLS ClientHello (Python's own client's)."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = tls_context().wrap_bio(incoming, outgoing)
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


def rtmp_c0_c1(port, source=None):
    """A connection that sent the RTMP handshake's C0 and C1."""
    s = connect(port, source, 5.0)
    s.sendall(b"\x03" + bytes(8) + os.urandom(1528))
    return s


@contextlib.contextmanager
def _selecting(socks):
    """A selector with socks registered for reading, made non-blocking
    meanwhile: their timeouts are put back on exit."""
    timeouts = [(s, s.gettimeout()) for s in socks]
    try:
        with selectors.DefaultSelector() as sel:
            for s in socks:
                s.setblocking(False)
                sel.register(s, selectors.EVENT_READ)
            yield sel
    finally:
        for s, t in timeouts:
            s.settimeout(t)


def _received(sel, timeout):
    """(socket, what it read) for each socket of sel readable within
    timeout s; b"" once the server closed it or reset it."""
    for key, _ in sel.select(timeout):
        try:
            data = key.fileobj.recv(65536)
        except BlockingIOError:
            continue
        except OSError:
            data = b""  # reset
        yield key.fileobj, data


def gather(socks, want, timeout):
    """Reads each socket, all at once, until it has want bytes or the
    server closes it, timeout s at most: {socket: (bytes, seconds until
    closed or None)}."""
    start = time.monotonic()
    got = {s: [b"", None] for s in socks}
    with _selecting(socks) as sel:
        left = len(socks)
        while left:
            wait = start + timeout - time.monotonic()
            if wait <= 0:
                break
            for s, data in _received(sel, wait):
                got[s][0] += data
                if not data:
                    got[s][1] = time.monotonic() - start
                if not data or len(got[s][0]) >= want:
                    sel.unregister(s)
                    left -= 1
    return {s: tuple(v) for s, v in got.items()}


def wait_closed(socks, timeout):
    """Waits until the server has closed each socket (EOF or reset), at
    most timeout s, reading what it sends meanwhile. Returns {socket:
    seconds until it closed}."""
    return {s: closed for s, (_, closed) in
            gather(socks, math.inf, timeout).items() if closed is not None}


def drip(socks, seconds, quiet=()):
    """Slowloris: sends each of socks a byte (b"a": they should be inside a
    request head) a second, and watches them and quiet (sent nothing
    more), until the server has closed them all, seconds s at most.
    Returns {socket: seconds until the server closed it, or a send to it
    failed}."""
    start = time.monotonic()
    end = start + seconds
    every = list(socks) + list(quiet)
    closed = {}
    with _selecting(every) as sel:
        tick = start
        while len(closed) < len(every):
            now = time.monotonic()
            if now >= end:
                break
            if now >= tick:
                tick += 1.0
                for s in socks:
                    if s in closed:
                        continue
                    try:
                        s.send(b"a")
                    except BlockingIOError:
                        pass
                    except OSError:
                        closed[s] = now - start
                        sel.unregister(s)
            for s, data in _received(sel, max(0.0, min(tick, end) - now)):
                if not data:
                    closed[s] = time.monotonic() - start
                    sel.unregister(s)
    return closed


def close_all(socks):
    for s in socks:
        try:
            s.close()
        except OSError:
            pass


def srt_caller(url):
    """srt-live-transmit calling url (srt://...) as a publisher that sends
    nothing: its input is a pipe left empty. Its stderr, verbose, is a text
    pipe for the caller to read ("SRT target connected", "REJECT...")."""
    return subprocess.Popen(
        ["srt-live-transmit", "-a:no", "-v", "file://con", url],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True)


def stop_callers(procs, timeout=10):
    """Stops srt_caller()s: SIGINT to each still running, then waits for
    each (killed after timeout s) and closes its stdin."""
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
    for proc in procs:
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdin.close()
