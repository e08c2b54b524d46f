/* The plumbing around a webrtcbin (tg-webrtc-peer), between two real
 * webrtcbins in this process over the host's own addresses: one offers a
 * data channel, as a viewer does, the other answers, as a publisher does. */
#include <gst/gst.h>
#define GST_USE_UNSTABLE_API
#include <gst/webrtc/webrtc.h>

#include "tg-webrtc-net.h"
#include "tg-webrtc-peer.h"

typedef struct Side Side;
struct Side
{
  GstElement *pipeline, *webrtc;
  GObject *channel;
  TgWebrtcPeer *peer;
  Side *other;
  GstWebRTCSDPType type; /* what it makes */
  GMainLoop *loop;
  /* atomic */
  gint described, candidates, connected, failed, holds;
};

static void
described (const char *sdp, gpointer data)
{
  Side *side = data;
  GstSDPMessage *message = NULL;
  GstWebRTCSessionDescription *description;

  g_assert_cmpint (g_atomic_int_add (&side->described, 1), ==, 0);
  g_assert_cmpint (g_atomic_int_get (&side->candidates), ==, 0);
  g_assert_cmpint (gst_sdp_message_new_from_text (sdp, &message), ==,
                   GST_SDP_OK);
  description = gst_webrtc_session_description_new (side->type, message);
  g_signal_emit_by_name (side->other->webrtc, "set-remote-description",
                         description, NULL);
  gst_webrtc_session_description_free (description);
  if (side->type == GST_WEBRTC_SDP_TYPE_OFFER)
    tg_webrtc_peer_create_answer (side->other->peer);
}

/* Each comes after our description, with its m-line's mid. */
static void
candidate (guint mline, const char *mid, const char *text, gpointer data)
{
  Side *side = data;

  g_assert_cmpint (g_atomic_int_get (&side->described), ==, 1);
  g_assert_cmpuint (mline, ==, 0);
  g_assert_cmpstr (mid, !=, "");
  g_atomic_int_inc (&side->candidates);
  g_signal_emit_by_name (side->other->webrtc, "add-ice-candidate", mline, text);
}

static void
failed (const char *definition, const char *reason, gpointer data)
{
  Side *side = data;

  g_assert_cmpstr (definition, ==, "ice_connection_failed");
  g_atomic_int_inc (&side->failed);
}

/* On the main context, not from webrtcbin's signal. */
static void
connected (gpointer data)
{
  Side *side = data;

  g_assert_true (g_main_context_is_owner (NULL));
  g_atomic_int_inc (&side->connected);
  g_main_loop_quit (side->loop);
}

static gpointer
hold (gpointer data)
{
  Side *side = data;

  g_atomic_int_inc (&side->holds);
  return side;
}

static void
release (gpointer data)
{
  Side *side = data;

  g_assert_cmpint (g_atomic_int_add (&side->holds, -1), >, 0);
}

/* The offering side (a viewer's way: connected, and held while its
 * promise and the call to connected are pending), or the answering one
 * (a publisher's way: neither). */
static void
side_init (Side *side, Side *other, GstWebRTCSDPType type, GMainLoop *loop)
{
  TgWebrtcPeerCallbacks callbacks = {
    .description = described,
    .candidate = candidate,
    .failed = failed,
  };

  if (type == GST_WEBRTC_SDP_TYPE_OFFER)
    {
      callbacks.connected = connected;
      callbacks.ref = hold;
      callbacks.unref = release;
    }
  side->other = other;
  side->type = type;
  side->loop = loop;
  side->pipeline = gst_pipeline_new (NULL);
  side->webrtc = gst_element_factory_make ("webrtcbin", NULL);
  g_assert_nonnull (side->webrtc);
  tg_webrtc_configure (side->webrtc);
  gst_bin_add (GST_BIN (side->pipeline), side->webrtc);
  side->peer = tg_webrtc_peer_new (side->webrtc, &callbacks, side);
  gst_element_set_state (side->pipeline, GST_STATE_PLAYING);
  if (type == GST_WEBRTC_SDP_TYPE_OFFER)
    g_signal_emit_by_name (side->webrtc, "create-data-channel", "data", NULL,
                           &side->channel);
}

static void
side_clear (Side *side)
{
  tg_webrtc_peer_close (side->peer);
  gst_element_set_state (side->pipeline, GST_STATE_NULL);
  g_clear_object (&side->channel);
  gst_object_unref (side->pipeline);
  tg_webrtc_peer_free (side->peer);
  g_assert_cmpint (g_atomic_int_get (&side->holds), ==, 0);
}

static gboolean
too_long (gpointer data)
{
  g_error ("timed out");
  return G_SOURCE_REMOVE;
}

/* Until something quits the loop; 20 s at most. */
static void
run (GMainLoop *loop)
{
  guint timeout = g_timeout_add_seconds (20, too_long, NULL);

  g_main_loop_run (loop);
  g_source_remove (timeout);
}

static void
test_connects (void)
{
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  Side offering = { 0 }, answering = { 0 };

  side_init (&offering, &answering, GST_WEBRTC_SDP_TYPE_OFFER, loop);
  side_init (&answering, &offering, GST_WEBRTC_SDP_TYPE_ANSWER, loop);
  tg_webrtc_peer_create_offer (offering.peer);
  run (loop);
  g_assert_cmpint (offering.connected, ==, 1);
  g_assert_cmpint (offering.candidates, >, 0);
  g_assert_cmpint (answering.described, ==, 1);
  g_assert_cmpint (answering.candidates, >, 0);

  /* Failed once; then closed. */
  tg_webrtc_peer_fail (offering.peer, "ice_connection_failed", "test");
  tg_webrtc_peer_fail (offering.peer, "ice_connection_failed", "again");
  g_assert_cmpint (offering.failed, ==, 1);
  g_assert_false (tg_webrtc_peer_lock_open (offering.peer));
  g_assert_cmpint (answering.failed, ==, 0);

  side_clear (&answering);
  side_clear (&offering);
}

static gboolean
released (gpointer data)
{
  Side *side = data;

  if (g_atomic_int_get (&side->holds) > 0)
    return G_SOURCE_CONTINUE;
  g_main_loop_quit (side->loop);
  return G_SOURCE_REMOVE;
}

/* Closed before its offer comes: no callback, and what was held for the
 * offer is let go once webrtcbin has made it. */
static void
test_closed (void)
{
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  Side offering = { 0 }, answering = { 0 };

  side_init (&offering, &answering, GST_WEBRTC_SDP_TYPE_OFFER, loop);
  tg_webrtc_peer_close (offering.peer);
  tg_webrtc_peer_create_offer (offering.peer);
  tg_webrtc_peer_fail (offering.peer, "ice_connection_failed", "closed");
  g_timeout_add (10, released, &offering);
  run (loop);
  side_clear (&offering);
  g_assert_cmpint (offering.described, ==, 0);
  g_assert_cmpint (offering.failed, ==, 0);
}

/* A client's SDP: none for empty text (a WHIP POST without a body, a
 * WebSocket offer with "sdp": ""), which GStreamer's parser would take
 * for a programmer's error (a critical, fatal here), nor for text that is
 * not UTF-8, whose fmtp values GStreamer warns of when it makes caps. */
static void
test_parse_sdp (void)
{
  GstSDPMessage *sdp
      = tg_webrtc_parse_sdp ("v=0\r\no=- 1 0 IN IP4 0.0.0.0\r\n"
                             "s=-\r\nt=0 0\r\n"
                             "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n");

  g_assert_nonnull (sdp);
  g_assert_cmpuint (gst_sdp_message_medias_len (sdp), ==, 1);
  gst_sdp_message_free (sdp);
  g_assert_null (tg_webrtc_parse_sdp (""));
  g_assert_null (tg_webrtc_parse_sdp (NULL));
  g_assert_null (tg_webrtc_parse_sdp ("v=0\r\no=- 1 0 IN IP4 0.0.0.0\r\n"
                                      "s=\xf1\r\nt=0 0\r\n"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gst_init (&argc, &argv);
  g_test_add_func ("/webrtc-peer/connects", test_connects);
  g_test_add_func ("/webrtc-peer/closed", test_closed);
  g_test_add_func ("/webrtc-peer/parse-sdp", test_parse_sdp);
  return g_test_run ();
}
