"""WebRTC's network settings (README, WebRTC): --webrtc-interfaces and
--webrtc-udp-ports decide which candidates the server announces, and
--webrtc-public-ip what address they carry. Checked on the candidates a
real viewer (webrtc_client.WebRtcViewer) hears; on loopback it plays."""

import socket
import unittest

from test_webrtc import WebRtcTestCase
from tollgate_fixture import unique_id

PORTS = (41000, 41099)


def local_address():
    """The address this machine would send from to the outside (a UDP
    socket's connect sends nothing): libnice gathers candidates on it, not
    on loopback."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect(("192.0.2.1", 9))
        return s.getsockname()[0]


LOCAL = local_address()


def announced(viewer):
    """(address, port, transport) of every candidate the server sent."""
    found = []
    for m in list(viewer.messages):
        if m.get("command") == "takeCandidate":
            fields = m["candidate"].split()
            found.append((fields[4], int(fields[5]), fields[2].upper()))
    return found


class NetworkTest(WebRtcTestCase):
    SERVER_KW = {"extra_args": ["--rtmp-port", "1",
                                "--webrtc-interfaces", LOCAL,
                                "--webrtc-udp-ports", "%d-%d" % PORTS]}

    def test_only_the_configured_interface_and_ports_are_announced(self):
        s = unique_id()
        self.publish(s)
        v = self.viewer(s, self.play_token(s))
        self.assertPlays(v)
        candidates = announced(v)
        self.assertTrue(candidates)
        for address, port, transport in candidates:
            self.assertEqual(address, LOCAL, candidates)
            if transport == "UDP":
                self.assertTrue(PORTS[0] <= port <= PORTS[1], candidates)


class PublicIpTest(WebRtcTestCase):
    SERVER_KW = {"extra_args": ["--rtmp-port", "1",
                                "--webrtc-public-ip", "192.0.2.10"]}

    def test_the_public_ip_is_announced(self):
        s = unique_id()
        self.publish(s)
        v = self.viewer(s, self.play_token(s))
        self.assertTrue(v.wait_for(lambda: len(announced(v)) >= 2))
        for address, port, transport in announced(v):
            self.assertEqual(address, "192.0.2.10", announced(v))


if __name__ == "__main__":
    unittest.main()
