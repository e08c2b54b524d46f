/* The container checks before the demuxers (tg-ingest-check.h): what the
 * real ffmpeg sends (H.264 High with B-frames, AAC 48 kHz, in FLV and in
 * MPEG-TS) passes in pieces of any size; the shapes GStreamer 1.22.0's
 * demuxers do not survive are refused. */
#include <string.h>

#include "ffmpeg-media.h"
#include "tg-ingest-check.h"

/* Three seconds of ffmpeg's defaults in the given format. */
static GBytes *
make (const char *format)
{
  const char *args[]
      = { "-f",         "lavfi", "-i",   "testsrc2=size=320x240:rate=30",
          "-f",         "lavfi", "-i",   "sine=frequency=440:sample_rate=48000",
          "-t",         "3",     "-c:v", "libx264",
          "-profile:v", "high",  "-bf",  "2",
          "-c:a",       "aac",   "-f",   format,
          NULL };

  return tg_test_ffmpeg (args);
}

/* Feeds it in random pieces: NULL when all passed, else the reason. */
static const char *
feed (gboolean mpegts, const guint8 *data, gsize size, guint32 seed)
{
  g_autoptr (TgIngestCheck) check = tg_ingest_check_new (mpegts);
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  const char *reason = NULL;

  while (size > 0)
    {
      gsize piece = (gsize) g_rand_int_range (rand, 1, 3000);
      gsize n = MIN (size, piece);

      if (!tg_ingest_check_feed (check, data, n, &reason))
        {
          /* And for ever after. */
          g_assert_false (tg_ingest_check_feed (check, data, 0, &reason));
          return reason;
        }
      data += n;
      size -= n;
    }
  return NULL;
}

static void
test_real_streams_pass (void)
{
  const char *formats[] = { "flv", "mpegts" };

  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      g_autoptr (GBytes) bytes = make (formats[i]);
      gsize size;
      const guint8 *data = g_bytes_get_data (bytes, &size);

      for (guint32 seed = 1; seed <= 20; seed++)
        g_assert_cmpstr (feed (i == 1, data, size, seed), ==, NULL);
    }
}

/* FLV: the first tag of type (8 audio, 9 video) that is a config (packet
 * type 0) gets byte at of its body set to body_byte (if >= 0), or its tag
 * type byte changed. */
static const char *
flv_at (GBytes *bytes, guint8 type, guint at_body, gint body_byte,
        gint tag_byte0)
{
  gsize size;
  const guint8 *original = g_bytes_get_data (bytes, &size);
  g_autofree guint8 *data = g_memdup2 (original, size);
  gsize at;

  at = (data[5] << 24 | data[6] << 16 | data[7] << 8 | data[8]) + 4;
  while (at + 11 < size)
    {
      gsize body = data[at + 1] << 16 | data[at + 2] << 8 | data[at + 3];

      if ((data[at] & 0x1f) == type)
        {
          if (body_byte >= 0)
            data[at + 11 + at_body] = (guint8) body_byte;
          if (tag_byte0 >= 0)
            data[at] = (guint8) tag_byte0;
          break;
        }
      at += 11 + body + 4;
    }
  g_assert_cmpuint (at + 11, <, size);
  return feed (FALSE, data, size, 7);
}

static const char *
flv_with (GBytes *bytes, guint8 type, gint body_byte1, gint tag_byte0)
{
  return flv_at (bytes, type, 1, body_byte1, tag_byte0);
}

static void
test_flv_refused (void)
{
  g_autoptr (GBytes) flv = make ("flv");

  g_assert_cmpstr (
      flv_with (flv, 8, 0x81, -1), ==,
      "FLV: an AAC tag that is neither a sequence header nor a frame");
  g_assert_cmpstr (flv_with (flv, 9, 3, -1), ==,
                   "FLV: an AVC tag that is neither a sequence header, NAL "
                   "units nor an end of sequence");
  g_assert_cmpstr (flv_with (flv, 9, -1, 0x29), ==, "FLV: an encrypted tag");
  g_assert_cmpstr (flv_with (flv, 9, -1, 0x0f), ==,
                   "FLV: a tag that is neither audio, video nor script data");
  /* HEVC: codec id 12, and enhanced RTMP's ExVideoTagHeader ('hvc1') */
  g_assert_cmpstr (flv_at (flv, 9, 0, 0x1c, -1), ==,
                   "FLV: a video track in HEVC (codec id 12): publish H.264");
  g_assert_cmpstr (flv_at (flv, 9, 0, 0x90, -1), ==,
                   "FLV: a video track of enhanced RTMP (HEVC, AV1, VP9): "
                   "publish H.264");
  g_assert_cmpstr (feed (FALSE, (const guint8 *) "FLX\x01\x05\0\0\0\x09", 9, 1),
                   ==, "FLV: not an FLV header");
}

/* ffmpeg's onMetaData with its framerate set to d. */
static const char *
flv_framerate (GBytes *bytes, double d)
{
  gsize size;
  const guint8 *original = g_bytes_get_data (bytes, &size);
  g_autofree guint8 *data = g_memdup2 (original, size);
  /* The name's size (9), the name, the number's marker; then 8 bytes. */
  const char *name = "\0\x09"
                     "framerate\0";
  gsize at = 0;
  guint64 bits;

  while (at + 20 < size && memcmp (data + at, name, 12) != 0)
    at++;
  g_assert_cmpuint (at + 20, <, size);
  memcpy (&bits, &d, sizeof bits);
  for (guint i = 0; i < 8; i++)
    data[at + 12 + i] = (guint8) (bits >> (56 - 8 * i));
  return feed (FALSE, data, size, 5);
}

static void
test_flv_script (void)
{
  g_autoptr (GBytes) flv = make ("flv");
  g_autoptr (GByteArray) big = g_byte_array_new ();
  /* A header without tracks, then a script tag of 64 KiB + 1. */
  const guint8 head[] = { 'F', 'L', 'V',  1,    0,    0, 0, 0, 9, 0, 0, 0,
                          0,   18,  0x01, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0 };

  g_assert_cmpstr (flv_framerate (flv, 30), ==, NULL);
  g_assert_cmpstr (flv_framerate (flv, 1.7e-308), ==,
                   "FLV onMetaData: a framerate that is neither 0 nor within "
                   "0.01-1000");
  g_byte_array_append (big, head, sizeof head);
  g_byte_array_set_size (big, sizeof head + 64 * 1024 + 1 + 4);
  g_assert_cmpstr (feed (FALSE, big->data, big->len, 1), ==,
                   "FLV: a script data tag larger than 64 KiB");
}

/* The PIDs of an ffmpeg TS: the PMT at 0x1000, video 0x100, audio 0x101. */
static guint
pid_of (const guint8 *packet)
{
  return (packet[1] & 0x1f) << 8 | packet[2];
}

static void
test_ts_refused (void)
{
  g_autoptr (GBytes) ts = make ("mpegts");
  gsize size;
  const guint8 *original = g_bytes_get_data (ts, &size);
  g_autofree guint8 *data = NULL;
  gboolean changed = FALSE;

  g_assert_cmpuint (size % 188, ==, 0);
  /* A PMT of another version, half way through. */
  data = g_memdup2 (original, size);
  for (gsize at = size / 2 / 188 * 188; at < size && !changed; at += 188)
    if (pid_of (data + at) == 0x1000 && (data[at + 1] & 0x40))
      {
        data[at + 5 + 5] ^= 0x02; /* version_number's lowest bit */
        changed = TRUE;
      }
  g_assert_true (changed);
  g_assert_cmpstr (feed (TRUE, data, size, 3), ==,
                   "MPEG-TS: the program changed (a new PMT version)");
  /* A video PES without its PTS. */
  g_free (data);
  data = g_memdup2 (original, size);
  changed = FALSE;
  for (gsize at = 0; at < size && !changed; at += 188)
    if (pid_of (data + at) == 0x100 && (data[at + 1] & 0x40))
      {
        gsize offset = 4 + ((data[at + 3] & 0x20) ? 1 + data[at + 4] : 0);

        data[at + offset + 7] &= 0x3f;
        changed = TRUE;
      }
  g_assert_cmpstr (feed (TRUE, data, size, 3), ==,
                   "MPEG-TS: an audio or video PES without a PTS");
  /* Out of step: a packet cut short. */
  g_assert_cmpstr (feed (TRUE, original + 1, size - 1, 3), ==,
                   "MPEG-TS: a packet without its sync byte");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ingest-check/real-streams-pass", test_real_streams_pass);
  g_test_add_func ("/ingest-check/flv-refused", test_flv_refused);
  g_test_add_func ("/ingest-check/flv-script", test_flv_script);
  g_test_add_func ("/ingest-check/ts-refused", test_ts_refused);
  return g_test_run ();
}
