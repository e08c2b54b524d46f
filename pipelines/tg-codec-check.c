/* Checks of AAC configuration records and ADTS headers from publishers,
 * and the bit reader the H.264 checks share (tg-codec-check.h,
 * tg-codec-private.h). Pure C and GLib: the pipelines call these from pad
 * probes, and a fuzzer calls them on anything. */
#include "tg-codec-private.h"

#include <string.h>

#define AAC "AAC AudioSpecificConfig: "
#define ADTS "ADTS: "

gboolean
tg_codec_refuse (const char **reason, const char *why)
{
  *reason = why;
  return FALSE;
}

gboolean
tg_codec_accept (const char **reason)
{
  *reason = NULL;
  return TRUE;
}

/* --- reading bits --- */

void
tg_bits_init (TgBits *b, const guint8 *data, gsize size)
{
  b->data = data;
  b->size = size;
  b->pos = 0;
  b->overrun = FALSE;
}

guint64
tg_bits_left (const TgBits *b)
{
  return b->overrun ? 0 : (guint64) b->size * 8 - b->pos;
}

/* n <= 32 bits. */
guint32
tg_bits_read (TgBits *b, guint n)
{
  guint32 value = 0;

  if (tg_bits_left (b) < n)
    {
      b->overrun = TRUE;
      return 0;
    }
  for (guint i = 0; i < n; i++, b->pos++)
    value = value << 1 | ((b->data[b->pos / 8] >> (7 - b->pos % 8)) & 1);
  return value;
}

/* ue(v), H.264 9.1: at most 31 leading zeros, so up to 2^32 - 2. */
guint32
tg_bits_ue (TgBits *b)
{
  guint zeros = 0;

  while (tg_bits_read (b, 1) == 0)
    if (b->overrun || ++zeros > 31)
      {
        b->overrun = TRUE;
        return 0;
      }
  return (guint32) ((G_GUINT64_CONSTANT (1) << zeros) - 1
                    + tg_bits_read (b, zeros));
}

/* se(v): -(2^31 - 1)..2^31 - 1. */
gint64
tg_bits_se (TgBits *b)
{
  guint32 k = tg_bits_ue (b);

  return k & 1 ? (gint64) (k / 2) + 1 : -(gint64) (k / 2);
}

/* --- AAC --- */

static guint
aac_object_type (TgBits *b)
{
  guint type = tg_bits_read (b, 5);

  return type == 31 ? 32 + tg_bits_read (b, 6) : type;
}

/* samplingFrequencyIndex, with the 24-bit rate that follows index 15.
 * Only the indexed rates are taken: mpegtsmux copies the index of the
 * AudioSpecificConfig's first two bytes into every ADTS header, where 15
 * is forbidden (and it would take the channels from the rate's bits). */
static gboolean
aac_sampling_frequency (TgBits *b, gboolean extension, const char **reason)
{
  guint index = tg_bits_read (b, 4);
  guint32 rate;

  if (index == 13)
    return tg_codec_refuse (reason, extension
                                        ? AAC "reserved extension sampling "
                                              "frequency index 13"
                                        : AAC "reserved sampling frequency "
                                              "index 13");
  if (index == 14)
    return tg_codec_refuse (reason, extension
                                        ? AAC "reserved extension sampling "
                                              "frequency index 14"
                                        : AAC "reserved sampling frequency "
                                              "index 14");
  if (index != 15)
    return TRUE;
  rate = tg_bits_read (b, 24);
  if (b->overrun)
    return tg_codec_refuse (reason, AAC "truncated");
  if (rate < 7350 || rate > 96000)
    return tg_codec_refuse (reason, AAC "explicit sampling frequency outside "
                                        "7350..96000 Hz");
  return tg_codec_refuse (reason,
                          AAC "explicit sampling frequency (index 15) is not "
                              "supported: ADTS in MPEG-TS cannot carry it");
}

static gboolean
aac_core_type (guint type)
{
  return type >= 1 && type <= 4; /* Main, LC, SSR, LTP */
}

/* The backward-compatible signalling of SBR and PS after the
 * GASpecificConfig (ISO 14496-3 1.6.5.2), when there is one. */
static gboolean
aac_sync_extension (TgBits *b, const char **reason)
{
  TgBits peek = *b;

  if (tg_bits_left (b) < 16 || tg_bits_read (&peek, 11) != 0x2b7)
    return TRUE;
  tg_bits_read (b, 11);
  if (aac_object_type (b) != 5)
    return TRUE;
  if (!tg_bits_read (b, 1)) /* sbrPresentFlag */
    return b->overrun
               ? tg_codec_refuse (reason, AAC "truncated SBR sync extension")
               : TRUE;
  if (!aac_sampling_frequency (b, TRUE, reason))
    return FALSE;
  peek = *b;
  if (tg_bits_left (b) >= 12 && tg_bits_read (&peek, 11) == 0x548)
    tg_bits_read (b, 12); /* syncExtensionType, psPresentFlag */
  if (b->overrun)
    return tg_codec_refuse (reason, AAC "truncated SBR sync extension");
  return TRUE;
}

gboolean
tg_codec_check_aac_config (const guint8 *data, gsize size, const char **reason)
{
  const char *unused;
  guint type, channels;
  TgBits b;

  if (reason == NULL)
    reason = &unused;
  if (size == 0)
    return tg_codec_refuse (reason, AAC "empty");
  if (size < 2)
    return tg_codec_refuse (reason, AAC "shorter than 2 bytes");
  tg_bits_init (&b, data, size);

  type = aac_object_type (&b);
  if (type == 0)
    return tg_codec_refuse (reason, AAC "audio object type 0 (null)");
  if (type >= 32)
    return tg_codec_refuse (reason,
                            AAC "escaped audio object type (32 and above) is "
                                "not supported");
  if (!aac_core_type (type) && type != 5 && type != 29)
    return tg_codec_refuse (reason,
                            AAC "audio object type is not Main, LC, SSR, LTP, "
                                "SBR or PS (1..5, 29)");
  if (!aac_sampling_frequency (&b, FALSE, reason))
    return FALSE;
  channels = tg_bits_read (&b, 4);
  if (channels == 0)
    return tg_codec_refuse (reason,
                            AAC "channel configuration 0 (a "
                                "program_config_element in the config) is "
                                "not supported");
  if (channels > 7)
    return tg_codec_refuse (reason,
                            AAC "reserved channel configuration (8..15)");
  if (type == 5 || type == 29)
    {
      /* HE-AAC, explicit: the output rate, then the core's type. */
      if (!aac_sampling_frequency (&b, TRUE, reason))
        return FALSE;
      type = aac_object_type (&b);
      if (b.overrun)
        return tg_codec_refuse (reason, AAC "truncated");
      if (!aac_core_type (type))
        return tg_codec_refuse (reason,
                                AAC "SBR or PS over an audio object type other "
                                    "than Main, LC, SSR or LTP");
    }

  /* GASpecificConfig: frameLengthFlag, dependsOnCoreCoder (then
   * coreCoderDelay), extensionFlag (then extensionFlag3). */
  tg_bits_read (&b, 1);
  if (tg_bits_read (&b, 1))
    tg_bits_read (&b, 14);
  if (tg_bits_read (&b, 1))
    tg_bits_read (&b, 1);
  if (b.overrun)
    return tg_codec_refuse (reason, AAC "truncated");
  if (!aac_sync_extension (&b, reason))
    return FALSE;
  return tg_codec_accept (reason);
}

/* --- ADTS --- */

gboolean
tg_codec_check_adts (const guint8 *data, gsize size, const char **reason)
{
  const char *unused;
  guint32 first = 0;
  gsize pos = 0;

  if (reason == NULL)
    reason = &unused;
  if (size == 0)
    return tg_codec_refuse (reason, ADTS "empty buffer");
  while (pos < size)
    {
      const guint8 *h = data + pos;
      gsize left = size - pos, header, length;
      guint index, channels;
      guint32 config;

      /* The last frame cut short (a PES cut by a lost packet, or by the
       * publisher's end): the parser drops it. */
      if (left < 7)
        break;
      if (h[0] != 0xff || (h[1] & 0xf0) != 0xf0)
        return tg_codec_refuse (reason,
                                ADTS "no syncword (0xFFF) where a frame "
                                     "starts");
      if (h[1] & 0x06)
        return tg_codec_refuse (reason, ADTS "layer is not 0");
      index = (h[2] >> 2) & 0xf;
      if (index == 15)
        return tg_codec_refuse (reason,
                                ADTS "sampling frequency index 15 (forbidden)");
      if (index == 13)
        return tg_codec_refuse (reason,
                                ADTS "reserved sampling frequency index 13");
      if (index == 14)
        return tg_codec_refuse (reason,
                                ADTS "reserved sampling frequency index 14");
      channels = (h[2] & 1) << 2 | h[3] >> 6;
      if (channels == 0)
        return tg_codec_refuse (reason,
                                ADTS "channel configuration 0 (a "
                                     "program_config_element in the frame) is "
                                     "not supported");
      /* aacparse makes such a frame one MP4 sample of 1024 samples. */
      if (h[6] & 3)
        return tg_codec_refuse (reason,
                                ADTS "more than one raw data block in a frame "
                                     "is not supported");
      header = (h[1] & 1) ? 7 : 9; /* protection_absent, else a CRC */
      length = (gsize) (h[3] & 3) << 11 | (gsize) h[4] << 3 | h[5] >> 5;
      if (length <= header)
        return tg_codec_refuse (reason,
                                ADTS "frame_length not above the header's "
                                     "length");
      /* ID, profile, sampling frequency index and channels. */
      config = (guint32) (h[1] & 0x08) << 16 | (guint32) (h[2] & 0xfd) << 8
               | (h[3] & 0xc0);
      if (pos == 0)
        first = config;
      else if (config != first)
        return tg_codec_refuse (reason,
                                ADTS "frames of different configurations in "
                                     "one buffer");
      pos += length;
    }
  return tg_codec_accept (reason);
}
