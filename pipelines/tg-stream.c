#include "tg-stream-private.h"

#include "tg-cmaf.h"
#include "tg-debug.h"
#include "tg-media-check.h"
#include "tg-mp4mux.h"
#include "tg-stream-abr.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gst/app/gstappsink.h>
#include <errno.h>
#include <string.h>

/* Longest wait for a stream to drain once its publisher is gone. */
#define DRAIN_TIMEOUT_S 10

/* A push that has not returned for this long means a muxer waits for a
 * track that stopped coming: the stream is stopped. */
#define STUCK_S 10

GstElement *
tg_stream_make (const char *factory, GError **error)
{
  GstElement *element = gst_element_factory_make (factory, NULL);

  if (element == NULL)
    g_set_error (error, TG_ERROR, TG_ERROR_FAILED,
                 "GStreamer element %s is missing (install its plugin)",
                 factory);
  return element;
}

/* Links two elements already in the pipeline, or says why not. */
gboolean
tg_stream_link (GstElement *from, GstElement *to, GError **error)
{
  if (gst_element_link (from, to))
    return TRUE;
  g_set_error (error, TG_ERROR, TG_ERROR_FAILED, "Cannot link %s to %s",
               GST_ELEMENT_NAME (from), GST_ELEMENT_NAME (to));
  return FALSE;
}

/* Ends the stream from a streaming thread for the server's own failure
 * (an element missing, a link refused): the bus says why (bus_message). */
static void
fail_stream (TgStream *stream, const char *what)
{
  g_autoptr (GError) error
      = g_error_new (TG_ERROR, TG_ERROR_FAILED, "%s", what);

  gst_element_post_message (
      stream->pipeline,
      gst_message_new_error (GST_OBJECT (stream->pipeline), error, NULL));
}

/* A track that ends before its caps ever came (its parser found no valid
 * frame): mp4mux is not told, as it would finish a track it knows nothing
 * of (criticals, then a crash). The stream ends by the parser's error, or
 * its drain timeout. */
static GstPadProbeReturn
end_without_caps (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  g_autoptr (GstCaps) caps = NULL;

  if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) != GST_EVENT_EOS)
    return GST_PAD_PROBE_OK;
  caps = gst_pad_get_current_caps (pad);
  return caps ? GST_PAD_PROBE_OK : GST_PAD_PROBE_DROP;
}

void
tg_stream_reserve_pads (TgStream *stream, guint track)
{
  static const char *templates[TRACKS][OUTPUTS] = {
    [VIDEO] = { "sink_%d", "video_%u" },
    [AUDIO] = { "sink_%d", "audio_%u" },
  };

  g_atomic_int_or (&stream->announced_tracks, 1u << track);
  for (guint o = 0; o < OUTPUTS; o++)
    if (stream->mux[o] && stream->pads[track][o] == NULL)
      {
        stream->pads[track][o] = gst_element_request_pad_simple (
            stream->mux[o], templates[track][o]);
        if (o == OUT_MP4)
          gst_pad_add_probe (stream->pads[track][o],
                             GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
                             end_without_caps, NULL, NULL);
      }
}

/* What a track needs between the demuxer and a muxer (needs_parser):
 * MPEG-TS takes H.264 as byte-stream with the parameter sets before every
 * key frame, MP4 as avc with the sizes in its caps; MPEG-TS takes
 * flvdemux's AAC as it is, tsdemux's once framed. NULL if missing. */
static GstElement *
parser_for (guint track, guint output)
{
  GstElement *parser;

  if (track != VIDEO)
    return gst_element_factory_make ("aacparse", NULL);
  parser = gst_element_factory_make ("h264parse", NULL);
  if (parser && output == OUT_HLS)
    g_object_set (parser, "config-interval", -1, NULL);
  return parser;
}

/* Whether the track needs a parser in front of the output's muxer. */
static gboolean
needs_parser (TgStreamInput input, guint track, guint output)
{
  return track == VIDEO || output == OUT_MP4 || input == TG_STREAM_MPEGTS;
}

/* A video tag that held two access units (a WebRTC publisher's burst
 * can): h264parse splits them and gives the second a DTS it interpolated
 * but no PTS, which mp4mux refuses ("Buffer has no PTS"), ending the
 * stream. Such a frame is presented when it is decoded: PTS = DTS. */
static GstPadProbeReturn
pts_from_dts (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);

  if (GST_BUFFER_PTS_IS_VALID (buffer) || !GST_BUFFER_DTS_IS_VALID (buffer))
    return GST_PAD_PROBE_OK;
  buffer = gst_buffer_make_writable (buffer);
  GST_BUFFER_PTS (buffer) = GST_BUFFER_DTS (buffer);
  GST_PAD_PROBE_INFO_DATA (info) = buffer;
  return GST_PAD_PROBE_OK;
}

/* Adds what sits in front of a muxer pad; returns the pad to link to, or
 * NULL when that failed (the stream is failed). */
static GstPad *
chain_to (TgStream *stream, guint track, guint output)
{
  GstElement *parser;
  g_autoptr (GstPad) src = NULL;

  if (!needs_parser (stream->input, track, output))
    return gst_object_ref (stream->pads[track][output]);
  parser = parser_for (track, output);
  if (parser == NULL)
    {
      fail_stream (stream, "h264parse or aacparse is missing");
      return NULL;
    }
  gst_bin_add (GST_BIN (stream->pipeline), parser);
  src = gst_element_get_static_pad (parser, "src");
  if (track == VIDEO && output == OUT_MP4)
    gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER, pts_from_dts, NULL,
                       NULL);
  if (gst_pad_link (src, stream->pads[track][output]) != GST_PAD_LINK_OK)
    {
      fail_stream (stream, "cannot link a parser to its muxer");
      return NULL;
    }
  gst_element_sync_state_with_parent (parser);
  return gst_element_get_static_pad (parser, "sink");
}

static GstPadProbeReturn
drop (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  return GST_PAD_PROBE_DROP;
}

void
tg_stream_check_ready (TgStream *stream)
{
  if (!g_atomic_int_get (&stream->tracks_known)
      || (g_atomic_int_get (&stream->has_video)
          && !g_atomic_int_get (&stream->video_judged))
      || g_atomic_int_exchange (&stream->media_ready, TRUE))
    return;
  if (stream->on_media_ready)
    stream->on_media_ready (stream, stream->app, stream->stream_id,
                            stream->media_ready_data);
}

/* Every track is found. */
static void
media_ready (TgStream *stream)
{
  g_atomic_int_set (&stream->tracks_known, TRUE);
  tg_stream_check_ready (stream);
}

static void
demux_no_more_pads (GstElement *demux, gpointer data)
{
  media_ready (data);
}

/* A track carried a malformed configuration record or frame: the stream
 * fails with a line that says so (bus_message). On the publisher's thread
 * (the demuxers push on it): it takes nothing more, and no end goes down
 * (tg_stream_finish). */
static void
media_refused (GstPad *pad, const char *what, gpointer data)
{
  TgStream *stream = data;
  gboolean video = g_str_has_prefix (GST_PAD_NAME (pad), "video")
                   || pad == stream->track_out[VIDEO]; /* the gate's */

  tg_stream_refuse (stream, "Refused the publisher's %s track: %s",
                    video ? "video" : "audio", what);
}

/* H.264, or AAC (audio/mpeg is MP3 too). */
static gboolean
supported (const GstStructure *s, guint track)
{
  int version = 0;

  if (s == NULL)
    return FALSE;
  if (track == VIDEO)
    return gst_structure_has_name (s, "video/x-h264");
  return gst_structure_has_name (s, "audio/mpeg")
         && gst_structure_get_int (s, "mpegversion", &version)
         && (version == 2 || version == 4);
}

/* A demuxer found a stream: feed it to every output. Runs on the streaming
 * thread, before the pad's first buffer. */
static void
demux_pad_added (GstElement *demux, GstPad *pad, gpointer data)
{
  TgStream *stream = data;
  const char *name = GST_PAD_NAME (pad);
  guint track = g_str_has_prefix (name, "video") ? VIDEO : AUDIO;
  g_autoptr (GstCaps) caps = gst_pad_get_current_caps (pad);

  /* tsdemux adds a program's streams together, before any data. Other
   * streams than audio and video (data, subtitles), and a second one of
   * either, are left out. */
  if (stream->input == TG_STREAM_MPEGTS
      && ((!g_str_has_prefix (name, "video")
           && !g_str_has_prefix (name, "audio"))
          || stream->tees[track]))
    {
      g_info ("%s: %s track not taken", stream->name, name);
      gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, drop, NULL, NULL);
      return;
    }
  tg_stream_add_track (stream, pad, track, caps);
}

void
tg_stream_add_track (TgStream *stream, GstPad *pad, guint track, GstCaps *caps)
{
  const char *name = track == VIDEO ? "video" : "audio";
  GstStructure *s = caps ? gst_caps_get_structure (caps, 0) : NULL;
  GstElement *tee;
  gboolean done;
  guint n;

  /* Ended meanwhile (on the main context): no new muxer pads. */
  g_mutex_lock (&stream->lock);
  done = stream->done;
  g_mutex_unlock (&stream->lock);
  if (done)
    return;
  if (stream->input == TG_STREAM_MPEGTS)
    tg_stream_reserve_pads (stream, track);
  n = !!stream->pads[track][OUT_HLS] + !!stream->pads[track][OUT_MP4];

  if (!supported (s, track))
    {
      /* The stream ends by that error: nothing more goes down, no end
       * either (a muxer that ends a track whose caps never came fails,
       * and one whose pad is released while it runs too). */
      tg_stream_refuse (
          stream, "Unsupported %s codec %s%s: publish H.264 and AAC", name,
          s ? gst_structure_get_name (s) : "(none)",
          s && gst_structure_has_name (s, "audio/mpeg") ? " (MP3)" : "");
      gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_DATA_DOWNSTREAM, drop, NULL,
                         NULL);
      return;
    }
  /* Checked before anything else sees it. */
  tg_media_check_pad (pad, media_refused, stream);
  if (n == 0)
    /* A track the publisher did not announce before its first frame, or
     * no outputs at all: the muxers have started without it. */
    g_info ("%s: %s track not recorded", stream->name, name);
  tee = gst_element_factory_make ("tee", NULL);
  if (tee == NULL)
    {
      fail_stream (stream, "tee is missing");
      return;
    }
  g_object_set (tee, "allow-not-linked", TRUE, NULL);
  gst_bin_add (GST_BIN (stream->pipeline), tee);
  for (guint o = 0; o < OUTPUTS; o++)
    {
      GstPad *from, *to;

      if (stream->pads[track][o] == NULL)
        continue;
      to = chain_to (stream, track, o);
      if (to == NULL)
        return;
      from = gst_element_request_pad_simple (tee, "src_%u");
      if (gst_pad_link (from, to) != GST_PAD_LINK_OK)
        fail_stream (stream, "cannot link a track to its outputs");
      gst_object_unref (from);
      gst_object_unref (to);
    }
  if (stream->cmaf)
    {
      g_autoptr (GError) error = NULL;

      if (!tg_cmaf_add_track (stream->cmaf, GST_BIN (stream->pipeline), tee,
                              track, &error))
        fail_stream (stream, error->message);
    }
  {
    g_autoptr (GstPad) in = gst_element_get_static_pad (tee, "sink");

    if (track == VIDEO)
      tg_stream_judge_video (stream, in);
    tg_stream_meter_watch (stream, track, in);
    tg_stream_abr_watch (stream->abr, track, in);
    if (gst_pad_link (pad, in) != GST_PAD_LINK_OK)
      fail_stream (stream, "cannot link the demuxer to a track");
    gst_element_sync_state_with_parent (tee);
  }
  g_mutex_lock (&stream->viewers_lock);
  stream->tees[track] = gst_object_ref (tee);
  if (track == VIDEO)
    stream->profile_level_id = tg_stream_profile_level_id (s);
  if (stream->rtp_built)
    tg_stream_add_rtp_branch (stream, track);
  /* FLV: the header named the tracks (flvdemux itself waits for audio and
   * video, or 6 s); frames: the publisher did (tg_stream_expect_track).
   * MPEG-TS: tsdemux says when it has added them all. */
  if (stream->input != TG_STREAM_MPEGTS
      && (stream->tees[VIDEO] || !(stream->announced_tracks & (1u << VIDEO)))
      && (stream->tees[AUDIO] || !(stream->announced_tracks & (1u << AUDIO))))
    media_ready (stream);
  g_mutex_unlock (&stream->viewers_lock);
}

/* The stream is over for its viewers. */
static void
end_viewers (TgStream *stream)
{
  g_autoptr (GPtrArray) viewers = NULL;

  g_mutex_lock (&stream->viewers_lock);
  viewers = g_steal_pointer (&stream->viewers);
  stream->viewers
      = g_ptr_array_new_with_free_func ((GDestroyNotify) tg_viewer_unref);
  g_mutex_unlock (&stream->viewers_lock);
  for (guint i = 0; i < viewers->len; i++)
    tg_viewer_end (viewers->pdata[i]);
}

static void
end (TgStream *stream, const GError *error)
{
  g_mutex_lock (&stream->lock);
  if (stream->done)
    {
      g_mutex_unlock (&stream->lock);
      return;
    }
  stream->done = TRUE;
  if (stream->drain_timeout)
    g_source_remove (stream->drain_timeout);
  if (stream->watchdog)
    g_source_remove (stream->watchdog);
  stream->drain_timeout = stream->watchdog = 0;
  g_mutex_unlock (&stream->lock);
  tg_stream_abr_end (stream->abr, stream->hls_delete);
  gst_element_set_state (stream->pipeline, GST_STATE_NULL);
  end_viewers (stream);
  tg_stream_end_mux_outs (stream);
  tg_stream_end_files (stream, error == NULL);
  stream->ended (stream, error, stream->user_data);
}

/* A write that failed for want of space (filesink says NO_SPACE_LEFT;
 * multifilesink, under hlssink, a WRITE with errno's words). */
static gboolean
is_disk_full (const GError *error, const char *debug)
{
  return g_error_matches (error, GST_RESOURCE_ERROR,
                          GST_RESOURCE_ERROR_NO_SPACE_LEFT)
         || (g_error_matches (error, GST_RESOURCE_ERROR,
                              GST_RESOURCE_ERROR_WRITE)
             && debug && strstr (debug, g_strerror (ENOSPC)));
}

static gboolean
bus_message (GstBus *bus, GstMessage *message, gpointer data)
{
  TgStream *stream = data;
  g_autoptr (GError) error = NULL;
  g_autofree char *debug = NULL;

  switch (GST_MESSAGE_TYPE (message))
    {
    case GST_MESSAGE_EOS:
      g_info ("%s: ended", stream->name);
      end (stream, NULL);
      break;
    case GST_MESSAGE_ERROR:
      gst_message_parse_error (message, &error, &debug);
      if (!g_atomic_int_get (&stream->media_ready) && debug
          && strstr (debug, "EOS before any data"))
        {
          /* the demuxer's words for a publisher that left at once */
          g_clear_error (&error);
          g_set_error (&error, GST_STREAM_ERROR, GST_STREAM_ERROR_FAILED,
                       "the publisher left before sending any media");
        }
      else if (is_disk_full (error, debug))
        {
          g_message ("%s: the disk is full: its files in %s cannot be "
                     "written; it ends, and what it wrote is kept",
                     stream->name, stream->dir);
          g_clear_error (&error);
          g_set_error (&error, GST_RESOURCE_ERROR,
                       GST_RESOURCE_ERROR_NO_SPACE_LEFT, "the disk is full");
        }
      else
        {
          g_message ("%s: %s (%s)", stream->name, error->message,
                     debug ? debug : "");
          tg_debug_dump (stream->pipeline, stream->name);
        }
      end (stream, error);
      break;
    default:
      break;
    }
  return G_SOURCE_CONTINUE;
}

/* The pipeline's own error, if one is on the bus (a refused token). */
static GError *
pop_error (GstElement *pipeline)
{
  g_autoptr (GstBus) bus = gst_element_get_bus (pipeline);
  g_autoptr (GstMessage) message
      = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  GError *error = NULL;

  if (message)
    gst_message_parse_error (message, &error, NULL);
  return error;
}

/* Queries reaching the publisher's end. The muxers ask for the latency
 * before every buffer until they get an answer: none, nothing to wait for
 * (the publisher sets the pace, not a clock). */
gboolean
tg_stream_src_query (GstPad *pad, GstObject *parent, GstQuery *query)
{
  if (GST_QUERY_TYPE (query) != GST_QUERY_LATENCY)
    return gst_pad_query_default (pad, parent, query);
  gst_query_set_latency (query, FALSE, 0, GST_CLOCK_TIME_NONE);
  return TRUE;
}

GstElement *
tg_stream_add_gate (TgStream *stream, const TgStreamSpec *spec, GError **error)
{
  GstElement *gate = tg_stream_make ("tokencheck", error);

  if (gate == NULL)
    return NULL;
  g_object_set (gate, "app", spec->app, "stream-id", spec->stream_id, "type",
                0 /* publish */, "token", spec->token, NULL);
  gst_bin_add (GST_BIN (stream->pipeline), gate);
  return gate;
}

/* What the publisher's bytes go through: the gate, then the demuxer. */
static gboolean
build (TgStream *stream, const TgStreamSpec *spec, GError **error)
{
  GstElement *gate
      = NULL,
      *demux = tg_stream_make (
          spec->input == TG_STREAM_MPEGTS ? "tsdemux" : "flvdemux", error);
  g_autoptr (GstPad) in = NULL;

  if (demux == NULL)
    return FALSE;
  gst_bin_add (GST_BIN (stream->pipeline), demux);
  if (spec->token)
    {
      gate = tg_stream_add_gate (stream, spec, error);
      if (gate == NULL || !tg_stream_link (gate, demux, error))
        return FALSE;
    }
  stream->src = gst_pad_new ("src", GST_PAD_SRC);
  gst_pad_set_query_function (stream->src, tg_stream_src_query);
  gst_pad_set_active (stream->src, TRUE);
  in = gst_element_get_static_pad (gate ? gate : demux, "sink");
  if (gst_pad_link (stream->src, in) != GST_PAD_LINK_OK)
    {
      g_set_error (error, TG_ERROR, TG_ERROR_FAILED, "%s: could not link",
                   stream->name);
      return FALSE;
    }
  g_signal_connect (demux, "pad-added", G_CALLBACK (demux_pad_added), stream);
  g_signal_connect (demux, "no-more-pads", G_CALLBACK (demux_no_more_pads),
                    stream);
  return TRUE;
}

/* The outputs come after the token: sinks open their files on the way to
 * READY, and a refused publisher must leave none. */
static gboolean
add_outputs (TgStream *stream, const TgStreamSpec *spec, GError **error)
{
  if (!tg_stream_add_files (stream, spec, error))
    return FALSE;
  stream->abr = tg_stream_abr_new (stream, spec);
  if (gst_element_set_state (stream->pipeline, GST_STATE_READY)
      != GST_STATE_CHANGE_FAILURE)
    return TRUE;
  *error = pop_error (stream->pipeline);
  if (*error == NULL)
    g_set_error (error, TG_ERROR, TG_ERROR_FAILED, "outputs did not start");
  return FALSE;
}

TgStream *
tg_stream_new (const TgStreamSpec *spec, TgStreamEnded ended,
               gpointer user_data, GError **error)
{
  TgStream *stream = g_new0 (TgStream, 1);
  g_autoptr (GstContext) context = NULL;
  g_autoptr (GError) refusal = NULL;

  stream->name = g_strdup_printf ("%s/%s", spec->app, spec->stream_id);
  stream->input = spec->input;
  stream->ingest = tg_ingest_check_new (spec->input == TG_STREAM_MPEGTS);
  stream->app = g_strdup (spec->app);
  stream->on_media_ready = spec->media_ready;
  stream->media_ready_data = spec->media_ready_data;
  stream->dir = g_strdup (spec->dir);
  stream->stream_id = g_strdup (spec->stream_id);
  stream->hls_delete = spec->hls_delete;
  stream->dash_delete = spec->dash_delete;
  stream->ended = ended;
  stream->user_data = user_data;
  stream->pipeline = gst_pipeline_new (stream->name);
  g_mutex_init (&stream->lock);
  g_mutex_init (&stream->viewers_lock);
  g_mutex_init (&stream->frames_lock);
  for (guint t = 0; t < TRACKS; t++)
    {
      g_mutex_init (&stream->meters[t].lock);
      stream->meters[t].first = stream->meters[t].last = GST_CLOCK_TIME_NONE;
    }
  stream->viewers
      = g_ptr_array_new_with_free_func ((GDestroyNotify) tg_viewer_unref);
  if (g_mkdir_with_parents (spec->dir, 0755) != 0)
    {
      g_set_error (error, TG_ERROR, TG_ERROR_FAILED, "Cannot create %s: %s",
                   spec->dir, g_strerror (errno));
      tg_stream_free (stream);
      return NULL;
    }
  if (spec->input == TG_STREAM_FRAMES
          ? !tg_stream_build_frames (stream, spec, error)
          : !build (stream, spec, error))
    {
      tg_stream_free (stream);
      return NULL;
    }
  /* tokencheck spends the token with the server's store, not its own. */
  context = gst_context_new (TG_STORE_CONTEXT_TYPE, TRUE);
  gst_structure_set (gst_context_writable_structure (context), "store",
                     TG_TYPE_STORE, spec->store, NULL);
  gst_element_set_context (stream->pipeline, context);
  if (gst_element_set_state (stream->pipeline, GST_STATE_READY)
      == GST_STATE_CHANGE_FAILURE)
    {
      refusal = pop_error (stream->pipeline);
      g_set_error (error, TG_ERROR, TG_ERROR_FORBIDDEN, "%s",
                   refusal ? refusal->message : "the pipeline did not start");
      tg_stream_free (stream);
      return NULL;
    }
  if (!add_outputs (stream, spec, error))
    {
      g_prefix_error (error, "%s: ", stream->name);
      tg_stream_free (stream);
      return NULL;
    }
  return stream;
}

static gint
now_s (void)
{
  return (gint) (g_get_monotonic_time () / G_USEC_PER_SEC) + 1;
}

gboolean
tg_stream_push_buffer (TgStream *stream, GstPad *pad, guint track,
                       GstBuffer *buffer)
{
  GstFlowReturn flow;

  g_atomic_int_set (&stream->pushing_since[track], now_s ());
  flow = gst_pad_push (pad, buffer);
  g_atomic_int_set (&stream->pushing_since[track], 0);
  return flow == GST_FLOW_OK;
}

static gboolean
watch (gpointer data)
{
  TgStream *stream = data;
  gint since = 0;
  g_autoptr (GError) error = NULL;

  for (guint t = 0; t < TRACKS; t++)
    if (g_atomic_int_get (&stream->pushing_since[t]))
      since = since ? MIN (since, stream->pushing_since[t])
                    : stream->pushing_since[t];
  if (since == 0 || now_s () - since < STUCK_S)
    return G_SOURCE_CONTINUE;
  error = g_error_new (TG_ERROR, TG_ERROR_FAILED,
                       "stuck for %d s: a track stopped coming", STUCK_S);
  g_mutex_lock (&stream->lock);
  stream->watchdog = 0;
  g_mutex_unlock (&stream->lock);
  g_message ("%s: %s: stopped", stream->name, error->message);
  end (stream, error);
  return G_SOURCE_REMOVE;
}

gboolean
tg_stream_start (TgStream *stream, GError **error)
{
  g_autoptr (GstBus) bus = gst_element_get_bus (stream->pipeline);
  GSource *watch_source = gst_bus_create_watch (bus);

  /* On the main context, whichever thread starts the stream (an HTTP
   * worker has a context of its own). */
  g_source_set_callback (watch_source, G_SOURCE_FUNC (bus_message), stream,
                         NULL);
  stream->bus_watch = g_source_attach (watch_source, NULL);
  g_source_unref (watch_source);
  g_mutex_lock (&stream->lock);
  if (!stream->done && !stream->watchdog)
    stream->watchdog = g_timeout_add_seconds (STUCK_S / 2, watch, stream);
  g_mutex_unlock (&stream->lock);
  if (gst_element_set_state (stream->pipeline, GST_STATE_PLAYING)
      == GST_STATE_CHANGE_FAILURE)
    {
      g_set_error (error, TG_ERROR, TG_ERROR_FAILED,
                   "%s: the pipeline did not start", stream->name);
      return FALSE;
    }
  if (stream->mux[OUT_MP4])
    tg_mp4mux_pin_caps (stream->mux[OUT_MP4], stream->name);
  return TRUE;
}

/* What flvdemux needs before the first bytes. */
static void
send_start (TgStream *stream)
{
  g_autoptr (GstCaps) caps
      = stream->input == TG_STREAM_MPEGTS
            ? gst_caps_new_simple ("video/mpegts", "systemstream",
                                   G_TYPE_BOOLEAN, TRUE, "packetsize",
                                   G_TYPE_INT, 188, NULL)
            : gst_caps_new_empty_simple ("video/x-flv");
  GstSegment segment;

  gst_segment_init (&segment, GST_FORMAT_BYTES);
  gst_pad_push_event (stream->src, gst_event_new_stream_start (stream->name));
  gst_pad_push_event (stream->src, gst_event_new_caps (caps));
  gst_pad_push_event (stream->src, gst_event_new_segment (&segment));
  stream->started = TRUE;
}

void
tg_stream_refuse (TgStream *stream, const char *format, ...)
{
  g_autoptr (GError) error = NULL;
  va_list args;

  g_atomic_int_set (&stream->refused, TRUE);
  va_start (args, format);
  error = g_error_new_valist (GST_STREAM_ERROR, GST_STREAM_ERROR_FORMAT, format,
                              args);
  va_end (args);
  gst_element_post_message (
      stream->pipeline,
      gst_message_new_error (GST_OBJECT (stream->pipeline), error, NULL));
}

guint64
tg_stream_get_bytes_in (TgStream *stream)
{
  return __atomic_load_n (&stream->bytes_in, __ATOMIC_RELAXED);
}

gboolean
tg_stream_push (TgStream *stream, GBytes *flv)
{
  gsize size = 0;
  const guint8 *data = g_bytes_get_data (flv, &size);
  const char *reason = NULL;
  GstBuffer *buffer;

  if (g_atomic_int_get (&stream->finished)
      || g_atomic_int_get (&stream->refused))
    {
      g_bytes_unref (flv);
      return FALSE;
    }
  __atomic_fetch_add (&stream->bytes_in, size, __ATOMIC_RELAXED);
  if (!tg_ingest_check_feed (stream->ingest, data, size, &reason))
    {
      tg_stream_refuse (stream, "Refused the publisher's stream: %s", reason);
      g_bytes_unref (flv);
      return FALSE;
    }
  if (!stream->started)
    send_start (stream);
  if (!stream->announced && size >= 5 && memcmp (data, "FLV", 3) == 0)
    {
      /* Flags: 0x04 audio, 0x01 video. */
      if (data[4] & 0x01)
        tg_stream_reserve_pads (stream, VIDEO);
      if (data[4] & 0x04)
        tg_stream_reserve_pads (stream, AUDIO);
      stream->announced = TRUE;
    }
  /* The buffer takes a reference of its own: drop the one given to us. */
  buffer = gst_buffer_new_wrapped_bytes (flv);
  g_bytes_unref (flv);
  return tg_stream_push_buffer (stream, stream->src, 0, buffer);
}

static gboolean
tracks_found (TgStream *stream)
{
  gboolean found;

  g_mutex_lock (&stream->viewers_lock);
  found = stream->tees[VIDEO] || stream->tees[AUDIO];
  g_mutex_unlock (&stream->viewers_lock);
  return found;
}

static gboolean
drain_timed_out (gpointer data)
{
  TgStream *stream = data;
  g_autoptr (GError) error = g_error_new (
      TG_ERROR, TG_ERROR_FAILED, "did not drain within %d s", DRAIN_TIMEOUT_S);

  g_mutex_lock (&stream->lock);
  stream->drain_timeout = 0;
  g_mutex_unlock (&stream->lock);
  g_message ("%s: %s: stopped", stream->name, error->message);
  end (stream, error);
  return G_SOURCE_REMOVE;
}

/* A track announced (its muxer pads reserved) that never came, as when a
 * publisher leaves before its first video frame: its pads go, so that the
 * muxers, which wait for every pad, finish with the others. Once nothing
 * more can come; the muxers have not started (they wait for every pad
 * before their first output). mp4mux keeps an empty track for a pad it
 * gave, which makes the file unreadable: that recording is dropped. */
static void
release_unfed (TgStream *stream)
{
  for (guint t = 0; t < TRACKS; t++)
    {
      gboolean found;

      g_mutex_lock (&stream->viewers_lock);
      found = stream->tees[t] != NULL;
      g_mutex_unlock (&stream->viewers_lock);
      if (found || !(g_atomic_int_get (&stream->announced_tracks) & (1u << t)))
        continue;
      g_info ("%s: the announced %s never came", stream->name,
              t == VIDEO ? "video" : "audio");
      stream->mp4_dropped = stream->pads[t][OUT_MP4] != NULL;
      for (guint o = 0; o < OUTPUTS; o++)
        if (stream->pads[t][o])
          {
            gst_element_release_request_pad (stream->mux[o],
                                             stream->pads[t][o]);
            gst_clear_object (&stream->pads[t][o]);
          }
    }
}

void
tg_stream_finish (TgStream *stream)
{
  if (g_atomic_int_exchange (&stream->finished, TRUE))
    return;
  g_mutex_lock (&stream->lock);
  if (!stream->done)
    stream->drain_timeout
        = g_timeout_add_seconds (DRAIN_TIMEOUT_S, drain_timed_out, stream);
  g_mutex_unlock (&stream->lock);
  /* A refused stream ends by its error, not by draining. Frames may still
   * be on their way (tg_stream_push_frame refuses them from now on), one
   * perhaps waiting in a muxer for a track that is not coming: it is let
   * through (release_unfed) before the tracks' ends go down. */
  if (stream->input == TG_STREAM_FRAMES)
    tg_stream_close_frames (stream);
  else
    {
      if (!stream->started)
        send_start (stream);
      if (!g_atomic_int_get (&stream->refused))
        gst_pad_push_event (stream->src, gst_event_new_eos ());
    }
  tg_stream_end_opus (stream);
  /* With no outputs there is no sink to say it is done: nothing to drain.
   * With no track found, nothing reaches them: nothing to wait for. */
  if (!stream->mux[OUT_HLS] && !stream->mux[OUT_MP4] && !stream->cmaf)
    gst_element_post_message (
        stream->pipeline, gst_message_new_eos (GST_OBJECT (stream->pipeline)));
  else if (!tracks_found (stream))
    tg_stream_refuse (stream,
                      "Refused the publisher's stream: it ended before any "
                      "media");
  else if (!g_atomic_int_get (&stream->refused))
    release_unfed (stream);
  if (stream->input == TG_STREAM_FRAMES && !g_atomic_int_get (&stream->refused))
    tg_stream_end_frames (stream);
}

void
tg_stream_free (TgStream *stream)
{
  if (stream == NULL)
    return;
  if (stream->bus_watch)
    g_source_remove (stream->bus_watch);
  if (stream->drain_timeout)
    g_source_remove (stream->drain_timeout);
  if (stream->watchdog)
    g_source_remove (stream->watchdog);
  gst_element_set_state (stream->pipeline, GST_STATE_NULL);
  gst_object_unref (stream->pipeline);
  tg_stream_abr_free (stream->abr);
  if (stream->src)
    {
      gst_pad_set_active (stream->src, FALSE);
      gst_object_unref (stream->src);
    }
  tg_stream_free_frames (stream);
  tg_stream_free_mux_outs (stream);
  tg_cmaf_free (stream->cmaf);
  g_mutex_clear (&stream->lock);
  g_mutex_clear (&stream->viewers_lock);
  g_mutex_clear (&stream->frames_lock);
  for (guint t = 0; t < TRACKS; t++)
    g_mutex_clear (&stream->meters[t].lock);
  g_ptr_array_unref (stream->viewers);
  g_free (stream->profile_level_id);
  for (guint f = 0; f < TG_VIEWER_FEEDS; f++)
    g_clear_pointer (&stream->gop[f], g_ptr_array_unref);
  gst_clear_object (&stream->opus_src);
  g_free (stream->app);
  for (guint t = 0; t < TRACKS; t++)
    if (stream->tees[t])
      gst_object_unref (stream->tees[t]);
  for (guint t = 0; t < TRACKS; t++)
    for (guint o = 0; o < OUTPUTS; o++)
      if (stream->pads[t][o])
        gst_object_unref (stream->pads[t][o]);
  tg_ingest_check_free (stream->ingest);
  g_free (stream->mp4_part);
  g_free (stream->mp4_final);
  g_free (stream->dir);
  g_free (stream->stream_id);
  g_free (stream->name);
  g_free (stream);
}

const char *
tg_stream_get_recording (TgStream *stream)
{
  return stream->mux[OUT_MP4] && stream->done ? stream->mp4_final : NULL;
}
