/* libFuzzer target: what an SRT publisher sends, MPEG-TS, through the real
 * per-stream pipeline (fuzz-stream.h: tokencheck, tsdemux, h264parse and
 * aacparse, tg-ts-mux ! hlssink, mp4mux ! filesink).
 *
 * An input that starts with 0x47 (a sync byte) is pushed as it is, in
 * pieces of 1316 bytes (one SRT message's worth): that is all an SRT
 * publisher controls, so everything tsdemux reads is fuzzed, but most
 * mutations break the packet framing, the tables or the PES headers before
 * they reach the H.264 or the AAC.
 *
 * Any other input is made into a valid transport stream, so that its
 * mutations land in the elementary streams and the program's description:
 *   flags      1 byte: bits 0-1 the video's stream type (0, 1: H.264 0x1b;
 *              2: H.265 0x24, which the stream refuses; 3: no video), bits
 *              2-3 the audio's (0, 1: AAC in ADTS 0x0f; 2: AAC in LATM
 *              0x11; 3: no audio)
 *   then records, each:
 *   kind       1 byte: kind & 3 is 0 a video PES (PID 0x100), 1 an audio
 *              PES (0x101), 2 one TS packet as it is (the body, padded to
 *              188 bytes, behind a sync byte), 3 a new version of the PMT
 *              whose streams are the body's pairs (stream type, PID
 *              0x100 + (byte & 3)), at most four; kind & 4: PTS but no DTS;
 *              kind & 8: no timestamps; kind >> 4: PTS - DTS in steps of
 *              20 ms (B-frames)
 *   time       2 bytes, big-endian: the DTS, ms (past 2500 taken as 2500:
 *              FUZZ_SPAN_MS)
 *   length     2 bytes, big-endian
 *   body       length bytes (the last record's may be cut short): the PES
 *              payload (Annex B H.264 with its start codes, ADTS frames)
 * A PAT and the PMT come first, then each PES in packets with continuity
 * counters, the first on the PCR's PID carrying a PCR. libFuzzer mutates
 * them as records too (fuzz-stream.h, mutate_records). */
#include "fuzz-stream.h"
#include "tg-ts-packets.h"

#define PIECE (7 * 188)
#define PID_PMT 0x1000
#define PID_VIDEO 0x100
#define PID_AUDIO 0x101
/* DTS of time 0, 90 kHz: ffmpeg's 1.4 s. */
#define TS_BASE 126000

typedef struct
{
  GByteArray *out;
  guint8 cc[0x2000]; /* continuity counters, per PID */
  guint8 pmt_version;
  guint16 pcr_pid;
  gint clock_ms; /* the PCR's time, ms; -100 before the first */
} Mux;

/* One packet of pid; pcr >= 0 puts one in its adaptation field. Takes as
 * much of the payload as fits; returns how much. */
static gsize
put_packet (Mux *mux, guint16 pid, gboolean start, gint64 pcr,
            const guint8 *payload, gsize size)
{
  guint8 packet[188];
  gsize header = 4, adaptation = pcr >= 0 ? 8 : 0, take;

  take = MIN (size, 184 - adaptation);
  if (take < 184 - adaptation)
    adaptation = 184 - take; /* stuffing */
  memset (packet, 0xff, sizeof packet);
  packet[0] = 0x47;
  packet[1] = (start ? 0x40 : 0) | pid >> 8;
  packet[2] = pid & 0xff;
  packet[3] = (adaptation ? 0x30 : 0x10) | (mux->cc[pid]++ & 0x0f);
  if (adaptation)
    {
      packet[4] = adaptation - 1;
      if (adaptation > 1)
        packet[5] = pcr >= 0 ? 0x10 : 0;
      if (pcr >= 0)
        {
          guint64 base = (guint64) pcr / 300, ext = (guint64) pcr % 300;

          packet[6] = base >> 25;
          packet[7] = base >> 17;
          packet[8] = base >> 9;
          packet[9] = base >> 1;
          packet[10] = (base & 1) << 7 | 0x7e | ext >> 8;
          packet[11] = ext & 0xff;
        }
      header += adaptation;
    }
  memcpy (packet + header, payload, take);
  g_byte_array_append (mux->out, packet, sizeof packet);
  return take;
}

/* A PSI section (without its CRC) in one packet, with its CRC. */
static void
put_section (Mux *mux, guint16 pid, guint8 *section, gsize size)
{
  guint8 packet[184] = { 0 }; /* pointer field 0 */
  guint32 crc;

  section[1] = 0xb0 | (size + 4 - 3) >> 8;
  section[2] = (size + 4 - 3) & 0xff;
  crc = tg_ts_crc32 (section, size);
  memcpy (packet + 1, section, size);
  packet[1 + size] = crc >> 24;
  packet[2 + size] = crc >> 16;
  packet[3 + size] = crc >> 8;
  packet[4 + size] = crc & 0xff;
  memset (packet + 5 + size, 0xff, sizeof packet - 5 - size);
  put_packet (mux, pid, TRUE, -1, packet, sizeof packet);
}

/* PAT, then a PMT of version mux->pmt_version with count (type, PID). */
static void
put_tables (Mux *mux, const guint8 (*streams)[2], guint count)
{
  /* transport stream 1, version 0; program 1 on PID_PMT */
  guint8 pat[12] = { 0x00, 0, 0, 0x00, 0x01, 0xc1, 0x00, 0x00, 0x00, 0x01 };
  guint8 pmt[12 + 4 * 5] = { 0x02, 0, 0, 0x00, 0x01, 0, 0x00, 0x00 };
  gsize size = 12;

  pat[10] = 0xe0 | PID_PMT >> 8;
  pat[11] = PID_PMT & 0xff;
  put_section (mux, 0, pat, sizeof pat);
  pmt[5] = 0xc1 | (mux->pmt_version & 0x1f) << 1;
  pmt[8] = 0xe0 | mux->pcr_pid >> 8;
  pmt[9] = mux->pcr_pid & 0xff;
  pmt[10] = 0xf0; /* no program descriptors */
  for (guint i = 0; i < count; i++)
    {
      guint16 pid = 0x100 + (streams[i][1] & 3);

      pmt[size++] = streams[i][0];
      pmt[size++] = 0xe0 | pid >> 8;
      pmt[size++] = pid & 0xff;
      pmt[size++] = 0xf0;
      pmt[size++] = 0x00;
    }
  put_section (mux, PID_PMT, pmt, size);
}

static void
put_timestamp (guint8 *p, guint8 prefix, guint64 ts)
{
  p[0] = prefix << 4 | (ts >> 29 & 0x0e) | 1;
  p[1] = ts >> 22;
  p[2] = (ts >> 14 & 0xfe) | 1;
  p[3] = ts >> 7;
  p[4] = (ts << 1 & 0xfe) | 1;
}

/* The clock (PCR) only goes forward, 100 ms behind the latest DTS, and no
 * DTS falls more than LAG_MS behind it: tsdemux would take one further
 * behind for 26 hours ahead (a 33-bit wrap), and the muxers would wait for
 * the other track to catch up until the stream's watchdog stops it. */
#define LAG_MS 500

static void
put_pes (Mux *mux, guint8 kind, guint ms, const guint8 *body, gsize size)
{
  gboolean video = (kind & 3) == 0;
  guint16 pid = video ? PID_VIDEO : PID_AUDIO;
  gboolean has_pts = !(kind & 8), has_dts = has_pts && !(kind & 4);
  g_autoptr (GByteArray) pes = g_byte_array_sized_new (19 + size);
  guint8 header[19] = { 0, 0, 1, video ? 0xe0 : 0xc0, 0, 0, 0x80 };
  gsize length = 9, pes_length;
  guint64 dts, pts;
  gint64 pcr = -1;

  if (mux->clock_ms > -100)
    ms = MAX ((gint) ms, mux->clock_ms - LAG_MS);
  mux->clock_ms = MAX (mux->clock_ms, (gint) ms - 100);
  dts = TS_BASE + (guint64) ms * 90;
  pts = dts + (guint64) (kind >> 4) * 20 * 90;
  if (pid == mux->pcr_pid)
    pcr = ((gint64) TS_BASE + (gint64) mux->clock_ms * 90) * 300;

  if (has_pts)
    {
      header[7] = has_dts ? 0xc0 : 0x80;
      put_timestamp (header + 9, has_dts ? 3 : 2, pts);
      length += 5;
    }
  if (has_dts)
    {
      put_timestamp (header + 14, 1, dts);
      length += 5;
    }
  header[8] = length - 9;
  pes_length = length - 6 + size;
  if (pes_length <= 0xffff)
    {
      header[4] = pes_length >> 8;
      header[5] = pes_length & 0xff;
    }
  g_byte_array_append (pes, header, length);
  g_byte_array_append (pes, body, size);
  for (gsize at = 0; at < pes->len;)
    {
      at += put_packet (mux, pid, at == 0, pcr, pes->data + at, pes->len - at);
      pcr = -1;
    }
}

static void
put_raw (Mux *mux, const guint8 *body, gsize size)
{
  guint8 packet[188];

  memset (packet, 0xff, sizeof packet);
  memcpy (packet, body, MIN (size, sizeof packet));
  packet[0] = 0x47;
  g_byte_array_append (mux->out, packet, sizeof packet);
}

static GByteArray *
make_ts (const uint8_t *data, size_t size)
{
  static const guint8 video_types[] = { 0x1b, 0x1b, 0x24 };
  static const guint8 audio_types[] = { 0x0f, 0x0f, 0x11 };
  g_autofree Mux *mux = g_new0 (Mux, 1);
  guint8 streams[4][2];
  guint count = 0;

  mux->out = g_byte_array_new ();
  mux->clock_ms = -100;
  if ((data[0] & 3) != 3)
    {
      streams[count][0] = video_types[data[0] & 3];
      streams[count++][1] = PID_VIDEO & 3;
    }
  if ((data[0] >> 2 & 3) != 3)
    {
      streams[count][0] = audio_types[data[0] >> 2 & 3];
      streams[count++][1] = PID_AUDIO & 3;
    }
  mux->pcr_pid = (data[0] & 3) != 3 ? PID_VIDEO : PID_AUDIO;
  put_tables (mux, (const guint8 (*)[2]) streams, count);

  for (size_t at = 1; at + 5 <= size;)
    {
      guint8 kind = data[at];
      guint ms = MIN ((guint) (data[at + 1] << 8 | data[at + 2]), FUZZ_SPAN_MS);
      gsize length
          = MIN ((gsize) (data[at + 3] << 8 | data[at + 4]), size - at - 5);
      const guint8 *body = data + at + 5;

      at += 5 + length;
      switch (kind & 3)
        {
        case 0:
        case 1:
          put_pes (mux, kind, ms, body, length);
          break;
        case 2:
          put_raw (mux, body, length);
          break;
        default:
          count = MIN (length / 2, 4);
          memcpy (streams, body, count * 2);
          mux->pmt_version++;
          put_tables (mux, (const guint8 (*)[2]) streams, count);
          break;
        }
    }
  return mux->out;
}

/* flags (1); kind (1), time (2), length (2) */
static const RecordFormat record_format = { 1, 5, 3 };

size_t
LLVMFuzzerCustomMutator (uint8_t *data, size_t size, size_t max_size,
                         unsigned int seed)
{
  return mutate_records (&record_format, size == 0 || data[0] == 0x47, data,
                         size, max_size, seed);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GPtrArray) pushes
      = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr (GByteArray) ts = NULL;

  if (size == 0)
    return 0;
  if (data[0] != 0x47)
    {
      ts = make_ts (data, size);
      data = ts->data;
      size = ts->len;
    }
  for (size_t at = 0; at < size; at += PIECE)
    g_ptr_array_add (pushes, g_bytes_new (data + at, MIN (PIECE, size - at)));
  fuzz_stream (TG_STREAM_MPEGTS, pushes);
  return 0;
}
