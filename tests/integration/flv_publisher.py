"""Hand-made FLV tags sent by a real RTMP client.

    tags = flv_tags(make_flv(dir, seconds=3))        # ffmpeg's, H.264 High + AAC
    tags = [t if not t.is_aac_config() else t.with_body(b"\\xaf\\x00")
            for t in tags]
    result = publish_tags("rtmp://127.0.0.1:1935/LiveApp/s1", tags)

GStreamer's rtmp2sink (the client) does the handshake, connect and publish,
then sends each FLV tag it is given as one RTMP message, as it is: what the
server receives is exactly the tags made here. Tags are paced by their
timestamps (like ffmpeg -re) unless pace=False.
"""

import struct
import subprocess
import time

import gi
gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

import gst_client  # noqa: E402

gst_client.init()

AUDIO, VIDEO, SCRIPT = 8, 9, 18


class Tag:
    def __init__(self, type, timestamp, body):
        self.type = type
        self.timestamp = timestamp
        self.body = body

    def is_aac_config(self):
        return (self.type == AUDIO and len(self.body) >= 2
                and self.body[0] >> 4 == 10 and self.body[1] == 0)

    def is_avc_config(self):
        return (self.type == VIDEO and len(self.body) >= 2
                and self.body[0] & 0x0F == 7 and self.body[1] == 0)

    def is_avc_frame(self):
        return (self.type == VIDEO and len(self.body) >= 5
                and self.body[0] & 0x0F == 7 and self.body[1] == 1)

    def with_body(self, body):
        return Tag(self.type, self.timestamp, body)

    def encode(self):
        ts = self.timestamp
        head = (bytes([self.type]) + len(self.body).to_bytes(3, "big") +
                (ts & 0xFFFFFF).to_bytes(3, "big") + bytes([ts >> 24 & 0xFF]) +
                b"\0\0\0")
        return head + self.body + struct.pack(">I", 11 + len(self.body))


def make_flv(path, seconds=3, profile="high", audio_rate=48000):
    """An FLV as OBS's and ffmpeg's defaults make it: H.264 with B-frames,
    AAC at 48 kHz."""
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-y",
         "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30",
         "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=%d" % audio_rate,
         "-t", str(seconds), "-c:v", "libx264", "-profile:v", profile,
         "-bf", "2", "-g", "60", "-preset", "veryfast",
         "-c:a", "aac", "-b:a", "128k", "-f", "flv", path],
        check=True, timeout=120)
    return path


def flv_tags(path):
    """The tags of an FLV file."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:3] == b"FLV"
    pos = struct.unpack(">I", data[5:9])[0] + 4
    tags = []
    while pos + 11 <= len(data):
        type = data[pos] & 0x1F
        size = int.from_bytes(data[pos + 1:pos + 4], "big")
        ts = int.from_bytes(data[pos + 4:pos + 7], "big") | data[pos + 7] << 24
        body = data[pos + 11:pos + 11 + size]
        if len(body) < size:
            break
        tags.append(Tag(type, ts, body))
        pos += 11 + size + 4
    return tags


def avc_nal_units(body):
    """(offset, length) of each NAL unit of an AVC frame tag's body (4-byte
    lengths, as ffmpeg writes them)."""
    pos, units = 5, []
    while pos + 4 <= len(body):
        n = struct.unpack(">I", body[pos:pos + 4])[0]
        if pos + 4 + n > len(body):
            break
        units.append((pos + 4, n))
        pos += 4 + n
    return units


def publish_tags(url, tags, pace=True, timeout=60, sync=True):
    """Sends the tags with rtmp2sink; returns (ok, error text). ok is False
    when the server cut the connection (or refused the publish)."""
    has_audio = any(t.type == AUDIO for t in tags)
    has_video = any(t.type == VIDEO for t in tags)
    flags = (4 if has_audio else 0) | (1 if has_video else 0)
    header = b"FLV\x01" + bytes([flags]) + struct.pack(">I", 9) + b"\0\0\0\0"
    # sync=False: the sink does not wait for the tags' times (a jump of a
    # day in them would hold it a day).
    pipeline = Gst.parse_launch(
        "appsrc name=src format=time caps=video/x-flv,streamheader=(buffer)<%s> "
        "! rtmp2sink name=sink async-connect=false sync=%s"
        % (header.hex(), "true" if sync else "false"))
    sink = pipeline.get_by_name("sink")
    sink.set_property("location", url)
    src = pipeline.get_by_name("src")
    pipeline.set_state(Gst.State.PLAYING)
    bus = pipeline.get_bus()
    error = None
    start = time.monotonic()
    for tag in tags:
        if pace:
            due = start + tag.timestamp / 1000.0
            while time.monotonic() < due:
                msg = bus.timed_pop_filtered(
                    int((due - time.monotonic()) * Gst.SECOND),
                    Gst.MessageType.ERROR)
                if msg:
                    error = msg.parse_error()[0].message
                    break
        if error:
            break
        buf = Gst.Buffer.new_wrapped(tag.encode())
        buf.pts = buf.dts = tag.timestamp * Gst.MSECOND
        if src.emit("push-buffer", buf) != Gst.FlowReturn.OK:
            error = "push refused"
            break
        msg = bus.pop_filtered(Gst.MessageType.ERROR)
        if msg:
            error = msg.parse_error()[0].message
            break
    if error is None:
        src.emit("end-of-stream")
        msg = bus.timed_pop_filtered(timeout * Gst.SECOND,
                                     Gst.MessageType.ERROR |
                                     Gst.MessageType.EOS)
        if msg and msg.type == Gst.MessageType.ERROR:
            error = msg.parse_error()[0].message
    pipeline.set_state(Gst.State.NULL)
    return error is None, error
