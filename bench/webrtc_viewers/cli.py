"""The command line: the arguments of each command, the check command,
and main(), which runs one and exits."""

import argparse
import os
import sys

from .common import IMPORT_ERROR, Gst, out
from .measure import cmd_first_frame, cmd_view
from .reference import cmd_reference
from .viewers import cmd_wait_playable


ELEMENTS = ("webrtcbin", "nicesrc", "nicesink", "dtlssrtpenc", "srtpenc",
            "sctpenc", "rtph264depay", "rtph264pay", "h264parse", "avdec_h264",
            "rtpopuspay", "opusenc", "avdec_aac", "aacparse", "flvdemux",
            "fdsrc", "tee", "queue", "fakesink", "audioconvert",
            "audioresample")


def cmd_check(args):
    if IMPORT_ERROR is not None:
        out("missing python: %s (needs python3-gi, gir1.2-gst-plugins-bad-1.0,"
            " python3-websocket)" % IMPORT_ERROR)
        return 1
    missing = [e for e in ELEMENTS if Gst.ElementFactory.find(e) is None]
    if missing:
        out("missing GStreamer elements: %s" % " ".join(missing))
        return 1
    out("ok")
    return 0


def main(doc):
    p = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("check")
    w = sub.add_parser("wait-playable")
    w.add_argument("url")
    w.add_argument("stream")
    w.add_argument("timeout", type=float, nargs="?", default=60)
    f = sub.add_parser("first-frame")
    f.add_argument("url")
    f.add_argument("stream")
    f.add_argument("count", type=int)
    f.add_argument("--timeout", type=float, default=10)
    f.add_argument("--give-up", type=int, default=3)
    f.add_argument("--gop", type=float, default=1.0,
                   help="seconds; viewers are spaced by a random part of it")
    f.add_argument("--warm-up", type=int, default=1,
                   help="viewers played first and not counted")
    v = sub.add_parser("view")
    v.add_argument("url")
    v.add_argument("stream")
    v.add_argument("n", type=int)
    v.add_argument("--warmup", type=float, default=3)
    v.add_argument("--seconds", type=float, default=20)
    v.add_argument("--fps", type=float, default=30)
    v.add_argument("--timeout", type=float, default=20)
    v.add_argument("--pid", action="append")
    r = sub.add_parser("reference")
    r.add_argument("--port", type=int, default=0)
    args = p.parse_args()
    if args.cmd != "check" and IMPORT_ERROR is not None:
        sys.stderr.write("webrtc-viewers.py: %s\n" % IMPORT_ERROR)
        return 2
    rc = {"check": cmd_check, "wait-playable": cmd_wait_playable,
          "first-frame": cmd_first_frame, "view": cmd_view,
          "reference": cmd_reference}[args.cmd](args)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(rc)    # no GStreamer teardown at exit: the viewers are closed
