"""The server under test: started on random ports and read from /proc
(descriptors, threads, RSS), stopped with whatever else was started
(cleanup), and note() and die() for the messages on stderr."""

import os
import re
import resource
import signal
import socket
import subprocess
import sys
import threading
import time

from raw_clients import read_response

READY_RE = re.compile(r"^tollgate: ready http=(\d+) https=(\d+)"
                      r"(?: rtmp=(\d+))?(?: srt=(\d+))?(?: rtsp=(\d+))?")


def note(msg):
    print("http-probe: %s" % msg, file=sys.stderr, flush=True)


def die(msg):
    note(msg)
    sys.exit(1)


class Server:
    def __init__(self, build, tmp, name, nofile=None, env=None):
        self.dir = os.path.join(tmp, name)
        os.makedirs(self.dir)
        self.log = os.path.join(self.dir, "stderr.log")
        argv = [os.path.join(build, "server", "tollgate"), "--data-dir",
                os.path.join(self.dir, "data"), "--random-ports",
                "--rtmp-port", "1", "--srt-port", "1"]
        environ = dict(os.environ, GIO_USE_PROXY_RESOLVER="dummy",
                       GSETTINGS_BACKEND="memory",
                       GST_PLUGIN_PATH_1_0=os.path.join(build, "plugins"),
                       GST_REGISTRY_1_0=os.path.join(tmp, "registry.bin"),
                       GST_REGISTRY_FORK="no")
        environ.update(env or {})

        def limit():
            if nofile:
                resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

        with open(self.log, "wb") as err:
            self.proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=err, env=environ, text=True,
                preexec_fn=limit if nofile else None)
        RUNNING.append(self)
        deadline = time.monotonic() + 60
        for line in self.proc.stdout:
            m = READY_RE.match(line)
            if m:
                self.http, self.https = int(m.group(1)), int(m.group(2))
                self.rtmp, self.srt = int(m.group(3) or 0), int(m.group(4)
                                                                or 0)
                break
            if time.monotonic() > deadline:
                break
        else:
            die("the server exited before its ready line; see %s" % self.log)
        # Drain stdout so that the server never blocks on it.
        threading.Thread(target=lambda: self.proc.stdout.read(),
                         daemon=True).start()
        self.pid = self.proc.pid

    def alive(self):
        return self.proc.poll() is None

    def reading(self):
        """(fds, threads, RSS kB), or None once it has gone."""
        try:
            fds = len(os.listdir("/proc/%d/fd" % self.pid))
            threads = len(os.listdir("/proc/%d/task" % self.pid))
            with open("/proc/%d/status" % self.pid) as f:
                rss = next(int(line.split()[1]) for line in f
                           if line.startswith("VmRSS:"))
            return fds, threads, rss
        except (OSError, StopIteration):
            return None

    def soft_limit(self):
        with open("/proc/%d/limits" % self.pid) as f:
            for line in f:
                if line.startswith("Max open files"):
                    return line.split()[3], line.split()[4]
        return "?", "?"

    def logged(self, text):
        with open(self.log, "rb") as f:
            return text.encode() in f.read()

    def set_settings(self, body):
        sock = socket.create_connection(("127.0.0.1", self.http), timeout=5)
        with sock:
            sock.sendall(b"POST /rest/v2/applications/settings/LiveApp "
                         b"HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
                         b"application/json\r\nContent-Length: %d\r\n\r\n"
                         % len(body) + body)
            read_response(sock)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self in RUNNING:
            RUNNING.remove(self)


RUNNING = []
CALLERS = []


def cleanup():
    for proc in CALLERS:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    for server in list(RUNNING):
        server.stop()
