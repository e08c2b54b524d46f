#!/usr/bin/python3
"""bench/webrtc's helper: WebRTC viewers that time or count what they get,
and the reference sender (bare GStreamer, no server) they are compared with.

    webrtc-viewers.py check
    webrtc-viewers.py wait-playable WS_URL STREAM [TIMEOUT]
    webrtc-viewers.py first-frame WS_URL STREAM COUNT
    webrtc-viewers.py view WS_URL STREAM N [--warmup S] [--seconds S]
                      [--fps F] [--pid NAME=PID ...]
    webrtc-viewers.py reference [--port P] <LIVE_FLV

Viewers are tests/integration/webrtc_client.py's WebRtcViewer (Ant Media
WebSocket signalling, webrtcbin answering the sender's offer), with libnice's
UPnP lookup off (as the server has it; a browser does not do UPnP either):

- first-frame: COUNT viewers one after another (spaced by a random part
  of --gop, so that they join anywhere in the GOP), each decoding (the stock
  rtph264depay ! h264parse ! avdec_h264 branch); for each, the times from
  the play message being sent to the offer, to ICE connected, to DTLS
  connected (webrtcbin's connection-state), to play_started and to the
  first decoded frame. Prints one "ff ..." line per viewer and a
  "ffstat ..." summary (ms). One viewer before them is not
  counted ("ffwarm ..."): the first pays one-time set-up costs in both
  processes (the first webrtcbin, DTLS, ICE).
- view: N viewers at once in this one process, which do not decode: video
  goes rtph264depay ! fakesink and a pad probe counts the access units
  (frames) it puts out; audio goes straight to a fakesink. Once every viewer
  has had a frame (or a timeout), a warm-up, then a window over which it
  counts each viewer's frames (from the first to arrive in the window to
  the first after it, against fps x the time between those two: bursty
  delivery is not charged for where the window's edges fall), the longest
  gap between two frames, and reads the stats of its video
  rtpjitterbuffer (packets pushed, lost, dropped late), the CPU time of
  the processes named with --pid and of itself (/proc/PID/stat
  utime+stime), and the machine's busy time (/proc/stat). Prints one
  "view ..." line.
- reference: the sender without a server. stdin is a live FLV (H.264 and
  AAC; bench/webrtc feeds it `ffmpeg -re -stream_loop -1 -c copy -f flv`):
  fdsrc ! flvdemux, video h264parse ! rtph264pay, audio aacparse !
  avdec_aac ! audioconvert ! audioresample ! opusenc ! rtpopuspay (the
  payloaders set like Tollgate's: mtu 1200, pt 96/111, SPS/PPS before
  every key frame), each into a tee; per viewer a webrtcbin (sendonly
  transceivers with Tollgate's codec preferences, a data channel, UPnP
  off) in the same pipeline, fed once ICE has connected through a leaky
  queue (2 MB, like Tollgate's appsrc) per track.
  Signalling is a minimal WebSocket server in this process speaking the
  subset of the Ant Media protocol the viewers use (play,
  takeConfiguration, takeCandidate, stop; play_started, play_finished), so
  that the viewers are the same code for both. Prints "reference: ready
  ws=PORT" once both tracks have caps.

GLib criticals are not fatal here (webrtc_client.py makes them so for the
tests): they go to stderr, which bench/webrtc keeps and shows.

The code is in webrtc_viewers/ next to this file: common.py (imports and
what both sides share), viewers.py, measure.py (first-frame, view),
ws_server.py and reference.py (the reference sender), cli.py (arguments,
check, main).
"""

import os
import sys

sys.dont_write_bytecode = True     # nothing written into bench/ or tests/
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from webrtc_viewers.cli import main  # noqa: E402

if __name__ == "__main__":
    main(__doc__)
