/* A stream fed parsed frames, a track at a time (TG_STREAM_FRAMES: a
 * WebRTC publisher's): no demuxer, a pad of ours per track, each pushed on
 * its track's own thread. The publish gate sits on the video pad; like
 * every gate it decides as the pipeline goes to READY, before any track
 * flows, whichever tracks then come. */
#include "tg-stream-private.h"

static const char *track_names[TRACKS] = { "video", "audio" };

gboolean
tg_stream_build_frames (TgStream *stream, const TgStreamSpec *spec,
                        GError **error)
{
  GstElement *gate = NULL;

  if (spec->token)
    {
      gate = tg_stream_add_gate (stream, spec, error);
      if (gate == NULL)
        return FALSE;
    }
  for (guint t = 0; t < TRACKS; t++)
    {
      GstPad *pad = gst_pad_new (track_names[t], GST_PAD_SRC);

      stream->track_src[t] = pad;
      gst_pad_set_query_function (pad, tg_stream_src_query);
      gst_pad_set_active (pad, TRUE);
      stream->track_out[t] = gst_object_ref (pad);
    }
  if (gate)
    {
      g_autoptr (GstPad) in = gst_element_get_static_pad (gate, "sink");

      if (gst_pad_link (stream->track_src[VIDEO], in) != GST_PAD_LINK_OK)
        {
          g_set_error (error, TG_ERROR, TG_ERROR_FAILED,
                       "%s: could not link the gate", stream->name);
          return FALSE;
        }
      gst_object_unref (stream->track_out[VIDEO]);
      stream->track_out[VIDEO] = gst_element_get_static_pad (gate, "src");
    }
  return TRUE;
}

void
tg_stream_expect_track (TgStream *stream, TgStreamTrack track, GstCaps *caps)
{
  gst_caps_replace (&stream->expected_caps[track], caps);
  tg_stream_reserve_pads (stream, track);
}

/* The track's first frame: it goes to the outputs, then its stream
 * begins (times from 0). */
static void
start_track (TgStream *stream, guint track, GstCaps *caps)
{
  GstPad *pad = stream->track_src[track];
  g_autofree char *id
      = g_strdup_printf ("%s/%s", stream->name, track_names[track]);
  GstSegment segment;

  tg_stream_add_track (stream, stream->track_out[track], track, caps);
  gst_segment_init (&segment, GST_FORMAT_TIME);
  gst_pad_push_event (pad, gst_event_new_stream_start (id));
  gst_pad_push_event (pad, gst_event_new_caps (caps));
  gst_pad_push_event (pad, gst_event_new_segment (&segment));
}

GstClockTime
tg_stream_sample_time (GstSample *sample, GstClockTime t)
{
  const GstSegment *segment = gst_sample_get_segment (sample);

  if (!GST_CLOCK_TIME_IS_VALID (t) || segment == NULL
      || segment->format != GST_FORMAT_TIME)
    return t;
  return gst_segment_to_running_time (segment, GST_FORMAT_TIME, t);
}

/* The stream's time of a frame: from the first (before it: NONE). */
static GstClockTime
rebased (GstClockTime t, GstClockTime base)
{
  if (!GST_CLOCK_TIME_IS_VALID (t) || !GST_CLOCK_TIME_IS_VALID (base)
      || t < base)
    return GST_CLOCK_TIME_NONE;
  return t - base;
}

GstBuffer *
tg_stream_frame_of (GstSample *sample, TgStreamTrack track, GstClockTime base)
{
  GstBuffer *buffer = gst_sample_get_buffer (sample);
  GstClockTime pts, dts;

  pts = rebased (tg_stream_sample_time (sample, GST_BUFFER_PTS (buffer)), base);
  dts = rebased (tg_stream_sample_time (sample, GST_BUFFER_DTS (buffer)), base);
  if (track == TG_STREAM_AUDIO && !GST_CLOCK_TIME_IS_VALID (pts))
    return NULL;
  buffer = gst_buffer_copy (buffer); /* the memory is shared */
  GST_BUFFER_PTS (buffer) = GST_CLOCK_TIME_IS_VALID (pts) ? pts : 0;
  GST_BUFFER_DTS (buffer) = GST_BUFFER_DTS_IS_VALID (buffer)
                                ? (GST_CLOCK_TIME_IS_VALID (dts) ? dts : 0)
                                : GST_CLOCK_TIME_NONE;
  return buffer;
}

gboolean
tg_stream_push_frame (TgStream *stream, TgStreamTrack track, GstCaps *caps,
                      GstBuffer *frame)
{
  gboolean open, first = FALSE, pushed = FALSE;

  __atomic_fetch_add (&stream->bytes_in, gst_buffer_get_size (frame),
                      __ATOMIC_RELAXED);
  g_mutex_lock (&stream->frames_lock);
  open = !stream->frames_closed && !g_atomic_int_get (&stream->refused);
  if (open && stream->track_caps[track] == NULL)
    {
      /* The track's start and its first frame go down together, before
       * any end (tg_stream_end_frames): a parser that saw caps and an end
       * but no frame would leave a muxer pad without caps. The first
       * frame does not wait: the muxers wait for it. */
      start_track (stream, track, caps);
      pushed = tg_stream_push_buffer (stream, stream->track_src[track], track,
                                      frame);
      first = TRUE;
    }
  else if (open && !gst_caps_is_equal (caps, stream->track_caps[track]))
    /* A new configuration (a browser changing resolution): a new avcC. */
    gst_pad_push_event (stream->track_src[track], gst_event_new_caps (caps));
  if (open)
    gst_caps_replace (&stream->track_caps[track], caps);
  g_mutex_unlock (&stream->frames_lock);
  if (first)
    return pushed;
  if (!open)
    {
      gst_buffer_unref (frame);
      return FALSE;
    }
  /* Not under the lock: it may wait in a full muxer for the other track. */
  return tg_stream_push_buffer (stream, stream->track_src[track], track, frame);
}

void
tg_stream_close_frames (TgStream *stream)
{
  gboolean any;

  g_mutex_lock (&stream->frames_lock);
  stream->frames_closed = TRUE;
  any = stream->track_caps[VIDEO] || stream->track_caps[AUDIO];
  /* An expected track that never came, of known caps, starts empty (if
   * the other came: else the stream ended before any media). */
  for (guint t = 0; t < TRACKS && any; t++)
    if (stream->track_caps[t] == NULL && stream->expected_caps[t]
        && !g_atomic_int_get (&stream->refused))
      {
        start_track (stream, t, stream->expected_caps[t]);
        gst_caps_replace (&stream->track_caps[t], stream->expected_caps[t]);
      }
  g_mutex_unlock (&stream->frames_lock);
}

void
tg_stream_end_frames (TgStream *stream)
{
  guint order[TRACKS] = { VIDEO, AUDIO };

  /* A track's end waits for a frame of it that waits in a muxer for the
   * other track: the other's end goes first. */
  if (g_atomic_int_get (&stream->pushing_since[VIDEO]))
    order[0] = AUDIO, order[1] = VIDEO;
  for (guint i = 0; i < TRACKS; i++)
    if (stream->track_caps[order[i]])
      gst_pad_push_event (stream->track_src[order[i]], gst_event_new_eos ());
}

void
tg_stream_free_frames (TgStream *stream)
{
  for (guint t = 0; t < TRACKS; t++)
    {
      if (stream->track_src[t])
        {
          gst_pad_set_active (stream->track_src[t], FALSE);
          gst_object_unref (stream->track_src[t]);
        }
      gst_clear_object (&stream->track_out[t]);
      gst_clear_caps (&stream->track_caps[t]);
      gst_clear_caps (&stream->expected_caps[t]);
    }
}
