"""The attacks that run to an end (head-leak, smuggling, conn-memory): the
healthy client sends a request every 0.1 s while they run."""

import collections
import concurrent.futures
import threading
import time

from raw_clients import connect, read_response

from .clients import ATTACKERS, HEALTHZ, exchange, sample
from .readings import Attack, while_running


def head_leak(probe):
    a = Attack("head-leak")
    srv = probe.server("leak")
    path = b"/" + b"a" * (60 * 1024)
    heads = [b"POST " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
             b"Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n",
             b"POST " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
             b"Content-Length: 2, 40\r\n\r\n{}"]
    a.read("before", srv, sample(srv, probe.n))
    before = srv.reading()

    def attack():
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            return list(pool.map(
                lambda i: exchange(srv.http, heads[i % 2],
                                   source=ATTACKERS[i % 4]), range(4000)))

    outcomes = while_running(a, attack)
    a.read("after", srv, sample(srv, probe.n))
    after = srv.reading()
    seen = collections.Counter(
        (o[0], "closed" if o[2] else "kept open") for o in outcomes)
    a.say("4000 refused 60 KB heads: %s; RSS +%.1f MiB (%.1f MiB per 1000)"
          % (", ".join("%s %s: %d" % (k[0], k[1], v)
                       for k, v in sorted(seen.items(), key=str)),
             (after[2] - before[2]) / 1024,
             (after[2] - before[2]) / 1024 / 4) if before and after
          else "server gone")
    srv.stop()
    return a


SMUGGLED = b"0\r\n\r\nGET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
POST = b"POST /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n"
UPGRADE = (b"GET /LiveApp/websocket HTTP/1.1\r\nHost: 127.0.0.1\r\n"
           b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
           b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
           b"Sec-WebSocket-Version: 13\r\n")
SHAPES = [
    ("CL and TE", POST + b"Content-Length: %d\r\nTransfer-Encoding: chunked"
     b"\r\n\r\n" % len(SMUGGLED) + SMUGGLED),
    ("two CL equal", POST + b"Content-Length: 2\r\nContent-Length: 2\r\n\r\n"
     b"{}"),
    ("two CL different", POST + b"Content-Length: 2\r\nContent-Length: 40"
     b"\r\n\r\n{}"),
    ("CL +2", POST + b"Content-Length: +2\r\n\r\n{}"),
    ("CL -1", POST + b"Content-Length: -1\r\n\r\n{}"),
    ("CL 2, 40", POST + b"Content-Length: 2, 40\r\n\r\n{}"),
    ("TE space colon", POST + b"Transfer-Encoding : chunked\r\n\r\n"
     b"0\r\n\r\n"),
    ("obs-fold", b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-A: a\r\n"
     b" b\r\n\r\n"),
    ("bare LF", b"GET /healthz HTTP/1.1\nHost: 127.0.0.1\n\n"),
    ("TE on HTTP/1.0", b"POST /healthz HTTP/1.0\r\nTransfer-Encoding: "
     b"chunked\r\n\r\n0\r\n\r\n"),
    ("chunked, identity", POST + b"Transfer-Encoding: chunked, identity"
     b"\r\n\r\n0\r\n\r\n"),
    ("Upgrade + body", UPGRADE + b"Content-Length: 2\r\n\r\n{}"),
]


def smuggling(probe):
    a = Attack("smuggling")
    srv = probe.server("smuggling")
    a.read("before", srv, sample(srv, probe.n))

    def attack():
        with concurrent.futures.ThreadPoolExecutor(len(SHAPES)) as pool:
            return list(pool.map(lambda s: exchange(srv.http, s[1]), SHAPES))

    outcomes = while_running(a, attack)
    a.read("after", srv, sample(srv, probe.n))
    for (name, _), (status, after, closed) in zip(SHAPES, outcomes):
        a.say("%-18s -> %s, %s%s" % (
            name, status if status else "no answer",
            "closed" if closed else "kept open (5 s)",
            ", then %d more bytes (%s)" % (len(after),
                                           after.split(b"\r\n")[0].decode(
                                               "latin-1"))
            if after else ""))
    srv.stop()
    return a


CHURN = [
    ("connect and close", None),
    ("GET keep-alive, client closes", HEALTHZ),
    ("GET Connection: close", b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1"
     b"\r\nConnection: close\r\n\r\n"),
    ("GET HTTP/1.0", b"GET /healthz HTTP/1.0\r\n\r\n"),
]


def churn(srv, count, request):
    """count connections from 4 attackers; returns the errors."""
    errors = []

    def run(source, n):
        for _ in range(n):
            try:
                with connect(srv.http, source, 10) as s:
                    if request:
                        s.sendall(request)
                        read_response(s)
            except (OSError, EOFError, ValueError, IndexError):
                errors.append(1)

    threads = [threading.Thread(target=run, args=(src, count // 4))
               for src in ATTACKERS[:4]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(errors)


def settled(srv, fds):
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        r = srv.reading()
        if r is None or r[0] <= fds + 2:
            return r
        time.sleep(0.1)
    return srv.reading()


def conn_memory(probe):
    a = Attack("conn-memory")
    srv = probe.server("memory")
    for _, req in CHURN:  # warm-up
        churn(srv, 500, req)
    base = settled(srv, 0)
    a.read("before", srv, sample(srv, probe.n))

    def attack():
        out = []
        last = base
        for name, req in CHURN:
            errors = churn(srv, 10000, req)
            r = settled(srv, base[0])
            out.append("%s %.0f B/connection (%d errors)"
                       % (name, (r[2] - last[2]) * 1024 / 10000, errors))
            last = r
        return out

    figures = while_running(a, attack)
    a.read("after", srv, sample(srv, probe.n))
    end = srv.reading()
    a.say("40000 connections: RSS %.1f -> %.1f MiB; per kind: %s"
          % (base[2] / 1024, end[2] / 1024, "; ".join(figures)))
    srv.stop()
    return a
