#!/usr/bin/env python3
"""Makes the seed corpora of fuzz-stream-flv and fuzz-stream-ts (their
input formats are described at the top of fuzz-stream-flv.c and
fuzz-stream-ts.c) from

- the RTMP publish captures in ../shared/testdata/rtmp/ (ffmpeg 5.1 and
  GStreamer's rtmp2sink): their media messages, de-chunked, as records;
- FLV and MPEG-TS that ffmpeg makes: H.264 High profile with B-frames and
  AAC at 48 kHz (what OBS and ffmpeg send by default), Baseline with AAC at
  44.1 kHz, one track only, and a few codecs the stream must refuse or
  carry as they are.

Each seed is cut to its first MAX_BYTES, at a record's end. The seeds are
committed; this script only remakes them:

    tests/fuzz/make-stream-seeds.py [SHARED_DIR]

(SHARED_DIR defaults to ../shared beside the checkout.)
"""
import os
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")
MAX_BYTES = 6 * 1024
KIND = {8: 0, 9: 1, 18: 2}  # FLV tag type -> record kind
SPAN_MS = 2500  # FUZZ_SPAN_MS


def ffmpeg(out, *args):
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
         "testsrc=size=96x64:rate=15", "-f", "lavfi", "-i",
         "sine=frequency=440:sample_rate=48000", "-t", "1", *args, out],
        check=True)
    with open(out, "rb") as f:
        return f.read()


# --- FLV records ---

def flv_record(tag_type, timestamp, body):
    return (struct.pack(">B", KIND[tag_type])
            + struct.pack(">I", min(timestamp, SPAN_MS))[1:]
            + struct.pack(">H", len(body)) + body)


def flv_tags(flv):
    """(type, timestamp, body) of each tag of an FLV file."""
    at = struct.unpack(">I", flv[5:9])[0] + 4
    while at + 11 <= len(flv):
        tag_type = flv[at]
        size = int.from_bytes(flv[at + 1:at + 4], "big")
        timestamp = int.from_bytes(flv[at + 4:at + 7], "big") | flv[at + 7] << 24
        yield tag_type, timestamp, flv[at + 11:at + 11 + size]
        at += 11 + size + 4


def rtmp_messages(stream):
    """(type, timestamp, body) of each message a publisher sent, from the
    raw bytes of its side of the connection (after the handshake)."""
    at = 1 + 1536 + 1536  # C0, C1, C2
    chunk_size = 128
    chunk_streams = {}  # csid -> [timestamp, delta, length, type, body]
    while at < len(stream):
        fmt, csid = stream[at] >> 6, stream[at] & 0x3f
        at += 1
        if csid == 0:
            csid = 64 + stream[at]
            at += 1
        elif csid == 1:
            csid = 64 + stream[at] + 256 * stream[at + 1]
            at += 2
        state = chunk_streams.setdefault(csid, [0, 0, 0, 0, b""])
        if fmt <= 2:
            field = int.from_bytes(stream[at:at + 3], "big")
            at += 3
        if fmt <= 1:
            state[2] = int.from_bytes(stream[at:at + 3], "big")
            state[3] = stream[at + 3]
            at += 4
        if fmt == 0:
            at += 4  # message stream id
        if fmt <= 2 and field == 0xffffff:
            field = int.from_bytes(stream[at:at + 4], "big")
            at += 4
        if fmt == 0:
            state[0], state[1] = field, 0
        elif fmt <= 2:
            state[1] = field
        if not state[4] and fmt != 0:
            state[0] += state[1]
        take = min(chunk_size, state[2] - len(state[4]))
        state[4] += stream[at:at + take]
        at += take
        if len(state[4]) < state[2]:
            continue
        body, state[4] = state[4], b""
        if state[3] == 1:
            chunk_size = struct.unpack(">I", body[:4])[0] & 0x7fffffff
        elif state[3] in KIND:
            yield state[3], state[0], body


def records(messages, limit=MAX_BYTES):
    return pack((flv_record(*m) for m in messages), limit)


# --- MPEG-TS records ---

def ts_pes(ts):
    """(pid, pts, dts, payload) of each PES of a transport stream."""
    pending = {}
    for at in range(0, len(ts) - 187, 188):
        packet = ts[at:at + 188]
        pid = (packet[1] & 0x1f) << 8 | packet[2]
        start = packet[1] & 0x40
        afc = packet[3] >> 4 & 3
        payload = packet[4:]
        if afc & 2:
            payload = payload[1 + payload[0]:]
        if not afc & 1 or pid < 0x100 or pid >= 0x1000:
            continue
        if start:
            if pid in pending:
                yield parse_pes(pid, pending[pid])
            pending[pid] = b""
        if pid in pending:
            pending[pid] += payload
    for pid, pes in pending.items():
        yield parse_pes(pid, pes)


def timestamp(b):
    return ((b[0] >> 1 & 7) << 30 | b[1] << 22 | (b[2] >> 1) << 15
            | b[3] << 7 | b[4] >> 1)


def parse_pes(pid, pes):
    flags, length = pes[7], pes[8]
    pts = timestamp(pes[9:14]) if flags & 0x80 else None
    dts = timestamp(pes[14:19]) if flags & 0xc0 == 0xc0 else pts
    return pid, pts, dts, pes[9 + length:]


def ts_record_list(ts):
    """Each PES of a transport stream as a record of fuzz-stream-ts."""
    first = None
    for pid, pts, dts, payload in ts_pes(ts):
        video = pid == 0x100
        first = dts if first is None else first
        ms = min(max((dts - first) // 90, 0), SPAN_MS)
        steps = min(max(round((pts - dts) / 90 / 20), 0), 15)
        kind = (0 if video else 1) | (steps << 4)
        if pts == dts and video:
            kind |= 4  # PTS only, as ffmpeg writes frames without B-frames
        yield struct.pack(">BHH", kind, ms, len(payload)) + payload


def pack(recs, limit=MAX_BYTES):
    out = b""
    for record in recs:
        if out and len(out) + len(record) > limit:
            break
        out += record
    return out


def ts_records(ts, flags, limit=MAX_BYTES):
    return bytes([flags]) + pack(ts_record_list(ts), limit - 1)


def write(target, name, data):
    path = os.path.join(HERE if target == "crashes" else CORPUS, target, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    print(f"{target}/{name}: {len(data)} bytes")


HIGH = ["-c:v", "libx264", "-profile:v", "high", "-bf", "3", "-g", "8",
        "-b:v", "60k", "-pix_fmt", "yuv420p"]
BASELINE = ["-c:v", "libx264", "-profile:v", "baseline", "-g", "8",
            "-b:v", "60k", "-pix_fmt", "yuv420p"]
AAC48 = ["-c:a", "aac", "-ar", "48000", "-b:a", "32k"]
AAC44 = ["-c:a", "aac", "-ar", "44100", "-ac", "1", "-b:a", "24k"]


def main():
    shared = (sys.argv[1] if len(sys.argv) > 1
              else os.path.join(HERE, "..", "..", "..", "shared"))
    rtmp = os.path.join(shared, "testdata", "rtmp")
    for name in ("ffmpeg", "rtmp2sink"):
        with open(os.path.join(rtmp, f"{name}-publish.client"), "rb") as f:
            write("fuzz-stream-flv", f"rtmp-{name}",
                  records(rtmp_messages(f.read())))

    # Not a seed: the input that crashes GStreamer 1.22.0's mpegtsmux (an
    # empty AAC sequence header, AF 00, after a valid AVC one), for the
    # regression test of the check that refuses it. rtmp2sink's first
    # messages: AVC sequence header, AAC sequence header (emptied), key
    # frame, first AAC frame.
    with open(os.path.join(rtmp, "rtmp2sink-publish.client"), "rb") as f:
        media = [m for m in rtmp_messages(f.read()) if m[0] != 18][:4]
    media[1] = (8, media[1][1], b"\xaf\x00")
    write("crashes", "empty-aac-config.flvrec", records(media))

    with tempfile.TemporaryDirectory() as tmp:
        def flv(*args):
            return ffmpeg(os.path.join(tmp, "out.flv"), *args, "-f", "flv")

        def ts(*args):
            return ffmpeg(os.path.join(tmp, "out.ts"), *args, "-f", "mpegts")

        high = flv(*HIGH, *AAC48)
        write("fuzz-stream-flv", "high-bframes-aac48k",
              records(flv_tags(high)))
        write("fuzz-stream-flv", "baseline-aac44k-mono",
              records(flv_tags(flv(*BASELINE, *AAC44))))
        write("fuzz-stream-flv", "video-only",
              records(flv_tags(flv(*HIGH, "-an"))))
        write("fuzz-stream-flv", "audio-only",
              records(flv_tags(flv("-vn", *AAC48))))
        write("fuzz-stream-flv", "mp3-audio",
              records(flv_tags(flv(*BASELINE, "-c:a", "libmp3lame",
                                   "-ar", "44100", "-b:a", "32k"))))
        write("fuzz-stream-flv", "sorenson-video",
              records(flv_tags(flv("-c:v", "flv1", "-b:v", "60k", *AAC48))))
        # Configuration only, then one frame of each: short, and every
        # codec configuration record the stream must check.
        tags = list(flv_tags(high))
        configs = [t for t in tags if t[0] == 18 or t[2][1:2] == b"\x00"]
        frames = [t for t in tags if t[0] != 18 and t[2][1:2] == b"\x01"]
        first_video = next(t for t in frames if t[0] == 9)
        first_audio = next(t for t in frames if t[0] == 8)
        write("fuzz-stream-flv", "configs-then-frames",
              records(configs + [first_video, first_audio]))
        # The same as an FLV file, pushed as it is (the raw form).
        cut = high[:13]
        for tag in flv_tags(high):
            size = 11 + len(tag[2]) + 4
            if len(cut) + size > MAX_BYTES:
                break
            cut += (bytes([tag[0]]) + len(tag[2]).to_bytes(3, "big")
                    + (tag[1] & 0xffffff).to_bytes(3, "big")
                    + bytes([tag[1] >> 24, 0, 0, 0]) + tag[2]
                    + (11 + len(tag[2])).to_bytes(4, "big"))
        write("fuzz-stream-flv", "raw-high-bframes", cut)

        high_ts = ts(*HIGH, *AAC48)
        write("fuzz-stream-ts", "high-bframes-aac48k",
              ts_records(high_ts, 0x00))
        write("fuzz-stream-ts", "baseline-aac44k-mono",
              ts_records(ts(*BASELINE, *AAC44), 0x00))
        write("fuzz-stream-ts", "video-only",
              ts_records(ts(*HIGH, "-an"), 0x0c))
        write("fuzz-stream-ts", "audio-only",
              ts_records(ts("-vn", *AAC48), 0x03))
        write("fuzz-stream-ts", "latm-audio",
              ts_records(ts(*BASELINE, *AAC44, "-mpegts_flags", "latm"), 0x08))
        write("fuzz-stream-ts", "hevc-video",
              ts_records(ts("-c:v", "libx265", "-x265-params", "log-level=0",
                            "-g", "8", "-b:v", "60k", *AAC48), 0x02))
        # Not a seed: a program with two audio streams (a PMT of version 1
        # first: PIDs 0x100 H.264, 0x101 and 0x102 AAC) leaks in the stream
        # of today (tg-stream.c keeps one tee per track and overwrites it).
        pmt = struct.pack(">BHH6B", 3, 0, 6, 0x1b, 0, 0x0f, 1, 0x0f, 2)
        write("crashes", "two-audio-streams-leak.tsrec",
              bytes([0x00]) + pmt + pack(ts_record_list(high_ts)))
        # Raw: the transport stream as ffmpeg wrote it.
        write("fuzz-stream-ts", "raw-high-bframes",
              high_ts[:MAX_BYTES // 188 * 188])
        write("fuzz-stream-ts", "raw-baseline",
              ts(*BASELINE, *AAC44)[:MAX_BYTES // 188 * 188])


if __name__ == "__main__":
    main()
