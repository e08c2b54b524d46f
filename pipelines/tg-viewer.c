#include "tg-viewer.h"

#include <gst/app/gstappsrc.h>
#include <gst/video/video.h>
#define GST_USE_UNSTABLE_API
#include <gst/webrtc/webrtc.h>

#include "tg-debug.h"
#include "tg-webrtc-net.h"

/* RTP payload types the server offers. */
#define PT_H264 96
#define PT_OPUS 111
/* What a viewer that falls behind may have queued, per track. */
#define MAX_QUEUED (2 * 1024 * 1024)

struct _TgViewer
{
  gint refs;
  char *name; /* app/stream, for logs */
  char *app, *stream_id, *token;
  TgStore *store;
  char *profile_level_id;
  guint tracks;
  TgViewerCallbacks callbacks;
  gpointer data;
  GstElement *pipeline, *webrtc;
  GstPad *sinks[TG_VIEWER_TRACKS]; /* webrtcbin's, one per transceiver */
  GObject *channel;                /* the data channel */
  GMutex lock;                     /* for what follows */
  gboolean closed, starting;
  char *mids[TG_VIEWER_TRACKS + 1];      /* from the offer */
  GstElement *sources[TG_VIEWER_TRACKS]; /* appsrc, once started */
  gint key_frame_wanted;                 /* atomic */
  gboolean fresh;                        /* started, and fed no video yet */
};

GstCaps *
tg_viewer_caps (TgViewerTrack track, const char *profile_level_id)
{
  if (track == TG_VIEWER_VIDEO)
    return gst_caps_new_simple (
        "application/x-rtp", "media", G_TYPE_STRING, "video", "encoding-name",
        G_TYPE_STRING, "H264", "payload", G_TYPE_INT, PT_H264, "clock-rate",
        G_TYPE_INT, 90000, "packetization-mode", G_TYPE_STRING, "1",
        "profile-level-id", G_TYPE_STRING, profile_level_id, NULL);
  return gst_caps_new_simple (
      "application/x-rtp", "media", G_TYPE_STRING, "audio", "encoding-name",
      G_TYPE_STRING, "OPUS", "payload", G_TYPE_INT, PT_OPUS, "clock-rate",
      G_TYPE_INT, 48000, "encoding-params", G_TYPE_STRING, "2", NULL);
}

TgViewer *
tg_viewer_ref (TgViewer *viewer)
{
  g_atomic_int_inc (&viewer->refs);
  return viewer;
}

void
tg_viewer_unref (TgViewer *viewer)
{
  if (viewer == NULL || !g_atomic_int_dec_and_test (&viewer->refs))
    return;
  gst_element_set_state (viewer->pipeline, GST_STATE_NULL);
  for (guint t = 0; t < TG_VIEWER_TRACKS; t++)
    g_clear_object (&viewer->sinks[t]);
  g_clear_object (&viewer->channel);
  gst_object_unref (viewer->pipeline);
  g_mutex_clear (&viewer->lock);
  g_free (viewer->name);
  g_free (viewer->app);
  g_free (viewer->stream_id);
  g_free (viewer->token);
  g_free (viewer->profile_level_id);
  for (guint i = 0; i <= TG_VIEWER_TRACKS; i++)
    g_free (viewer->mids[i]);
  g_free (viewer);
}

/* Whether callbacks may still be made; the caller then holds the lock
 * until it has made them (close waits for it). */
static gboolean
lock_open (TgViewer *viewer)
{
  g_mutex_lock (&viewer->lock);
  if (!viewer->closed)
    return TRUE;
  g_mutex_unlock (&viewer->lock);
  return FALSE;
}

static void
fail (TgViewer *viewer, const char *definition, const char *reason)
{
  if (!lock_open (viewer))
    return;
  viewer->closed = TRUE;
  viewer->callbacks.failed (viewer, definition, reason, viewer->data);
  g_mutex_unlock (&viewer->lock);
}

/* --- the offer --- */

static void
offer_created (GstPromise *promise, gpointer data)
{
  TgViewer *viewer = data;
  const GstStructure *reply = gst_promise_get_reply (promise);
  GstWebRTCSessionDescription *offer = NULL;
  g_autofree char *text = NULL;

  if (reply)
    gst_structure_get (reply, "offer", GST_TYPE_WEBRTC_SESSION_DESCRIPTION,
                       &offer, NULL);
  gst_promise_unref (promise);
  if (offer == NULL)
    {
      fail (viewer, "notSetLocalDescription", "webrtcbin made no offer");
      return;
    }
  g_signal_emit_by_name (viewer->webrtc, "set-local-description", offer, NULL);
  text = gst_sdp_message_as_text (offer->sdp);
  g_mutex_lock (&viewer->lock);
  for (guint i = 0;
       i < gst_sdp_message_medias_len (offer->sdp) && i <= TG_VIEWER_TRACKS;
       i++)
    viewer->mids[i] = g_strdup (gst_sdp_media_get_attribute_val (
        gst_sdp_message_get_media (offer->sdp, i), "mid"));
  g_mutex_unlock (&viewer->lock);
  gst_webrtc_session_description_free (offer);
  if (lock_open (viewer))
    {
      viewer->callbacks.offer (viewer, text, viewer->data);
      g_mutex_unlock (&viewer->lock);
    }
}

static void
ice_candidate (GstElement *webrtc, guint mline, const char *candidate,
               gpointer data)
{
  TgViewer *viewer = data;

  g_autofree char *announced = tg_webrtc_announce (candidate);

  if (announced && lock_open (viewer))
    {
      const char *mid = mline <= TG_VIEWER_TRACKS ? viewer->mids[mline] : NULL;

      viewer->callbacks.candidate (viewer, mline, mid ? mid : "", announced,
                                   viewer->data);
      g_mutex_unlock (&viewer->lock);
    }
}

/* --- media, once ICE has connected (on the main context) --- */

/* webrtcbin asks for a key frame (the client sent a PLI or FIR): it is
 * asked of the publisher through the stream (tg_viewer_take_key_frame). */
static GstPadProbeReturn
key_frame_asked (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  TgViewer *viewer = data;

  if (gst_video_event_is_force_key_unit (gst_pad_probe_info_get_event (info)))
    g_atomic_int_set (&viewer->key_frame_wanted, TRUE);
  return GST_PAD_PROBE_OK;
}

static GstElement *
add_source (TgViewer *viewer, TgViewerTrack track)
{
  GstElement *source = gst_element_factory_make ("appsrc", NULL);
  g_autoptr (GstCaps) caps = tg_viewer_caps (track, viewer->profile_level_id);

  if (source == NULL)
    return NULL;
  g_object_set (source, "is-live", TRUE, "do-timestamp", TRUE, "format",
                GST_FORMAT_TIME, "caps", caps, "max-bytes",
                (guint64) MAX_QUEUED, "leaky-type", 2 /* downstream */, NULL);
  gst_bin_add (GST_BIN (viewer->pipeline), source);
  if (track == TG_VIEWER_VIDEO)
    {
      g_autoptr (GstPad) pad = gst_element_get_static_pad (source, "src");

      gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM,
                         key_frame_asked, viewer, NULL);
    }
  return source;
}

/* The token is spent here: tokencheck goes to READY before the viewer's
 * media is linked to webrtcbin. */
static gboolean
start_media (gpointer data)
{
  TgViewer *viewer = data;
  GstElement *sources[TG_VIEWER_TRACKS] = { NULL };
  GstElement *gate = NULL;

  if (!lock_open (viewer))
    return G_SOURCE_REMOVE;
  g_mutex_unlock (&viewer->lock);
  if (viewer->token)
    {
      gate = gst_element_factory_make ("tokencheck", NULL);
      if (gate == NULL)
        {
          fail (viewer, "highResourceUsage", "tokencheck is missing");
          return G_SOURCE_REMOVE;
        }
      g_object_set (gate, "app", viewer->app, "stream-id", viewer->stream_id,
                    "type", 1 /* play */, "token", viewer->token, NULL);
      gst_bin_add (GST_BIN (viewer->pipeline), gate);
      if (gst_element_set_state (gate, GST_STATE_READY)
          == GST_STATE_CHANGE_FAILURE)
        {
          fail (viewer, "unauthorized_access", "play token refused");
          return G_SOURCE_REMOVE;
        }
    }
  for (guint t = 0; t < viewer->tracks; t++)
    {
      g_autoptr (GstPad) out = NULL;
      GstElement *last = sources[t] = add_source (viewer, t);

      if (last == NULL)
        {
          fail (viewer, "highResourceUsage", "appsrc is missing");
          return G_SOURCE_REMOVE;
        }
      if (t == TG_VIEWER_VIDEO && gate)
        {
          if (!gst_element_link (last, gate))
            {
              fail (viewer, "notSetRemoteDescription", "could not link media");
              return G_SOURCE_REMOVE;
            }
          last = gate;
        }
      out = gst_element_get_static_pad (last, "src");
      if (gst_pad_link (out, viewer->sinks[t]) != GST_PAD_LINK_OK)
        {
          fail (viewer, "notSetRemoteDescription", "could not link media");
          return G_SOURCE_REMOVE;
        }
    }
  if (gate)
    gst_element_sync_state_with_parent (gate);
  for (guint t = 0; t < viewer->tracks; t++)
    gst_element_sync_state_with_parent (sources[t]);
  if (!lock_open (viewer))
    return G_SOURCE_REMOVE;
  for (guint t = 0; t < viewer->tracks; t++)
    viewer->sources[t] = sources[t];
  /* Its picture starts at a key frame: the stream's last one and what
   * came after it (tg_viewer_push's gop), or the next one, asked for now. */
  viewer->fresh = TRUE;
  g_atomic_int_set (&viewer->key_frame_wanted, TRUE);
  viewer->callbacks.started (viewer, viewer->data);
  g_mutex_unlock (&viewer->lock);
  return G_SOURCE_REMOVE;
}

static void
ice_state_changed (GstElement *webrtc, GParamSpec *pspec, gpointer data)
{
  TgViewer *viewer = data;
  GstWebRTCICEConnectionState state;

  g_object_get (webrtc, "ice-connection-state", &state, NULL);
  if (state == GST_WEBRTC_ICE_CONNECTION_STATE_FAILED)
    fail (viewer, "ice_connection_failed", "ICE failed");
}

/* ICE and DTLS are done: the media can start (media pushed into webrtcbin
 * before its DTLS is may never flow, in 1.22.0). */
static void
connection_state_changed (GstElement *webrtc, GParamSpec *pspec, gpointer data)
{
  TgViewer *viewer = data;
  GstWebRTCPeerConnectionState state;
  gboolean start = FALSE;

  g_object_get (webrtc, "connection-state", &state, NULL);
  if (state != GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED)
    return;
  g_mutex_lock (&viewer->lock);
  start = !viewer->starting && !viewer->closed;
  viewer->starting = TRUE;
  g_mutex_unlock (&viewer->lock);
  /* Never from inside webrtcbin's own signal: on the main context. */
  if (start)
    g_main_context_invoke_full (NULL, G_PRIORITY_DEFAULT, start_media,
                                tg_viewer_ref (viewer),
                                (GDestroyNotify) tg_viewer_unref);
}

/* --- the viewer --- */

static gboolean
add_transceivers (TgViewer *viewer, GError **error)
{
  for (guint t = 0; t < viewer->tracks; t++)
    {
      g_autoptr (GstCaps) caps = tg_viewer_caps (t, viewer->profile_level_id);
      g_autoptr (GstWebRTCRTPTransceiver) transceiver = NULL;

      viewer->sinks[t]
          = gst_element_request_pad_simple (viewer->webrtc, "sink_%u");
      if (viewer->sinks[t] == NULL)
        {
          g_set_error (error, TG_ERROR, TG_ERROR_FAILED,
                       "webrtcbin gave no pad");
          return FALSE;
        }
      g_object_get (viewer->sinks[t], "transceiver", &transceiver, NULL);
      g_object_set (transceiver, "direction",
                    GST_WEBRTC_RTP_TRANSCEIVER_DIRECTION_SENDONLY,
                    "codec-preferences", caps, NULL);
    }
  return TRUE;
}

/* libnice would also look for a UPnP gateway to open ports on, binding
 * random local ports for it (and warning when one is taken): not for a
 * server, whose addresses are its own. */
TgViewer *
tg_viewer_new (const TgViewerSpec *spec, const TgViewerCallbacks *callbacks,
               gpointer data, GError **error)
{
  TgViewer *viewer = g_new0 (TgViewer, 1);
  g_autoptr (GstContext) context = NULL;
  GstPromise *promise;

  viewer->refs = 1;
  viewer->name = g_strdup_printf ("%s/%s", spec->app, spec->stream_id);
  viewer->app = g_strdup (spec->app);
  viewer->stream_id = g_strdup (spec->stream_id);
  viewer->token = g_strdup (spec->token);
  viewer->store = spec->store;
  viewer->profile_level_id = g_strdup (spec->profile_level_id);
  viewer->tracks = spec->audio ? 2 : 1;
  viewer->callbacks = *callbacks;
  viewer->data = data;
  g_mutex_init (&viewer->lock);
  viewer->pipeline = gst_pipeline_new (NULL);
  viewer->webrtc = gst_element_factory_make ("webrtcbin", NULL);
  if (viewer->webrtc == NULL)
    {
      g_set_error (error, TG_ERROR, TG_ERROR_FAILED,
                   "GStreamer element webrtcbin is missing");
      viewer->closed = TRUE;
      tg_viewer_unref (viewer);
      return NULL;
    }
  tg_webrtc_configure (viewer->webrtc);
  gst_bin_add (GST_BIN (viewer->pipeline), viewer->webrtc);
  tg_debug_watch_errors (viewer->pipeline, viewer->name);
  context = gst_context_new (TG_STORE_CONTEXT_TYPE, TRUE);
  gst_structure_set (gst_context_writable_structure (context), "store",
                     TG_TYPE_STORE, spec->store, NULL);
  gst_element_set_context (viewer->pipeline, context);
  if (!add_transceivers (viewer, error))
    {
      viewer->closed = TRUE;
      tg_viewer_unref (viewer);
      return NULL;
    }
  g_signal_connect (viewer->webrtc, "on-ice-candidate",
                    G_CALLBACK (ice_candidate), viewer);
  g_signal_connect (viewer->webrtc, "notify::ice-connection-state",
                    G_CALLBACK (ice_state_changed), viewer);
  g_signal_connect (viewer->webrtc, "notify::connection-state",
                    G_CALLBACK (connection_state_changed), viewer);
  gst_element_set_state (viewer->pipeline, GST_STATE_PLAYING);
  g_signal_emit_by_name (viewer->webrtc, "create-data-channel", "data", NULL,
                         &viewer->channel);
  promise = gst_promise_new_with_change_func (
      offer_created, tg_viewer_ref (viewer), (GDestroyNotify) tg_viewer_unref);
  g_signal_emit_by_name (viewer->webrtc, "create-offer", NULL, promise);
  return viewer;
}

void
tg_viewer_take_answer (TgViewer *viewer, const char *sdp)
{
  GstSDPMessage *message = NULL;
  GstWebRTCSessionDescription *answer;

  if (gst_sdp_message_new_from_text (sdp, &message) != GST_SDP_OK)
    {
      fail (viewer, "notSetRemoteDescription", "unreadable answer");
      return;
    }
  answer = gst_webrtc_session_description_new (GST_WEBRTC_SDP_TYPE_ANSWER,
                                               message);
  g_signal_emit_by_name (viewer->webrtc, "set-remote-description", answer,
                         NULL);
  gst_webrtc_session_description_free (answer);
}

void
tg_viewer_take_candidate (TgViewer *viewer, guint mline, const char *candidate)
{
  if (mline < viewer->tracks)
    g_signal_emit_by_name (viewer->webrtc, "add-ice-candidate", mline,
                           candidate);
}

void
tg_push_restamped (GstElement *appsrc, GstBuffer *buffer)
{
  GstBuffer *copy = gst_buffer_copy (buffer);

  GST_BUFFER_PTS (copy) = GST_BUFFER_DTS (copy) = GST_CLOCK_TIME_NONE;
  gst_app_src_push_buffer (GST_APP_SRC (appsrc), copy);
}

void
tg_viewer_push (TgViewer *viewer, TgViewerTrack track, GstBuffer *rtp,
                GPtrArray *gop)
{
  GstElement *source = NULL;

  g_mutex_lock (&viewer->lock);
  if (!viewer->closed && track < viewer->tracks)
    source = viewer->sources[track];
  if (source && track == TG_VIEWER_VIDEO && viewer->fresh && gop)
    for (guint i = 0; i < gop->len; i++)
      tg_push_restamped (source, gop->pdata[i]);
  else if (source && rtp)
    tg_push_restamped (source, rtp);
  if (source && track == TG_VIEWER_VIDEO)
    viewer->fresh = FALSE;
  g_mutex_unlock (&viewer->lock);
}

gboolean
tg_viewer_take_key_frame (TgViewer *viewer)
{
  return g_atomic_int_exchange (&viewer->key_frame_wanted, FALSE);
}

void
tg_viewer_close (TgViewer *viewer)
{
  g_mutex_lock (&viewer->lock);
  viewer->closed = TRUE;
  g_mutex_unlock (&viewer->lock);
  gst_element_set_state (viewer->pipeline, GST_STATE_NULL);
}

void
tg_viewer_end (TgViewer *viewer)
{
  fail (viewer, NULL, "the stream ended");
}
