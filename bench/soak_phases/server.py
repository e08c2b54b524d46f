"""The server under soak: its arguments, what is read of it from /proc, and
a watch on its log (stderr) for the end of each stream."""

import collections
import os
import re
import threading
import time

# Every door on a port the system chooses (--random-ports; 0 would leave a
# door shut), as the tests' fixture takes them.
PORT_ARGS = ["--rtmp-port", "1", "--srt-port", "1", "--rtsp-port", "1"]

Reading = collections.namedtuple("Reading", "fds threads rss_kib")


def _count_fds(pid, ignore):
    """Descriptors open in pid, but those on a path starting with ignore."""
    n = 0
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            if not os.readlink("/proc/%d/fd/%s" % (pid, fd)).startswith(
                    ignore):
                n += 1
        except OSError:
            pass    # closed meanwhile
    return n


def read_proc(pid, ignore=None):
    """The server's open descriptors (/proc/PID/fd; not those on a path
    starting with ignore, if given), threads and VmRSS (kB, from
    /proc/PID/status): a Reading, or None once it has gone."""
    try:
        if ignore:
            fds = _count_fds(pid, ignore)
        else:
            fds = len(os.listdir("/proc/%d/fd" % pid))
        threads = rss = None
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("Threads:"):
                    threads = int(line.split()[1])
                elif line.startswith("VmRSS:"):
                    rss = int(line.split()[1])
        if threads is None or rss is None:
            return None     # a zombie: exited, not yet reaped
        return Reading(fds, threads, rss)
    except (OSError, ValueError):
        return None


# GLib's lines: "tollgate-Message: 12:18:43.756: LiveApp/s1: publish ended"
# (": why" after it when something ended it), and
# "(tollgate:123): tollgate-WARNING **: 12:18:43.756: ...".
ENDED_RE = re.compile(r"^tollgate-Message: [0-9:.]+: (\S+): publish ended"
                      r"(?:: (.*))?$")
# What follows "publish ended: " when the publisher simply left
# (tg_publication_left in the RTMP and SRT doors): no failure.
PUBLISHER_LEFT = ("the publisher stopped publishing",
                  "the publisher closed its connection",
                  "the publisher left")
BAD_RE = re.compile(r"-(?:CRITICAL|WARNING) \*\*|AddressSanitizer|"
                    r"LeakSanitizer|runtime error:")


class LogWatch(threading.Thread):
    """Reads what the server appends to its stderr file (every 20 ms, from
    where it stopped) and notes each stream's end line ("APP/STREAM:
    publish ended", said once per stream) and any warning or critical
    line."""

    POLL = 0.02

    def __init__(self, path):
        super().__init__(name="soak-log", daemon=True)
        self.path = path
        self.bad = []           # warning, critical, sanitizer lines
        self._ended = {}        # "app/stream" -> why ("" if nothing said)
        self._cond = threading.Condition()
        self._halt = threading.Event()
        self.start()

    def run(self):
        rest = b""
        with open(self.path, "rb") as f:
            while True:
                data = f.read()
                if data:
                    lines = (rest + data).split(b"\n")
                    rest = lines.pop()
                    self._take(lines)
                elif self._halt.wait(self.POLL):
                    return

    def _take(self, lines):
        with self._cond:
            for raw in lines:
                line = raw.decode("utf-8", "replace")
                m = ENDED_RE.match(line)
                if m:
                    why = m.group(2) or ""
                    self._ended[m.group(1)] = ("" if why in PUBLISHER_LEFT
                                               else why)
                elif BAD_RE.search(line):
                    self.bad.append(line)
            self._cond.notify_all()

    def wait_ended(self, key, timeout):
        """Waits for the end line of stream key ("LiveApp/s1"): what ended
        it ("" for nothing but its publisher leaving), or None if no such
        line came within timeout s."""
        with self._cond:
            if not self._cond.wait_for(lambda: key in self._ended, timeout):
                return None
            return self._ended.pop(key)

    def stop(self):
        self._halt.set()
        if self.ident is not None:
            self.join(5)


def wait_until(predicate, timeout, step=0.05):
    """Polls predicate (a state of the server read from outside: a file, a
    /proc reading) until it holds, timeout s at most: its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(step)
