#include "tg-ws.h"

#include "tg-broadcast.h"
#include "tg-live.h"
#include "tg-path.h"
#include "tg-signal.h"

/* Largest frame a client may send (tg-signal.c refuses larger ones too). */
#define MAX_PAYLOAD (64 * 1024)
/* How long tg_ws_free waits for connections to go. */
#define CLOSE_WAIT_S 5

struct _TgWs
{
  TgServer *server;
  GMutex lock;
  GCond gone;
  GList *clients; /* Client, while connected */
  gboolean closing;
};

/* One connection. Used on its worker's context; other threads only queue
 * frames for it (send_later). */
typedef struct
{
  gint refs;
  TgWs *ws;
  SoupWebsocketConnection *connection;
  GMainContext *context;
  char *app;
  char *peer;
  GHashTable *waiting; /* stream ids this client waits to see go live */
} Client;

static Client *
client_ref (Client *client)
{
  g_atomic_int_inc (&client->refs);
  return client;
}

static void
client_unref (Client *client)
{
  if (!g_atomic_int_dec_and_test (&client->refs))
    return;
  g_object_unref (client->connection);
  g_main_context_unref (client->context);
  g_hash_table_unref (client->waiting);
  g_free (client->app);
  g_free (client->peer);
  g_free (client);
}

/* --- sending, on the client's context --- */

static void
send_object (Client *client, JsonObject *object)
{
  g_autofree char *text = tg_signal_to_text (object);

  if (soup_websocket_connection_get_state (client->connection)
      == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_send_text (client->connection, text);
  json_object_unref (object);
}

static void
send_error (Client *client, const char *definition, const char *stream_id)
{
  send_object (client, tg_signal_error (definition, stream_id));
}

typedef struct
{
  Client *client;
  char *stream_id;
} Started;

static gboolean
send_started (gpointer data)
{
  Started *started = data;
  Client *client = started->client;

  if (g_hash_table_remove (client->waiting, started->stream_id))
    send_object (client, tg_signal_notification ("streaming_started",
                                                 started->stream_id));
  return G_SOURCE_REMOVE;
}

static void
started_free (gpointer data)
{
  Started *started = data;

  client_unref (started->client);
  g_free (started->stream_id);
  g_free (started);
}

void
tg_ws_stream_started (TgWs *ws, const char *app, const char *stream_id)
{
  if (ws == NULL)
    return;
  g_mutex_lock (&ws->lock);
  for (GList *l = ws->clients; l; l = l->next)
    {
      Client *client = l->data;
      Started *started;

      if (!g_str_equal (client->app, app))
        continue;
      /* The waiting set is the client's context's to read: it decides
       * there. */
      started = g_new0 (Started, 1);
      started->client = client_ref (client);
      started->stream_id = g_strdup (stream_id);
      g_main_context_invoke_full (client->context, G_PRIORITY_DEFAULT,
                                  send_started, started, started_free);
    }
  g_mutex_unlock (&ws->lock);
}

/* --- commands, on the client's context --- */

static void
get_stream_info (Client *client, TgSignalRequest *request)
{
  TgServer *server = client->ws->server;
  JsonObject *reply;

  if (!tg_live_is_claimed (server->live, client->app, request->stream_id))
    {
      reply = tg_signal_error ("no_stream_exist", request->stream_id);
      json_object_set_string_member (reply, "error_code", "404");
      send_object (client, reply);
      return;
    }
  reply = tg_signal_reply ("streamInformation", request->stream_id);
  json_object_set_array_member (reply, "streamInfo", json_array_new ());
  send_object (client, reply);
}

/* The one-time token rule, checked without spending: NULL when the token
 * would do (or none is needed), else the error definition. */
static const char *
check_token (Client *client, TgSignalRequest *request, gboolean needed,
             TgTokenType type)
{
  TgServer *server = client->ws->server;
  TgVerdict verdict;

  if (!needed)
    return NULL;
  if (request->token == NULL)
    return "unauthorized_access";
  verdict = tg_store_check (server->store, client->app, request->token,
                            request->stream_id, type, NULL);
  return verdict == TG_VERDICT_OK ? NULL : "unauthorized_access";
}

static void
publish (Client *client, TgSignalRequest *request)
{
  TgServer *server = client->ws->server;
  g_autoptr (TgSettings) settings
      = tg_apps_get_settings (server->apps, client->app);
  const char *refusal = NULL;

  if (settings->accept_only_streams_in_data_store)
    {
      g_autoptr (JsonObject) known = tg_broadcast_load (
          server->store, client->app, request->stream_id, NULL);

      if (known == NULL)
        refusal = "not_allowed_unregistered_streams";
    }
  if (refusal == NULL
      && tg_live_is_claimed (server->live, client->app, request->stream_id))
    refusal = "streamIdInUse";
  if (refusal == NULL)
    refusal = check_token (client, request, settings->publish_token_control,
                           TG_TOKEN_TYPE_PUBLISH);
  /* The media side (webrtcbin) is not there yet: a publish that passes
   * every check is told so, and nothing is spent. */
  if (refusal == NULL)
    refusal = "webrtc_media_unavailable";
  g_info ("WebSocket %s: publish %s/%s refused: %s", client->peer, client->app,
          request->stream_id, refusal);
  send_error (client, refusal, request->stream_id);
}

static void
play (Client *client, TgSignalRequest *request)
{
  TgServer *server = client->ws->server;
  g_autoptr (TgSettings) settings
      = tg_apps_get_settings (server->apps, client->app);
  const char *refusal;
  JsonObject *reply;

  if (!tg_live_is_claimed (server->live, client->app, request->stream_id))
    {
      /* Told when it goes live; the token is kept for then. */
      g_hash_table_add (client->waiting, g_strdup (request->stream_id));
      reply = tg_signal_error ("no_stream_exist", request->stream_id);
      json_object_set_string_member (reply, "error_code", "404");
      json_object_set_string_member (reply, "information",
                                     "stream_not_exist_or_not_streaming");
      send_object (client, reply);
      return;
    }
  refusal = check_token (client, request, settings->play_token_control,
                         TG_TOKEN_TYPE_PLAY);
  if (refusal == NULL)
    refusal = "webrtc_media_unavailable";
  send_error (client, refusal, request->stream_id);
}

static void
handle (Client *client, TgSignalRequest *request)
{
  JsonObject *reply;

  switch (request->command)
    {
    case TG_SIGNAL_PING:
      send_object (client, tg_signal_reply ("pong", NULL));
      break;
    case TG_SIGNAL_GET_ICE_SERVER_CONFIG:
      /* No STUN or TURN server: the server announces its own addresses. */
      reply = tg_signal_reply ("iceServerConfig", NULL);
      json_object_set_string_member (reply, "stunServerUri", "");
      json_object_set_string_member (reply, "turnServerUsername", "");
      json_object_set_string_member (reply, "turnServerCredential", "");
      send_object (client, reply);
      break;
    case TG_SIGNAL_GET_STREAM_INFO:
      get_stream_info (client, request);
      break;
    case TG_SIGNAL_PUBLISH:
      publish (client, request);
      break;
    case TG_SIGNAL_PLAY:
      play (client, request);
      break;
    case TG_SIGNAL_STOP:
      g_hash_table_remove (client->waiting, request->stream_id);
      break;
    case TG_SIGNAL_TAKE_CONFIGURATION:
    case TG_SIGNAL_TAKE_CANDIDATE:
      /* No session can be negotiating yet. */
      break;
    }
}

static void
on_message (SoupWebsocketConnection *connection, gint type, GBytes *message,
            gpointer data)
{
  Client *client = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (TgSignalRequest) request = NULL;
  TgSignalOutcome outcome;
  const char *definition = NULL;
  gsize size;
  const char *text = g_bytes_get_data (message, &size);

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
    send_error (client, definition, NULL);
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
  Client *client = data;
  TgWs *ws = client->ws;

  g_debug ("WebSocket %s: closed", client->peer);
  g_signal_handlers_disconnect_by_data (connection, client);
  g_mutex_lock (&ws->lock);
  ws->clients = g_list_remove (ws->clients, client);
  g_cond_broadcast (&ws->gone);
  g_mutex_unlock (&ws->lock);
  client_unref (client);
}

/* On the client's context: its stream is closed under it, which ends the
 * connection at once ("closed"), whatever the peer does. */
static gboolean
cut (gpointer data)
{
  Client *client = data;

  g_io_stream_close (
      soup_websocket_connection_get_io_stream (client->connection), NULL, NULL);
  return G_SOURCE_REMOVE;
}

void
tg_ws_handle (SoupServer *soup, SoupServerMessage *msg, const char *path,
              SoupWebsocketConnection *connection, gpointer user_data)
{
  TgServer *server = user_data;
  TgWs *ws = server->ws;
  g_auto (GStrv) segments = tg_path_split (path);
  GInetSocketAddress *remote
      = G_INET_SOCKET_ADDRESS (soup_server_message_get_remote_address (msg));
  gboolean closing;
  Client *client;

  client = g_new0 (Client, 1);
  client->refs = 1;
  client->ws = ws;
  client->connection = g_object_ref (connection);
  client->context = g_main_context_ref_thread_default ();
  client->app = g_strdup (segments ? segments[0] : "");
  client->peer = remote ? g_inet_address_to_string (
                     g_inet_socket_address_get_address (remote))
                        : g_strdup ("?");
  client->waiting
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  soup_websocket_connection_set_max_incoming_payload_size (connection,
                                                           MAX_PAYLOAD);
  g_signal_connect (connection, "message", G_CALLBACK (on_message), client);
  g_signal_connect (connection, "closed", G_CALLBACK (on_closed), client);
  g_mutex_lock (&ws->lock);
  ws->clients = g_list_prepend (ws->clients, client);
  closing = ws->closing;
  g_mutex_unlock (&ws->lock);
  if (closing) /* the server is stopping */
    cut (client);
  g_debug ("WebSocket %s: connected to %s", client->peer, client->app);
}

TgWs *
tg_ws_new (TgServer *server)
{
  TgWs *ws = g_new0 (TgWs, 1);

  ws->server = server;
  g_mutex_init (&ws->lock);
  g_cond_init (&ws->gone);
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
      Client *client = l->data;

      g_main_context_invoke_full (client->context, G_PRIORITY_DEFAULT, cut,
                                  client_ref (client),
                                  (GDestroyNotify) client_unref);
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
  g_mutex_clear (&ws->lock);
  g_cond_clear (&ws->gone);
  g_free (ws);
}
