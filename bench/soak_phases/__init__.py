"""The modules of bench/soak, which is run, not this package (its docstring
says what the phases do), and which tests/integration/test_soak.py imports
to run a few tens of the same operations with bounds on growth.

Its clients are those of tests/integration (tollgate_fixture.py starts the
server, webrtc_client.py and whip_client.py publish over WebRTC, test_rtmp.py
says what users publish): that folder goes on sys.path here, before any
module of the package imports them. bench/webrtc_viewers turns libnice's
UPnP lookup off in them (the folder that holds this package is on sys.path
already).

- media.py: the clip every ffmpeg publisher copies (encoded once);
- server.py: the server's arguments and environment, /proc readings, and a
  watch on its log for the end of each stream;
- ops.py: one operation of each kind (a publish/unpublish cycle, a
  WebSocket connect, an HLS, RTSP or WHIP session) and the live stream that
  the play sessions read;
- phases.py: a phase (N operations, a few at a time) and the sampler that
  reads the server every interval meanwhile;
- report.py: the curve, the figures per phase, the PNG plot;
- cli.py: the command line, main().
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                os.pardir, os.pardir, "tests", "integration"))
