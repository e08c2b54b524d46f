"""An attack's readings of the server, phase by phase, and the healthy
client run beside an attack that runs to an end."""

import threading

from .clients import healthz


class Attack:
    """One attack's rows: a reading per phase, and notes."""

    def __init__(self, name, https=False):
        self.name = name
        self.https = https
        self.server = None
        self.rows = []
        self.notes = []

    def read(self, phase, server, samples):
        self.server = server
        self.rows.append((phase, server.reading(), samples))

    def say(self, text):
        self.notes.append(text)


def while_running(attack, fn):
    """Runs fn() on a thread and, until it returns, the healthy client
    (a request every 0.1 s) and readings of the server: the "during" row
    has their peak fds, threads and RSS. Returns fn's result."""
    result = []
    t = threading.Thread(target=lambda: result.append(fn()), daemon=True)
    t.start()
    samples, peak = [], None
    while t.is_alive():
        samples.append(healthz(attack.server, attack.https))
        r = attack.server.reading()
        if r is not None:
            peak = r if peak is None else tuple(map(max, peak, r))
        t.join(0.1)
    attack.rows.append(("during", peak, samples))
    return result[0] if result else None
