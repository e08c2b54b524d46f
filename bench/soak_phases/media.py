"""The clip every ffmpeg publisher of the soak copies: encoded once, so that
a publish/unpublish cycle costs a copy (ffmpeg -c copy), not an encode."""

import os
import subprocess

from test_rtmp import USER_AUDIO, USER_TONE, USER_VIDEO

# Seconds of media in the clip: two GOPs of a second (USER_VIDEO: a key
# frame every 25 frames, at 25 fps).
CLIP_SECONDS = 2


def make_media(folder):
    """Encodes the clip into folder, once: src.flv (H.264 High with
    B-frames, 320x240 at 25 fps, and AAC at 48 kHz: what users publish, as
    test_rtmp.py sends it) and src.ts (the same packets in MPEG-TS). Returns
    {"flv": path, "ts": path}."""
    flv = os.path.join(folder, "src.flv")
    ts = os.path.join(folder, "src.ts")
    base = ["ffmpeg", "-nostdin", "-loglevel", "error", "-y"]
    subprocess.run(base + ["-f", "lavfi", "-i", "testsrc=size=320x240:rate=25",
                           "-f", "lavfi", "-i", USER_TONE,
                           "-t", str(CLIP_SECONDS)] + USER_VIDEO + USER_AUDIO
                   + ["-f", "flv", flv], check=True, timeout=120,
                   capture_output=True)
    subprocess.run(base + ["-i", flv, "-c", "copy", "-f", "mpegts", ts],
                   check=True, timeout=120, capture_output=True)
    return {"flv": flv, "ts": ts}
