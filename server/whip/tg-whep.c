/* WHEP play: the client's offer is answered by a viewer of the stream
 * (tg-viewer, answering), fed from the stream's shared RTP as a WebSocket
 * viewer is. The play token is checked at the POST and spent when ICE and
 * DTLS have connected (the viewer's tokencheck), as for a WebSocket
 * viewer: an attempt that never connects spends nothing. */
#include "tg-whip-session.h"

#include "tg-cluster.h"
#include "tg-sessions.h"

/* --- the viewer's callbacks, on any thread --- */

static void
viewer_answer (TgViewer *viewer, const char *sdp, gpointer data)
{
  tg_whip_session_answer (data, sdp);
}

static void
viewer_candidate (TgViewer *viewer, guint mline, const char *mid,
                  const char *candidate, gpointer data)
{
  tg_whip_session_candidate (data, mline, candidate);
}

static void
feed_viewer (TgStream *stream, gpointer viewer)
{
  tg_stream_feed_viewer (stream, viewer);
}

/* On the main context: feeding takes the stream's lock, then the
 * viewer's. */
static gboolean
feed (gpointer data)
{
  TgWhipSession *session = data;

  if (session->viewer)
    tg_live_with_stream (session->server->live, session->app,
                         session->stream_id, feed_viewer, session->viewer);
  return G_SOURCE_REMOVE;
}

static void
viewer_started (TgViewer *viewer, gpointer data)
{
  TgWhipSession *session = data;
  GSource *source = g_idle_source_new ();

  g_info ("%s: playing", session->name);
  tg_whip_session_started (session);
  g_source_set_callback (source, feed, tg_whip_session_ref (session),
                         (GDestroyNotify) tg_whip_session_unref);
  g_source_attach (source, NULL);
  g_source_unref (source);
}

static void
viewer_failed (TgViewer *viewer, const char *definition, const char *reason,
               gpointer data)
{
  gboolean client = g_strcmp0 (definition, "notSetRemoteDescription") == 0;

  tg_whip_session_failed (data,
                          client ? SOUP_STATUS_BAD_REQUEST
                                 : SOUP_STATUS_INTERNAL_SERVER_ERROR,
                          reason);
}

static void
viewer_gathered (TgViewer *viewer, gpointer data)
{
  tg_whip_session_gathered (data);
}

static const TgViewerCallbacks viewer_callbacks = {
  .offer = viewer_answer,
  .candidate = viewer_candidate,
  .started = viewer_started,
  .failed = viewer_failed,
  .gathered = viewer_gathered,
};

/* --- the session --- */

static void
remove_viewer (TgStream *stream, gpointer viewer)
{
  tg_stream_remove_viewer (stream, viewer);
}

/* DELETE, the stream's end, a failure, or no start in time. */
static void
end_playing (TgWhipSession *session)
{
  tg_sessions_close (session->server->sessions,
                     g_steal_pointer (&session->admitted));
  if (session->viewer == NULL)
    return;
  tg_live_with_stream (session->server->live, session->app, session->stream_id,
                       remove_viewer, session->viewer);
  tg_viewer_close (session->viewer);
}

typedef struct
{
  char *profile_level_id;
  gboolean audio, ready, baseline, added;
  TgViewer *viewer;
} Attach;

static void
describe (TgStream *stream, gpointer data)
{
  Attach *attach = data;

  attach->profile_level_id = tg_stream_describe (
      stream, &attach->audio, &attach->ready, &attach->baseline);
}

static void
add_viewer (TgStream *stream, gpointer data)
{
  Attach *attach = data;

  attach->added = tg_stream_add_viewer (stream, attach->viewer);
}

void
tg_whep_play (struct _TgWhip *whip, const TgWhipRequest *request)
{
  TgServer *server = request->server;
  g_autoptr (GError) error = NULL;
  Attach attach = { NULL };
  TgViewerSpec spec = { NULL };
  TgWhipSession *session;
  g_autofree char *tag = NULL;

  /* Before the stream's state, as a WebSocket play. */
  if (!tg_whip_admit (request, TG_TOKEN_TYPE_PLAY))
    return;
  if (!request->settings->webrtc_enabled
      || !tg_live_with_stream (server->live, request->app, request->stream_id,
                               describe, &attach)
      || !attach.ready)
    {
      g_free (attach.profile_level_id);
      if (request->settings->webrtc_enabled
          && tg_cluster_pull (server, request->app, request->stream_id))
        {
          /* live on another node: pulled here, played in a moment */
          soup_message_headers_replace (
              soup_server_message_get_response_headers (request->msg),
              "Retry-After", "1");
          tg_whip_reply (request->msg, SOUP_STATUS_SERVICE_UNAVAILABLE,
                         "the stream is on its way from its origin: retry");
          return;
        }
      g_info ("WHEP %s %s/%s refused: not live over WebRTC", request->peer,
              request->app, request->stream_id);
      tg_whip_reply (request->msg, SOUP_STATUS_NOT_FOUND, "no_stream_exist");
      return;
    }
  spec.app = request->app;
  spec.stream_id = request->stream_id;
  spec.token = tg_policy_scheme (request->settings->policy, TG_TOKEN_TYPE_PLAY)
                       != TG_SCHEME_NONE
                   ? request->token
                   : NULL;
  spec.store = server->store;
  spec.profile_level_id
      = attach.profile_level_id ? attach.profile_level_id : "42e01f";
  spec.audio = attach.audio;
  spec.baseline = attach.baseline ? "42e01f" : NULL;
  spec.offer = request->offer;
  if (!tg_viewer_check_offer (&spec, &error))
    {
      g_info ("WHEP %s %s/%s refused: %s", request->peer, request->app,
              request->stream_id, error->message);
      tg_whip_reply (request->msg, SOUP_STATUS_BAD_REQUEST, error->message);
      g_free (attach.profile_level_id);
      return;
    }
  session = tg_whip_session_new (whip, request, TRUE);
  session->end = end_playing;
  session->viewer = tg_viewer_new (&spec, &viewer_callbacks, session, &error);
  g_free (attach.profile_level_id);
  if (session->viewer == NULL)
    {
      g_message ("%s: %s", session->name, error->message);
      tg_whip_reply (request->msg, SOUP_STATUS_SERVICE_UNAVAILABLE,
                     "highResourceUsage");
      tg_whip_end (session);
      tg_whip_session_unref (session);
      return;
    }
  attach.viewer = session->viewer;
  if (!tg_live_with_stream (server->live, request->app, request->stream_id,
                            add_viewer, &attach)
      || !attach.added)
    {
      tg_whip_reply (request->msg, SOUP_STATUS_NOT_FOUND, "no_stream_exist");
      tg_whip_end (session);
      tg_whip_session_unref (session);
      return;
    }
  tag = tg_session_tag (spec.token);
  session->admitted
      = tg_sessions_open (server->sessions, TG_SESSION_WHEP, TG_TOKEN_TYPE_PLAY,
                          request->app, request->stream_id, request->peer, tag,
                          (TgSessionCut) tg_whip_end_later, session);
  tg_sessions_count_with (server->sessions, session->admitted, NULL,
                          (TgSessionBytes) tg_viewer_get_bytes_sent,
                          session->viewer);
  tg_whip_session_wait (session, request->msg);
  tg_whip_session_unref (session);
}
