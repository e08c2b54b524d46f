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
 * hold the publisher back. */
#include "tg-stream-abr.h"

#include "tg-stream-private.h"

#include <glib/gstdio.h>
#include <gst/app/gstappsrc.h>
#include <gst/video/video.h>

/* Most media the ladder may have waiting: past it, frames are dropped. */
#define BACKLOG (2 * GST_SECOND)
#define BACKLOG_BYTES (64 * 1024 * 1024)
/* Longest wait for the ladder to drain once the stream's tracks end. */
#define DRAIN_US (5 * G_USEC_PER_SEC)
/* Key frame interval when the source's are further apart (seconds). */
#define KEY_INT_S 10
#define DEFAULT_AUDIO_BITRATE 64000
/* Source key frames the decoder may hold before it outputs them. */
#define MAX_KEYS 64
#define SEGMENT_DIGITS 9

typedef struct
{
  TgStreamAbr *abr;
  TgStreamRung spec;
  char *name;         /* {id}_{h}p{kbps}kbps */
  gint width, height; /* as encoded */
  char *codec;        /* its H.264 profile-level-id, once encoded */
  GstElement *mux;    /* mpegtsmux */
  GstPad *audio_pad;  /* the muxer's, while no audio is linked to it */
  gboolean audio;     /* it has an audio track */
} Rung;

struct _TgStreamAbr
{
  TgStream *stream;
  char *master; /* {dir}/{id}_adaptive.m3u8 */
  double hls_time;
  guint hls_list_size;
  GstElement *pipeline;
  GMutex lock;             /* for what follows, up to the atomics */
  GPtrArray *ladder;       /* Rung, as asked */
  GPtrArray *rungs;        /* the rungs made (from ladder) */
  GstElement *src[TRACKS]; /* appsrc, once the track has come */
  GstElement *tee[TRACKS]; /* the track decoded */
  gboolean playing;
  gboolean decided;          /* the source's size is known: rungs made */
  gint width, height;        /* the source's */
  char *codec;               /* the source's profile-level-id */
  GArray *keys;              /* times of source key frames not yet decoded */
  guint fed, ended;          /* tracks (1 << track) fed, and ended */
  gboolean skipping[TRACKS]; /* each track's own thread */
  gint failed;               /* atomic: an error stopped the ladder */
  gint idle;                 /* atomic: no rung to make */
  gint lagging;              /* atomic: it fell behind (said once) */
  gint master_written;       /* atomic */
  GMutex wait_lock;          /* for the two below */
  GCond drained_cond;
  gboolean drained; /* ended (EOS or error), or stopped */
};

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
rung_free (Rung *rung)
{
  g_free (rung->name);
  g_free (rung->codec);
  gst_clear_object (&rung->audio_pad);
  g_free (rung);
}

/* The elements of a chain, made, added and linked in order; FALSE if one
 * is missing (then none is added), or does not link. */
static gboolean
add_chain (TgStreamAbr *abr, GstElement **chain, guint n)
{
  for (guint i = 0; i < n; i++)
    if (chain[i] == NULL)
      {
        for (guint j = 0; j < n; j++)
          if (chain[j])
            gst_object_unref (gst_object_ref_sink (chain[j]));
        return FALSE;
      }
  for (guint i = 0; i < n; i++)
    gst_bin_add (GST_BIN (abr->pipeline), chain[i]);
  for (guint i = 0; i + 1 < n; i++)
    if (!gst_element_link (chain[i], chain[i + 1]))
      return FALSE;
  return TRUE;
}

/* Sinks first, so that nothing flows into an element that is not ready. */
static void
start_chain (GstElement **chain, guint n)
{
  for (guint i = n; i > 0; i--)
    gst_element_sync_state_with_parent (chain[i - 1]);
}

static GstElement *
make (const char *factory)
{
  return gst_element_factory_make (factory, NULL);
}

static GstElement *
make_caps (const char *description)
{
  GstElement *filter = make ("capsfilter");
  g_autoptr (GstCaps) caps = gst_caps_from_string (description);

  if (filter)
    g_object_set (filter, "caps", caps, NULL);
  return filter;
}

/* Links a new branch of tee to the sink pad of first. */
static gboolean
link_tee (GstElement *tee, GstElement *first)
{
  g_autoptr (GstPad) from = gst_element_request_pad_simple (tee, "src_%u");
  g_autoptr (GstPad) to = gst_element_get_static_pad (first, "sink");

  return gst_pad_link (from, to) == GST_PAD_LINK_OK;
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

/* --- the master playlist --- */

typedef struct
{
  gint64 bandwidth;
  gint width, height;
  const char *codec;
  gboolean audio;
  char *uri;
} Variant;

static gint
by_bandwidth (gconstpointer a, gconstpointer b)
{
  const Variant *x = a, *y = b;

  if (x->bandwidth != y->bandwidth)
    return x->bandwidth > y->bandwidth ? -1 : 1;
  return y->height - x->height;
}

static void
variant_clear (Variant *variant)
{
  g_free (variant->uri);
}

/* Writes {id}_adaptive.m3u8 once every variant's size and codec are known
 * and the source has been measured; whole or not at all (a temporary file
 * renamed). Called with the lock held. */
static void
write_master (TgStreamAbr *abr, gint64 source_bandwidth)
{
  g_autoptr (GArray) variants = g_array_new (FALSE, TRUE, sizeof (Variant));
  g_autoptr (GString) text = g_string_new ("#EXTM3U\n#EXT-X-VERSION:3\n");
  g_autoptr (GError) error = NULL;
  Variant source = {
    .bandwidth = source_bandwidth,
    .width = abr->width,
    .height = abr->height,
    .codec = abr->codec,
    .audio = (abr->fed & (1u << AUDIO)) != 0,
    .uri = g_strdup_printf ("%s.m3u8", abr->stream->stream_id),
  };

  g_array_set_clear_func (variants, (GDestroyNotify) variant_clear);
  g_array_append_val (variants, source);
  for (guint i = 0; i < abr->rungs->len; i++)
    {
      Rung *rung = abr->rungs->pdata[i];
      Variant variant = {
        .bandwidth = rung->spec.video_bitrate
                     + (rung->audio ? rung->spec.audio_bitrate : 0),
        .width = rung->width,
        .height = rung->height,
        .codec = rung->codec,
        .audio = rung->audio,
        .uri = g_strdup_printf ("%s.m3u8", rung->name),
      };

      g_array_append_val (variants, variant);
    }
  g_array_sort (variants, by_bandwidth);
  for (guint i = 0; i < variants->len; i++)
    {
      Variant *v = &g_array_index (variants, Variant, i);

      g_string_append_printf (text,
                              "#EXT-X-STREAM-INF:BANDWIDTH=%" G_GINT64_FORMAT
                              ",RESOLUTION=%dx%d,CODECS=\"avc1.%s%s\"\n%s\n",
                              v->bandwidth, v->width, v->height, v->codec,
                              v->audio ? ",mp4a.40.2" : "", v->uri);
    }
  if (!g_file_set_contents_full (abr->master, text->str, text->len,
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0644, &error))
    g_message ("%s: %s", abr->stream->name, error->message);
}

/* On an encoder's thread, until the master is written. */
static void
try_master (TgStreamAbr *abr)
{
  TgStreamInfo info;
  gboolean ready;

  tg_stream_get_info (abr->stream, &info);
  if (info.video_bitrate <= 0)
    return; /* the source not measured yet */
  g_mutex_lock (&abr->lock);
  ready = abr->codec && !g_atomic_int_get (&abr->master_written);
  for (guint i = 0; ready && i < abr->rungs->len; i++)
    ready = ((Rung *) abr->rungs->pdata[i])->codec != NULL;
  if (ready)
    {
      write_master (abr, info.video_bitrate + info.audio_bitrate);
      g_atomic_int_set (&abr->master_written, TRUE);
    }
  g_mutex_unlock (&abr->lock);
}

/* --- rungs --- */

/* What leaves a rung's encoder: its codec is noted, and its key-unit
 * events go no further, either way: the rung's key frames are the
 * source's (force_key_units), and hlssink's requests for one are answered
 * by h264parse at the next of them, as in the source's own HLS. */
static GstPadProbeReturn
encoded (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  Rung *rung = data;
  TgStreamAbr *abr = rung->abr;
  GstEvent *event;

  if (GST_PAD_PROBE_INFO_TYPE (info) & GST_PAD_PROBE_TYPE_BUFFER)
    {
      if (!g_atomic_int_get (&abr->master_written))
        try_master (abr);
      return GST_PAD_PROBE_OK;
    }
  event = GST_PAD_PROBE_INFO_EVENT (info);
  if (gst_video_event_is_force_key_unit (event))
    return GST_PAD_PROBE_DROP;
  if (GST_EVENT_TYPE (event) == GST_EVENT_CAPS)
    {
      GstCaps *caps;
      char *codec;

      gst_event_parse_caps (event, &caps);
      codec = tg_stream_profile_level_id (gst_caps_get_structure (caps, 0));
      g_mutex_lock (&abr->lock);
      g_free (rung->codec);
      rung->codec = codec;
      g_mutex_unlock (&abr->lock);
    }
  return GST_PAD_PROBE_OK;
}

/* The rung's audio: queue ! avenc_aac into its muxer's pad. Locked. */
static void
link_audio (TgStreamAbr *abr, Rung *rung)
{
  GstElement *chain[] = { make ("queue"), make ("avenc_aac") };
  g_autoptr (GstPad) out = NULL;

  if (!add_chain (abr, chain, G_N_ELEMENTS (chain)))
    return;
  g_object_set (chain[1], "bitrate", rung->spec.audio_bitrate, NULL);
  out = gst_element_get_static_pad (chain[1], "src");
  if (gst_pad_link (out, rung->audio_pad) != GST_PAD_LINK_OK
      || !link_tee (abr->tee[AUDIO], chain[0]))
    g_message ("%s: %s: could not link its audio", abr->stream->name,
               rung->name);
  gst_clear_object (&rung->audio_pad);
  start_chain (chain, G_N_ELEMENTS (chain));
}

static void
set_encoder (GstElement *encoder, const TgStreamRung *spec, gint fps)
{
  gst_util_set_object_arg (G_OBJECT (encoder), "speed-preset", "veryfast");
  gst_util_set_object_arg (G_OBJECT (encoder), "tune", "zerolatency");
  g_object_set (encoder, "bitrate", (guint) MAX (1, spec->video_bitrate / 1000),
                "bframes", 0, "key-int-max", (guint) MAX (1, fps) * KEY_INT_S,
                /* key frames where the source has them, and nowhere else */
                "option-string", "scenecut=0", NULL);
}

/* queue ! videoscale ! WxH ! x264enc ! avc ! h264parse ! mpegtsmux !
 * hlssink, from the decoded video's tee. Locked, on the decoder's thread
 * before its first frame. */
static gboolean
make_rung (TgStreamAbr *abr, Rung *rung, gint fps)
{
  TgStream *stream = abr->stream;
  g_autofree char *size = g_strdup_printf (
      "video/x-raw,width=%d,height=%d,pixel-aspect-ratio=1/1", rung->width,
      rung->height);
  GstElement *chain[] = {
    make ("queue"),
    make ("videoscale"),
    make_caps (size),
    make ("x264enc"),
    make_caps ("video/x-h264,stream-format=avc,alignment=au"),
    make ("h264parse"),
    make ("mpegtsmux"),
    make ("hlssink"),
  };
  g_autofree char *segments = NULL;
  g_autofree char *playlist = NULL;
  g_autoptr (GstPad) out = NULL;

  if (!add_chain (abr, chain, G_N_ELEMENTS (chain)))
    return FALSE;
  set_encoder (chain[3], &rung->spec, fps);
  g_object_set (chain[5], "config-interval", -1, NULL);
  segments = g_strdup_printf ("%s/%s%%0%dd.ts", stream->dir, rung->name,
                              SEGMENT_DIGITS);
  playlist = g_strdup_printf ("%s/%s.m3u8", stream->dir, rung->name);
  g_object_set (chain[7], "location", segments, "playlist-location", playlist,
                "target-duration", (guint) MAX (1, abr->hls_time + 0.5),
                "playlist-length", abr->hls_list_size, "max-files",
                abr->hls_list_size + 2, NULL);
  out = gst_element_get_static_pad (chain[3], "src");
  gst_pad_add_probe (out,
                     GST_PAD_PROBE_TYPE_BUFFER
                         | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM
                         | GST_PAD_PROBE_TYPE_EVENT_UPSTREAM,
                     encoded, rung, NULL);
  rung->mux = chain[6];
  /* The muxer waits for every pad it has before its first output. */
  rung->audio = (g_atomic_int_get (&stream->announced_tracks) & (1u << AUDIO))
                || abr->tee[AUDIO];
  if (rung->audio)
    rung->audio_pad = gst_element_request_pad_simple (rung->mux, "sink_%d");
  if (!link_tee (abr->tee[VIDEO], chain[0]))
    return FALSE;
  start_chain (chain, G_N_ELEMENTS (chain));
  if (rung->audio && abr->tee[AUDIO])
    link_audio (abr, rung);
  return TRUE;
}

static gboolean
made (TgStreamAbr *abr, const char *name)
{
  for (guint i = 0; i < abr->rungs->len; i++)
    if (g_str_equal (((Rung *) abr->rungs->pdata[i])->name, name))
      return TRUE;
  return FALSE;
}

/* The decoded video's first caps: the source's size, hence the rungs,
 * each lower than the source (Ant Media encodes none at or above it). */
static void
decide (TgStreamAbr *abr, GstCaps *caps)
{
  GstVideoInfo video;
  gint fps, width;

  if (!gst_video_info_from_caps (&video, caps))
    return;
  fps = video.fps_d ? video.fps_n / video.fps_d : 0;
  /* what is shown: the width the pixels' aspect ratio makes */
  width = (gint) gst_util_uint64_scale_int (video.width, video.par_n,
                                            MAX (1, video.par_d));
  g_mutex_lock (&abr->lock);
  if (!abr->decided)
    {
      abr->decided = TRUE;
      abr->width = width;
      abr->height = video.height;
      for (guint i = 0; i < abr->ladder->len; i++)
        {
          Rung *rung = abr->ladder->pdata[i];

          if (rung->spec.height >= abr->height || made (abr, rung->name))
            {
              g_info ("%s: rung %s not made (the source is %dx%d)",
                      abr->stream->name, rung->name, width, video.height);
              continue;
            }
          /* even sizes (4:2:0), the source's aspect ratio */
          rung->height = MAX (2, rung->spec.height & ~1);
          rung->width = MAX (2, (gint) gst_util_uint64_scale_int_round (
                                    width, rung->height, 2 * video.height)
                                    * 2);
          if (make_rung (abr, rung, fps))
            g_ptr_array_add (abr->rungs, rung);
          else
            g_message ("%s: rung %s could not be made", abr->stream->name,
                       rung->name);
        }
      g_atomic_int_set (&abr->idle, abr->rungs->len == 0);
    }
  g_mutex_unlock (&abr->lock);
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
    {
      GstCaps *caps;
      char *codec;

      gst_event_parse_caps (GST_PAD_PROBE_INFO_EVENT (info), &caps);
      codec = tg_stream_profile_level_id (gst_caps_get_structure (caps, 0));
      g_mutex_lock (&abr->lock);
      g_free (abr->codec);
      abr->codec = codec;
      g_mutex_unlock (&abr->lock);
    }
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
          decide (abr, caps);
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
  GstElement *src = make ("appsrc");

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
    make ("h264parse"),
    make_caps ("video/x-h264,stream-format=avc,alignment=au"),
    make ("avdec_h264"),
    make ("tee"),
  };
  g_autoptr (GstPad) in = NULL;
  g_autoptr (GstPad) out = NULL;

  if (!add_chain (abr, chain, G_N_ELEMENTS (chain)))
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
  start_chain (chain, G_N_ELEMENTS (chain));
  return TRUE;
}

/* appsrc ! aacparse ! avdec_aac ! audioconvert ! audioresample ! tee,
 * linked to the rungs already made. Locked. */
static gboolean
add_audio (TgStreamAbr *abr)
{
  GstElement *chain[] = {
    make_src (),           make ("aacparse"),      make ("avdec_aac"),
    make ("audioconvert"), make ("audioresample"), make ("tee"),
  };

  if (!add_chain (abr, chain, G_N_ELEMENTS (chain)))
    return FALSE;
  g_object_set (chain[5], "allow-not-linked", TRUE, NULL);
  abr->src[AUDIO] = chain[0];
  abr->tee[AUDIO] = chain[5];
  for (guint i = 0; i < abr->rungs->len; i++)
    {
      Rung *rung = abr->rungs->pdata[i];

      if (rung->audio_pad)
        link_audio (abr, rung);
    }
  start_chain (chain, G_N_ELEMENTS (chain));
  return TRUE;
}

/* --- feeding --- */

/* Whether this buffer goes to the ladder: not once it has failed, nor
 * while it lags (the video then resumes at a key frame). */
static gboolean
wanted (TgStreamAbr *abr, guint track, GstBuffer *buffer)
{
  GstAppSrc *src = GST_APP_SRC (abr->src[track]);

  if (g_atomic_int_get (&abr->failed) || g_atomic_int_get (&abr->idle))
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
      Rung *rung = abr->rungs->pdata[i];

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

  if (!spec->hls || spec->n_rungs == 0)
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
      Rung *rung = g_new0 (Rung, 1);

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

/* name's files: {name}.m3u8 and {name}%09d.ts. */
static gboolean
is_file_of (const char *file, const char *name)
{
  const char *rest;

  if (!g_str_has_prefix (file, name))
    return FALSE;
  rest = file + strlen (name);
  return g_str_equal (rest, ".m3u8")
         || (strspn (rest, "0123456789") == SEGMENT_DIGITS
             && g_str_equal (rest + SEGMENT_DIGITS, ".ts"));
}

static void
delete_files (TgStreamAbr *abr)
{
  g_autoptr (GDir) dir = g_dir_open (abr->stream->dir, 0, NULL);
  const char *file;

  g_remove (abr->master);
  while (dir && (file = g_dir_read_name (dir)))
    for (guint i = 0; i < abr->rungs->len; i++)
      if (is_file_of (file, ((Rung *) abr->rungs->pdata[i])->name))
        {
          g_autofree char *path
              = g_build_filename (abr->stream->dir, file, NULL);

          g_remove (path);
          break;
        }
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
