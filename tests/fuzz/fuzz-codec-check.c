/* libFuzzer target: the checks of publishers' codec records
 * (tg-codec-check.h). The first byte picks the check (modulo 10): 0 AAC
 * AudioSpecificConfig, 1 ADTS, 2 avcC, 3 SPS, 4 PPS, 5..9 an H.264 access
 * unit with NAL lengths of 0 (Annex B), 4, 2, 1 and 3 bytes; the rest is
 * the record. ASan and UBSan catch a read past it; the asserts hold what
 * the checks promise of each other. */
#include "tg-codec-check.h"

#include "fuzz-common.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

typedef gboolean (*Check) (const guint8 *data, gsize size, const char **reason);

/* Runs check with and without a reason: the same answer, a reason
 * (beginning with prefix) exactly on a refusal. */
static gboolean
run (Check check, const guint8 *data, gsize size, const char *prefix)
{
  const char *reason = "not set";
  gboolean ok = check (data, size, &reason);

  g_assert_cmpint (check (data, size, NULL), ==, ok);
  if (ok)
    g_assert_null (reason);
  else
    {
      g_assert_nonnull (reason);
      g_assert_true (g_str_has_prefix (reason, prefix));
    }
  return ok;
}

static gsize
adts_length (const guint8 *h)
{
  return (gsize) (h[3] & 3) << 11 | (gsize) h[4] << 3 | h[5] >> 5;
}

/* Each frame of an accepted buffer is accepted alone, and so is the last
 * one cut short. */
static void
check_adts (const guint8 *data, gsize size)
{
  if (!run (tg_codec_check_adts, data, size, "ADTS: "))
    return;
  for (gsize pos = 0; pos < size;)
    {
      gsize length = size - pos < 7
                         ? size - pos
                         : MIN (adts_length (data + pos), size - pos);
      g_autofree guint8 *frame = g_memdup2 (data + pos, length);

      g_assert_true (tg_codec_check_adts (frame, length, NULL));
      pos += length;
    }
}

/* The SPS and PPS of an accepted avcC are accepted alone (a PPS alone is
 * judged more widely than against its SPS). */
static void
check_avcc (const guint8 *data, gsize size)
{
  gsize pos = 6;

  if (!run (tg_codec_check_avcc, data, size, "H.264 "))
    return;
  g_assert_cmpuint (data[4] & 3, !=, 2);
  for (guint list = 0; list < 2; list++)
    {
      guint count = list == 0 ? data[5] & 0x1f : data[pos++];

      g_assert_cmpuint (count, >, 0);
      for (guint i = 0; i < count; i++)
        {
          gsize length = (gsize) data[pos] << 8 | data[pos + 1];
          g_autofree guint8 *nal = g_memdup2 (data + pos + 2, length);

          g_assert_cmpuint (pos + 2 + length, <=, size);
          if (list == 0)
            g_assert_true (tg_codec_check_h264_sps (nal, length, NULL));
          else
            g_assert_true (tg_codec_check_h264_pps (nal, length, NULL));
          pos += 2 + length;
        }
    }
}

static gboolean
check_frame_4 (const guint8 *data, gsize size, const char **reason)
{
  return tg_codec_check_h264_frame (data, size, 4, reason);
}

/* An access unit with 4-byte lengths, accepted: the same NAL units with
 * 2-byte lengths, and behind start codes, are accepted too (when they fit
 * and hold no start code). */
static void
check_frame (const guint8 *data, gsize size)
{
  g_autoptr (GByteArray) two = g_byte_array_new ();
  g_autoptr (GByteArray) annex_b = g_byte_array_new ();
  gboolean fits = TRUE, clean = TRUE;

  if (!run (check_frame_4, data, size, "H.264 "))
    return;
  for (gsize pos = 0; pos < size;)
    {
      gsize length = (gsize) data[pos] << 24 | (gsize) data[pos + 1] << 16
                     | (gsize) data[pos + 2] << 8 | data[pos + 3];
      const guint8 *nal = data + pos + 4;
      static const guint8 start[] = { 0, 0, 1 };

      g_assert_cmpuint (length, >, 0);
      g_assert_cmpuint (length, <=, size - pos - 4);
      g_assert_cmpuint (nal[0] & 0x80, ==, 0);
      fits = fits && length < 65536;
      if (fits)
        g_byte_array_append (two, data + pos + 2, 2 + length);
      clean = clean && nal[length - 1] != 0;
      for (gsize i = 0; clean && i + 2 < length; i++)
        clean = !(nal[i] == 0 && nal[i + 1] == 0 && nal[i + 2] <= 3);
      g_byte_array_append (annex_b, start, 3);
      g_byte_array_append (annex_b, nal, length);
      pos += 4 + length;
    }
  if (fits)
    g_assert_true (tg_codec_check_h264_frame (two->data, two->len, 2, NULL));
  if (clean)
    g_assert_true (
        tg_codec_check_h264_frame (annex_b->data, annex_b->len, 0, NULL));
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static const guint lengths[] = { 0, 4, 2, 1, 3 };
  const guint8 *record;
  gsize record_size;
  guint which;

  if (size == 0)
    return 0;
  which = data[0] % 10;
  /* A copy of exactly its size, at its own address. */
  record_size = size - 1;
  record = g_memdup2 (data + 1, record_size);
  switch (which)
    {
    case 0:
      run (tg_codec_check_aac_config, record, record_size,
           "AAC AudioSpecificConfig: ");
      break;
    case 1:
      check_adts (record, record_size);
      break;
    case 2:
      check_avcc (record, record_size);
      break;
    case 3:
      run (tg_codec_check_h264_sps, record, record_size, "H.264 SPS: ");
      break;
    case 4:
      run (tg_codec_check_h264_pps, record, record_size, "H.264 PPS: ");
      break;
    case 6:
      check_frame (record, record_size);
      break;
    default:
      {
        guint length = lengths[which - 5];
        const char *reason = NULL;
        gboolean ok
            = tg_codec_check_h264_frame (record, record_size, length, &reason);

        g_assert_true (ok ? reason == NULL
                          : g_str_has_prefix (reason, "H.264 "));
        if (length == 3)
          g_assert_false (ok);
      }
    }
  g_free ((gpointer) record);
  return 0;
}
