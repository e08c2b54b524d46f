"""The measurements: the first-frame and view commands, and the figures
they use (percentiles, CPU time from /proc)."""

import json
import os
import random
import statistics
import sys
import time

from .common import out
from .viewers import CountingViewer, TimedViewer, close_all


def cpu_ticks(pid):
    """utime+stime of a process (all its threads), in clock ticks; None
    when it is gone."""
    try:
        with open("/proc/%s/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[11]) + int(fields[12])


def machine_busy():
    """(busy, total) jiffies of the whole machine."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return sum(v) - v[3] - v[4], sum(v)


def pct(part, whole):
    return 100.0 * part / whole if whole else 0.0


def percentile(values, p):
    s = sorted(values)
    if not s:
        return float("nan")
    k = (len(s) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def cmd_first_frame(args):
    steps = ("offer", "ice", "dtls", "started", "frame")
    got = {s: [] for s in steps}
    total = []
    failed = in_a_row = 0
    tried = 0
    warm = args.warm_up
    for i in range(1 - warm, args.count + 1):
        tried = max(0, i)
        v = TimedViewer(args.url, args.stream, timeout=args.timeout)
        t_start = time.monotonic()
        try:
            v.start()
            ok = v.wait_for(lambda: v.decoded_frames >= 1 or v.errors
                            or "play_finished" in v.definitions()
                            or any(m.get("command") == "error"
                                   for m in v.messages), args.timeout)
            ok = ok and v.decoded_frames >= 1
        except Exception as exc:
            ok = False
            v.errors.append(repr(exc))
        t0 = v.t.get("play")
        if i < 1:
            # The first viewer pays one-time set-up costs in both
            # processes: shown, not counted.
            out("ffwarm i=%d %s" % (i, "frame=%.1f" % (1000 * (v.t["frame"]
                                                              - t0))
                                     if ok and t0 is not None else "failed"))
            v.stop()
            continue
        if ok and t0 is not None:
            fields = []
            for s in steps:
                if s in v.t:
                    ms = 1000 * (v.t[s] - t0)
                    got[s].append(ms)
                    fields.append("%s=%.1f" % (s, ms))
            from_start = 1000 * (v.t["frame"] - t_start)
            total.append(from_start)
            out("ff i=%d %s from_start=%.1f" % (i, " ".join(fields),
                                                  from_start))
        else:
            failed += 1
            in_a_row += 1
            out("ff i=%d failed definitions=%s errors=%s"
                % (i, ",".join(str(d) for d in v.definitions()) or "-",
                   json.dumps(v.errors)[:300]))
        v.stop()
        if ok:
            in_a_row = 0
        elif in_a_row >= args.give_up:
            out("ff gave up after %d viewers in a row without a frame"
                % in_a_row)
            break
        # Join at a random point of the GOP, not in step with it.
        time.sleep(0.2 + random.uniform(0, args.gop))
    f = got["frame"]
    line = ["ffstat ok=%d/%d" % (len(f), tried)]
    if f:
        line.append("median=%.1f p90=%.1f min=%.1f max=%.1f"
                    % (statistics.median(f), percentile(f, 90), min(f),
                       max(f)))
        for s in ("offer", "ice", "dtls", "started"):
            if got[s]:
                line.append("%s_median=%.1f" % (s, statistics.median(got[s])))
        line.append("from_start_median=%.1f" % statistics.median(total))
    out(" ".join(line))
    return 0 if not failed else 1


def cmd_view(args):
    pids = {}
    for spec in args.pid or []:
        name, _, pid = spec.partition("=")
        pids[name] = pid
    me = os.getpid()
    hz = os.sysconf("SC_CLK_TCK")
    viewers = []
    errors = 0
    t_begin = time.monotonic()
    for i in range(args.n):
        v = CountingViewer(args.url, args.stream, timeout=args.timeout)
        try:
            v.start()
        except Exception as exc:
            v.errors.append(repr(exc))
        viewers.append(v)
    deadline = time.monotonic() + args.timeout + args.n * 0.5
    for v in viewers:
        v.wait_for(lambda: v.frames >= 1 or v.errors,
                   max(0.1, deadline - time.monotonic()))
    connected = sum(1 for v in viewers if v.frames >= 1)
    t_connected = time.monotonic() - t_begin
    if args.n and not connected:
        out("view n=%d conn=0 connect_s=%.1f loss_avg=100 loss_worst=100"
            " pkt_avg=100 pkt_worst=100 errors=%d"
            % (args.n, t_connected, sum(len(v.errors) for v in viewers)))
        for v in viewers[:3]:
            sys.stderr.write("viewer without frames: definitions %s,"
                             " errors %s\n" % (v.definitions(), v.errors))
        close_all(viewers)
        return 1
    time.sleep(args.warmup)

    def stats():
        return [v.video_stats() if v.frames else None for v in viewers]

    # The jitter buffers' stats are read just outside the window.
    stats()     # finds the jitter buffers, during the warm-up
    s0 = stats()
    c0 = {name: cpu_ticks(pid) for name, pid in pids.items()}
    m0 = cpu_ticks(me)
    b0 = machine_busy()
    w0 = time.monotonic()
    time.sleep(args.seconds)
    w1 = time.monotonic()
    c1 = {name: cpu_ticks(pid) for name, pid in pids.items()}
    m1 = cpu_ticks(me)
    b1 = machine_busy()
    s1 = stats()
    time.sleep(1)   # the first frames after the window, see below
    secs = w1 - w0
    expected = args.fps * secs

    # Frames are counted from the first to arrive in the window to the
    # first after it, against fps x the time between those two arrivals:
    # a sender that delivers in bursts (Tollgate's RTMP ingest reads every
    # 300 ms) is not charged for where the window's edges fall in its
    # bursts. A viewer with no frame after the window is counted to its
    # end; one with no frame in it lost them all. gap = the longest time
    # between two frames in the window.
    loss, pkt_loss, gaps, counts = [], [], [], []
    for i, v in enumerate(viewers):
        t = list(v.arrivals)
        a = next((k for k, x in enumerate(t) if x >= w0), None)
        if a is None:
            loss.append(100.0)
            gaps.append(1000 * secs)
            counts.append(0)
        else:
            b = next((k for k in range(a, len(t)) if t[k] >= w1), None)
            if b is None:
                got, span, end = len(t) - a, w1 - t[a], w1
            else:
                got, span, end = b - a, t[b] - t[a], t[b]
            want = args.fps * span
            loss.append(max(0.0, 100.0 * (1 - got / want)) if want >= 1
                        else 100.0)
            inside = [x for x in t[a:b] if x < w1] + [end]
            gaps.append(1000 * max([t[a] - w0] + [y - x for x, y in
                                                  zip(inside, inside[1:])]))
            counts.append(got)
        if s0[i] and s1[i]:
            rec = s1[i][0] - s0[i][0]
            lost = s1[i][1] - s0[i][1]
            pkt_loss.append(pct(max(0, lost), rec + max(0, lost)))
        else:
            pkt_loss.append(100.0)
        errors += len(v.errors)
    ncpu = os.cpu_count() or 1
    fields = ["view", "n=%d" % args.n, "conn=%d" % connected,
              "connect_s=%.1f" % t_connected, "secs=%.2f" % secs,
              "expected=%.1f" % expected]
    if viewers:
        fields += ["loss_avg=%.2f" % statistics.mean(loss),
                   "loss_worst=%.2f" % max(loss),
                   "pkt_avg=%.2f" % statistics.mean(pkt_loss),
                   "pkt_worst=%.2f" % max(pkt_loss),
                   "gap_worst=%.0f" % max(gaps),
                   "gap_median=%.0f" % statistics.median(gaps),
                   "frames_min=%d" % min(counts),
                   "frames_max=%d" % max(counts)]
    for name in pids:
        if c0[name] is None or c1[name] is None:
            fields.append("cpu_%s=gone" % name)
        else:
            fields.append("cpu_%s=%.1f" % (name, pct((c1[name] - c0[name])
                                                     / hz, secs)))
    fields.append("cpu_viewers=%.1f" % pct((m1 - m0) / hz, secs))
    fields.append("busy=%.1f" % (ncpu * pct(b1[0] - b0[0], b1[1] - b0[1])))
    fields.append("errors=%d" % errors)
    out(" ".join(fields))
    for v in viewers:
        for e in v.errors[:2]:
            sys.stderr.write("viewer error: %s\n" % str(e).strip()[-400:])
    close_all(viewers)
    return 0
