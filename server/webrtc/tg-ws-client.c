#include "tg-ws-client.h"

#include "tg-live.h"

TgWsClient *
tg_ws_client_new (TgServer *server, struct _TgWs *ws,
                  SoupWebsocketConnection *connection, const char *app,
                  const char *peer)
{
  TgWsClient *client = g_new0 (TgWsClient, 1);

  client->refs = 1;
  client->server = server;
  client->ws = ws;
  client->connection = g_object_ref (connection);
  client->context = g_main_context_ref_thread_default ();
  client->app = g_strdup (app);
  client->peer = g_strdup (peer);
  client->waiting
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  /* Keys are the sessions' and publishes' own stream ids. */
  client->sessions = g_hash_table_new (g_str_hash, g_str_equal);
  client->publishing = g_hash_table_new (g_str_hash, g_str_equal);
  return client;
}

TgWsClient *
tg_ws_client_ref (TgWsClient *client)
{
  g_atomic_int_inc (&client->refs);
  return client;
}

void
tg_ws_client_unref (TgWsClient *client)
{
  if (!g_atomic_int_dec_and_test (&client->refs))
    return;
  g_clear_object (&client->connection);
  g_main_context_unref (client->context);
  g_hash_table_unref (client->waiting);
  g_hash_table_unref (client->sessions);
  g_hash_table_unref (client->publishing);
  g_free (client->app);
  g_free (client->peer);
  g_free (client);
}

/* --- work carried to the client's context --- */

typedef struct
{
  TgWsClient *client;
  TgWsClientFunc func;
  gpointer data;
  GDestroyNotify free;
} Hop;

static gboolean
hop_run (gpointer data)
{
  Hop *hop = data;

  hop->func (hop->client, hop->data);
  return G_SOURCE_REMOVE;
}

static void
hop_free (gpointer data)
{
  Hop *hop = data;

  if (hop->free)
    hop->free (hop->data);
  tg_ws_client_unref (hop->client);
  g_free (hop);
}

void
tg_ws_client_invoke (TgWsClient *client, TgWsClientFunc func, gpointer data,
                     GDestroyNotify free)
{
  Hop *hop = g_new (Hop, 1);
  GSource *source = g_idle_source_new ();

  hop->client = tg_ws_client_ref (client);
  hop->func = func;
  hop->data = data;
  hop->free = free;
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, hop_run, hop, hop_free);
  g_source_attach (source, client->context);
  g_source_unref (source);
}

/* --- silence --- */

void
tg_ws_client_heard (TgWsClient *client)
{
  client->last_heard = g_get_monotonic_time ();
}

static void
on_pong (SoupWebsocketConnection *connection, GBytes *message, gpointer data)
{
  tg_ws_client_heard (data);
}

static gboolean
check_silence (gpointer data)
{
  TgWsClient *client = data;

  if (g_get_monotonic_time () - client->last_heard
          < TG_WS_SILENCE_S * G_TIME_SPAN_SECOND
      || client->connection == NULL)
    return G_SOURCE_CONTINUE;
  g_info ("WebSocket %s: closed: nothing received for %d s", client->peer,
          TG_WS_SILENCE_S);
  /* at once: a peer that does not read would not finish a closing
   * handshake */
  g_io_stream_close (
      soup_websocket_connection_get_io_stream (client->connection), NULL, NULL);
  return G_SOURCE_REMOVE;
}

void
tg_ws_client_watch_silence (TgWsClient *client)
{
  tg_ws_client_heard (client);
  soup_websocket_connection_set_keepalive_interval (client->connection,
                                                    TG_WS_PING_S);
  g_signal_connect (client->connection, "pong", G_CALLBACK (on_pong), client);
  client->silence = g_timeout_source_new_seconds (TG_WS_PING_S / 2);
  g_source_set_callback (client->silence, check_silence,
                         tg_ws_client_ref (client),
                         (GDestroyNotify) tg_ws_client_unref);
  g_source_attach (client->silence, client->context);
}

void
tg_ws_client_unwatch_silence (TgWsClient *client)
{
  if (client->silence == NULL)
    return;
  g_source_destroy (client->silence);
  g_clear_pointer (&client->silence, g_source_unref);
}

/* --- sending, on the client's context --- */

void
tg_ws_send (TgWsClient *client, JsonObject *object)
{
  g_autofree char *text = tg_signal_to_text (object);

  if (client->connection
      && soup_websocket_connection_get_state (client->connection)
             == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_send_text (client->connection, text);
  json_object_unref (object);
}

void
tg_ws_send_error (TgWsClient *client, const char *definition,
                  const char *stream_id)
{
  tg_ws_send (client, tg_signal_error (definition, stream_id));
}

/* The admission's outcome as an error definition of PROTOCOL.md 5. */
static const char *
definition_of (TgAdmit outcome)
{
  switch (outcome)
    {
    case TG_ADMIT_OK:
      return NULL;
    case TG_ADMIT_INVALID_STREAM_ID:
      return "invalidStreamName";
    case TG_ADMIT_UNREGISTERED:
      return "not_allowed_unregistered_streams";
    case TG_ADMIT_IN_USE:
      return "streamIdInUse";
    case TG_ADMIT_STORE_ERROR:
      return "highResourceUsage";
    case TG_ADMIT_UNKNOWN_APP:
    case TG_ADMIT_NO_TOKEN:
    case TG_ADMIT_REFUSED:
      return "unauthorized_access";
    }
  return "unauthorized_access";
}

const char *
tg_ws_admit (TgWsClient *client, TgSignalRequest *request,
             const TgSettings *settings, TgTokenType type)
{
  TgServer *server = client->server;
  TgLiveWanted wanted = { server->live, client->app, request->stream_id };
  TgAdmission admission = { .app = client->app,
                            .stream_id = request->stream_id,
                            .type = type,
                            .credential = request->token,
                            .door = "WebRTC",
                            .peer = client->peer };

  if (type == TG_TOKEN_TYPE_PUBLISH)
    {
      admission.claim = tg_live_is_free;
      admission.claim_data = &wanted;
    }
  return definition_of (tg_admit (server->store,
                                  settings ? settings->policy : NULL,
                                  &admission, NULL, NULL));
}
