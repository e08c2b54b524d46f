/* The checks of publishers' AAC configuration (tg-codec-check.h): real
 * AudioSpecificConfigs and ADTS frames from ffmpeg and GStreamer
 * (codec-records.h) are accepted, whole and cut at every length without a
 * read past their end; every refusal rule has a case, on a real record
 * changed or on a record written here. */
#include "codec-records.h"
#include "codec-test.h"

/* --- AAC AudioSpecificConfig --- */

static void
test_aac_real (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (real_aac); i++)
    {
      g_autoptr (GBytes) bytes = unhex (real_aac[i].hex);

      assert_accepted (tg_codec_check_aac_config, bytes, real_aac[i].name);
    }
}

static void
test_aac_prefixes (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (real_aac); i++)
    {
      g_autoptr (GBytes) bytes = unhex (real_aac[i].hex);
      gsize accepted[16];
      guint count;

      g_test_message ("prefixes of %s", real_aac[i].name);
      count = check_prefixes (tg_codec_check_aac_config, bytes, accepted);
      for (guint k = 0; k < count; k++)
        g_assert_cmpuint (accepted[k], >=, 2);
    }
}

static const struct
{
  const char *hex;
  const char *reason;
} bad_aac[] = {
  /* The crash: an AAC sequence header of AF 00 alone. */
  { "", "AudioSpecificConfig: empty" },
  { "11", "shorter than 2 bytes" },
  /* Object type 31 escaped to 95, then more escapes. */
  { "ffff", "escaped audio object type" },
  { "0190", "audio object type 0 (null)" },
  /* 6 AAC scalable, 17 ER AAC LC, 23 ER AAC LD, 39 ER AAC ELD. */
  { "3190", "audio object type is not Main, LC, SSR, LTP, SBR or PS" },
  { "8990", "audio object type is not" },
  { "b990", "audio object type is not" },
  { "f8e640", "escaped audio object type" },
  /* LC with sampling frequency index 13, 14, 15 (explicit rate). */
  { "1690", "reserved sampling frequency index 13" },
  { "1710", "reserved sampling frequency index 14" },
  { "17805dc010", "explicit sampling frequency (index 15) is not supported" },
  { "17800e5c10", "explicit sampling frequency (index 15) is not supported" },
  { "17800e5a90", "explicit sampling frequency outside 7350..96000 Hz" },
  { "1780bb8090", "explicit sampling frequency outside 7350..96000 Hz" },
  { "178000", "truncated" },
  /* LC 48 kHz with channel configuration 0 (a PCE follows), 8, 15. */
  { "1180", "channel configuration 0" },
  { "11c0", "reserved channel configuration" },
  { "11f8", "reserved channel configuration" },
  /* HE-AAC v1: extension sampling index 13, 15; over object types 22
   * (ER BSAC), 5, 0; cut in the extension. */
  { "2b168800", "reserved extension sampling frequency index 13" },
  { "2b17805dc00800", "explicit sampling frequency (index 15)" },
  { "2b11d800", "SBR or PS over an audio object type other than" },
  { "2b119400", "SBR or PS over an audio object type other than" },
  { "2b118000", "SBR or PS over an audio object type other than" },
  { "2b11", "truncated" },
  { "2b1188", "truncated" },
  /* dependsOnCoreCoder without the 14 bits of delay. */
  { "1192", "truncated" },
  /* Sync extension: SBR with extension sampling index 14, or cut. */
  { "121056e5f0", "reserved extension sampling frequency index 14" },
  { "121056e5", "truncated SBR sync extension" },
};

static void
test_aac_refused (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (bad_aac); i++)
    assert_refused_hex (tg_codec_check_aac_config, bad_aac[i].hex,
                        bad_aac[i].reason);
}

/* --- ADTS --- */

static void
test_adts_real (void)
{
  const char *streams[] = { adts_48k_stereo, adts_44k_mono };

  for (guint i = 0; i < G_N_ELEMENTS (streams); i++)
    {
      g_autoptr (GBytes) bytes = unhex (streams[i]);
      gsize size, first;
      const guint8 *data = g_bytes_get_data (bytes, &size);
      g_autoptr (GBytes) one = NULL;

      assert_accepted (tg_codec_check_adts, bytes, "two ffmpeg ADTS frames");
      first = (data[3] & 3) << 11 | data[4] << 3 | data[5] >> 5;
      one = g_bytes_new (data, first);
      assert_accepted (tg_codec_check_adts, one, "one ffmpeg ADTS frame");
      /* Cut anywhere (a PES cut by a lost packet, or by the publisher's
       * end): accepted, the parser drops the rest; nothing at all is not. */
      g_assert_cmpuint (check_prefixes (tg_codec_check_adts, bytes, NULL), ==,
                        size - 1);
    }
}

/* A frame of adts_48k_stereo with a CRC (protection_absent 0): the header
 * is 9 bytes. */
static void
test_adts_crc (void)
{
  g_autoptr (GBytes) bytes = unhex (adts_48k_stereo);
  const guint8 *data = g_bytes_get_data (bytes, NULL);
  gsize size = (data[3] & 3) << 11 | data[4] << 3 | data[5] >> 5;
  g_autoptr (GByteArray) frame = g_byte_array_new ();
  g_autoptr (GBytes) with_crc = NULL, too_short = NULL;
  static const guint8 crc[2] = { 0x12, 0x34 };

  g_byte_array_append (frame, data, 7);
  g_byte_array_append (frame, crc, 2);
  g_byte_array_append (frame, data + 7, size - 7);
  frame->data[1] &= ~1;
  size += 2;
  frame->data[3] = (frame->data[3] & ~3) | (size >> 11);
  frame->data[4] = size >> 3;
  frame->data[5] = (frame->data[5] & 0x1f) | (size & 7) << 5;
  with_crc = g_bytes_new (frame->data, frame->len);
  assert_accepted (tg_codec_check_adts, with_crc, "an ADTS frame with CRC");

  /* frame_length 9: a header with CRC and nothing more. */
  frame->data[3] &= ~3;
  frame->data[4] = 9 >> 3;
  frame->data[5] = (frame->data[5] & 0x1f) | (9 & 7) << 5;
  too_short = g_bytes_new (frame->data, 9);
  assert_refused (tg_codec_check_adts, too_short, "an empty frame with CRC",
                  "frame_length not above");
}

/* The first frame of adts_48k_stereo, its header changed by edit. */
static GBytes *
adts_edit (guint byte, guint8 and, guint8 or)
{
  g_autoptr (GBytes) bytes = unhex (adts_48k_stereo);
  const guint8 *data = g_bytes_get_data (bytes, NULL);
  gsize size = (data[3] & 3) << 11 | data[4] << 3 | data[5] >> 5;
  guint8 *frame = g_memdup2 (data, size);

  frame[byte] = (frame[byte] & and) | or ;
  return g_bytes_new_take (frame, size);
}

static void
test_adts_refused (void)
{
  static const struct
  {
    guint byte;
    guint8 and, or ;
    const char *reason;
  } edits[] = {
    { 1, 0x0f, 0xe0, "no syncword" },
    { 1, 0xf9, 0x02, "layer is not 0" },
    { 1, 0xf9, 0x06, "layer is not 0" },
    { 2, 0xc3, 13 << 2, "reserved sampling frequency index 13" },
    { 2, 0xc3, 14 << 2, "reserved sampling frequency index 14" },
    { 2, 0xc3, 15 << 2, "sampling frequency index 15 (forbidden)" },
    { 3, 0x3f, 0x00, "channel configuration 0" },
    { 6, 0xfc, 0x01, "more than one raw data block" },
    { 6, 0xfc, 0x03, "more than one raw data block" },
    /* frame_length 7: no raw data. */
    { 4, 0x00, 0x00, "frame_length not above" },
  };

  assert_refused_hex (tg_codec_check_adts, "", "empty buffer");
  for (guint i = 0; i < G_N_ELEMENTS (edits); i++)
    {
      g_autoptr (GBytes) bytes
          = adts_edit (edits[i].byte, edits[i].and, edits[i].or);

      assert_refused (tg_codec_check_adts, bytes, edits[i].reason,
                      edits[i].reason);
    }
  /* Not a syncword: an ADTS frame a byte late. */
  assert_refused_hex (tg_codec_check_adts, "00fff14c8024fffc00", "no syncword");
  /* A frame cut short is the end of the buffer: accepted, its header
   * checked. frame_length 0x128 in a 9-byte buffer: */
  {
    g_autoptr (GBytes) cut = unhex ("fff14c8025001c0000");

    assert_accepted (tg_codec_check_adts, cut, "a frame cut short");
  }
  /* The same with a reserved sampling frequency index (13). */
  assert_refused_hex (tg_codec_check_adts, "fff1748025001c0000",
                      "reserved sampling frequency index 13");
  /* A 48 kHz stereo frame, then a 44.1 kHz mono one. */
  {
    g_autoptr (GBytes) a = unhex (adts_48k_stereo);
    g_autoptr (GBytes) b = unhex (adts_44k_mono);
    g_autoptr (GByteArray) both = g_byte_array_new ();
    g_autoptr (GBytes) bytes = NULL;
    gsize size;
    const guint8 *data = g_bytes_get_data (a, &size);

    g_byte_array_append (both, data,
                         (data[3] & 3) << 11 | data[4] << 3 | data[5] >> 5);
    data = g_bytes_get_data (b, &size);
    g_byte_array_append (both, data, size);
    bytes = g_bytes_new (both->data, both->len);
    assert_refused (tg_codec_check_adts, bytes, "mixed configurations",
                    "frames of different configurations");
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/codec-check/aac/real", test_aac_real);
  g_test_add_func ("/codec-check/aac/prefixes", test_aac_prefixes);
  g_test_add_func ("/codec-check/aac/refused", test_aac_refused);
  g_test_add_func ("/codec-check/adts/real", test_adts_real);
  g_test_add_func ("/codec-check/adts/crc", test_adts_crc);
  g_test_add_func ("/codec-check/adts/refused", test_adts_refused);
  return g_test_run ();
}
