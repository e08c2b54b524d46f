#include "tg-webrtc-in.h"

#include <gst/app/gstappsink.h>
#include <gst/video/video.h>
#define GST_USE_UNSTABLE_API
#include <gst/webrtc/webrtc.h>

#include "tg-debug.h"
#include "tg-media-check.h"
#include "tg-webrtc-net.h"
#include "tg-webrtc-peer.h"
#include "tollgate.h"

/* Key frames are asked of the client at most this often (microseconds). */
#define KEY_FRAME_ASK_GAP G_USEC_PER_SEC

struct _TgWebrtcIn
{
  char *name; /* app/stream, for logs */
  TgWebrtcInCallbacks callbacks;
  gpointer data;
  TgStream *stream; /* where the tracks go */
  GstElement *pipeline, *webrtc;
  gboolean want_video, want_audio; /* what publish allowed */
  gboolean want_aac;
  /* The tracks the offer sends and publish allowed, known with the offer:
   * the stream waits for each. */
  gboolean video, aac;
  /* The video track's, on its streaming thread: the last time given, when
   * the last key frame came and when one was last asked for
   * (monotonic, microseconds). */
  GstClockTime last_pts;
  gint64 last_key, last_ask, key_frame_every;
  gint key_frame_wanted; /* atomic: a viewer joined */
  gint last_frame;       /* atomic: tg_webrtc_in_last_frame */
  GstWebRTCRTPTransceiver *video_transceiver;
  TgWebrtcPeer *peer; /* its lock guards the callbacks and what follows */
  /* The time of the first frame of either track: the stream's 0. */
  GstClockTime base;
  guint came;          /* 1 << track: its first frame came */
  gboolean media_came; /* every track taken has */
};

/* --- what the peer reports --- */

static void
answer_made (const char *sdp, gpointer data)
{
  TgWebrtcIn *in = data;

  in->callbacks.answer (in, sdp, in->data);
}

static void
candidate_made (guint mline, const char *mid, const char *candidate,
                gpointer data)
{
  TgWebrtcIn *in = data;

  in->callbacks.candidate (in, mline, mid, candidate, in->data);
}

static void
failed (const char *definition, const char *reason, gpointer data)
{
  TgWebrtcIn *in = data;

  in->callbacks.failed (in, definition, reason, in->data);
}

static void
gathered (gpointer data)
{
  TgWebrtcIn *in = data;

  in->callbacks.gathered (in, in->data);
}

/* --- media --- */

/* Where a track's chain ends: H.264 as the stream takes it (as flvdemux
 * gives it), AAC as aacparse gives it, the Opus for the viewers. */
#define VIDEO_OUT                                                              \
  "video/x-h264,stream-format=avc,alignment=au"                                \
  " ! appsink name=out sync=false async=false"
#define AUDIO_OUT "appsink name=out sync=false async=false"
/* What that AAC is: LC, 48 kHz, stereo (its AudioSpecificConfig). */
#define AAC_CAPS                                                               \
  "audio/mpeg, mpegversion=(int)4, stream-format=(string)raw,"                 \
  " framed=(boolean)true, rate=(int)48000, channels=(int)2,"                   \
  " codec_data=(buffer)1190"
#define OPUS_OUT "appsink name=opus sync=false async=false"

/* The tracks taken (1 << track), known with the offer. */
static guint
expected (TgWebrtcIn *in)
{
  return (in->video ? 1u << TG_STREAM_VIDEO : 0)
         | (in->aac ? 1u << TG_STREAM_AUDIO : 0);
}

/* A frame of a track, parsed: into the stream, its times from the first
 * frame of either track (in running time: the tracks' clock). A video
 * frame from before that is given 0 (the first is a key frame); audio
 * from before it is dropped. */
static GstFlowReturn
frame_sample (GstAppSink *sink, gpointer data)
{
  TgWebrtcIn *in = data;
  TgStreamTrack track
      = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (sink), "track"));
  g_autoptr (GstSample) sample = gst_app_sink_pull_sample (sink);
  GstBuffer *buffer = sample ? gst_sample_get_buffer (sample) : NULL;
  GstCaps *caps = sample ? gst_sample_get_caps (sample) : NULL;
  GstClockTime base;
  gboolean first;

  if (buffer == NULL || caps == NULL)
    return GST_FLOW_OK;
  if (!tg_webrtc_peer_lock_open (in->peer))
    return GST_FLOW_EOS;
  g_atomic_int_set (&in->last_frame,
                    (gint) (g_get_monotonic_time () / G_USEC_PER_SEC));
  if (!GST_CLOCK_TIME_IS_VALID (in->base))
    in->base = tg_stream_sample_time (sample, GST_BUFFER_DTS_OR_PTS (buffer));
  base = in->base;
  in->came |= 1u << track;
  first = !in->media_came && (in->came & expected (in)) == expected (in);
  in->media_came |= first;
  if (first)
    in->callbacks.media_came (in, in->data);
  /* Not held while pushing: a track waiting in a full muxer would stop
   * the other track, which the muxer waits for. */
  tg_webrtc_peer_unlock (in->peer);
  buffer = tg_stream_frame_of (sample, track, base);
  if (buffer == NULL || tg_stream_push_frame (in->stream, track, caps, buffer))
    return GST_FLOW_OK;
  tg_webrtc_peer_fail (in->peer, NULL, "the stream takes no more data");
  return GST_FLOW_EOS;
}

/* Asks the client for a key frame (a PLI, sent by webrtcbin's RTP session)
 * when a viewer has joined or the last one is older than key_frame_every
 * (browsers send one only when asked, and HLS cuts segments on them); at
 * most one a second. */
static void
ask_key_frame (TgWebrtcIn *in, GstPad *pad, GstBuffer *buffer)
{
  gint64 now = g_get_monotonic_time ();

  if (!GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_DELTA_UNIT))
    {
      in->last_key = now;
      g_atomic_int_set (&in->key_frame_wanted, FALSE);
      return;
    }
  if (now - in->last_ask < KEY_FRAME_ASK_GAP
      || (!g_atomic_int_get (&in->key_frame_wanted)
          && now - in->last_key < in->key_frame_every))
    return;
  in->last_ask = now;
  gst_pad_send_event (pad, gst_video_event_new_upstream_force_key_unit (
                               GST_CLOCK_TIME_NONE, FALSE, 0));
}

/* The client's Opus as it is, for the stream's WebRTC viewers. */
static GstFlowReturn
opus_sample (GstAppSink *sink, gpointer data)
{
  TgWebrtcIn *in = data;
  g_autoptr (GstSample) sample = gst_app_sink_pull_sample (sink);

  if (sample)
    tg_stream_push_opus (in->stream, sample);
  return GST_FLOW_OK;
}

/* Browsers send H.264 without B-frames, whose decoding order is its
 * presentation order: DTS = PTS, kept from going backward (jitter), so
 * that the stream's muxers drop nothing. The jitter buffer may let
 * frames of a burst through with no time: they get the last one's (a
 * frame without a time would stop a muxer); those before any time are
 * dropped. */
static GstPadProbeReturn
video_frame (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  TgWebrtcIn *in = data;
  GstBuffer *buffer = gst_pad_probe_info_get_buffer (info);
  GstClockTime pts = GST_BUFFER_PTS (buffer);

  if (!GST_CLOCK_TIME_IS_VALID (in->last_pts) && !GST_CLOCK_TIME_IS_VALID (pts))
    return GST_PAD_PROBE_DROP;
  if (!GST_CLOCK_TIME_IS_VALID (pts)
      || (GST_CLOCK_TIME_IS_VALID (in->last_pts) && pts <= in->last_pts))
    pts = in->last_pts + 1;
  in->last_pts = pts;
  ask_key_frame (in, pad, buffer);
  buffer = gst_buffer_make_writable (buffer);
  GST_BUFFER_PTS (buffer) = GST_BUFFER_DTS (buffer) = pts;
  GST_PAD_PROBE_INFO_DATA (info) = buffer;
  return GST_PAD_PROBE_OK;
}

/* The encoder's first AAC frame may carry a later time than the ones
 * after it: dropped, as anything going backward or without a time (see
 * restamp). */
static GstPadProbeReturn
drop_backwards (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  GstClockTime *last = data;
  GstBuffer *buffer = gst_pad_probe_info_get_buffer (info);
  GstClockTime t = GST_BUFFER_DTS_OR_PTS (buffer);

  if (!GST_CLOCK_TIME_IS_VALID (t))
    return GST_PAD_PROBE_DROP;
  if (GST_CLOCK_TIME_IS_VALID (*last) && t < *last)
    return GST_PAD_PROBE_DROP;
  *last = t;
  return GST_PAD_PROBE_OK;
}

/* The client's H.264 carried a malformed parameter set or NAL unit. */
static void
media_refused (GstPad *pad, const char *what, gpointer data)
{
  TgWebrtcIn *in = data;

  g_message ("%s: Refused the publisher's video track: %s", in->name, what);
  tg_webrtc_peer_fail (in->peer, "invalidCodecData", what);
}

/* The received track's chain, parsed, into an appsink "out" for the
 * stream (and "opus" for its viewers); NULL: not taken. */
static const char *
chain_for (TgWebrtcIn *in, const char *encoding, TgStreamTrack *track)
{
  *track = TG_STREAM_VIDEO;
  if (g_strcmp0 (encoding, "H264") == 0 && in->video)
    return "rtph264depay name=depay request-keyframe=true"
           " wait-for-keyframe=true ! h264parse ! " VIDEO_OUT;
  if (g_strcmp0 (encoding, "VP8") == 0 && in->video)
    /* Made H.264 once, for every output; key frames are then made here
     * when asked (ask_key_frame), and the client asked only on loss. */
    return "rtpvp8depay request-keyframe=true wait-for-keyframe=true"
           " ! vp8dec ! videoconvert ! x264enc tune=zerolatency"
           " speed-preset=ultrafast bframes=0 key-int-max=300"
           " ! video/x-h264,profile=constrained-baseline ! h264parse "
           "! " VIDEO_OUT;
  *track = TG_STREAM_AUDIO;
  if (g_strcmp0 (encoding, "OPUS") == 0 && in->want_audio)
    /* As it is to the viewers, and made AAC for the stream if wanted. */
    return in->aac ? "rtpopusdepay ! tee name=t ! " OPUS_OUT
                     " t. ! opusdec plc=true ! audioconvert ! audioresample"
                     " ! audiorate skip-to-first=true"
                     " ! audio/x-raw,rate=48000,channels=2 ! avenc_aac"
                     " ! aacparse ! " AUDIO_OUT
                   : "rtpopusdepay ! " OPUS_OUT;
  return NULL;
}

/* A received track: depayloaded, parsed (Opus made AAC), into the
 * stream. On a streaming thread. */
static void
pad_added (GstElement *webrtc, GstPad *pad, gpointer data)
{
  TgWebrtcIn *in = data;
  g_autoptr (GstCaps) caps = NULL;
  const char *encoding;
  const char *chain;
  TgStreamTrack track;
  g_autoptr (GError) error = NULL;
  GstElement *bin;
  g_autoptr (GstElement) opus = NULL, depay = NULL, out = NULL;
  g_autoptr (GstPad) sink = NULL;
  GstAppSinkCallbacks opus_callbacks = { .new_sample = opus_sample };
  GstAppSinkCallbacks out_callbacks = { .new_sample = frame_sample };

  if (GST_PAD_DIRECTION (pad) != GST_PAD_SRC)
    return;
  caps = gst_pad_get_current_caps (pad);
  encoding = caps ? gst_structure_get_string (gst_caps_get_structure (caps, 0),
                                              "encoding-name")
                  : NULL;
  chain = chain_for (in, encoding, &track);
  if (chain == NULL)
    {
      g_message ("%s: WebRTC %s track not taken", in->name,
                 encoding ? encoding : "(unknown)");
      chain = "fakesink async=false sync=false";
    }
  g_info ("%s: WebRTC %s track: %s", in->name,
          encoding ? encoding : "(unknown)", chain);
  bin = gst_parse_bin_from_description (chain, TRUE, &error);
  if (bin == NULL)
    {
      tg_webrtc_peer_fail (in->peer, "highResourceUsage", error->message);
      return;
    }
  depay = gst_bin_get_by_name (GST_BIN (bin), "depay");
  if (depay)
    {
      g_autoptr (GstPad) checked = gst_element_get_static_pad (depay, "src");

      /* What the client sends is checked before h264parse sees it. */
      tg_media_check_pad (checked, media_refused, in);
    }
  opus = gst_bin_get_by_name (GST_BIN (bin), "opus");
  if (opus)
    gst_app_sink_set_callbacks (GST_APP_SINK (opus), &opus_callbacks, in, NULL);
  out = gst_bin_get_by_name (GST_BIN (bin), "out");
  if (out)
    {
      g_autoptr (GstPad) in_pad = gst_element_get_static_pad (out, "sink");
      g_autoptr (GstPad) last = gst_pad_get_peer (in_pad);

      g_object_set_data (G_OBJECT (out), "track", GUINT_TO_POINTER (track));
      gst_app_sink_set_callbacks (GST_APP_SINK (out), &out_callbacks, in, NULL);
      if (track == TG_STREAM_VIDEO)
        gst_pad_add_probe (last, GST_PAD_PROBE_TYPE_BUFFER, video_frame, in,
                           NULL);
      else
        {
          GstClockTime *last_time = g_new (GstClockTime, 1);

          *last_time = GST_CLOCK_TIME_NONE;
          gst_pad_add_probe (last, GST_PAD_PROBE_TYPE_BUFFER, drop_backwards,
                             last_time, g_free);
        }
    }
  gst_bin_add (GST_BIN (in->pipeline), bin);
  gst_element_sync_state_with_parent (bin);
  sink = gst_element_get_static_pad (bin, "sink");
  if (gst_pad_link (pad, sink) != GST_PAD_LINK_OK)
    tg_webrtc_peer_fail (in->peer, "notSetRemoteDescription",
                         "could not link a track");
}

/* --- the publisher --- */

#define H264_CAPS                                                              \
  "application/x-rtp, media=video, encoding-name=H264, clock-rate=90000"
#define VP8_CAPS                                                               \
  "application/x-rtp, media=video, encoding-name=VP8, clock-rate=90000"

static void
add_transceivers (TgWebrtcIn *in)
{
  static const char *media[]
      = { H264_CAPS "; " VP8_CAPS, "application/x-rtp, media=audio, "
                                   "encoding-name=OPUS, clock-rate=48000" };

  for (guint i = 0; i < G_N_ELEMENTS (media); i++)
    {
      g_autoptr (GstCaps) caps = gst_caps_from_string (media[i]);
      GstWebRTCRTPTransceiver *transceiver = NULL;

      g_signal_emit_by_name (in->webrtc, "add-transceiver",
                             GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_RECVONLY,
                             caps, &transceiver);
      if (i == 0)
        in->video_transceiver = transceiver;
      else
        gst_clear_object (&transceiver);
    }
}

TgWebrtcIn *
tg_webrtc_in_new (const TgWebrtcInSpec *spec,
                  const TgWebrtcInCallbacks *callbacks, gpointer data,
                  GError **error)
{
  static const TgWebrtcPeerCallbacks peer_callbacks = {
    .description = answer_made,
    .candidate = candidate_made,
    .failed = failed,
  };
  static const TgWebrtcPeerCallbacks gathering_callbacks = {
    .description = answer_made,
    .candidate = candidate_made,
    .failed = failed,
    .gathered = gathered,
  };
  TgWebrtcIn *in;
  GstElement *webrtc = gst_element_factory_make ("webrtcbin", NULL);

  if (webrtc == NULL)
    {
      g_set_error (error, TG_ERROR, TG_ERROR_FAILED, "webrtcbin is missing");
      return NULL;
    }
  in = g_new0 (TgWebrtcIn, 1);
  in->name = g_strdup (spec->name);
  in->stream = spec->stream;
  in->last_pts = in->base = GST_CLOCK_TIME_NONE;
  in->key_frame_every = GST_TIME_AS_USECONDS (spec->key_frame_every);
  in->callbacks = *callbacks;
  in->data = data;
  in->pipeline = gst_pipeline_new (NULL);
  in->webrtc = webrtc;
  tg_webrtc_configure (in->webrtc);
  tg_debug_watch_errors (in->pipeline, in->name);
  gst_bin_add (GST_BIN (in->pipeline), in->webrtc);
  in->want_video = spec->video;
  in->want_audio = spec->audio;
  in->want_aac = spec->aac;
  add_transceivers (in);
  g_signal_connect (in->webrtc, "pad-added", G_CALLBACK (pad_added), in);
  in->peer = tg_webrtc_peer_new (
      in->webrtc, callbacks->gathered ? &gathering_callbacks : &peer_callbacks,
      in);
  gst_element_set_state (in->pipeline, GST_STATE_PLAYING);
  return in;
}

gboolean
tg_webrtc_in_offers_h264 (const GstSDPMessage *sdp)
{
  for (guint i = 0; i < gst_sdp_message_medias_len (sdp); i++)
    {
      const GstSDPMedia *media = gst_sdp_message_get_media (sdp, i);
      const char *map;

      for (guint n = 0;
           (map = gst_sdp_media_get_attribute_val_n (media, "rtpmap", n)); n++)
        if (strchr (map, ' ')
            && g_str_has_prefix (strchr (map, ' ') + 1, "H264/"))
          return TRUE;
    }
  return FALSE;
}

gboolean
tg_webrtc_in_offers (const GstSDPMessage *sdp, const char *kind)
{
  for (guint i = 0; i < gst_sdp_message_medias_len (sdp); i++)
    {
      const GstSDPMedia *media = gst_sdp_message_get_media (sdp, i);

      if (g_strcmp0 (gst_sdp_media_get_media (media), kind) == 0
          && (gst_sdp_media_get_port (media) != 0 /* 0: refused, */
              || gst_sdp_media_get_attribute_val (media, "bundle-only"))
          && !gst_sdp_media_get_attribute_val (media, "recvonly")
          && !gst_sdp_media_get_attribute_val (media, "inactive"))
        return TRUE;
    }
  return FALSE;
}

void
tg_webrtc_in_take_offer (TgWebrtcIn *in, const char *sdp)
{
  GstSDPMessage *message = tg_webrtc_parse_sdp (sdp);

  if (message == NULL)
    {
      tg_webrtc_peer_fail (in->peer, "notSetRemoteDescription",
                           "unreadable offer");
      return;
    }
  /* The stream needs a track to go live: AAC is made when there is no
   * video, even if no output wants it. */
  if (!in->video && in->want_video && tg_webrtc_in_offers (message, "video"))
    {
      in->video = TRUE;
      tg_stream_expect_track (in->stream, TG_STREAM_VIDEO, NULL);
    }
  if (!in->aac && in->want_audio && tg_webrtc_in_offers (message, "audio")
      && (in->want_aac || !in->video))
    {
      in->aac = TRUE;
      g_autoptr (GstCaps) aac = gst_caps_from_string (AAC_CAPS);

      tg_stream_expect_track (in->stream, TG_STREAM_AUDIO, aac);
    }
  if (in->video)
    {
      /* H.264 if it can (VP8 costs a transcode): webrtcbin would otherwise
       * answer both, in the offer's order, and browsers put VP8 first. */
      g_autoptr (GstCaps) caps = gst_caps_from_string (
          tg_webrtc_in_offers_h264 (message) ? H264_CAPS : VP8_CAPS);

      g_object_set (in->video_transceiver, "codec-preferences", caps, NULL);
    }
  if (!in->video && !in->aac)
    {
      gst_sdp_message_free (message);
      tg_webrtc_peer_fail (in->peer, "notSetRemoteDescription",
                           "the offer sends no track");
      return;
    }
  tg_webrtc_peer_answer (in->peer, message);
}

void
tg_webrtc_in_take_candidate (TgWebrtcIn *in, guint mline, const char *candidate)
{
  g_signal_emit_by_name (in->webrtc, "add-ice-candidate", mline, candidate);
}

gint
tg_webrtc_in_last_frame (TgWebrtcIn *in)
{
  return g_atomic_int_get (&in->last_frame);
}

void
tg_webrtc_in_want_key_frame (TgWebrtcIn *in)
{
  g_atomic_int_set (&in->key_frame_wanted, TRUE);
}

void
tg_webrtc_in_close (TgWebrtcIn *in)
{
  tg_webrtc_peer_close (in->peer);
}

void
tg_webrtc_in_free (TgWebrtcIn *in)
{
  if (in->peer)
    tg_webrtc_peer_close (in->peer);
  if (in->pipeline)
    {
      gst_element_set_state (in->pipeline, GST_STATE_NULL);
      gst_object_unref (in->pipeline);
    }
  gst_clear_object (&in->video_transceiver);
  g_clear_pointer (&in->peer, tg_webrtc_peer_free);
  g_free (in->name);
  g_free (in);
}
