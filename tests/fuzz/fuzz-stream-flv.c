/* libFuzzer target: what an RTMP publisher sends, through the real
 * per-stream pipeline (fuzz-stream.h: tokencheck, flvdemux, h264parse and
 * aacparse, tg-ts-mux ! hlssink, mp4mux ! filesink).
 *
 * An input is a sequence of records, each one RTMP media message:
 *   kind       1 byte: kind % 3 is audio (FLV tag 8), video (9) or data (18)
 *   timestamp  3 bytes, big-endian, ms (past 2500 taken as 2500:
 *              FUZZ_SPAN_MS)
 *   length     2 bytes, big-endian
 *   body       length bytes (the last record's may be cut short): an FLV
 *              tag body, e.g. AF 00 <AudioSpecificConfig> is an AAC
 *              sequence header, 17 00 00 00 00 <avcC> an AVC one,
 *              27 01 <cts> <NAL units> an inter frame
 * which are framed as the RTMP listener frames them (server/rtmp/tg-flv.c,
 * and tg-rtmp-listener.c's rule for the header): the messages are held
 * until the first frame, then an FLV header announcing the tracks seen so
 * far is pushed, then every message as a tag of its own. The mutations so
 * land in codec configuration, NAL units, AAC frames and timestamps, not in
 * the framing, which the server makes itself and a publisher cannot touch.
 * libFuzzer mutates them as records too (fuzz-stream.h, mutate_records):
 * a body mutated or cut short, a record repeated, dropped or moved.
 *
 * An input that starts with "FLV" is pushed as it is, in 4 KiB pieces:
 * flvdemux's own framing is fuzzed too that way (headers, tag sizes), but
 * no publisher can reach it, so a crash found only in that form is checked
 * against the framed form before it counts as the server's. */
#include "fuzz-stream.h"
#include "tg-flv.h"

/* tg-rtmp-listener.c's: messages held at most until the first frame. */
#define MAX_EARLY 32

#define RAW_PIECE 4096

/* A frame, not configuration (an AVC or AAC sequence header) or metadata:
 * tg-rtmp-listener.c's is_frame. */
static gboolean
is_frame (guint8 type, const guint8 *bytes, gsize size)
{
  if (type == TG_FLV_TAG_VIDEO && size >= 2 && (bytes[0] & 0x0f) == 7)
    return bytes[1] == 1;
  if (type == TG_FLV_TAG_AUDIO && size >= 2 && (bytes[0] >> 4) == 10)
    return bytes[1] == 1;
  return type == TG_FLV_TAG_AUDIO || type == TG_FLV_TAG_VIDEO;
}

static void
frame_records (const uint8_t *data, size_t size, GPtrArray *pushes)
{
  static const guint8 types[]
      = { TG_FLV_TAG_AUDIO, TG_FLV_TAG_VIDEO, TG_FLV_TAG_SCRIPT };
  g_autoptr (GPtrArray) early
      = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  gboolean audio = FALSE, video = FALSE, sent_header = FALSE;

  for (size_t at = 0; at + 6 <= size;)
    {
      guint8 type = types[data[at] % 3];
      guint32 timestamp = MIN ((guint32) data[at + 1] << 16 | data[at + 2] << 8
                                   | data[at + 3],
                               FUZZ_SPAN_MS);
      gsize length
          = MIN ((gsize) (data[at + 4] << 8 | data[at + 5]), size - at - 6);
      const guint8 *body = data + at + 6;
      GBytes *tag = tg_flv_tag (type, timestamp, body, length);

      at += 6 + length;
      if (sent_header)
        {
          g_ptr_array_add (pushes, tag);
          continue;
        }
      audio |= type == TG_FLV_TAG_AUDIO;
      video |= type == TG_FLV_TAG_VIDEO;
      g_ptr_array_add (early, tag);
      if (!is_frame (type, body, length) && early->len < MAX_EARLY)
        continue;
      g_ptr_array_add (pushes, tg_flv_header (audio, video));
      g_ptr_array_extend_and_steal (pushes, g_steal_pointer (&early));
      early = g_ptr_array_new ();
      sent_header = TRUE;
    }
  /* A publisher gone before its first frame has pushed nothing. */
}

static gboolean
is_raw (const uint8_t *data, size_t size)
{
  return size >= 3 && memcmp (data, "FLV", 3) == 0;
}

/* kind (1), timestamp (3), length (2) */
static const RecordFormat record_format = { 0, 6, 4 };

size_t
LLVMFuzzerCustomMutator (uint8_t *data, size_t size, size_t max_size,
                         unsigned int seed)
{
  return mutate_records (&record_format, is_raw (data, size), data, size,
                         max_size, seed);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GPtrArray) pushes
      = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

  if (is_raw (data, size))
    for (size_t at = 0; at < size; at += RAW_PIECE)
      g_ptr_array_add (pushes,
                       g_bytes_new (data + at, MIN (RAW_PIECE, size - at)));
  else
    frame_records (data, size, pushes);
  fuzz_stream (TG_STREAM_FLV, pushes);
  return 0;
}
