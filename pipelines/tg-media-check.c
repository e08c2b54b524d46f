#include "tg-media-check.h"

#include "tg-codec-check.h"

typedef enum
{
  OPAQUE,  /* nothing to check in the buffers (raw AAC, MP3) */
  H264,    /* NAL units, nal_length_size bytes of length, or Annex B */
  ADTS,    /* AAC in ADTS frames */
  REFUSED, /* nothing passes */
} Kind;

typedef struct
{
  Kind kind;
  guint nal_length_size; /* H264: 0 for Annex B */
  TgMediaRefused refused;
  gpointer data;
} Check;

static gboolean
refuse (Check *check, GstPad *pad, const char *what)
{
  check->kind = REFUSED;
  check->refused (pad, what, check->data);
  return FALSE;
}

typedef gboolean (*Valid) (const guint8 *data, gsize size, const char **reason);

/* The record in the caps' codec_data, checked (a missing one refused);
 * *byte4 is its fifth byte (an avcC's NAL length size). */
static gboolean
check_codec_data (const GstStructure *s, Valid valid, guint8 *byte4,
                  const char **reason)
{
  const GValue *value = gst_structure_get_value (s, "codec_data");
  GstBuffer *buffer = value && G_VALUE_HOLDS (value, GST_TYPE_BUFFER)
                          ? gst_value_get_buffer (value)
                          : NULL;
  GstMapInfo map;
  gboolean ok;

  if (buffer == NULL)
    {
      *reason = "no codec configuration record";
      return FALSE;
    }
  if (!gst_buffer_map (buffer, &map, GST_MAP_READ))
    {
      *reason = "unreadable codec configuration record";
      return FALSE;
    }
  ok = valid (map.data, map.size, reason);
  if (ok && map.size > 4)
    *byte4 = map.data[4];
  gst_buffer_unmap (buffer, &map);
  return ok;
}

/* What the caps say the buffers are; FALSE (reason set) to refuse. */
static gboolean
check_caps (Check *check, GstCaps *caps, const char **reason)
{
  const GstStructure *s = gst_caps_get_structure (caps, 0);
  const char *format = gst_structure_get_string (s, "stream-format");
  guint8 length_byte = 0;
  int version = 0;

  if (gst_structure_has_name (s, "video/x-h264"))
    {
      check->kind = H264;
      check->nal_length_size = 0;
      if (g_strcmp0 (format, "byte-stream") == 0)
        return TRUE;
      if (!check_codec_data (s, tg_codec_check_avcc, &length_byte, reason))
        return FALSE;
      check->nal_length_size = (length_byte & 3) + 1;
      return TRUE;
    }
  gst_structure_get_int (s, "mpegversion", &version);
  check->kind = OPAQUE;
  if (!gst_structure_has_name (s, "audio/mpeg") || version == 1)
    return TRUE;
  if (g_strcmp0 (format, "adts") == 0)
    {
      check->kind = ADTS;
      return TRUE;
    }
  return check_codec_data (s, tg_codec_check_aac_config, &length_byte, reason);
}

static gboolean
check_buffer (Check *check, GstBuffer *buffer, const char **reason)
{
  GstMapInfo map;
  gboolean ok = TRUE;

  if (check->kind == OPAQUE)
    return TRUE;
  if (!gst_buffer_map (buffer, &map, GST_MAP_READ))
    {
      *reason = "unreadable buffer";
      return FALSE;
    }
  if (check->kind == H264)
    ok = tg_codec_check_h264_frame (map.data, map.size, check->nal_length_size,
                                    reason);
  else if (check->kind == ADTS)
    ok = tg_codec_check_adts (map.data, map.size, reason);
  gst_buffer_unmap (buffer, &map);
  return ok;
}

static GstPadProbeReturn
probe (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  Check *check = data;
  const char *reason = NULL;

  /* Nothing more passes, not even the end: a muxer that ends a track
   * whose caps never came fails (mp4mux: criticals). The stream ends by
   * the error the refusal posted. */
  if (check->kind == REFUSED)
    return GST_PAD_PROBE_DROP;
  if (info->type & GST_PAD_PROBE_TYPE_BUFFER)
    {
      if (!check_buffer (check, GST_PAD_PROBE_INFO_BUFFER (info), &reason))
        refuse (check, pad, reason);
    }
  else if (GST_EVENT_TYPE (info->data) == GST_EVENT_CAPS)
    {
      GstCaps *caps;

      gst_event_parse_caps (GST_PAD_PROBE_INFO_EVENT (info), &caps);
      if (!check_caps (check, caps, &reason))
        refuse (check, pad, reason);
    }
  return check->kind == REFUSED ? GST_PAD_PROBE_DROP : GST_PAD_PROBE_OK;
}

void
tg_media_check_pad (GstPad *pad, TgMediaRefused refused, gpointer data)
{
  Check *check = g_new0 (Check, 1);
  g_autoptr (GstCaps) caps = gst_pad_get_current_caps (pad);
  const char *reason = NULL;

  check->refused = refused;
  check->data = data;
  /* Caps already set (a demuxer's new pad has them): checked now. */
  if (caps && !check_caps (check, caps, &reason))
    refuse (check, pad, reason);
  gst_pad_add_probe (
      pad, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      probe, check, g_free);
}
