"""The command line and main(): the server, the phases in order, the
report."""

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
import time

from tollgate_fixture import ServerError, TollgateServer, server_env

from .media import make_media
from .ops import Soak
from .phases import BY_NAME, PHASES, Sampler, run_phase
from .report import Curve, plot, print_figures, write_csv
from .server import PORT_ARGS


def note(msg):
    print("soak: %s" % msg, file=sys.stderr, flush=True)


def die(msg):
    note(msg)
    sys.exit(1)


def arguments():
    p = argparse.ArgumentParser(
        prog="bench/soak", description="Publish/unpublish cycles and "
        "sessions over every door of the real server, its descriptors, "
        "threads and RSS read throughout.")
    p.add_argument("build", nargs="?", default="./build", metavar="BUILD_DIR")
    p.add_argument("--cycles", type=int, default=1000,
                   help="publish/unpublish cycles per door: RTMP, SRT, "
                   "WebRTC (default 1000)")
    p.add_argument("--ws", type=int, default=10000,
                   help="WebSocket connects (default 10000)")
    p.add_argument("--hls", type=int, default=10000,
                   help="HLS sessions (default 10000)")
    p.add_argument("--sessions", type=int, default=1000,
                   help="RTSP sessions, and WHIP sessions (default 1000)")
    p.add_argument("--scale", type=float, default=1.0,
                   help="multiplies every count (e.g. 0.1)")
    p.add_argument("--parallel", type=int, default=4,
                   help="operations at once (default 4)")
    p.add_argument("--phases", default=",".join(x.name for x in PHASES),
                   help="the phases to run, in this order (default "
                   "%(default)s)")
    p.add_argument("--settings", type=json.loads, default={},
                   metavar="JSON", help="settings of the app LiveApp to set "
                   "at the start, e.g. '{\"hlsListSize\": \"5\"}'")
    p.add_argument("--interval", type=float, default=1.0,
                   help="seconds between readings (default 1)")
    p.add_argument("--print-every", type=float, default=10.0,
                   help="seconds between rows of the curve printed "
                   "(default 10)")
    p.add_argument("--out", default=None,
                   help="the plot (PNG) and readings (CSV) go to OUT.png and "
                   "OUT.csv (default BUILD_DIR/soak)")
    a = p.parse_args()
    phases = [x for x in a.phases.split(",") if x]
    unknown = [x for x in phases if x not in BY_NAME]
    if unknown or not phases:
        p.error("unknown phase(s) %s; known: %s" % (
            ",".join(unknown), ",".join(x.name for x in PHASES)))
    a.phases = [BY_NAME[x] for x in phases]
    if a.scale <= 0 or a.parallel < 1 or a.interval <= 0:
        p.error("--scale, --parallel and --interval must be positive")
    a.counts = {k: max(1, round(getattr(a, k) * a.scale))
                for k in ("cycles", "ws", "hls", "sessions")}
    return a


def main():
    a = arguments()
    build = os.path.abspath(a.build)
    exe = os.path.join(build, "server", "tollgate")
    if not os.access(exe, os.X_OK):
        die("%s missing: run 'meson compile -C %s' first" % (exe, a.build))
    if shutil.which("ffmpeg") is None:
        die("ffmpeg not found: install the Debian package 'ffmpeg'")
    out = os.path.abspath(a.out or os.path.join(build, "soak"))
    os.environ["TOLLGATE_BINARY"] = exe     # tollgate_fixture's binary

    tmp = tempfile.mkdtemp(prefix="tollgate-soak.")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    server = soak = sampler = None
    try:
        media = make_media(tmp)
        env = server_env()
        # A warning is reported, not fatal; GStreamer's registry is made in
        # a child process, as in production (the tests' GST_REGISTRY_FORK=no
        # would load every installed plugin into the server).
        env.pop("G_DEBUG", None)
        env.pop("GST_REGISTRY_FORK", None)
        env.update(GST_PLUGIN_PATH_1_0=os.path.join(build, "plugins"),
                   GST_REGISTRY_1_0=os.path.join(tmp, "registry.bin"))
        server = TollgateServer(data_dir=os.path.join(tmp, "data"),
                                log_dir=tmp, extra_args=PORT_ARGS, env=env)
        server.start()
        soak = Soak(server, media)
        if a.settings:
            soak.settings(a.settings)
        print("soak: %s, %s cores, %s; %s; %d at once" % (
            exe, os.cpu_count(), time.strftime("%Y-%m-%d %H:%M:%S"),
            ", ".join("%s %d" % (x.name, a.counts[x.count])
                      for x in a.phases), a.parallel), flush=True)
        sampler = Sampler(server.pid, a.interval, Curve(a.print_every))
        sampler.enter("start")
        sampler.start()
        results = []
        last_live = max((k for k, x in enumerate(a.phases) if x.live),
                        default=-1)
        for k, phase in enumerate(a.phases):
            if phase.live and not soak.live:
                sampler.enter("live")
                soak.start_live()
            soak.begin(phase.name)
            note("%s: %d %s, %s" % (phase.name, a.counts[phase.count],
                                    phase.unit, phase.title))
            results.append(run_phase(soak, sampler, phase,
                                     a.counts[phase.count], a.parallel))
            soak.end(phase.name)
            if k == last_live:
                sampler.enter("live")
                soak.stop_live()
            if server.proc.poll() is not None:
                break
        sampler.enter("end")
        sampler.stop()
        print_figures(sampler.samples, results)
        write_csv(sampler.samples, out + ".csv")
        title = "bench/soak: %s" % ", ".join(
            "%s %d" % (r.phase.name, r.done) for r in results)
        if plot(sampler.samples, out + ".png", title):
            print("plot: %s.png, readings: %s.csv" % (out, out))
        else:
            print("readings: %s.csv (no plot: install python3-matplotlib)"
                  % out)
        for line in soak.log.bad[:20]:
            print("server: %s" % line)
        try:
            server.stop()
        except ServerError as e:
            print("server stop: %s" % str(e)[:2000])
    except KeyboardInterrupt:
        sys.exit(130)
    finally:
        # Each step on its own: one that fails must not leave the server
        # or a publisher running.
        for obj, step in ((sampler, "stop"), (soak, "close"),
                          (server, "kill")):
            try:
                if obj is not None:
                    getattr(obj, step)()
            except Exception as e:  # noqa: BLE001
                note("%s.%s(): %r" % (type(obj).__name__, step, e))
        if os.environ.get("BENCH_KEEP") == "1":
            note("kept %s" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
