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

/* How much of one track the muxer holds while it waits for the other. */
#define MUX_LATENCY (2 * GST_SECOND)
/* Key frames are asked of the client at most this often (microseconds). */
#define KEY_FRAME_ASK_GAP G_USEC_PER_SEC

struct _TgWebrtcIn
{
  char *name; /* app/stream, for logs */
  TgWebrtcInCallbacks callbacks;
  gpointer data;
  GstElement *pipeline, *webrtc, *mux;
  gboolean want_video, want_audio; /* what publish allowed */
  gboolean want_aac;
  /* The muxer's pads for the tracks the offer sends and publish allowed,
   * requested with the offer: the FLV header names them, and the stream
   * waits for each. */
  GstPad *video, *audio;
  /* The video track's, on its streaming thread: the last time given, when
   * the last key frame came and when one was last asked for
   * (monotonic, microseconds). */
  GstClockTime last_pts;
  gint64 last_key, last_ask, key_frame_every;
  gint key_frame_wanted; /* atomic: a viewer joined */
  GstWebRTCRTPTransceiver *video_transceiver;
  TgWebrtcPeer *peer; /* its lock guards the callbacks */
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

/* --- media --- */

static GstFlowReturn
ts_sample (GstAppSink *sink, gpointer data)
{
  TgWebrtcIn *in = data;
  g_autoptr (GstSample) sample = gst_app_sink_pull_sample (sink);
  GstBuffer *buffer = sample ? gst_sample_get_buffer (sample) : NULL;
  GstMapInfo map;
  gboolean more = TRUE;

  if (buffer == NULL || !gst_buffer_map (buffer, &map, GST_MAP_READ))
    return GST_FLOW_OK;
  if (tg_webrtc_peer_lock_open (in->peer))
    {
      more = in->callbacks.media (in, g_bytes_new (map.data, map.size),
                                  in->data);
      tg_webrtc_peer_unlock (in->peer);
    }
  gst_buffer_unmap (buffer, &map);
  if (!more)
    tg_webrtc_peer_fail (in->peer, NULL, "the stream takes no more data");
  return more ? GST_FLOW_OK : GST_FLOW_EOS;
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

static GstFlowReturn
opus_sample (GstAppSink *sink, gpointer data)
{
  TgWebrtcIn *in = data;
  g_autoptr (GstSample) sample = gst_app_sink_pull_sample (sink);

  if (sample && tg_webrtc_peer_lock_open (in->peer))
    {
      in->callbacks.opus (in, sample, in->data);
      tg_webrtc_peer_unlock (in->peer);
    }
  return GST_FLOW_OK;
}

/* Browsers send H.264 without B-frames, whose decoding order is its
 * presentation order: DTS = PTS, kept from going backward (jitter), so
 * that the muxers downstream drop nothing. The jitter buffer may let
 * frames of a burst through with no time: they get the last one's (a
 * frame without a time would stop flvmux, which then never picks its
 * track again); those before any time are dropped. */
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

/* A received track: depayloaded, Opus made AAC, into the muxer. On a
 * streaming thread. */
static void
pad_added (GstElement *webrtc, GstPad *pad, gpointer data)
{
  TgWebrtcIn *in = data;
  g_autoptr (GstCaps) caps = NULL;
  const char *encoding;
  const char *chain;
  g_autoptr (GError) error = NULL;
  GstElement *bin;
  g_autoptr (GstElement) opus = NULL, depay = NULL;
  g_autoptr (GstPad) sink = NULL, src = NULL, to = NULL;
  GstAppSinkCallbacks opus_callbacks = { .new_sample = opus_sample };

  if (GST_PAD_DIRECTION (pad) != GST_PAD_SRC)
    return;
  caps = gst_pad_get_current_caps (pad);
  encoding = caps ? gst_structure_get_string (gst_caps_get_structure (caps, 0),
                                              "encoding-name")
                  : NULL;
  if (g_strcmp0 (encoding, "H264") == 0 && in->video)
    {
      chain = "rtph264depay name=depay request-keyframe=true"
              " wait-for-keyframe=true ! h264parse";
      to = gst_object_ref (in->video);
    }
  else if (g_strcmp0 (encoding, "VP8") == 0 && in->video)
    {
      /* Made H.264 once, for every output; key frames are then made here
       * when asked (ask_key_frame), and the client asked only on loss. */
      chain = "rtpvp8depay request-keyframe=true wait-for-keyframe=true"
              " ! vp8dec ! videoconvert ! x264enc tune=zerolatency"
              " speed-preset=ultrafast bframes=0 key-int-max=300"
              " ! video/x-h264,profile=constrained-baseline ! h264parse";
      to = gst_object_ref (in->video);
    }
  else if (g_strcmp0 (encoding, "OPUS") == 0 && in->want_audio)
    {
      /* As it is to the viewers, and made AAC for the FLV if wanted. */
      chain = in->audio ? "rtpopusdepay ! tee name=t"
                          " ! appsink name=opus sync=false async=false"
                          " t. ! opusdec plc=true ! audioconvert"
                          " ! audioresample ! audiorate skip-to-first=true"
                          " ! avenc_aac ! aacparse"
                        : "rtpopusdepay"
                          " ! appsink name=opus sync=false async=false";
      to = in->audio ? gst_object_ref (in->audio) : NULL;
    }
  else
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
      g_autoptr (GstPad) out = gst_element_get_static_pad (depay, "src");

      /* What the client sends is checked before h264parse sees it. */
      tg_media_check_pad (out, media_refused, in);
    }
  opus = gst_bin_get_by_name (GST_BIN (bin), "opus");
  if (opus)
    gst_app_sink_set_callbacks (GST_APP_SINK (opus), &opus_callbacks, in, NULL);
  gst_bin_add (GST_BIN (in->pipeline), bin);
  src = gst_element_get_static_pad (bin, "src");
  if (src && to == in->video)
    gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER, video_frame, in, NULL);
  else if (src)
    {
      GstClockTime *last = g_new (GstClockTime, 1);

      *last = GST_CLOCK_TIME_NONE;
      gst_pad_add_probe (src, GST_PAD_PROBE_TYPE_BUFFER, drop_backwards, last,
                         g_free);
    }
  if (src && to)
    gst_pad_link (src, to);
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
  TgWebrtcIn *in = g_new0 (TgWebrtcIn, 1);
  GstAppSinkCallbacks sink_callbacks = { .new_sample = ts_sample };
  GstElement *sink;

  in->name = g_strdup (spec->name);
  in->last_pts = GST_CLOCK_TIME_NONE;
  in->key_frame_every = GST_TIME_AS_USECONDS (spec->key_frame_every);
  in->callbacks = *callbacks;
  in->data = data;
  in->pipeline = gst_pipeline_new (NULL);
  in->webrtc = gst_element_factory_make ("webrtcbin", NULL);
  in->mux = gst_element_factory_make ("flvmux", NULL);
  sink = gst_element_factory_make ("appsink", NULL);
  if (in->webrtc == NULL || in->mux == NULL || sink == NULL)
    {
      g_set_error (error, TG_ERROR, TG_ERROR_FAILED,
                   "webrtcbin, flvmux or appsink is missing");
      g_clear_object (&in->webrtc);
      g_clear_object (&in->mux);
      g_clear_object (&sink);
      tg_webrtc_in_free (in);
      return NULL;
    }
  tg_webrtc_configure (in->webrtc);
  tg_debug_watch_errors (in->pipeline, in->name);
  g_object_set (in->mux, "latency", (guint64) MUX_LATENCY, "streamable", TRUE,
                NULL);
  g_object_set (sink, "sync", FALSE, NULL);
  gst_app_sink_set_callbacks (GST_APP_SINK (sink), &sink_callbacks, in, NULL);
  gst_bin_add_many (GST_BIN (in->pipeline), in->webrtc, in->mux, sink, NULL);
  if (!gst_element_link (in->mux, sink))
    {
      g_set_error (error, TG_ERROR, TG_ERROR_FAILED,
                   "Cannot link flvmux to appsink");
      tg_webrtc_in_free (in);
      return NULL;
    }
  in->want_video = spec->video;
  in->want_audio = spec->audio;
  in->want_aac = spec->aac;
  add_transceivers (in);
  g_signal_connect (in->webrtc, "pad-added", G_CALLBACK (pad_added), in);
  in->peer = tg_webrtc_peer_new (in->webrtc, &peer_callbacks, in);
  gst_element_set_state (in->pipeline, GST_STATE_PLAYING);
  return in;
}

/* Whether the offer's video can be H.264 ("H264/90000"). */
static gboolean
offers_h264 (const GstSDPMessage *sdp)
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

/* Whether the offer sends a track of this kind ("video", "audio"). */
static gboolean
offers (const GstSDPMessage *sdp, const char *kind)
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

/* The client's offer is set: our answer. */
static void
offer_set (GstPromise *promise, gpointer data)
{
  TgWebrtcIn *in = data;

  gst_promise_unref (promise);
  tg_webrtc_peer_create_answer (in->peer);
}

void
tg_webrtc_in_take_offer (TgWebrtcIn *in, const char *sdp)
{
  GstSDPMessage *message = NULL;
  GstWebRTCSessionDescription *offer;

  if (gst_sdp_message_new_from_text (sdp, &message) != GST_SDP_OK)
    {
      tg_webrtc_peer_fail (in->peer, "notSetRemoteDescription",
                           "unreadable offer");
      return;
    }
  if (in->video == NULL && in->want_video && offers (message, "video"))
    in->video = gst_element_request_pad_simple (in->mux, "video");
  if (in->audio == NULL && in->want_audio && offers (message, "audio")
      && (in->want_aac || in->video == NULL))
    in->audio = gst_element_request_pad_simple (in->mux, "audio");
  if (in->video)
    {
      /* H.264 if it can (VP8 costs a transcode): webrtcbin would otherwise
       * answer both, in the offer's order, and browsers put VP8 first. */
      g_autoptr (GstCaps) caps
          = gst_caps_from_string (offers_h264 (message) ? H264_CAPS : VP8_CAPS);

      g_object_set (in->video_transceiver, "codec-preferences", caps, NULL);
    }
  if (in->video == NULL && in->audio == NULL)
    {
      gst_sdp_message_free (message);
      tg_webrtc_peer_fail (in->peer, "notSetRemoteDescription",
                           "the offer sends no track");
      return;
    }
  offer
      = gst_webrtc_session_description_new (GST_WEBRTC_SDP_TYPE_OFFER, message);
  g_signal_emit_by_name (
      in->webrtc, "set-remote-description", offer,
      gst_promise_new_with_change_func (offer_set, in, NULL));
  gst_webrtc_session_description_free (offer);
}

void
tg_webrtc_in_take_candidate (TgWebrtcIn *in, guint mline, const char *candidate)
{
  g_signal_emit_by_name (in->webrtc, "add-ice-candidate", mline, candidate);
}

void
tg_webrtc_in_want_key_frame (TgWebrtcIn *in)
{
  g_atomic_int_set (&in->key_frame_wanted, TRUE);
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
  g_clear_object (&in->video);
  g_clear_object (&in->audio);
  gst_clear_object (&in->video_transceiver);
  g_clear_pointer (&in->peer, tg_webrtc_peer_free);
  g_free (in->name);
  g_free (in);
}
