"""The phases of the soak (N operations of one kind, a few at a time) and
the sampler that reads the server meanwhile."""

import collections
import threading
import time

from .server import read_proc

# name: Soak's method; count: which count of the command line sets N;
# live: whether its operations play the live stream.
Phase = collections.namedtuple("Phase", "name title unit count live")

PHASES = [
    Phase("rtmp", "RTMP publish/unpublish (ffmpeg)", "cycles", "cycles",
          False),
    Phase("srt", "SRT publish/unpublish (ffmpeg)", "cycles", "cycles", False),
    Phase("webrtc", "WebRTC publish/unpublish (WebSocket, webrtcbin)",
          "cycles", "cycles", False),
    Phase("ws", "WebSocket connect, ping, close", "connects", "ws", False),
    Phase("hls", "HLS session (token, playlist, segment)", "sessions", "hls",
          True),
    Phase("rtsp", "RTSP session (DESCRIBE ... TEARDOWN)", "sessions",
          "sessions", True),
    Phase("whip", "WHIP session (POST, media, DELETE)", "sessions",
          "sessions", False),
]
BY_NAME = {p.name: p for p in PHASES}

# busy: operations of the phase were running (not the readings at its
# start and after it settled).
Sample = collections.namedtuple("Sample",
                                "t phase ops busy fds threads rss_kib")


class Sampler(threading.Thread):
    """Reads the server (server.read_proc) every interval s, and whenever
    asked, into .samples, each with the phase and the number of its
    operations done by then. on_sample(sample) is called with each."""

    def __init__(self, pid, interval=1.0, on_sample=None):
        super().__init__(name="soak-sampler", daemon=True)
        self.pid = pid
        self.interval = interval
        self.on_sample = on_sample
        self.samples = []
        self.phase, self.ops, self.busy = "start", 0, False
        self.t0 = time.monotonic()
        self._lock = threading.Lock()
        self._halt = threading.Event()

    def run(self):
        while not self._halt.wait(self.interval):
            self.sample()

    def sample(self):
        """Takes a reading now: the Sample, or None if the server has
        gone."""
        with self._lock:
            r = read_proc(self.pid)
            if r is None:
                return None
            s = Sample(time.monotonic() - self.t0, self.phase, self.ops,
                       self.busy, r.fds, r.threads, r.rss_kib)
            self.samples.append(s)
        if self.on_sample:
            self.on_sample(s)
        return s

    def enter(self, phase, busy=False):
        """A new phase begins: its first reading."""
        with self._lock:
            self.phase, self.ops, self.busy = phase, 0, busy
        return self.sample()

    def stop(self):
        self._halt.set()
        if self.ident is not None:
            self.join(5)


Result = collections.namedtuple("Result",
                                "phase count done failed errors seconds")


def run_ops(op, count, parallel, abort=lambda: False, progress=None,
            first=0):
    """Runs op(i) for i in first..first+count-1, parallel at a time, until
    all have run or abort() says so. progress(done) after each. Returns
    (operations done, failures, the first few errors)."""
    state = {"next": first, "done": 0, "failed": 0, "errors": []}
    lock = threading.Lock()

    def worker():
        while True:
            with lock:
                i = state["next"]
                if i >= first + count or abort():
                    return
                state["next"] += 1
            try:
                op(i)
                error = None
            except Exception as e:  # noqa: BLE001 (counted, the run goes on)
                error = "%s %d: %s: %s" % (getattr(op, "__name__", "op"), i,
                                           type(e).__name__, e)
            with lock:
                state["done"] += 1
                if error:
                    state["failed"] += 1
                    if len(state["errors"]) < 5:
                        state["errors"].append(error)
                done = state["done"]
            if progress:
                progress(done)

    threads = [threading.Thread(target=worker, daemon=True)
               for _ in range(max(1, min(parallel, count)))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return state["done"], state["failed"], state["errors"]


def settle(pid, fds, threads, timeout, quiet=2.0):
    """Waits until the server is back to fds descriptors and threads
    threads at most (whatever the operations held is let go), or its
    readings have not moved for quiet s (what stays is kept: a pool, a
    cache, or a leak), timeout s at most. Whether it is back."""
    deadline = time.monotonic() + timeout
    last, since = None, time.monotonic()
    while True:
        r = read_proc(pid)
        now = time.monotonic()
        if r is None:
            return False
        if r.fds <= fds and r.threads <= threads:
            return True
        if r[:2] != last:
            last, since = r[:2], now
        if now - since >= quiet or now >= deadline:
            return False
        time.sleep(0.1)


def run_phase(soak, sampler, phase, count, parallel, settle_s=10.0,
              first=0):
    """One phase: a reading, count operations of phase (a Phase) parallel
    at a time with readings every interval, then once the server is back
    to what it held before (settle_s s at most) the phase's last reading.
    Stops early if the server has gone. A Result."""
    op = getattr(soak, phase.name)
    start = sampler.enter(phase.name, busy=True)
    began = time.monotonic()

    def progress(done):
        sampler.ops = done

    def gone():
        return soak.server.proc.poll() is not None

    done, failed, errors = run_ops(op, count, parallel, gone, progress,
                                   first)
    seconds = time.monotonic() - began
    sampler.busy = False
    if start is not None and not gone():
        settle(sampler.pid, start.fds, start.threads, settle_s)
    sampler.sample()
    if gone():
        errors.append("the server exited (%s)" % soak.server.proc.returncode)
    return Result(phase, count, done, failed, errors, seconds)
