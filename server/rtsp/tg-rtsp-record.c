#include "tg-rtsp-record.h"

#include "tg-rtsp-publish.h"

/* Where a track's chain ends: frames as the stream takes them (H.264 as
 * avc in whole access units, AAC raw), each track on its own streaming
 * thread, fed into the stream by the publisher (tg-rtsp-publish.c). */
#define SINK " sync=false async=false"

struct _TgRtspRecord
{
  GstRTSPMediaFactory parent;
};

G_DEFINE_TYPE (TgRtspRecord, tg_rtsp_record, GST_TYPE_RTSP_MEDIA_FACTORY)

typedef enum
{
  NONE,
  VIDEO,
  AUDIO,
} Kind;

typedef struct
{
  const char *media, *encoding;
  const char *depayloader; /* named depay%u, as gst-rtsp-server finds them */
  const char *chain;       /* from it to its appsink */
} Chain;

static const Chain chains[] = {
  { "video", "H264", "rtph264depay wait-for-keyframe=true",
    "h264parse ! video/x-h264,stream-format=avc,alignment=au ! "
    "h264timestamper ! appsink name=video" SINK },
  { "audio", "MPEG4-GENERIC", "rtpmp4gdepay",
    "aacparse name=aac ! audio/mpeg,stream-format=raw ! appsink "
    "name=audio" SINK },
  { "audio", "MP4A-LATM", "rtpmp4adepay",
    "aacparse name=aac ! audio/mpeg,stream-format=raw ! appsink "
    "name=audio" SINK },
  { "audio", "OPUS", "rtpopusdepay",
    "opusdec ! audioconvert ! audioresample ! avenc_aac ! aacparse ! "
    "audio/mpeg,stream-format=raw ! appsink name=audio" SINK },
};

/* The chain of a media, or NULL. */
static const Chain *
chain_of (const GstSDPMedia *media, Kind *kind)
{
  const char *rtpmap;
  g_autofree char *encoding = NULL;

  *kind = NONE;
  /* One format: the one the publisher sends. */
  if (gst_sdp_media_formats_len (media) != 1)
    return NULL;
  rtpmap = gst_sdp_media_get_attribute_val (media, "rtpmap");
  if (rtpmap == NULL || strchr (rtpmap, ' ') == NULL)
    return NULL;
  encoding = g_strndup (strchr (rtpmap, ' ') + 1,
                        strcspn (strchr (rtpmap, ' ') + 1, "/"));
  for (guint i = 0; i < G_N_ELEMENTS (chains); i++)
    if (g_strcmp0 (gst_sdp_media_get_media (media), chains[i].media) == 0
        && g_ascii_strcasecmp (encoding, chains[i].encoding) == 0)
      {
        *kind = g_str_equal (chains[i].media, "video") ? VIDEO : AUDIO;
        return &chains[i];
      }
  return NULL;
}

GstSDPMessage *
tg_rtsp_record_parse_sdp (const guint8 *body, guint size)
{
  g_autoptr (GstSDPMessage) sdp = NULL;

  /* GStreamer's parser takes no empty body. */
  if (body == NULL || size == 0 || gst_sdp_message_new (&sdp) != GST_SDP_OK
      || gst_sdp_message_parse_buffer (body, size, sdp) != GST_SDP_OK)
    return NULL;
  return g_steal_pointer (&sdp);
}

const char *
tg_rtsp_record_check_sdp (const GstSDPMessage *sdp)
{
  guint seen = 0;
  guint n = gst_sdp_message_medias_len (sdp);

  if (n == 0)
    return "the SDP has no media";
  for (guint i = 0; i < n; i++)
    {
      Kind kind;

      if (chain_of (gst_sdp_message_get_media (sdp, i), &kind) == NULL)
        return "a track is not H.264, AAC or Opus";
      if (seen & (1u << kind))
        return "more than one video or audio track";
      seen |= 1u << kind;
    }
  return NULL;
}

/* rtpmp4gdepay times the first of the AAC frames an RTP packet carries;
 * the others come without (a publisher's SDP gives no constantDuration),
 * which no muxer can place: each is given the time of the one before
 * plus a frame's (1024 samples at the caps' rate). */
static GstPadProbeReturn
time_aac (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  GstClockTime *next = data;
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
  g_autoptr (GstCaps) caps = gst_pad_get_current_caps (pad);
  gint rate = 0;

  if (caps)
    gst_structure_get_int (gst_caps_get_structure (caps, 0), "rate", &rate);
  if (!GST_BUFFER_PTS_IS_VALID (buffer) && GST_CLOCK_TIME_IS_VALID (*next))
    {
      buffer = gst_buffer_make_writable (buffer);
      GST_BUFFER_PTS (buffer) = *next;
      GST_PAD_PROBE_INFO_DATA (info) = buffer;
    }
  if (GST_BUFFER_PTS_IS_VALID (buffer) && rate > 0)
    *next = GST_BUFFER_PTS (buffer)
            + gst_util_uint64_scale_int (1024, GST_SECOND, rate);
  return GST_PAD_PROBE_OK;
}

static void
add_time_aac (GstElement *bin)
{
  g_autoptr (GstElement) aac = gst_bin_get_by_name (GST_BIN (bin), "aac");
  g_autoptr (GstPad) pad = aac ? gst_element_get_static_pad (aac, "src") : NULL;
  GstClockTime *next = g_new (GstClockTime, 1);

  *next = GST_CLOCK_TIME_NONE;
  if (pad)
    gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, time_aac, next, g_free);
  else
    g_free (next);
}

char *
tg_rtsp_record_description (const GstSDPMessage *sdp)
{
  GString *description;

  if (tg_rtsp_record_check_sdp (sdp) != NULL)
    return NULL;
  description = g_string_new (NULL);
  for (guint i = 0; i < gst_sdp_message_medias_len (sdp); i++)
    {
      Kind kind;
      const Chain *chain = chain_of (gst_sdp_message_get_media (sdp, i), &kind);

      g_string_append_printf (description, " %s name=depay%u ! %s",
                              chain->depayloader, i, chain->chain);
    }
  return g_string_free (description, FALSE);
}

/* The pipeline of the SDP of the request being handled (an ANNOUNCE);
 * without a publisher or a readable SDP, an empty bin, which
 * gst-rtsp-server then refuses (the SDP's media do not match it). */
static GstElement *
create_element (GstRTSPMediaFactory *factory, const GstRTSPUrl *url)
{
  GstRTSPContext *ctx = gst_rtsp_context_get_current ();
  TgRtspPublisher *publisher = ctx ? tg_rtsp_publisher_of (ctx->client) : NULL;
  g_autoptr (GstSDPMessage) sdp = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GstElement) video = NULL, audio = NULL;
  g_autofree char *description = NULL;
  GstElement *bin;
  guint8 *body = NULL;
  guint size = 0;

  (void) factory;
  (void) url;
  if (publisher)
    gst_rtsp_message_get_body (ctx->request, &body, &size);
  sdp = tg_rtsp_record_parse_sdp (body, size);
  if (sdp)
    description = tg_rtsp_record_description (sdp);
  if (description == NULL)
    return gst_bin_new (NULL);
  bin = gst_parse_launch_full (
      description, NULL,
      GST_PARSE_FLAG_PLACE_IN_BIN | GST_PARSE_FLAG_FATAL_ERRORS, &error);
  if (bin == NULL)
    {
      g_message ("RTSP record: cannot make its pipeline: %s", error->message);
      return gst_bin_new (NULL);
    }
  add_time_aac (bin);
  video = gst_bin_get_by_name (GST_BIN (bin), "video");
  audio = gst_bin_get_by_name (GST_BIN (bin), "audio");
  tg_rtsp_publisher_feed (publisher, bin, video, audio);
  return bin;
}

/* The media's pipeline holds our bin: its RTP sessions (added later, in
 * an rtpbin) are watched for the publisher's BYE. */
static void
configure (GstRTSPMediaFactory *factory, GstRTSPMedia *media)
{
  g_autoptr (GstElement) bin = gst_rtsp_media_get_element (media);
  g_autoptr (GstObject) pipeline
      = bin ? gst_object_get_parent (GST_OBJECT (bin)) : NULL;

  GST_RTSP_MEDIA_FACTORY_CLASS (tg_rtsp_record_parent_class)
      ->configure (factory, media);
  if (pipeline)
    tg_rtsp_publisher_watch_bye (bin, GST_ELEMENT (pipeline));
}

static void
tg_rtsp_record_class_init (TgRtspRecordClass *klass)
{
  GST_RTSP_MEDIA_FACTORY_CLASS (klass)->create_element = create_element;
  GST_RTSP_MEDIA_FACTORY_CLASS (klass)->configure = configure;
}

static void
tg_rtsp_record_init (TgRtspRecord *record)
{
  GstRTSPMediaFactory *factory = GST_RTSP_MEDIA_FACTORY (record);

  gst_rtsp_media_factory_set_transport_mode (factory,
                                             GST_RTSP_TRANSPORT_MODE_RECORD);
  /* A media per publisher (no key: never shared). */
  gst_rtsp_media_factory_set_shared (factory, FALSE);
}

TgRtspRecord *
tg_rtsp_record_new (void)
{
  return g_object_new (TG_TYPE_RTSP_RECORD, NULL);
}
