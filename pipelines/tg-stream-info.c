/* What a stream is, measured as it passes: the video's size from its caps,
 * each track's bitrate from the bytes that entered it over the media time
 * they span (whatever the speed they were sent at). For getStreamInfo. */
#include "tg-stream-abr.h"
#include "tg-stream-private.h"

static GstPadProbeReturn
count (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  TgStreamMeter *meter = data;

  if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_BUFFER)
    {
      GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
      GstClockTime t = GST_BUFFER_DTS_OR_PTS (buffer);

      g_mutex_lock (&meter->lock);
      meter->bytes += gst_buffer_get_size (buffer);
      meter->buffers++;
      if (GST_CLOCK_TIME_IS_VALID (t))
        {
          if (!GST_CLOCK_TIME_IS_VALID (meter->first) || t < meter->first)
            meter->first = t;
          if (!GST_CLOCK_TIME_IS_VALID (meter->last) || t > meter->last)
            meter->last = t;
        }
      g_mutex_unlock (&meter->lock);
      return GST_PAD_PROBE_OK;
    }
  if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) == GST_EVENT_CAPS)
    {
      GstCaps *caps = NULL;
      const GstStructure *s;
      gint width = 0, height = 0;

      gst_event_parse_caps (GST_PAD_PROBE_INFO_EVENT (info), &caps);
      s = gst_caps_get_structure (caps, 0);
      if (gst_structure_get_int (s, "width", &width)
          && gst_structure_get_int (s, "height", &height))
        {
          g_mutex_lock (&meter->lock);
          meter->width = width;
          meter->height = height;
          g_mutex_unlock (&meter->lock);
        }
    }
  return GST_PAD_PROBE_OK;
}

void
tg_stream_meter_watch (TgStream *stream, guint track, GstPad *pad)
{
  gst_pad_add_probe (
      pad, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      count, &stream->meters[track], NULL);
}

/* Bits per second over the media time seen; 0 before a second of it.
 * Called locked. */
static gint64
bitrate (const TgStreamMeter *meter)
{
  GstClockTime span;

  if (!GST_CLOCK_TIME_IS_VALID (meter->first))
    return 0;
  span = meter->last - meter->first;
  if (span < GST_SECOND)
    return 0;
  return (gint64) gst_util_uint64_scale (meter->bytes * 8, GST_SECOND, span);
}

void
tg_stream_get_info (TgStream *stream, TgStreamInfo *info)
{
  TgStreamMeter *video = &stream->meters[VIDEO];
  TgStreamMeter *audio = &stream->meters[AUDIO];

  *info = (TgStreamInfo){ .video_codec = NULL };
  g_mutex_lock (&video->lock);
  info->width = video->width;
  info->height = video->height;
  info->video_bitrate = bitrate (video);
  info->video_codec = video->buffers ? "H264" : NULL;
  g_mutex_unlock (&video->lock);
  g_mutex_lock (&audio->lock);
  info->audio_bitrate = bitrate (audio);
  info->audio_codec = stream->opus_input ? "OPUS"
                      : audio->buffers   ? "AAC"
                                         : NULL;
  g_mutex_unlock (&audio->lock);
  g_mutex_lock (&stream->viewers_lock);
  info->webrtc_viewers = stream->viewers->len;
  for (guint d = 0; d < TG_MUX_DOORS; d++)
    info->mux_viewers[d] = tg_stream_count_mux_viewers (stream, d);
  g_mutex_unlock (&stream->viewers_lock);
}

guint
tg_stream_get_rungs (TgStream *stream, TgStreamRungInfo *rungs, guint max)
{
  return tg_stream_abr_get_rungs (stream->abr, rungs, max);
}
