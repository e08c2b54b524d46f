#include "tg-webrtc-peer.h"

#define GST_USE_UNSTABLE_API
#include <gst/webrtc/webrtc.h>

#include "tg-webrtc-net.h"

struct _TgWebrtcPeer
{
  GstElement *webrtc;
  TgWebrtcPeerCallbacks callbacks;
  gpointer data;
  const char *kind; /* what we make: "offer" or "answer" */
  GMutex lock;      /* for what follows */
  gboolean closed, connected, gathered;
  char *mids[4]; /* from our description: video, audio, data at most */
};

gboolean
tg_webrtc_peer_lock_open (TgWebrtcPeer *peer)
{
  g_mutex_lock (&peer->lock);
  if (!peer->closed)
    return TRUE;
  g_mutex_unlock (&peer->lock);
  return FALSE;
}

void
tg_webrtc_peer_unlock (TgWebrtcPeer *peer)
{
  g_mutex_unlock (&peer->lock);
}

void
tg_webrtc_peer_fail (TgWebrtcPeer *peer, const char *definition,
                     const char *reason)
{
  if (!tg_webrtc_peer_lock_open (peer))
    return;
  peer->closed = TRUE;
  peer->callbacks.failed (definition, reason, peer->data);
  g_mutex_unlock (&peer->lock);
}

/* The owner kept alive while webrtcbin has work of ours pending. */
static TgWebrtcPeer *
hold (TgWebrtcPeer *peer)
{
  if (peer->callbacks.ref)
    peer->callbacks.ref (peer->data);
  return peer;
}

static void
release (gpointer data)
{
  TgWebrtcPeer *peer = data;

  if (peer->callbacks.unref)
    peer->callbacks.unref (peer->data);
}

/* --- the client's SDP --- */

GstSDPMessage *
tg_webrtc_parse_sdp (const char *text)
{
  GstSDPMessage *sdp = NULL;

  if (text == NULL || *text == '\0' || !g_utf8_validate (text, -1, NULL))
    return NULL;
  if (gst_sdp_message_new_from_text (text, &sdp) != GST_SDP_OK)
    {
      g_clear_pointer (&sdp, gst_sdp_message_free);
      return NULL;
    }
  return sdp;
}

/* --- our offer or answer --- */

void
tg_webrtc_set_description (GstElement *webrtc, const char *signal,
                           GstWebRTCSessionDescription *description)
{
  GstPromise *promise = gst_promise_new ();

  g_signal_emit_by_name (webrtc, signal, description, promise);
  gst_promise_unref (promise);
}

static void
created (GstPromise *promise, gpointer data)
{
  TgWebrtcPeer *peer = data;
  const GstStructure *reply = gst_promise_get_reply (promise);
  GstWebRTCSessionDescription *description = NULL;
  g_autofree char *text = NULL;

  if (reply)
    gst_structure_get (reply, peer->kind, GST_TYPE_WEBRTC_SESSION_DESCRIPTION,
                       &description, NULL);
  gst_promise_unref (promise);
  if (description == NULL)
    {
      g_autofree char *reason
          = g_strdup_printf ("webrtcbin made no %s", peer->kind);

      tg_webrtc_peer_fail (peer, "notSetLocalDescription", reason);
      return;
    }
  tg_webrtc_set_description (peer->webrtc, "set-local-description",
                             description);
  text = gst_sdp_message_as_text (description->sdp);
  if (tg_webrtc_peer_lock_open (peer))
    {
      for (guint i = 0; i < gst_sdp_message_medias_len (description->sdp)
                        && i < G_N_ELEMENTS (peer->mids);
           i++)
        peer->mids[i] = g_strdup (gst_sdp_media_get_attribute_val (
            gst_sdp_message_get_media (description->sdp, i), "mid"));
      peer->callbacks.description (text, peer->data);
      g_mutex_unlock (&peer->lock);
    }
  gst_webrtc_session_description_free (description);
}

static void
create (TgWebrtcPeer *peer, const char *kind)
{
  g_autofree char *signal = g_strconcat ("create-", kind, NULL);

  peer->kind = kind;
  g_signal_emit_by_name (
      peer->webrtc, signal, NULL,
      gst_promise_new_with_change_func (created, hold (peer), release));
}

void
tg_webrtc_peer_create_offer (TgWebrtcPeer *peer)
{
  create (peer, "offer");
}

void
tg_webrtc_peer_create_answer (TgWebrtcPeer *peer)
{
  create (peer, "answer");
}

static void
offer_set (GstPromise *promise, gpointer data)
{
  gst_promise_unref (promise);
  tg_webrtc_peer_create_answer (data);
}

void
tg_webrtc_peer_answer (TgWebrtcPeer *peer, GstSDPMessage *offer)
{
  GstWebRTCSessionDescription *description
      = gst_webrtc_session_description_new (GST_WEBRTC_SDP_TYPE_OFFER, offer);

  g_signal_emit_by_name (
      peer->webrtc, "set-remote-description", description,
      gst_promise_new_with_change_func (offer_set, hold (peer), release));
  gst_webrtc_session_description_free (description);
}

/* --- candidates and states, from webrtcbin's signals --- */

static void
ice_candidate (GstElement *webrtc, guint mline, const char *candidate,
               gpointer data)
{
  TgWebrtcPeer *peer = data;
  g_autofree char *announced = tg_webrtc_announce (candidate);

  if (announced && tg_webrtc_peer_lock_open (peer))
    {
      const char *mid
          = mline < G_N_ELEMENTS (peer->mids) ? peer->mids[mline] : NULL;

      peer->callbacks.candidate (mline, mid ? mid : "", announced, peer->data);
      g_mutex_unlock (&peer->lock);
    }
}

static void
ice_state_changed (GstElement *webrtc, GParamSpec *pspec, gpointer data)
{
  GstWebRTCICEConnectionState state;

  g_object_get (webrtc, "ice-connection-state", &state, NULL);
  if (state == GST_WEBRTC_ICE_CONNECTION_STATE_FAILED)
    tg_webrtc_peer_fail (data, "ice_connection_failed", "ICE failed");
}

static void
gathering_state_changed (GstElement *webrtc, GParamSpec *pspec, gpointer data)
{
  TgWebrtcPeer *peer = data;
  GstWebRTCICEGatheringState state;

  g_object_get (webrtc, "ice-gathering-state", &state, NULL);
  if (state != GST_WEBRTC_ICE_GATHERING_STATE_COMPLETE
      || !tg_webrtc_peer_lock_open (peer))
    return;
  if (!peer->gathered)
    peer->callbacks.gathered (peer->data);
  peer->gathered = TRUE;
  g_mutex_unlock (&peer->lock);
}

static gboolean
connected (gpointer data)
{
  TgWebrtcPeer *peer = data;

  if (tg_webrtc_peer_lock_open (peer))
    {
      g_mutex_unlock (&peer->lock);
      peer->callbacks.connected (peer->data);
    }
  return G_SOURCE_REMOVE;
}

static void
connection_state_changed (GstElement *webrtc, GParamSpec *pspec, gpointer data)
{
  TgWebrtcPeer *peer = data;
  GstWebRTCPeerConnectionState state;
  gboolean first;

  g_object_get (webrtc, "connection-state", &state, NULL);
  if (state != GST_WEBRTC_PEER_CONNECTION_STATE_CONNECTED)
    return;
  g_mutex_lock (&peer->lock);
  first = !peer->connected && !peer->closed;
  peer->connected = TRUE;
  g_mutex_unlock (&peer->lock);
  /* Never from inside webrtcbin's own signal: on the main context. */
  if (first)
    g_main_context_invoke_full (NULL, G_PRIORITY_DEFAULT, connected,
                                hold (peer), release);
}

/* --- the peer --- */

TgWebrtcPeer *
tg_webrtc_peer_new (GstElement *webrtc, const TgWebrtcPeerCallbacks *callbacks,
                    gpointer data)
{
  TgWebrtcPeer *peer = g_new0 (TgWebrtcPeer, 1);

  peer->webrtc = gst_object_ref (webrtc);
  peer->callbacks = *callbacks;
  peer->data = data;
  g_mutex_init (&peer->lock);
  g_signal_connect (webrtc, "on-ice-candidate", G_CALLBACK (ice_candidate),
                    peer);
  g_signal_connect (webrtc, "notify::ice-connection-state",
                    G_CALLBACK (ice_state_changed), peer);
  if (callbacks->connected)
    g_signal_connect (webrtc, "notify::connection-state",
                      G_CALLBACK (connection_state_changed), peer);
  if (callbacks->gathered)
    g_signal_connect (webrtc, "notify::ice-gathering-state",
                      G_CALLBACK (gathering_state_changed), peer);
  return peer;
}

void
tg_webrtc_peer_close (TgWebrtcPeer *peer)
{
  if (tg_webrtc_peer_lock_open (peer))
    {
      peer->closed = TRUE;
      g_mutex_unlock (&peer->lock);
    }
}

void
tg_webrtc_peer_free (TgWebrtcPeer *peer)
{
  tg_webrtc_peer_close (peer);
  g_signal_handlers_disconnect_by_data (peer->webrtc, peer);
  gst_object_unref (peer->webrtc);
  for (guint i = 0; i < G_N_ELEMENTS (peer->mids); i++)
    g_free (peer->mids[i]);
  g_mutex_clear (&peer->lock);
  g_free (peer);
}
