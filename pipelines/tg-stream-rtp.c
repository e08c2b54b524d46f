#include "tg-stream-abr.h"
#include "tg-stream-private.h"

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/video/video.h>

/* Frames of video looked at for B-frames before the stream can be played:
 * an encoder that uses them does from its first frames. */
#define JUDGED_FRAMES 8
/* Key frames our encoder makes for viewers: at most one a second
 * (monotonic microseconds). */
#define KEY_FRAME_GAP G_USEC_PER_SEC
/* The most of a GOP kept for new viewers (a longer one is not kept):
 * under what a viewer may have queued (tg-viewer.c). */
#define GOP_CACHE_MAX (1536 * 1024)

/* The RTP branches, tee ! ... ! appsink: a leaky queue (the publisher
 * never waits for viewers; TG_LEAKY_QUEUE says why it drops the newest),
 * then H.264 as it is, or re-encoded when it has B-frames (browsers cannot
 * play them), and AAC made Opus. */
#define LEAKY_QUEUE                                                            \
  "queue " TG_LEAKY_QUEUE " max-size-buffers=0 max-size-bytes=0 "              \
  "max-size-time=1000000000 ! "
#define H264_PAY(pt)                                                           \
  "h264parse config-interval=-1 ! rtph264pay config-interval=-1 pt=" #pt       \
  " mtu=1200 aggregate-mode=zero-latency ! "
#define SINK "appsink name=sink sync=false async=false"
#define REENCODE                                                               \
  "h264parse ! avdec_h264 ! videoconvert ! x264enc "                           \
  "tune=zerolatency speed-preset=ultrafast bframes=0 "                         \
  "key-int-max=250 ! video/x-h264,profile=constrained-baseline ! "
static const char *const BRANCH_VIDEO = LEAKY_QUEUE H264_PAY (96) SINK;
static const char *const BRANCH_VIDEO_REENCODED
    = LEAKY_QUEUE REENCODE H264_PAY (96) SINK;
/* Beside the stream's own H.264, for viewers whose browser refuses its
 * profile: payload 97 of their offer (tg-viewer.c). */
static const char *const BRANCH_VIDEO_BASELINE
    = LEAKY_QUEUE REENCODE H264_PAY (97) SINK;
static const char *const BRANCH_AUDIO
    = LEAKY_QUEUE "aacparse ! avdec_aac ! audioconvert ! audioresample ! "
                  "opusenc ! rtpopuspay pt=111 mtu=1200 ! " SINK;
/* A WebRTC publisher's own Opus (tg_stream_push_opus). */
static const char *const BRANCH_OPUS
    = "appsrc name=opus is-live=true do-timestamp=true format=time"
      " max-bytes=1048576 leaky-type=downstream"
      " ! rtpopuspay pt=111 mtu=1200 ! " SINK;

/* The profile-level-id of an SDP for this H.264 (from its avcC); a
 * baseline one when the caps do not say. */
char *
tg_stream_profile_level_id (const GstStructure *caps)
{
  const GValue *value = gst_structure_get_value (caps, "codec_data");
  GstBuffer *avcc = value ? gst_value_get_buffer (value) : NULL;
  guint8 bytes[4];

  if (avcc && gst_buffer_extract (avcc, 0, bytes, 4) == 4 && bytes[0] == 1)
    return g_strdup_printf ("%02x%02x%02x", bytes[1], bytes[2], bytes[3]);
  return g_strdup ("42e01f");
}

/* A viewer wants a key frame of this feed (it has just started, its
 * client asked, or it is to be moved to the feed): asked of the publisher
 * when it can be (WebRTC; an ABR rung's key frames are the source's), made
 * by our encoder when the video is re-encoded; once a second at most. On
 * the feed's branch's thread, viewers_lock held. */
static void
want_key_frame (TgStream *stream, GstAppSink *sink, guint feed)
{
  gint64 now = g_get_monotonic_time ();
  g_autoptr (GstPad) pad = NULL;
  gboolean ours = feed == TG_VIEWER_BASELINE
                  || (feed == TG_VIEWER_OWN && stream->reencoded);

  if (now - stream->last_key_frame[feed] < KEY_FRAME_GAP)
    return;
  stream->last_key_frame[feed] = now;
  if (feed != TG_VIEWER_BASELINE && stream->key_frame_wanted)
    stream->key_frame_wanted (stream, stream->key_frame_wanted_data);
  if (!ours)
    return;
  pad = gst_element_get_static_pad (GST_ELEMENT (sink), "sink");
  gst_pad_push_event (pad, gst_video_event_new_upstream_force_key_unit (
                               GST_CLOCK_TIME_NONE, TRUE, 0));
}

/* Keeps a video's packets since its last key frame, whose first packet
 * is the only one without the delta flag (rtph264pay). */
static void
keep_gop (TgStream *stream, guint feed, GstBuffer *packet)
{
  GPtrArray **gop = &stream->gop[feed];

  if (!GST_BUFFER_FLAG_IS_SET (packet, GST_BUFFER_FLAG_DELTA_UNIT))
    {
      g_clear_pointer (gop, g_ptr_array_unref);
      *gop = g_ptr_array_new_with_free_func ((GDestroyNotify) gst_buffer_unref);
      stream->gop_bytes[feed] = 0;
    }
  if (*gop == NULL)
    return;
  stream->gop_bytes[feed] += gst_buffer_get_size (packet);
  if (stream->gop_bytes[feed] > GOP_CACHE_MAX)
    g_clear_pointer (gop, g_ptr_array_unref);
  else
    g_ptr_array_add (*gop, gst_buffer_ref (packet));
}

static void add_branch (TgStream *stream, guint track, TgViewerVariant variant);

/* The video a viewer wants is made once one does (it chose it in its
 * answer, or asked to be moved to it): the baseline one, or a rung's RTP.
 * viewers_lock held. */
static void
build_feed (TgStream *stream, guint feed)
{
  guint rung = feed - TG_VIEWER_RUNG;

  if (feed == TG_VIEWER_BASELINE && !stream->baseline_built)
    add_branch (stream, VIDEO, TG_VIEWER_BASELINE);
  else if (feed >= TG_VIEWER_RUNG && !(stream->rungs_asked & (1u << rung)))
    {
      stream->rungs_asked |= 1u << rung;
      tg_stream_abr_add_rtp (stream->abr, rung);
    }
}

/* Hands one RTP packet of a feed to every viewer fed by it; one that has
 * just started gets the feed's current GOP instead (this packet is its
 * last), so that its picture starts at once. A viewer that wants this
 * video is moved to it at its key frame. On the branch's thread. */
static GstFlowReturn
rtp_sample (GstAppSink *sink, gpointer data)
{
  TgStream *stream = data;
  TgViewerTrack track
      = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (sink), "track"));
  guint feed = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (sink), "feed"));
  g_autoptr (GstSample) sample = gst_app_sink_pull_sample (sink);
  GstBuffer *buffer = sample ? gst_sample_get_buffer (sample) : NULL;
  gboolean video = track == TG_VIEWER_VIDEO;
  gboolean key
      = buffer && !GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_DELTA_UNIT);

  if (buffer == NULL)
    return GST_FLOW_OK;
  g_mutex_lock (&stream->viewers_lock);
  if (video)
    keep_gop (stream, feed, buffer);
  for (guint i = 0; i < stream->viewers->len; i++)
    {
      TgViewer *viewer = stream->viewers->pdata[i];
      guint now = tg_viewer_get_feed (viewer);
      guint wanted = tg_viewer_get_wanted_feed (viewer);

      if (video)
        build_feed (stream, wanted);
      if (video && wanted != now && wanted == feed)
        {
          if (key)
            tg_viewer_set_feed (viewer, now = wanted);
          else
            want_key_frame (stream, sink, feed);
        }
      if (video && now != feed)
        continue;
      tg_viewer_push (viewer, track, feed, buffer,
                      video ? stream->gop[feed] : NULL);
      if (video && tg_viewer_take_key_frame (viewer))
        want_key_frame (stream, sink, feed);
    }
  g_mutex_unlock (&stream->viewers_lock);
  return GST_FLOW_OK;
}

void
tg_stream_add_rtp_branch (TgStream *stream, guint track)
{
  add_branch (stream, track, TG_VIEWER_OWN);
}

/* The branch made of description, its appsink handing its packets to the
 * viewers of feed; or NULL, said why. */
static GstElement *
make_branch (TgStream *stream, guint track, guint feed, const char *description)
{
  GstAppSinkCallbacks callbacks = { .new_sample = rtp_sample };
  g_autoptr (GError) error = NULL;
  GstElement *branch;
  g_autoptr (GstElement) sink = NULL;

  branch = gst_parse_bin_from_description (description, TRUE, &error);
  if (branch == NULL)
    {
      g_message ("%s: no WebRTC %s: %s", stream->name,
                 track == VIDEO ? "video" : "audio", error->message);
      return NULL;
    }
  sink = gst_bin_get_by_name (GST_BIN (branch), "sink");
  g_object_set_data (
      G_OBJECT (sink), "track",
      GUINT_TO_POINTER (track == VIDEO ? TG_VIEWER_VIDEO : TG_VIEWER_AUDIO));
  g_object_set_data (G_OBJECT (sink), "feed", GUINT_TO_POINTER (feed));
  gst_app_sink_set_callbacks (GST_APP_SINK (sink), &callbacks, stream, NULL);
  return branch;
}

GstElement *
tg_stream_rtp_branch_new (TgStream *stream, guint track, guint feed)
{
  /* an ABR rung is constrained baseline already */
  return make_branch (stream, track, feed, BRANCH_VIDEO);
}

/* Builds a branch; with viewers_lock held. */
static void
add_branch (TgStream *stream, guint track, TgViewerVariant variant)
{
  gboolean opus = track == AUDIO && stream->opus_input;
  const char *description = opus             ? BRANCH_OPUS
                            : track == AUDIO ? BRANCH_AUDIO
                            : variant == TG_VIEWER_BASELINE
                                ? BRANCH_VIDEO_BASELINE
                            : stream->reencoded ? BRANCH_VIDEO_REENCODED
                                                : BRANCH_VIDEO;
  GstElement *branch;
  g_autoptr (GstPad) from = NULL, to = NULL;

  if (opus && stream->opus_src)
    return; /* the publisher's AAC track came after the viewers */
  if (variant == TG_VIEWER_BASELINE)
    {
      if (stream->baseline_built || stream->tees[VIDEO] == NULL)
        return;
      stream->baseline_built = TRUE;
      g_info ("%s: H.264 made constrained baseline for WebRTC viewers that "
              "refuse its profile",
              stream->name);
    }
  branch = make_branch (stream, track, variant, description);
  if (branch == NULL)
    return;
  gst_bin_add (GST_BIN (stream->pipeline), branch);
  gst_element_sync_state_with_parent (branch);
  if (opus)
    {
      stream->opus_src = gst_bin_get_by_name (GST_BIN (branch), "opus");
      if (stream->opus_ended)
        gst_app_src_end_of_stream (GST_APP_SRC (stream->opus_src));
      return;
    }
  from = gst_element_request_pad_simple (stream->tees[track], "src_%u");
  to = gst_element_get_static_pad (branch, "sink");
  gst_pad_link (from, to);
}

/* A frame of the video: B-frames show as a presentation time other than
 * the decoding time. */
/* Whether every browser takes this H.264 as it is: constrained baseline
 * (profile_idc 66 with constraint_set1). Chromium takes a few more
 * profiles, Firefox no other: a High or Main stream is offered as it is
 * and, beside it, as constrained baseline, made for those who take that
 * (BRANCH_VIDEO_BASELINE). */
static gboolean
browsers_take (const char *profile_level_id)
{
  char constraints[3] = { 0 };

  if (profile_level_id == NULL || strlen (profile_level_id) != 6
      || !g_str_has_prefix (profile_level_id, "42"))
    return FALSE;
  memcpy (constraints, profile_level_id + 2, 2);
  return (g_ascii_strtoull (constraints, NULL, 16) & 0x40) != 0;
}

/* The video goes to WebRTC viewers re-encoded as constrained baseline
 * (BRANCH_VIDEO_REENCODED), if no viewer has come yet. */
static void
reencode (TgStream *stream, const char *why)
{
  g_mutex_lock (&stream->viewers_lock);
  if (!stream->rtp_built)
    {
      stream->reencoded = TRUE;
      g_free (stream->profile_level_id);
      stream->profile_level_id = g_strdup ("42e01f");
    }
  g_mutex_unlock (&stream->viewers_lock);
  g_info ("%s: H.264 %s: re-encoded for WebRTC viewers", stream->name, why);
}

static GstPadProbeReturn
judge_frame (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  TgStream *stream = data;
  GstBuffer *buffer = gst_pad_probe_info_get_buffer (info);
  g_autofree char *profile = NULL;

  if (GST_BUFFER_PTS_IS_VALID (buffer) && GST_BUFFER_DTS_IS_VALID (buffer)
      && GST_BUFFER_PTS (buffer) != GST_BUFFER_DTS (buffer))
    reencode (stream, "with B-frames");
  else if (++stream->video_frames < JUDGED_FRAMES)
    return GST_PAD_PROBE_OK;
  else
    {
      g_mutex_lock (&stream->viewers_lock);
      profile = g_strdup (stream->profile_level_id);
      g_mutex_unlock (&stream->viewers_lock);
      if (!browsers_take (profile))
        {
          g_mutex_lock (&stream->viewers_lock);
          stream->baseline_offered = TRUE;
          g_mutex_unlock (&stream->viewers_lock);
        }
    }
  g_atomic_int_set (&stream->video_judged, TRUE);
  tg_stream_check_ready (stream);
  return GST_PAD_PROBE_REMOVE;
}

void
tg_stream_judge_video (TgStream *stream, GstPad *pad)
{
  g_atomic_int_set (&stream->has_video, TRUE);
  gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BUFFER, judge_frame, stream, NULL);
}

gboolean
tg_stream_add_viewer (TgStream *stream, TgViewer *viewer)
{
  gboolean added;

  g_mutex_lock (&stream->viewers_lock);
  g_mutex_lock (&stream->lock);
  added = !stream->done;
  g_mutex_unlock (&stream->lock);
  if (added)
    {
      g_ptr_array_add (stream->viewers, tg_viewer_ref (viewer));
      if (!stream->rtp_built)
        for (guint t = 0; t < TRACKS; t++)
          if (stream->tees[t] || (t == AUDIO && stream->opus_input))
            tg_stream_add_rtp_branch (stream, t);
      stream->rtp_built = TRUE;
    }
  g_mutex_unlock (&stream->viewers_lock);
  return added;
}

void
tg_stream_on_key_frame_wanted (TgStream *stream, TgStreamKeyFrameWanted wanted,
                               gpointer data)
{
  g_mutex_lock (&stream->viewers_lock);
  stream->key_frame_wanted = wanted;
  stream->key_frame_wanted_data = data;
  g_mutex_unlock (&stream->viewers_lock);
}

void
tg_stream_feed_viewer (TgStream *stream, TgViewer *viewer)
{
  GPtrArray *gop;
  guint feed;

  g_mutex_lock (&stream->viewers_lock);
  feed = tg_viewer_get_feed (viewer);
  gop = stream->gop[feed];
  if (gop && gop->len)
    tg_viewer_push (viewer, TG_VIEWER_VIDEO, feed, NULL, gop);
  g_mutex_unlock (&stream->viewers_lock);
}

void
tg_stream_take_opus (TgStream *stream)
{
  g_mutex_lock (&stream->viewers_lock);
  stream->opus_input = TRUE;
  g_mutex_unlock (&stream->viewers_lock);
}

void
tg_stream_push_opus (TgStream *stream, GstSample *frame)
{
  GstBuffer *buffer = gst_sample_get_buffer (frame);
  GstCaps *caps = gst_sample_get_caps (frame);

  g_mutex_lock (&stream->viewers_lock);
  if (stream->opus_src && buffer && caps)
    {
      g_autoptr (GstCaps) current
          = gst_app_src_get_caps (GST_APP_SRC (stream->opus_src));

      if (current == NULL || !gst_caps_is_equal (current, caps))
        gst_app_src_set_caps (GST_APP_SRC (stream->opus_src), caps);
      tg_push_restamped (stream->opus_src, buffer);
    }
  g_mutex_unlock (&stream->viewers_lock);
}

void
tg_stream_end_opus (TgStream *stream)
{
  g_mutex_lock (&stream->viewers_lock);
  stream->opus_ended = TRUE;
  if (stream->opus_src)
    gst_app_src_end_of_stream (GST_APP_SRC (stream->opus_src));
  g_mutex_unlock (&stream->viewers_lock);
}

void
tg_stream_remove_viewer (TgStream *stream, TgViewer *viewer)
{
  g_mutex_lock (&stream->viewers_lock);
  g_ptr_array_remove (stream->viewers, viewer);
  g_mutex_unlock (&stream->viewers_lock);
}

char *
tg_stream_describe (TgStream *stream, gboolean *audio, gboolean *ready,
                    gboolean *baseline)
{
  char *profile;

  *baseline = FALSE;
  *ready = g_atomic_int_get (&stream->media_ready);
  if (!*ready)
    return NULL;
  g_mutex_lock (&stream->viewers_lock);
  profile = g_strdup (stream->profile_level_id);
  *baseline = stream->baseline_offered && !stream->reencoded;
  *audio = stream->tees[AUDIO] != NULL || stream->opus_input
           || (g_atomic_int_get (&stream->announced_tracks) & (1u << AUDIO));
  g_mutex_unlock (&stream->viewers_lock);
  return profile;
}
