"""The command line: the attacks by name, and main(), which runs the
reference and the attacks chosen and prints the report."""

import os
import resource
import shutil
import signal
import sys
import tempfile
import time

from .attacks_hold import (fd_exhaustion, http_cap, rtmp_cap, slowloris,
                           srt_cap, tls_stall)
from .attacks_run import conn_memory, head_leak, smuggling
from .clients import sample
from .report import print_report
from .server import Server, cleanup, die, note

ATTACKS = [("fd-exhaustion", fd_exhaustion), ("tls-stall", tls_stall),
           ("slowloris", slowloris), ("head-leak", head_leak),
           ("smuggling", smuggling), ("conn-memory", conn_memory),
           ("http-cap", http_cap), ("rtmp-cap", rtmp_cap),
           ("srt-cap", srt_cap)]


class Probe:
    def __init__(self, build, tmp, n):
        self.build, self.tmp, self.n = build, tmp, n

    def server(self, name, **kw):
        return Server(self.build, self.tmp, name, **kw)


def main():
    build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "./build")
    if len(sys.argv) > 2 or not os.path.isdir(build):
        die("no build directory %s (usage: bench/http-probe [BUILD_DIR])"
            % build)
    exe = os.path.join(build, "server", "tollgate")
    if not os.access(exe, os.X_OK):
        die("%s missing: run 'meson compile -C %s' first" % (exe, build))
    names = os.environ.get("BENCH_ATTACKS", "").split() or \
        [n for n, _ in ATTACKS]
    unknown = set(names) - {n for n, _ in ATTACKS}
    if unknown:
        die("unknown attack(s) %s; known: %s" % (
            " ".join(sorted(unknown)), " ".join(n for n, _ in ATTACKS)))
    try:
        n = int(os.environ.get("BENCH_SAMPLES", "20"))
        if n < 1:
            raise ValueError
    except ValueError:
        die("BENCH_SAMPLES must be a positive number")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 4096:
        die("descriptor hard limit %d: this needs about 1200 (ulimit -Hn)"
            % hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    tmp = tempfile.mkdtemp(prefix="tollgate-http-probe.")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        probe = Probe(build, tmp, n)
        print("http-probe: %s, %s cores, %s" % (
            exe, os.cpu_count(), time.strftime("%Y-%m-%d %H:%M:%S")))
        note("reference: a fresh server, no attack")
        srv = probe.server("reference")
        refs = {}
        for https in (False, True):
            sample(srv, 3, https)  # warm-up
            refs[https] = sample(srv, n, https)
        srv.stop()
        attacks = []
        for name, fn in ATTACKS:
            if name in names:
                note(name)
                attacks.append(fn(probe))
        print_report(refs, attacks)
    except KeyboardInterrupt:
        sys.exit(130)
    finally:
        cleanup()
        if os.environ.get("BENCH_KEEP") == "1":
            note("kept %s" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
