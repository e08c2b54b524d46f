/* The rungs of an ABR ladder (tg-stream-abr.c): each scaled from the
 * decoded video, encoded by x264 with the source's key frames, its audio
 * encoded to AAC, into mpegtsmux ! hlssink; and the master playlist that
 * lists them with the source, once their codecs are known. */
#include "tg-stream-abr-private.h"

#include "tg-abr-files.h"

#include <gst/video/video.h>

/* Key frame interval when the source's are further apart (seconds). */
#define KEY_INT_S 10

gboolean
tg_abr_add_chain (TgStreamAbr *abr, GstElement **chain, guint n)
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

void
tg_abr_start_chain (GstElement **chain, guint n)
{
  for (guint i = n; i > 0; i--)
    gst_element_sync_state_with_parent (chain[i - 1]);
}

GstElement *
tg_abr_make (const char *factory)
{
  return gst_element_factory_make (factory, NULL);
}

GstElement *
tg_abr_make_caps (const char *description)
{
  GstElement *filter = tg_abr_make ("capsfilter");
  g_autoptr (GstCaps) caps = gst_caps_from_string (description);

  if (filter)
    g_object_set (filter, "caps", caps, NULL);
  return filter;
}

gboolean
tg_abr_link_tee (GstElement *tee, GstElement *first)
{
  g_autoptr (GstPad) from = gst_element_request_pad_simple (tee, "src_%u");
  g_autoptr (GstPad) to = gst_element_get_static_pad (first, "sink");

  return gst_pad_link (from, to) == GST_PAD_LINK_OK;
}

void
tg_abr_note_codec (TgStreamAbr *abr, GstEvent *caps_event, char **codec)
{
  GstCaps *caps;
  char *value;

  gst_event_parse_caps (caps_event, &caps);
  value = tg_stream_profile_level_id (gst_caps_get_structure (caps, 0));
  g_mutex_lock (&abr->lock);
  g_free (*codec);
  *codec = value;
  g_mutex_unlock (&abr->lock);
}

/* --- the master playlist --- */

/* Writes {id}_adaptive.m3u8: the source and each rung. Locked. */
static void
write_master (TgStreamAbr *abr, gint64 source_bandwidth)
{
  g_autofree TgAbrVariant *variants
      = g_new0 (TgAbrVariant, abr->rungs->len + 1);
  g_autoptr (GError) error = NULL;

  variants[0] = (TgAbrVariant){
    .bandwidth = source_bandwidth,
    .width = abr->width,
    .height = abr->height,
    .codec = abr->codec,
    .audio = (abr->fed & (1u << AUDIO)) != 0,
    .uri = g_strdup_printf ("%s.m3u8", abr->stream->stream_id),
  };
  for (guint i = 0; i < abr->rungs->len; i++)
    {
      TgAbrRung *rung = abr->rungs->pdata[i];

      variants[i + 1] = (TgAbrVariant){
        .bandwidth = rung->spec.video_bitrate
                     + (rung->audio ? rung->spec.audio_bitrate : 0),
        .width = rung->width,
        .height = rung->height,
        .codec = rung->codec,
        .audio = rung->audio,
        .uri = g_strdup_printf ("%s.m3u8", rung->name),
      };
    }
  if (!tg_abr_write_master (abr->master, variants, abr->rungs->len + 1, &error))
    g_message ("%s: %s", abr->stream->name, error->message);
  for (guint i = 0; i <= abr->rungs->len; i++)
    g_free (variants[i].uri);
}

/* On an encoder's thread, until the master is written. */
static void
try_master (TgStreamAbr *abr)
{
  TgStreamInfo info;
  gboolean ready;

  if (!abr->hls)
    return; /* no HLS: no master playlist */
  tg_stream_get_info (abr->stream, &info);
  if (info.video_bitrate <= 0)
    return; /* the source not measured yet */
  g_mutex_lock (&abr->lock);
  ready = abr->codec && !g_atomic_int_get (&abr->master_written);
  for (guint i = 0; ready && i < abr->rungs->len; i++)
    ready = ((TgAbrRung *) abr->rungs->pdata[i])->codec != NULL;
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
  TgAbrRung *rung = data;
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
    tg_abr_note_codec (abr, event, &rung->codec);
  return GST_PAD_PROBE_OK;
}

/* The rung's audio: queue ! avenc_aac into its muxer's pad. Locked. */
void
tg_abr_link_audio (TgStreamAbr *abr, TgAbrRung *rung)
{
  GstElement *chain[] = { tg_abr_make ("queue"), tg_abr_make ("avenc_aac") };
  g_autoptr (GstPad) out = NULL;

  if (!tg_abr_add_chain (abr, chain, G_N_ELEMENTS (chain)))
    return;
  g_object_set (chain[1], "bitrate", rung->spec.audio_bitrate, NULL);
  /* playing before the tee pushes into it (the audio may be flowing): a
   * queue still flushing would fail the tee's push, and stop the audio */
  tg_abr_start_chain (chain, G_N_ELEMENTS (chain));
  out = gst_element_get_static_pad (chain[1], "src");
  if (gst_pad_link (out, rung->audio_pad) != GST_PAD_LINK_OK
      || !tg_abr_link_tee (abr->tee[AUDIO], chain[0]))
    g_message ("%s: %s: could not link its audio", abr->stream->name,
               rung->name);
  gst_clear_object (&rung->audio_pad);
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

/* queue ! videoscale ! WxH ! x264enc ! avc ! h264parse ! tee ! queue !
 * mpegtsmux ! hlssink (a tee links to no muxer but through a queue), from the
 * decoded video's tee; with DASH, the tee's other branch makes the rung a
 * representation of the CMAF package, and WebRTC viewers moved to the rung
 * get a branch of it too (tg_stream_abr_add_rtp). Locked, on the decoder's
 * thread before its first frame. */
static gboolean
make_rung (TgStreamAbr *abr, TgAbrRung *rung, gint fps)
{
  TgStream *stream = abr->stream;
  g_autofree char *size = g_strdup_printf (
      "video/x-raw,width=%d,height=%d,pixel-aspect-ratio=1/1", rung->width,
      rung->height);
  GstElement *chain[] = {
    tg_abr_make ("queue"),
    tg_abr_make ("videoscale"),
    tg_abr_make_caps (size),
    tg_abr_make ("x264enc"),
    /* constrained baseline: every browser takes it over WebRTC too */
    tg_abr_make_caps ("video/x-h264,stream-format=avc,alignment=au,"
                      "profile=constrained-baseline"),
    tg_abr_make ("h264parse"),
    tg_abr_make ("tee"),
    tg_abr_make ("queue"),
    tg_abr_make ("mpegtsmux"),
    tg_abr_make ("hlssink"),
  };
  /* without HLS (DASH alone): up to the tee */
  guint n = abr->hls ? G_N_ELEMENTS (chain) : 7;
  g_autofree char *segments = NULL;
  g_autofree char *playlist = NULL;
  g_autoptr (GstPad) out = NULL;

  for (guint i = n; i < G_N_ELEMENTS (chain); i++)
    if (chain[i])
      gst_object_unref (gst_object_ref_sink (chain[i]));
  if (!tg_abr_add_chain (abr, chain, n))
    return FALSE;
  set_encoder (chain[3], &rung->spec, fps);
  g_object_set (chain[5], "config-interval", -1, NULL);
  if (abr->hls)
    {
      segments = g_strdup_printf ("%s/%s%%09d.ts", stream->dir, rung->name);
      playlist = g_strdup_printf ("%s/%s.m3u8", stream->dir, rung->name);
      g_object_set (chain[9], "location", segments, "playlist-location",
                    playlist, "target-duration",
                    (guint) MAX (1, abr->hls_time + 0.5), "playlist-length",
                    abr->hls_list_size, "max-files", abr->hls_list_size + 2,
                    NULL);
      rung->mux = chain[8];
    }
  rung->tee = chain[6];
  out = gst_element_get_static_pad (chain[3], "src");
  gst_pad_add_probe (out,
                     GST_PAD_PROBE_TYPE_BUFFER
                         | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM
                         | GST_PAD_PROBE_TYPE_EVENT_UPSTREAM,
                     encoded, rung, NULL);
  /* The muxer waits for every pad it has before its first output. (DASH
   * takes the source's audio.) */
  rung->audio
      = abr->hls
        && ((g_atomic_int_get (&stream->announced_tracks) & (1u << AUDIO))
            || abr->tee[AUDIO]);
  if (rung->audio)
    rung->audio_pad = gst_element_request_pad_simple (rung->mux, "sink_%d");
  if (!tg_abr_link_tee (abr->tee[VIDEO], chain[0]))
    return FALSE;
  tg_abr_start_chain (chain, n);
  if (stream->cmaf)
    {
      g_autoptr (GError) error = NULL;

      /* a rung without DASH still plays over HLS */
      if (!tg_cmaf_add_rung (stream->cmaf, GST_BIN (abr->pipeline), chain[6],
                             rung->spec.height, rung->spec.video_bitrate / 1000,
                             &error))
        g_message ("%s: rung %s has no DASH: %s", stream->name, rung->name,
                   error->message);
    }
  if (rung->audio && abr->tee[AUDIO])
    tg_abr_link_audio (abr, rung);
  return TRUE;
}

static gboolean
made (TgStreamAbr *abr, const char *name)
{
  for (guint i = 0; i < abr->rungs->len; i++)
    if (g_str_equal (((TgAbrRung *) abr->rungs->pdata[i])->name, name))
      return TRUE;
  return FALSE;
}

/* The decoded video's first caps: the source's size, hence the rungs,
 * each lower than the source (Ant Media encodes none at or above it). */
void
tg_abr_decide (TgStreamAbr *abr, GstCaps *caps)
{
  GstVideoInfo video;
  gint fps, width;

  if (!gst_video_info_from_caps (&video, caps))
    return;
  /* a variable rate (WebRTC's 0/1) counted as 30 */
  fps = video.fps_d && video.fps_n > 0 ? video.fps_n / video.fps_d : 30;
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
          TgAbrRung *rung = abr->ladder->pdata[i];

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
      g_atomic_int_set (&abr->made, abr->rungs->len > 0);
    }
  g_mutex_unlock (&abr->lock);
}

guint
tg_stream_abr_get_rungs (TgStreamAbr *abr, TgStreamRungInfo *rungs, guint max)
{
  guint n = 0;

  if (abr == NULL)
    return 0;
  g_mutex_lock (&abr->lock);
  for (; n < abr->rungs->len && n < max; n++)
    {
      TgAbrRung *rung = abr->rungs->pdata[n];

      rungs[n] = (TgStreamRungInfo){
        .width = rung->width,
        .height = rung->height,
        .video_bitrate = rung->spec.video_bitrate,
        .audio_bitrate = rung->spec.audio_bitrate,
      };
    }
  g_mutex_unlock (&abr->lock);
  return n;
}

void
tg_stream_abr_add_rtp (TgStreamAbr *abr, guint index)
{
  TgAbrRung *rung;
  GstElement *branch;

  if (abr == NULL)
    return;
  g_mutex_lock (&abr->lock);
  rung = index < abr->rungs->len ? abr->rungs->pdata[index] : NULL;
  branch = rung ? tg_stream_rtp_branch_new (abr->stream, VIDEO,
                                            TG_VIEWER_RUNG + index)
                : NULL;
  if (branch)
    {
      /* playing before it is linked: a branch still flushing would make
       * the tee's push fail, and the rung stop */
      gst_bin_add (GST_BIN (abr->pipeline), branch);
      gst_element_sync_state_with_parent (branch);
      if (!tg_abr_link_tee (rung->tee, branch))
        g_message ("%s: %s: no WebRTC branch", abr->stream->name, rung->name);
    }
  g_mutex_unlock (&abr->lock);
}
