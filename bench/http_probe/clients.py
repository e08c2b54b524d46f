"""The healthy client (GET /healthz, timed) and exchange(), on the raw
sockets of tests/integration/raw_clients.py."""

import socket
import time

import raw_clients
from raw_clients import connect, read_response, tls_context

HEALTHZ = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
SAMPLE_TIMEOUT = 2.0
GIVE_UP = 5
ATTACKERS = ["127.0.0.%d" % i for i in range(2, 10)]
TLS = tls_context()


def healthz(server, https=False):
    """Seconds for one GET /healthz on a new connection, None on failure."""
    start = time.monotonic()
    try:
        sock = connect(server.https if https else server.http,
                       timeout=SAMPLE_TIMEOUT)
        with sock:
            if https:
                sock = TLS.wrap_socket(sock)
            sock.sendall(HEALTHZ)
            status, _ = read_response(sock)
            if status != 200:
                return None
    except (OSError, EOFError, ValueError, IndexError):
        return None
    return time.monotonic() - start


def sample(server, n, https=False):
    """n healthy requests: their latencies, None for each failure."""
    out = []
    failed_in_row = 0
    for _ in range(n):
        if failed_in_row >= GIVE_UP:
            out.append(None)
            continue
        t = healthz(server, https)
        out.append(t)
        failed_in_row = failed_in_row + 1 if t is None else 0
    return out


def exchange(port, data, timeout=5.0, source=None):
    """(status or None, bytes after the response, closed by the server);
    no answer within timeout counts as kept open, any other failure to
    read one as closed."""
    statuses, error, after, closed = raw_clients.exchange(
        port, data, timeout=timeout, source=source)
    if error is not None:
        return None, b"", not isinstance(error, socket.timeout)
    return statuses[0], after, closed
