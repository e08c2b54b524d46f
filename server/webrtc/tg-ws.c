#include "tg-ws.h"

#include "tg-cluster.h"
#include "tg-live.h"
#include "tg-path.h"
#include "tg-peer-limit.h"
#include "tg-sessions.h"
#include "tg-ws-client.h"
#include "tg-ws-publish.h"
#include "tg-ws-quality.h"

struct _TgWs
{
  TgServer *server;
  GMutex lock;
  GCond gone;
  GList *clients; /* TgWsClient, while connected */
  gboolean closing;
};

/* Largest frame a client may send (tg-signal.c refuses larger ones too). */
#define MAX_PAYLOAD (64 * 1024)
/* How long tg_ws_close waits for connections to go. */
#define CLOSE_WAIT_S 5

/* Work for the clients of an app about one of its streams, done on each
 * client's own context. */
static void
for_clients_of (TgWs *ws, const char *app, const char *stream_id,
                TgWsClientFunc func)
{
  if (ws == NULL)
    return;
  g_mutex_lock (&ws->lock);
  for (GList *l = ws->clients; l; l = l->next)
    {
      TgWsClient *client = l->data;

      if (g_str_equal (client->app, app))
        tg_ws_client_invoke (client, func, g_strdup (stream_id), g_free);
    }
  g_mutex_unlock (&ws->lock);
}

static void
send_started (TgWsClient *client, gpointer stream_id)
{
  if (g_hash_table_remove (client->waiting, stream_id))
    tg_ws_send (client,
                tg_signal_notification ("streaming_started", stream_id));
}

/* A publication's media is ready (the live registry's watcher): the
 * clients waiting for it are told (streaming_started). Any thread. */
static void
stream_started (TgPublication *publication, gpointer data)
{
  TgWs *ws = data;

  for_clients_of (ws, publication->app, publication->stream_id, send_started);
}

/* --- commands, on the client's context --- */

static void
get_stream_info (TgWsClient *client, TgSignalRequest *request)
{
  JsonObject *reply;
  TgWsLadder ladder;

  if (!tg_ws_read_ladder (client, request->stream_id, &ladder))
    {
      reply = tg_signal_error ("no_stream_exist", request->stream_id);
      json_object_set_string_member (reply, "error_code", "404");
      tg_ws_send (client, reply);
      return;
    }
  /* Ant Media's fields: the stream as it is, then each ABR rung. */
  reply = tg_signal_reply ("streamInformation", request->stream_id);
  json_object_set_array_member (reply, "streamInfo",
                                tg_ws_ladder_to_json (&ladder));
  tg_ws_send (client, reply);
}

/* --- playing over WebRTC --- */

/* One stream a client plays: the viewer callbacks' data. It lives as long
 * as its viewer may call back, which is less than its client. */
typedef struct
{
  TgWsClient *client;
  char *stream_id;
  TgViewer *viewer;
  /* Which video it is given: a rung, or -1 (the source); chosen from its
   * receiver's reports (auto), unless it asked for a height. */
  gint rung;
  gboolean auto_quality;
  TgWsAuto auto_state;
  GSource *reports;   /* asks for a report every second, once playing */
  TgSession *session; /* tg-sessions.h: once its viewer is added */
} Session;

/* Seconds between the reports a viewer on auto quality is asked for. */
#define REPORT_INTERVAL_S 1

static void
session_free (Session *session)
{
  tg_sessions_close (session->client->server->sessions, session->session);
  if (session->reports)
    {
      g_source_destroy (session->reports);
      g_source_unref (session->reports);
    }
  if (session->viewer)
    {
      tg_viewer_close (session->viewer);
      tg_viewer_unref (session->viewer);
    }
  g_free (session->stream_id);
  g_free (session);
}

static void
remove_viewer (TgStream *stream, gpointer viewer)
{
  tg_stream_remove_viewer (stream, viewer);
}

/* Ends the client's session of stream_id, if any; on the client's
 * context. */
static void
end_session (TgWsClient *client, const char *stream_id)
{
  Session *session = NULL;

  if (!g_hash_table_steal_extended (client->sessions, stream_id, NULL,
                                    (gpointer *) &session))
    return;
  if (session->viewer)
    tg_live_with_stream (client->server->live, client->app, session->stream_id,
                         remove_viewer, session->viewer);
  session_free (session);
}

/* A viewer's news, carried to its client's context. */
typedef struct
{
  TgViewer *viewer;
  char *stream_id;
  JsonObject *message;  /* or NULL */
  gboolean ends;        /* the session is over */
  gboolean feeds;       /* the viewer has started: give it the GOP */
  double fraction_lost; /* a receiver's report, or -1 */
} News;

static void
feed_viewer (TgStream *stream, gpointer viewer)
{
  tg_stream_feed_viewer (stream, viewer);
}

/* A second has passed: the viewer on auto quality is asked for its
 * receiver's report, if the stream has rungs to move it to. */
static gboolean
ask_report (gpointer data)
{
  Session *session = data;
  TgWsLadder ladder;

  if (session->auto_quality
      && tg_ws_read_ladder (session->client, session->stream_id, &ladder)
      && ladder.n_rungs > 0)
    tg_viewer_ask_report (session->viewer);
  return G_SOURCE_CONTINUE;
}

/* The viewer's receiver reported its losses: on auto quality, it may be
 * moved a level down or up the ladder. */
static void
take_report (Session *session, double fraction_lost)
{
  TgWsClient *client = session->client;
  TgWsLadder ladder;
  guint level, moved;
  gint height;
  JsonObject *notice;

  if (!session->auto_quality
      || !tg_ws_read_ladder (client, session->stream_id, &ladder)
      || ladder.n_rungs == 0)
    return;
  level = tg_ws_level_of_rung (&ladder, session->rung);
  moved = tg_ws_auto_report (&session->auto_state, fraction_lost, level,
                             ladder.n_rungs);
  if (moved == level)
    return;
  session->rung = tg_ws_rung_at_level (&ladder, moved, &height);
  tg_viewer_want_rung (session->viewer, session->rung);
  g_info ("WebSocket %s: %s/%s: %.0f%% of packets lost, moved %s to %dp",
          client->peer, client->app, session->stream_id, fraction_lost * 100,
          moved < level ? "down" : "up", height);
  notice = tg_signal_notification ("resolutionChangeInfo", session->stream_id);
  json_object_set_int_member (notice, "streamHeight", height);
  tg_ws_send (client, notice);
}

static void
deliver (TgWsClient *client, gpointer data)
{
  News *news = data;
  Session *session = g_hash_table_lookup (client->sessions, news->stream_id);

  if (session == NULL || session->viewer != news->viewer)
    return; /* a session that has already ended */
  if (news->message)
    tg_ws_send (client, g_steal_pointer (&news->message));
  if (news->fraction_lost >= 0)
    take_report (session, news->fraction_lost);
  if (news->feeds && session->reports == NULL)
    {
      session->reports = g_timeout_source_new_seconds (REPORT_INTERVAL_S);
      g_source_set_callback (session->reports, ask_report, session, NULL);
      g_source_attach (session->reports, client->context);
    }
  if (news->feeds)
    tg_live_with_stream (client->server->live, client->app, news->stream_id,
                         feed_viewer, news->viewer);
  if (news->ends)
    end_session (client, news->stream_id);
}

static void
news_free (gpointer data)
{
  News *news = data;

  tg_viewer_unref (news->viewer);
  g_free (news->stream_id);
  if (news->message)
    json_object_unref (news->message);
  g_free (news);
}

static void
tell (TgViewer *viewer, TgWsClient *client, const char *stream_id,
      JsonObject *message, gboolean ends)
{
  News *news = g_new0 (News, 1);

  news->viewer = tg_viewer_ref (viewer);
  news->stream_id = g_strdup (stream_id);
  news->message = message;
  news->ends = ends;
  news->fraction_lost = -1;
  tg_ws_client_invoke (client, deliver, news, news_free);
}

static void
viewer_offer (TgViewer *viewer, const char *sdp, gpointer data)
{
  Session *session = data;
  JsonObject *message
      = tg_signal_reply ("takeConfiguration", session->stream_id);

  json_object_set_string_member (message, "type", "offer");
  json_object_set_string_member (message, "sdp", sdp);
  json_object_set_object_member (message, "idMapping", json_object_new ());
  tell (viewer, session->client, session->stream_id, message, FALSE);
}

static void
viewer_candidate (TgViewer *viewer, guint mline, const char *mid,
                  const char *candidate, gpointer data)
{
  Session *session = data;
  JsonObject *message = tg_signal_reply ("takeCandidate", session->stream_id);

  json_object_set_int_member (message, "label", mline);
  json_object_set_string_member (message, "id", mid);
  json_object_set_string_member (message, "candidate", candidate);
  tell (viewer, session->client, session->stream_id, message, FALSE);
}

static void
viewer_started (TgViewer *viewer, gpointer data)
{
  Session *session = data;

  News *news = g_new0 (News, 1);

  g_info ("WebSocket %s: playing %s/%s", session->client->peer,
          session->client->app, session->stream_id);
  tell (viewer, session->client, session->stream_id,
        tg_signal_notification ("play_started", session->stream_id), FALSE);
  /* Fed from the client's context, later: feeding takes the stream's
   * lock, then the viewer's. */
  news->viewer = tg_viewer_ref (viewer);
  news->stream_id = g_strdup (session->stream_id);
  news->feeds = TRUE;
  news->fraction_lost = -1;
  tg_ws_client_invoke (session->client, deliver, news, news_free);
}

static void
viewer_report (TgViewer *viewer, double fraction_lost, gpointer data)
{
  Session *session = data;
  News *news = g_new0 (News, 1);

  news->viewer = tg_viewer_ref (viewer);
  news->stream_id = g_strdup (session->stream_id);
  news->fraction_lost = fraction_lost;
  tg_ws_client_invoke (session->client, deliver, news, news_free);
}

static void
viewer_failed (TgViewer *viewer, const char *definition, const char *reason,
               gpointer data)
{
  Session *session = data;

  g_info ("WebSocket %s: play of %s/%s over: %s", session->client->peer,
          session->client->app, session->stream_id, reason);
  tell (viewer, session->client, session->stream_id,
        definition
            ? tg_signal_error (definition, session->stream_id)
            : tg_signal_notification ("play_finished", session->stream_id),
        TRUE);
}

static const TgViewerCallbacks viewer_callbacks = {
  viewer_offer, viewer_candidate, viewer_started, viewer_failed, viewer_report,
};

typedef struct
{
  char *profile_level_id;
  gboolean audio, ready, baseline;
  TgViewer *viewer;
  gboolean added;
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

static void
send_no_stream (TgWsClient *client, const char *stream_id, gboolean may_wait)
{
  JsonObject *reply = tg_signal_error ("no_stream_exist", stream_id);

  json_object_set_string_member (reply, "error_code", "404");
  if (may_wait)
    {
      /* Told when it goes live; the token is kept for then. */
      g_hash_table_add (client->waiting, g_strdup (stream_id));
      json_object_set_string_member (reply, "information",
                                     "stream_not_exist_or_not_streaming");
    }
  tg_ws_send (client, reply);
}

/* The viewer asked for a height: it is given the video nearest it (the
 * source for 0, auto, which then follows its receiver's reports). */
static void
give_quality (TgWsClient *client, Session *session, gint height)
{
  session->rung = tg_ws_give_quality (client, session->stream_id,
                                      session->viewer, height);
  session->auto_quality = height == 0;
  tg_ws_auto_init (&session->auto_state);
}

/* An operator ended the session playing stream_id: on the client's
 * context, its viewer goes and its player is told (play_finished). */
static void
end_cut_session (TgWsClient *client, gpointer stream_id)
{
  Session *session = g_hash_table_lookup (client->sessions, stream_id);

  if (session == NULL || session->session == NULL
      || !tg_session_is_cut (session->session))
    return;
  g_info ("WebSocket %s: play of %s/%s ended by the operator", client->peer,
          client->app, (const char *) stream_id);
  end_session (client, stream_id);
  tg_ws_send (client, tg_signal_notification ("play_finished", stream_id));
}

/* Its session's cut (tg-sessions.h), under the sessions' lock. */
static void
cut_session (gpointer data)
{
  Session *session = data;

  tg_ws_client_invoke (session->client, end_cut_session,
                       g_strdup (session->stream_id), g_free);
}

static void
play (TgWsClient *client, TgSignalRequest *request)
{
  g_autofree char *tag = NULL;
  TgServer *server = client->server;
  g_autoptr (TgSettings) settings
      = tg_apps_get_settings (server->apps, client->app);
  g_autoptr (GError) error = NULL;
  const char *refusal;
  Attach attach = { NULL };
  TgViewerSpec spec = { NULL };
  Session *session;

  if (g_hash_table_contains (client->sessions, request->stream_id))
    {
      tg_ws_send_error (client, "already_playing", request->stream_id);
      return;
    }
  /* Before the stream's state: a player with a bad token learns it at
   * once and moves on to its next technology; a good one waits. */
  refusal = tg_ws_admit (client, request, settings, TG_TOKEN_TYPE_PLAY);
  if (refusal)
    {
      tg_ws_send_error (client, refusal, request->stream_id);
      return;
    }
  if (!settings->webrtc_enabled)
    {
      /* The app plays over HTTP only (webRTCEnabled false): as Ant Media
       * without a WebRTC muxer, the stream is not there for WebRTC, and
       * the player moves on to its next technology. */
      g_info ("WebSocket %s: play %s/%s refused: webRTCEnabled is false",
              client->peer, client->app, request->stream_id);
      send_no_stream (client, request->stream_id, FALSE);
      return;
    }
  if (!tg_live_with_stream (server->live, client->app, request->stream_id,
                            describe, &attach)
      || !attach.ready)
    {
      /* live on another node: pulled here, and the player told when it
       * can play (streaming_started) */
      if (tg_cluster_pull (server, client->app, request->stream_id))
        g_info ("WebSocket %s: %s/%s is pulled from its origin", client->peer,
                client->app, request->stream_id);
      send_no_stream (client, request->stream_id, TRUE);
      return;
    }
  spec.app = client->app;
  spec.stream_id = request->stream_id;
  spec.token = tg_policy_scheme (settings->policy, TG_TOKEN_TYPE_PLAY)
                       != TG_SCHEME_NONE
                   ? request->token
                   : NULL;
  spec.store = server->store;
  spec.profile_level_id
      = attach.profile_level_id ? attach.profile_level_id : "42e01f";
  spec.audio = attach.audio;
  /* a browser that refuses the stream's profile takes this one */
  spec.baseline = attach.baseline ? "42e01f" : NULL;
  session = g_new0 (Session, 1);
  session->client = client;
  session->stream_id = g_strdup (request->stream_id);
  session->rung = -1;
  session->auto_quality = TRUE;
  tg_ws_auto_init (&session->auto_state);
  session->viewer = tg_viewer_new (&spec, &viewer_callbacks, session, &error);
  g_free (attach.profile_level_id);
  if (session->viewer == NULL)
    {
      g_message ("WebSocket %s: %s", client->peer, error->message);
      session_free (session);
      tg_ws_send_error (client, "highResourceUsage", request->stream_id);
      return;
    }
  g_hash_table_insert (client->sessions, session->stream_id, session);
  attach.viewer = session->viewer;
  if (!tg_live_with_stream (server->live, client->app, request->stream_id,
                            add_viewer, &attach)
      || !attach.added)
    {
      end_session (client, request->stream_id);
      send_no_stream (client, request->stream_id, FALSE);
      return;
    }
  tag = tg_session_tag (spec.token);
  session->session = tg_sessions_open (
      server->sessions, TG_SESSION_WEBRTC, TG_TOKEN_TYPE_PLAY, client->app,
      request->stream_id, client->peer, tag, cut_session, session);
  tg_sessions_count_with (server->sessions, session->session, NULL,
                          (TgSessionBytes) tg_viewer_get_bytes_sent,
                          session->viewer);
  if (request->height >= 0)
    give_quality (client, session, request->height);
}

/* The viewer of the stream is moved to the video nearest the height asked
 * for: a rung of the ABR ladder, or the stream as published (0: "auto",
 * which with no estimate of the viewer's bandwidth is the source). */
static void
force_stream_quality (TgWsClient *client, TgSignalRequest *request)
{
  Session *session = g_hash_table_lookup (client->sessions, request->stream_id);

  if (session == NULL || session->viewer == NULL)
    {
      tg_ws_send_error (client, "notPlaying", request->stream_id);
      return;
    }
  give_quality (client, session, request->height);
}

static void
take_configuration (TgWsClient *client, TgSignalRequest *request)
{
  Session *session = g_hash_table_lookup (client->sessions, request->stream_id);

  if (tg_ws_publish_take (client, request))
    return;
  if (session && !request->is_offer)
    tg_viewer_take_answer (session->viewer, request->sdp);
}

static void
take_candidate (TgWsClient *client, TgSignalRequest *request)
{
  Session *session = g_hash_table_lookup (client->sessions, request->stream_id);

  if (tg_ws_publish_take (client, request))
    return;
  if (session)
    tg_viewer_take_candidate (session->viewer, request->label,
                              request->candidate);
}

static void
stop (TgWsClient *client, TgSignalRequest *request)
{
  g_hash_table_remove (client->waiting, request->stream_id);
  if (tg_ws_publish_stop (client, request->stream_id)
      || !g_hash_table_contains (client->sessions, request->stream_id))
    return;
  end_session (client, request->stream_id);
  tg_ws_send (client,
              tg_signal_notification ("play_finished", request->stream_id));
}

static void
handle (TgWsClient *client, TgSignalRequest *request)
{
  JsonObject *reply;

  switch (request->command)
    {
    case TG_SIGNAL_PING:
      tg_ws_send (client, tg_signal_reply ("pong", NULL));
      break;
    case TG_SIGNAL_GET_ICE_SERVER_CONFIG:
      /* No STUN or TURN server: the server announces its own addresses. */
      reply = tg_signal_reply ("iceServerConfig", NULL);
      json_object_set_string_member (reply, "stunServerUri", "");
      json_object_set_string_member (reply, "turnServerUsername", "");
      json_object_set_string_member (reply, "turnServerCredential", "");
      tg_ws_send (client, reply);
      break;
    case TG_SIGNAL_GET_STREAM_INFO:
      get_stream_info (client, request);
      break;
    case TG_SIGNAL_PUBLISH:
      tg_ws_publish (client, request);
      break;
    case TG_SIGNAL_PLAY:
      play (client, request);
      break;
    case TG_SIGNAL_STOP:
      stop (client, request);
      break;
    case TG_SIGNAL_TAKE_CONFIGURATION:
      take_configuration (client, request);
      break;
    case TG_SIGNAL_TAKE_CANDIDATE:
      take_candidate (client, request);
      break;
    case TG_SIGNAL_FORCE_STREAM_QUALITY:
      force_stream_quality (client, request);
      break;
    }
}

static void
on_message (SoupWebsocketConnection *connection, gint type, GBytes *message,
            gpointer data)
{
  TgWsClient *client = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (TgSignalRequest) request = NULL;
  TgSignalOutcome outcome;
  const char *definition = NULL;
  gsize size;
  const char *text = g_bytes_get_data (message, &size);

  tg_ws_client_heard (client);
  if (type != SOUP_WEBSOCKET_DATA_TEXT)
    {
      g_info ("WebSocket %s: closing: a binary frame", client->peer);
      soup_websocket_connection_close (connection,
                                       SOUP_WEBSOCKET_CLOSE_UNSUPPORTED_DATA,
                                       "text frames only");
      return;
    }
  request = tg_signal_parse (text, size, &outcome, &definition, &error);
  if (request)
    handle (client, request);
  else if (outcome == TG_SIGNAL_ANSWER)
    tg_ws_send_error (client, definition, NULL);
  else if (outcome == TG_SIGNAL_CLOSE)
    {
      g_info ("WebSocket %s: closing: %s", client->peer, error->message);
      soup_websocket_connection_close (
          connection, SOUP_WEBSOCKET_CLOSE_BAD_DATA, error->message);
    }
}

static void
on_closed (SoupWebsocketConnection *connection, gpointer data)
{
  TgWsClient *client = data;
  TgWs *ws = client->ws;

  g_autofree gpointer *keys
      = g_hash_table_get_keys_as_array (client->sessions, NULL);
  /* Copies: the keys go with their sessions. */
  g_auto (GStrv) playing = g_strdupv ((char **) keys);

  g_debug ("WebSocket %s: closed", client->peer);
  g_signal_handlers_disconnect_by_data (connection, client);
  tg_ws_client_unwatch_silence (client);
  tg_ws_publish_end_all (client);
  for (guint i = 0; playing[i]; i++)
    end_session (client, playing[i]);
  g_mutex_lock (&ws->lock);
  ws->clients = g_list_remove (ws->clients, client);
  g_cond_broadcast (&ws->gone);
  g_mutex_unlock (&ws->lock);
  /* Let go of it now, whatever still holds the client (a publish's stream
   * draining): libsoup 3.2 leaks the timer of a closed connection that
   * lives on for 5 s (on_timeout_close_io drops it without an unref). */
  g_clear_object (&client->connection);
  tg_ws_client_unref (client);
}

/* On the client's context: its stream is closed under it, which ends the
 * connection at once ("closed"), whatever the peer does. */
static void
cut (TgWsClient *client, gpointer data)
{
  if (client->connection)
    g_io_stream_close (
        soup_websocket_connection_get_io_stream (client->connection), NULL,
        NULL);
}

void
tg_ws_handle (SoupServer *soup, SoupServerMessage *msg, const char *path,
              SoupWebsocketConnection *connection, gpointer user_data)
{
  TgWs *ws = user_data;
  g_auto (GStrv) segments = tg_path_split (path);
  g_autofree char *peer
      = tg_peer_name (soup_server_message_get_remote_address (msg));
  TgWsClient *client = tg_ws_client_new (ws->server, ws, connection,
                                         segments ? segments[0] : "", peer);
  gboolean closing;

  soup_websocket_connection_set_max_incoming_payload_size (connection,
                                                           MAX_PAYLOAD);
  g_signal_connect (connection, "message", G_CALLBACK (on_message), client);
  g_signal_connect (connection, "closed", G_CALLBACK (on_closed), client);
  tg_ws_client_watch_silence (client);
  g_mutex_lock (&ws->lock);
  ws->clients = g_list_prepend (ws->clients, client);
  closing = ws->closing;
  g_mutex_unlock (&ws->lock);
  if (closing) /* the server is stopping */
    cut (client, NULL);
  g_debug ("WebSocket %s: connected to %s", client->peer, client->app);
}

TgWs *
tg_ws_new (TgServer *server)
{
  TgWs *ws = g_new0 (TgWs, 1);

  ws->server = server;
  g_mutex_init (&ws->lock);
  g_cond_init (&ws->gone);
  tg_live_watch (server->live, stream_started, ws);
  return ws;
}

void
tg_ws_close (TgWs *ws)
{
  gint64 deadline = g_get_monotonic_time () + CLOSE_WAIT_S * G_TIME_SPAN_SECOND;

  g_mutex_lock (&ws->lock);
  ws->closing = TRUE;
  for (GList *l = ws->clients; l; l = l->next)
    {
      TgWsClient *client = l->data;

      tg_ws_client_invoke (client, cut, NULL, NULL);
    }
  while (ws->clients && g_cond_wait_until (&ws->gone, &ws->lock, deadline))
    ;
  if (ws->clients)
    g_warning ("%u WebSocket connections did not close",
               g_list_length (ws->clients));
  g_mutex_unlock (&ws->lock);
}

void
tg_ws_free (TgWs *ws)
{
  if (ws == NULL)
    return;
  tg_live_unwatch (ws->server->live, stream_started, ws);
  g_mutex_clear (&ws->lock);
  g_cond_clear (&ws->gone);
  g_free (ws);
}
