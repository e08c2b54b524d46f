"""The attacks that hold connections (fd-exhaustion, tls-stall, slowloris,
http-cap, rtmp-cap, srt-cap): the server is read, and sampled, while they
hold them."""

import collections
import shutil
import threading
import time

from raw_clients import (RTMP_S0_S1_S2, client_hello, close_all, connect,
                         drip, gather, rtmp_c0_c1, srt_caller, stop_callers,
                         wait_closed)

from .clients import ATTACKERS, healthz, sample
from .readings import Attack
from .server import CALLERS


def fd_exhaustion(probe):
    a = Attack("fd-exhaustion")
    srv = probe.server("fd", nofile=1024, env={"G_MESSAGES_DEBUG": "all"})
    a.read("before", srv, sample(srv, probe.n))
    socks, errors = [], 0
    for i in range(1100):
        try:
            socks.append(connect(srv.http, ATTACKERS[i % 8]))
        except OSError:
            errors += 1
    # Until the server's count stops moving (1 s unchanged, 10 s at most).
    last, since, deadline = None, time.monotonic(), time.monotonic() + 10
    while time.monotonic() < deadline and time.monotonic() - since < 1:
        r = srv.reading()
        if r != last:
            last, since = r, time.monotonic()
        time.sleep(0.1)
    a.read("during", srv, sample(srv, probe.n))
    close_all(socks)
    closed_at = time.monotonic()
    a.read("after", srv, sample(srv, probe.n))
    soft, hard = srv.soft_limit()
    a.say("1100 silent connections from 8 addresses (%d refused by the "
          "kernel), then all closed; the healthy client's 'after' starts "
          "at once; server limit soft %s hard %s; logged 'out of file "
          "descriptors': %s; alive at the end: %s"
          % (errors, soft, hard, "yes" if srv.logged(
              "out of file descriptors") else "no",
             "yes" if srv.alive() else "no"))
    up = None
    while time.monotonic() - closed_at < 30:
        if healthz(srv) is not None:
            up = time.monotonic() - closed_at
            break
    a.say("first /healthz answered %s after the attackers closed"
          % ("%.1f s" % up if up is not None else "never within 30 s"))
    srv.stop()
    return a


def tls_stall(probe):
    a = Attack("tls-stall", https=True)
    srv = probe.server("tls")
    a.read("before", srv, sample(srv, probe.n, https=True))
    hello = client_hello()
    socks = []
    for i in range(150):
        s = connect(srv.https, ATTACKERS[i % 2])
        s.sendall(hello)
        socks.append(s)
    a.read("during", srv, sample(srv, probe.n, https=True))
    closed = wait_closed(socks, 15)
    close_all(socks)
    a.read("after", srv, sample(srv, probe.n, https=True))
    a.say("150 stalled ClientHellos; the server closed %d of them within "
          "15 s%s" % (len(closed), " (last at %.1f s after the 'during' "
                      "reading)" % max(closed.values()) if closed else ""))
    srv.stop()
    return a


def slowloris(probe):
    a = Attack("slowloris")
    srv = probe.server("slowloris")
    a.read("before", srv, sample(srv, probe.n))
    socks = [connect(srv.http, ATTACKERS[i % 2]) for i in range(300)]
    for s in socks:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: ")
    silent = connect(srv.http, ATTACKERS[2])
    half = connect(srv.http, ATTACKERS[2])
    half.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")

    result = []
    driver = threading.Thread(
        target=lambda: result.append(drip(socks, 15, [silent, half])),
        daemon=True)
    driver.start()
    a.read("during", srv, sample(srv, probe.n))
    driver.join()
    closed = result[0]
    loris = [closed[s] for s in socks if s in closed]
    close_all(socks + [silent, half])
    a.read("after", srv, sample(srv, probe.n))
    a.say("300 slowloris connections (a byte a second): %d closed by the "
          "server within 15 s%s; silent connection: %s; half a head: %s"
          % (len(loris), " (last at %.1f s)" % max(loris) if loris else "",
             "closed at %.1f s" % closed[silent] if silent in closed
             else "open after 15 s",
             "closed at %.1f s" % closed[half] if half in closed
             else "open after 15 s"))
    srv.stop()
    return a


def http_cap(probe):
    a = Attack("http-cap")
    srv = probe.server("httpcap")
    a.read("before", srv, sample(srv, probe.n))
    socks = [connect(srv.http, ATTACKERS[0]) for _ in range(1000)]
    closed = wait_closed(socks, 2)
    a.read("during", srv, sample(srv, probe.n))
    close_all(socks)
    a.read("after", srv, sample(srv, probe.n))
    a.say("1000 silent connections from one address: %d still held by the "
          "server after 2 s" % (len(socks) - len(closed)))
    srv.stop()
    return a


def threads_settle(srv, before, timeout=10):
    """Waits until the server has at most 2 threads more than before."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = srv.reading()
        if before is None or r is None or r[1] <= before[1] + 2:
            return
        time.sleep(0.1)


def rtmp_cap(probe):
    a = Attack("rtmp-cap")
    srv = probe.server("rtmpcap")
    a.read("before", srv, sample(srv, probe.n))
    socks = [rtmp_c0_c1(srv.rtmp, ATTACKERS[0]) for _ in range(300)]
    got = gather(socks, RTMP_S0_S1_S2, 10)
    done = refused = 0
    for s in socks:
        data, closed = got[s]
        if len(data) == RTMP_S0_S1_S2:
            s.sendall(data[1:1537])  # C2 echoes S1
            done += 1
        elif closed is not None and not data:
            refused += 1
    a.read("during", srv, sample(srv, probe.n))
    close_all(socks)
    threads_settle(srv, a.rows[0][1])
    a.read("after", srv, sample(srv, probe.n))
    a.say("300 handshake-only RTMP connections from one address: %d "
          "handshakes done, %d closed at once" % (done, refused))
    srv.stop()
    return a


def srt_cap(probe):
    a = Attack("srt-cap")
    if not shutil.which("srt-live-transmit"):
        a.say("skipped: srt-live-transmit (Debian srt-tools) not installed")
        return a
    srv = probe.server("srtcap")
    srv.set_settings(b'{"hlsMuxingEnabled":false,"mp4MuxingEnabled":false,'
                     b'"publishTokenControlEnabled":false}')
    a.read("before", srv, sample(srv, probe.n))
    outcome = {}

    def watch(i, proc):
        for line in proc.stderr:
            if "SRT target connected" in line:
                outcome[i] = "connected"
            elif "REJECT" in line:
                outcome[i] = "refused"
        outcome.setdefault(i, "exited")

    callers = []
    for i in range(40):
        proc = srt_caller("srt://127.0.0.1:%d?streamid=LiveApp/probe%d"
                          % (srv.srt, i))
        CALLERS.append(proc)
        callers.append(proc)
        threading.Thread(target=watch, args=(i, proc), daemon=True).start()
    deadline = time.monotonic() + 15
    while len(outcome) < len(callers) and time.monotonic() < deadline:
        time.sleep(0.1)
    a.read("during", srv, sample(srv, probe.n))
    stop_callers(callers)
    threads_settle(srv, a.rows[0][1])
    a.read("after", srv, sample(srv, probe.n))
    counts = collections.Counter(outcome.values())
    a.say("40 SRT callers from one address: %s"
          % ", ".join("%d %s" % (v, k) for k, v in sorted(counts.items())))
    srv.stop()
    return a
