/* The adaptive-bitrate ladder (PROTOCOL.md 4): the stream's video decoded
 * once, then for each rung lower than the source scaled, encoded by x264
 * with a key frame wherever the source has one, with the audio re-encoded
 * to AAC at the rung's bitrate, into mpegtsmux ! hlssink as
 * {id}_{h}p{kbps}kbps.m3u8. The source stays a variant as {id}.m3u8 (as
 * Ant Media's addOriginalMuxerIntoHLSPlaylist), and {id}_adaptive.m3u8
 * lists every variant once their sizes and codecs are known.
 *
 * The ladder runs in a pipeline of its own, fed from the stream's tees
 * through appsrc: what fails there (a decoder choking on what a publisher
 * sent) stops the ladder, said once, never the stream; and a ladder that
 * falls behind loses frames (video up to its next key frame) rather than
 * hold the publisher back. Here: its life, what feeds it, the decoded
 * tracks; the rungs and the master playlist: tg-stream-abr-rungs.c. */
#include "tg-stream-abr-private.h"

#include "tg-abr-files.h"

#include <glib/gstdio.h>
#include <gst/app/gstappsrc.h>
#include <gst/video/video.h>

/* Most media the ladder may have waiting (a moment's load on the machine,
 * two default segments): past it, frames are dropped. */
#define BACKLOG (4 * GST_SECOND)
#define BACKLOG_BYTES (64 * 1024 * 1024)
/* Longest wait for the ladder to drain once the stream's tracks end. */
#define DRAIN_US (5 * G_USEC_PER_SEC)
#define DEFAULT_AUDIO_BITRATE 64000
/* Source key frames the decoder may hold before it outputs them. */
#define MAX_KEYS 64

typedef struct
{
  TgStreamAbr *abr;
  guint track;
} Feed;

static const char *const needed[] = {
  "appsrc",       "h264parse",     "avdec_h264", "videoscale",
  "capsfilter",   "x264enc",       "mpegtsmux",  "hlssink",
  "queue",        "tee",           "aacparse",   "avdec_aac",
  "audioconvert", "audioresample", "avenc_aac",  NULL,
};

static void
rung_free (TgAbrRung *rung)
{
  g_free (rung->name);
  g_free (rung->codec);
  gst_clear_object (&rung->audio_pad);
  g_free (rung);
}

static void
set_drained (TgStreamAbr *abr)
{
  g_mutex_lock (&abr->wait_lock);
  abr->drained = TRUE;
  g_cond_broadcast (&abr->drained_cond);
  g_mutex_unlock (&abr->wait_lock);
}

/* Any thread: the ladder's messages never reach a main loop. */
static GstBusSyncReply
bus_sync (GstBus *bus, GstMessage *message, gpointer data)
{
  TgStreamAbr *abr = data;
  g_autoptr (GError) error = NULL;
  g_autofree char *debug = NULL;

  switch (GST_MESSAGE_TYPE (message))
    {
    case GST_MESSAGE_ERROR:
      if (!g_atomic_int_exchange (&abr->failed, TRUE))
        {
          gst_message_parse_error (message, &error, &debug);
          g_message ("%s: ABR ladder stopped: %s (%s)", abr->stream->name,
                     error->message, debug ? debug : "");
        }
      set_drained (abr);
      break;
    case GST_MESSAGE_EOS:
      set_drained (abr);
      break;
    default:
      break;
    }
  return GST_BUS_DROP;
}

/* --- the decoded tracks --- */

/* Before the video decoder: the source's codec, and its key frames. */
static GstPadProbeReturn
to_decoder (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  TgStreamAbr *abr = data;

  if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_BUFFER)
    {
      GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER (info);
      GstClockTime pts = GST_BUFFER_PTS (buffer);

      if (GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_DELTA_UNIT)
          || !GST_CLOCK_TIME_IS_VALID (pts))
        return GST_PAD_PROBE_OK;
      g_mutex_lock (&abr->lock);
      if (abr->keys->len == MAX_KEYS)
        g_array_remove_index (abr->keys, 0);
      g_array_append_val (abr->keys, pts);
      g_mutex_unlock (&abr->lock);
    }
  else if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) == GST_EVENT_CAPS)
    tg_abr_note_codec (abr, GST_PAD_PROBE_INFO_EVENT (info), &abr->codec);
  return GST_PAD_PROBE_OK;
}

/* Asks every rung's encoder for a key frame at the next frame, this one.
 * With no running time ("as soon as possible"): x264enc's output times are
 * 1000 hours ahead of its input's (room for negative DTS), and a time from
 * the input would be found in its past. */
static void
force_key_unit (GstPad *pad, GstClockTime pts)
{
  gst_pad_push_event (
      pad, gst_video_event_new_downstream_force_key_unit (
               pts, GST_CLOCK_TIME_NONE, GST_CLOCK_TIME_NONE, FALSE, 0));
}

/* After the video decoder: the rungs are made on its first caps, and a
 * frame that was a key frame in the source is one in every rung. The
 * frames come in presentation order: the first at or after a source key
 * frame's time is that key frame. */
static GstPadProbeReturn
decoded (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  TgStreamAbr *abr = data;
  GstClockTime pts;
  gboolean key = FALSE;

  if (!(GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_BUFFER))
    {
      GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
      GstCaps *caps;

      if (GST_EVENT_TYPE (event) == GST_EVENT_CAPS)
        {
          gst_event_parse_caps (event, &caps);
          tg_abr_decide (abr, caps);
        }
      return GST_PAD_PROBE_OK;
    }
  pts = GST_BUFFER_PTS (GST_PAD_PROBE_INFO_BUFFER (info));
  if (!GST_CLOCK_TIME_IS_VALID (pts))
    return GST_PAD_PROBE_OK;
  g_mutex_lock (&abr->lock);
  while (abr->keys->len && g_array_index (abr->keys, GstClockTime, 0) <= pts)
    {
      g_array_remove_index (abr->keys, 0);
      key = TRUE;
    }
  g_mutex_unlock (&abr->lock);
  if (key)
    force_key_unit (pad, pts);
  return GST_PAD_PROBE_OK;
}

static GstElement *
make_src (void)
{
  GstElement *src = tg_abr_make ("appsrc");

  if (src)
    g_object_set (src, "format", GST_FORMAT_TIME, "handle-segment-change", TRUE,
                  "max-bytes", (guint64) 0, "block", FALSE, NULL);
  return src;
}

/* appsrc ! h264parse ! avc ! avdec_h264 ! tee. Locked. */
static gboolean
add_video (TgStreamAbr *abr)
{
  GstElement *chain[] = {
    make_src (),
    tg_abr_make ("h264parse"),
    tg_abr_make_caps ("video/x-h264,stream-format=avc,alignment=au"),
    tg_abr_make ("avdec_h264"),
    tg_abr_make ("tee"),
  };
  g_autoptr (GstPad) in = NULL;
  g_autoptr (GstPad) out = NULL;

  if (!tg_abr_add_chain (abr, chain, G_N_ELEMENTS (chain)))
    return FALSE;
  /* bad frames are the publisher's: the decoder goes on */
  g_object_set (chain[3], "max-errors", -1, NULL);
  g_object_set (chain[4], "allow-not-linked", TRUE, NULL);
  in = gst_element_get_static_pad (chain[3], "sink");
  gst_pad_add_probe (
      in, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      to_decoder, abr, NULL);
  out = gst_element_get_static_pad (chain[3], "src");
  gst_pad_add_probe (
      out, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      decoded, abr, NULL);
  abr->src[VIDEO] = chain[0];
  abr->tee[VIDEO] = chain[4];
  tg_abr_start_chain (chain, G_N_ELEMENTS (chain));
  return TRUE;
}

/* appsrc ! aacparse ! avdec_aac ! audioconvert ! audioresample ! tee,
 * linked to the rungs already made. Locked. */
static gboolean
add_audio (TgStreamAbr *abr)
{
  GstElement *chain[] = {
    make_src (),
    tg_abr_make ("aacparse"),
    tg_abr_make ("avdec_aac"),
    tg_abr_make ("audioconvert"),
    tg_abr_make ("audioresample"),
    tg_abr_make ("tee"),
  };

  if (!tg_abr_add_chain (abr, chain, G_N_ELEMENTS (chain)))
    return FALSE;
  g_object_set (chain[5], "allow-not-linked", TRUE, NULL);
  abr->src[AUDIO] = chain[0];
  abr->tee[AUDIO] = chain[5];
  for (guint i = 0; i < abr->rungs->len; i++)
    {
      TgAbrRung *rung = abr->rungs->pdata[i];

      if (rung->audio_pad)
        tg_abr_link_audio (abr, rung);
    }
  tg_abr_start_chain (chain, G_N_ELEMENTS (chain));
  return TRUE;
}

/* --- feeding --- */

/* Whether this buffer goes to the ladder: not once it has failed or has
 * found no rung to make, no audio before there are rungs to take it, and
 * nothing while it lags (the video then resumes at a key frame). */
static gboolean
wanted (TgStreamAbr *abr, guint track, GstBuffer *buffer)
{
  GstAppSrc *src = GST_APP_SRC (abr->src[track]);

  if (g_atomic_int_get (&abr->failed) || g_atomic_int_get (&abr->idle)
      || (track == AUDIO && (!abr->hls || !g_atomic_int_get (&abr->made))))
    return FALSE;
  if (gst_app_src_get_current_level_time (src) >= BACKLOG
      || gst_app_src_get_current_level_bytes (src) >= BACKLOG_BYTES)
    {
      if (!g_atomic_int_exchange (&abr->lagging, TRUE))
        g_message ("%s: the ABR ladder falls behind: frames dropped",
                   abr->stream->name);
      abr->skipping[track] = TRUE;
      return FALSE;
    }
  if (abr->skipping[track] && track == VIDEO
      && GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_DELTA_UNIT))
    return FALSE;
  abr->skipping[track] = FALSE;
  return TRUE;
}

/* Muxer pads for audio that never came: the muxers finish without it. */
static void
release_unfed (TgStreamAbr *abr)
{
  for (guint i = 0; i < abr->rungs->len; i++)
    {
      TgAbrRung *rung = abr->rungs->pdata[i];

      if (rung->audio_pad == NULL)
        continue;
      gst_element_release_request_pad (rung->mux, rung->audio_pad);
      gst_clear_object (&rung->audio_pad);
    }
}

/* The track has ended: once all have, the stream waits (on its streaming
 * thread, so its own end comes after) for the ladder to drain, its
 * playlists ended. */
static void
track_ended (TgStreamAbr *abr, guint track)
{
  gboolean wait;
  gint64 deadline = g_get_monotonic_time () + DRAIN_US;

  gst_app_src_end_of_stream (GST_APP_SRC (abr->src[track]));
  g_mutex_lock (&abr->lock);
  abr->ended |= 1u << track;
  wait = abr->ended == abr->fed && abr->rungs->len > 0;
  if (abr->ended == abr->fed)
    release_unfed (abr);
  g_mutex_unlock (&abr->lock);
  if (!wait)
    return;
  g_mutex_lock (&abr->wait_lock);
  while (!abr->drained
         && g_cond_wait_until (&abr->drained_cond, &abr->wait_lock, deadline))
    ;
  if (!abr->drained)
    g_message ("%s: the ABR ladder did not drain", abr->stream->name);
  g_mutex_unlock (&abr->wait_lock);
}

/* On the stream's tee: its buffers, with their caps and segment, into the
 * ladder's appsrc. */
static GstPadProbeReturn
feed (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  Feed *feed = data;
  TgStreamAbr *abr = feed->abr;
  GstBuffer *buffer;
  g_autoptr (GstCaps) caps = NULL;
  g_autoptr (GstEvent) event = NULL;
  g_autoptr (GstSample) sample = NULL;
  const GstSegment *segment = NULL;

  if (!(GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_BUFFER))
    {
      if (GST_EVENT_TYPE (GST_PAD_PROBE_INFO_EVENT (info)) == GST_EVENT_EOS)
        track_ended (abr, feed->track);
      return GST_PAD_PROBE_OK;
    }
  buffer = GST_PAD_PROBE_INFO_BUFFER (info);
  if (!wanted (abr, feed->track, buffer))
    return GST_PAD_PROBE_OK;
  caps = gst_pad_get_current_caps (pad);
  event = gst_pad_get_sticky_event (pad, GST_EVENT_SEGMENT, 0);
  if (event)
    gst_event_parse_segment (event, &segment);
  sample = gst_sample_new (buffer, caps, segment, NULL);
  gst_app_src_push_sample (GST_APP_SRC (abr->src[feed->track]), sample);
  return GST_PAD_PROBE_OK;
}

void
tg_stream_abr_watch (TgStreamAbr *abr, guint track, GstPad *pad)
{
  Feed *data;
  gboolean added;

  if (abr == NULL)
    return;
  g_mutex_lock (&abr->lock);
  added = abr->src[track] == NULL
          && (track == VIDEO ? add_video (abr) : add_audio (abr));
  if (added)
    abr->fed |= 1u << track;
  if (added && !abr->playing)
    abr->playing = gst_element_set_state (abr->pipeline, GST_STATE_PLAYING)
                   != GST_STATE_CHANGE_FAILURE;
  g_mutex_unlock (&abr->lock);
  if (!added)
    {
      g_message ("%s: the ABR ladder does without the %s", abr->stream->name,
                 track == VIDEO ? "video" : "audio");
      return;
    }
  data = g_new (Feed, 1);
  *data = (Feed){ abr, track };
  gst_pad_add_probe (
      pad, GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM,
      feed, data, g_free);
}

/* --- life --- */

TgStreamAbr *
tg_stream_abr_new (TgStream *stream, const TgStreamSpec *spec)
{
  g_autofree char *name = NULL;
  g_autoptr (GstBus) bus = NULL;
  TgStreamAbr *abr;

  if ((!spec->hls && !spec->dash) || spec->n_rungs == 0)
    return NULL;
  for (guint i = 0; needed[i]; i++)
    {
      g_autoptr (GstElementFactory) factory
          = gst_element_factory_find (needed[i]);

      if (factory == NULL)
        {
          g_message ("%s: no ABR ladder: GStreamer element %s is missing",
                     stream->name, needed[i]);
          return NULL;
        }
    }
  abr = g_new0 (TgStreamAbr, 1);
  abr->stream = stream;
  abr->master
      = g_strdup_printf ("%s/%s_adaptive.m3u8", stream->dir, stream->stream_id);
  abr->hls = spec->hls;
  abr->hls_time = spec->hls_time;
  abr->hls_list_size = spec->hls_list_size;
  g_mutex_init (&abr->lock);
  g_mutex_init (&abr->wait_lock);
  g_cond_init (&abr->drained_cond);
  abr->keys = g_array_new (FALSE, FALSE, sizeof (GstClockTime));
  abr->ladder = g_ptr_array_new_with_free_func ((GDestroyNotify) rung_free);
  abr->rungs = g_ptr_array_new ();
  for (guint i = 0; i < spec->n_rungs; i++)
    {
      TgAbrRung *rung = g_new0 (TgAbrRung, 1);

      rung->abr = abr;
      rung->spec = spec->rungs[i];
      if (rung->spec.audio_bitrate <= 0)
        rung->spec.audio_bitrate = DEFAULT_AUDIO_BITRATE;
      rung->name = g_strdup_printf ("%s_%dp%dkbps", stream->stream_id,
                                    rung->spec.height,
                                    rung->spec.video_bitrate / 1000);
      g_ptr_array_add (abr->ladder, rung);
    }
  name = g_strdup_printf ("%s/abr", stream->name);
  abr->pipeline = gst_pipeline_new (name);
  /* no clock: it goes at the pace its media comes */
  gst_pipeline_use_clock (GST_PIPELINE (abr->pipeline), NULL);
  bus = gst_element_get_bus (abr->pipeline);
  gst_bus_set_sync_handler (bus, bus_sync, abr, NULL);
  return abr;
}

static void
delete_files (TgStreamAbr *abr)
{
  g_autofree const char **names = g_new0 (const char *, abr->rungs->len + 1);

  for (guint i = 0; i < abr->rungs->len; i++)
    names[i] = ((TgAbrRung *) abr->rungs->pdata[i])->name;
  tg_abr_delete_files (abr->stream->dir, names);
  g_remove (abr->master);
}

void
tg_stream_abr_end (TgStreamAbr *abr, gboolean delete_files_too)
{
  if (abr == NULL)
    return;
  set_drained (abr); /* a track waiting for it waits no more */
  gst_element_set_state (abr->pipeline, GST_STATE_NULL);
  if (delete_files_too)
    delete_files (abr);
}

void
tg_stream_abr_free (TgStreamAbr *abr)
{
  if (abr == NULL)
    return;
  gst_element_set_state (abr->pipeline, GST_STATE_NULL);
  gst_object_unref (abr->pipeline);
  g_ptr_array_unref (abr->rungs);
  g_ptr_array_unref (abr->ladder);
  g_array_unref (abr->keys);
  g_free (abr->codec);
  g_free (abr->master);
  g_mutex_clear (&abr->lock);
  g_mutex_clear (&abr->wait_lock);
  g_cond_clear (&abr->drained_cond);
  g_free (abr);
}
