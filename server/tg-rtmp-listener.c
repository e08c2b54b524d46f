#include "tg-rtmp-listener.h"

#include "tg-broadcast.h"
#include "tg-flv.h"
#include "tg-rest.h"
#include "tg-rtmp-session.h"
#include "tg-stream.h"

#define READ_SIZE (64 * 1024)
/* A connection that sends nothing for this long is closed: a stalled
 * publisher, or a client that never finishes its handshake. */
#define IDLE_TIMEOUT_S 30

struct _TgRtmpListener
{
  TgServer *server;
  GSocketService *service;
  guint16 port;
  GHashTable *live; /* "app/stream" -> Live */
  GList *conns;     /* Conn */
  guint sweep;      /* closes idle connections */
};

/* A stream being published. It outlives its connection: after the
 * publisher goes, the pipeline drains and the files are finalised. */
typedef struct
{
  TgRtmpListener *listener;
  char *key; /* app/stream */
  char *app;
  char *stream_id;
  TgStream *stream;
} Live;

typedef struct
{
  TgRtmpListener *listener;
  GSocketConnection *socket;
  GCancellable *cancel;
  TgRtmpSession *session;
  char *peer;
  guint8 *buffer;
  GByteArray *pending; /* bytes to send, not yet handed to a write */
  gboolean writing;
  gboolean closing; /* close once pending bytes are written */
  Live *live;       /* the stream this connection publishes, if any */
  gboolean sent_header;
  gint64 last_read; /* monotonic time of the last bytes received */
  /* Messages before the first audio or video frame: codec configuration.
   * Held back so that the FLV header can say which streams there are. */
  GPtrArray *early; /* GBytes, FLV tags */
  gboolean has_audio, has_video;
} Conn;

/* Most configuration messages held before the first frame. */
#define MAX_EARLY 32

static void conn_close (Conn *conn);

/* --- streams --- */

static void
live_free (Live *live)
{
  tg_stream_free (live->stream);
  g_free (live->key);
  g_free (live->app);
  g_free (live->stream_id);
  g_free (live);
}

static gboolean
live_free_idle (gpointer live)
{
  live_free (live);
  return G_SOURCE_REMOVE;
}

static void
stream_ended (TgStream *stream, const GError *error, gpointer data)
{
  Live *live = data;
  TgRtmpListener *listener = live->listener;
  g_autoptr (GError) store_error = NULL;

  g_info ("%s: publish ended%s%s", live->key, error ? ": " : "",
          error ? error->message : "");
  if (!tg_broadcast_ended (listener->server->store, live->app, live->stream_id,
                           &store_error))
    g_message ("%s: broadcast not updated: %s", live->key,
               store_error->message);
  g_hash_table_steal (listener->live, live->key);
  for (GList *l = listener->conns; l; l = l->next)
    {
      Conn *conn = l->data;

      if (conn->live == live)
        {
          conn->live = NULL;
          conn_close (conn); /* a failed pipeline ends its publisher */
        }
    }
  /* Not from inside the pipeline's own bus callback. */
  g_idle_add (live_free_idle, live);
}

/* --- writing --- */

static void flush (Conn *conn);

static void
written (GObject *source, GAsyncResult *result, gpointer data)
{
  Conn *conn = data;
  g_autoptr (GError) error = NULL;

  conn->writing = FALSE;
  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL,
                                         &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_debug ("RTMP %s: write failed: %s", conn->peer, error->message);
      g_byte_array_set_size (conn->pending, 0);
    }
  flush (conn);
}

static void conn_free (Conn *conn);

/* Starts writing what is pending; finishes a close once all is written. */
static void
flush (Conn *conn)
{
  GOutputStream *out;
  GBytes *bytes;

  if (conn->writing)
    return;
  if (conn->pending->len == 0)
    {
      if (conn->closing)
        conn_free (conn);
      return;
    }
  out = g_io_stream_get_output_stream (G_IO_STREAM (conn->socket));
  bytes = g_byte_array_free_to_bytes (conn->pending);
  conn->pending = g_byte_array_new ();
  conn->writing = TRUE;
  g_output_stream_write_all_async (out, g_bytes_get_data (bytes, NULL),
                                   g_bytes_get_size (bytes), G_PRIORITY_DEFAULT,
                                   conn->cancel, written, conn);
  /* The data lives until the write is done: tie it to the connection. */
  g_object_set_data_full (G_OBJECT (conn->socket), "tg-writing", bytes,
                          (GDestroyNotify) g_bytes_unref);
}

/* --- the session's callbacks --- */

static void
on_send (gpointer data, const guint8 *bytes, gsize size)
{
  Conn *conn = data;

  g_byte_array_append (conn->pending, bytes, size);
  flush (conn);
}

/* Why a publish is refused, or NULL; checks in PROTOCOL.md's order: the
 * undefined-stream rule before the token, so a refused request spends
 * nothing. */
static const char *
publish_problem (Conn *conn, TgSettings *settings, const char *app,
                 const char *stream_id, const char *token)
{
  TgRtmpListener *listener = conn->listener;
  g_autofree char *key = g_strdup_printf ("%s/%s", app, stream_id);

  if (settings == NULL)
    return "unknown application";
  if (!tg_stream_id_is_valid (stream_id))
    return "invalid stream id";
  if (settings->accept_only_streams_in_data_store)
    {
      g_autoptr (JsonObject) known
          = tg_broadcast_load (listener->server->store, app, stream_id, NULL);

      if (known == NULL)
        return "not_allowed_unregistered_streams";
    }
  if (g_hash_table_contains (listener->live, key))
    return "streamIdInUse";
  if (settings->publish_token_control && (token == NULL || *token == '\0'))
    return "no token";
  return NULL;
}

static void
on_publish (gpointer data, const char *app, const char *stream_id,
            const char *token)
{
  Conn *conn = data;
  TgRtmpListener *listener = conn->listener;
  g_autoptr (TgSettings) settings
      = tg_apps_get_settings (listener->server->apps, app);
  const char *problem = publish_problem (conn, settings, app, stream_id, token);
  g_autofree char *dir = NULL;
  g_autoptr (GError) error = NULL;
  TgStreamSpec spec = { 0 };
  Live *live;

  if (problem == NULL)
    {
      dir = g_build_filename (listener->server->config->data_dir, "streams",
                              app, NULL);
      spec = (TgStreamSpec){
        .app = app,
        .stream_id = stream_id,
        .token = settings->publish_token_control ? token : NULL,
        .store = listener->server->store,
        .dir = dir,
        .hls = settings->hls_muxing,
        .hls_delete = settings->delete_hls_on_end,
        .hls_time = g_ascii_strtod (settings->hls_time, NULL),
        .hls_list_size
        = (guint) g_ascii_strtoull (settings->hls_list_size, NULL, 10),
        .mp4 = settings->mp4_muxing
      };
      live = g_new0 (Live, 1);
      live->stream = tg_stream_new (&spec, stream_ended, live, &error);
      if (live->stream == NULL)
        {
          problem = error->message;
          g_free (live);
        }
    }
  if (problem != NULL)
    {
      g_info ("RTMP %s: publish of %s/%s refused: %s", conn->peer,
              app ? app : "?", stream_id ? stream_id : "?", problem);
      tg_rtmp_session_refuse (conn->session);
      conn->closing = TRUE;
      flush (conn);
      return;
    }
  live->listener = listener;
  live->app = g_strdup (app);
  live->stream_id = g_strdup (stream_id);
  live->key = g_strdup_printf ("%s/%s", app, stream_id);
  g_hash_table_insert (listener->live, live->key, live);
  conn->live = live;
  if (!tg_stream_start (live->stream, &error)
      || !tg_broadcast_went_live (listener->server->store, app, stream_id,
                                  "RTMP", conn->peer, &error))
    g_message ("RTMP %s: %s", conn->peer, error->message);
  g_info ("RTMP %s: publishing %s", conn->peer, live->key);
  tg_rtmp_session_accept (conn->session);
}

/* Whether an RTMP audio or video message is a frame, not configuration (an
 * AVC or AAC sequence header) or metadata. */
static gboolean
is_frame (guint8 type, const guint8 *bytes, gsize size)
{
  if (type == 9 && size >= 2 && (bytes[0] & 0x0f) == 7)
    return bytes[1] == 1; /* AVC NAL units */
  if (type == 8 && size >= 2 && (bytes[0] >> 4) == 10)
    return bytes[1] == 1; /* AAC raw */
  return type == 8 || type == 9;
}

static void
on_media (gpointer data, guint8 type, guint32 timestamp, const guint8 *bytes,
          gsize size)
{
  Conn *conn = data;

  GBytes *tag;

  if (conn->live == NULL)
    return;
  tag = tg_flv_tag (type, timestamp, bytes, size);
  if (conn->sent_header)
    {
      tg_stream_push (conn->live->stream, tag);
      return;
    }
  conn->has_audio |= type == 8;
  conn->has_video |= type == 9;
  g_ptr_array_add (conn->early, tag);
  if (!is_frame (type, bytes, size) && conn->early->len < MAX_EARLY)
    return;
  tg_stream_push (conn->live->stream,
                  tg_flv_header (conn->has_audio, conn->has_video));
  for (guint i = 0; i < conn->early->len; i++)
    tg_stream_push (conn->live->stream, g_bytes_ref (conn->early->pdata[i]));
  g_ptr_array_set_size (conn->early, 0);
  conn->sent_header = TRUE;
}

/* The publisher stopped, or went away: drain its stream. */
static void
on_unpublish (gpointer data)
{
  Conn *conn = data;

  if (conn->live)
    tg_stream_finish (conn->live->stream);
  conn->live = NULL;
}

static const TgRtmpCallbacks callbacks = {
  .send = on_send,
  .publish = on_publish,
  .media = on_media,
  .unpublish = on_unpublish,
};

/* --- reading --- */

static void read_more (Conn *conn);

static void
got_bytes (GObject *source, GAsyncResult *result, gpointer data)
{
  Conn *conn = data;
  g_autoptr (GError) error = NULL;
  gssize n
      = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);

  if (n < 0 && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return; /* conn_close cancelled: it owns the rest */
  if (n <= 0)
    {
      g_debug ("RTMP %s: %s", conn->peer,
               n == 0 ? "closed by peer" : error->message);
      conn_close (conn);
      return;
    }
  conn->last_read = g_get_monotonic_time ();
  if (!tg_rtmp_session_feed (conn->session, conn->buffer, n, &error))
    {
      g_info ("RTMP %s: closing: %s", conn->peer, error->message);
      conn_close (conn);
      return;
    }
  if (!conn->closing)
    read_more (conn);
}

static void
read_more (Conn *conn)
{
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (conn->socket));

  g_input_stream_read_async (in, conn->buffer, READ_SIZE, G_PRIORITY_DEFAULT,
                             conn->cancel, got_bytes, conn);
}

/* --- connections --- */

static void
conn_free (Conn *conn)
{
  TgRtmpListener *listener = conn->listener;

  listener->conns = g_list_remove (listener->conns, conn);
  on_unpublish (conn);
  g_cancellable_cancel (conn->cancel);
  g_io_stream_close (G_IO_STREAM (conn->socket), NULL, NULL);
  tg_rtmp_session_free (conn->session);
  g_object_unref (conn->socket);
  g_object_unref (conn->cancel);
  g_byte_array_unref (conn->pending);
  g_ptr_array_unref (conn->early);
  g_free (conn->buffer);
  g_free (conn->peer);
  g_free (conn);
}

/* Ends a connection: its stream drains, pending bytes are still sent. */
static void
conn_close (Conn *conn)
{
  on_unpublish (conn);
  conn->closing = TRUE;
  flush (conn);
}

static char *
peer_of (GSocketConnection *socket)
{
  g_autoptr (GSocketAddress) remote
      = g_socket_connection_get_remote_address (socket, NULL);

  if (!G_IS_INET_SOCKET_ADDRESS (remote))
    return g_strdup ("?");
  return g_inet_address_to_string (
      g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (remote)));
}

static gboolean
sweep_idle (gpointer data)
{
  TgRtmpListener *listener = data;
  gint64 limit = g_get_monotonic_time () - IDLE_TIMEOUT_S * G_USEC_PER_SEC;
  GList *idle = NULL;

  for (GList *l = listener->conns; l; l = l->next)
    {
      Conn *conn = l->data;

      if (!conn->closing && conn->last_read < limit)
        idle = g_list_prepend (idle, conn);
    }
  for (GList *l = idle; l; l = l->next)
    {
      Conn *conn = l->data;

      g_info ("RTMP %s: closing: nothing received for %d s", conn->peer,
              IDLE_TIMEOUT_S);
      /* A stalled peer may not read either: drop what is unsent. */
      g_cancellable_cancel (conn->cancel);
      conn_close (conn);
    }
  g_list_free (idle);
  return G_SOURCE_CONTINUE;
}

static gboolean
incoming (GSocketService *service, GSocketConnection *socket, GObject *source,
          gpointer data)
{
  TgRtmpListener *listener = data;
  Conn *conn = g_new0 (Conn, 1);

  conn->listener = listener;
  conn->socket = g_object_ref (socket);
  conn->cancel = g_cancellable_new ();
  conn->peer = peer_of (socket);
  conn->buffer = g_malloc (READ_SIZE);
  conn->last_read = g_get_monotonic_time ();
  conn->pending = g_byte_array_new ();
  conn->early = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  conn->session = tg_rtmp_session_new (&callbacks, conn);
  listener->conns = g_list_prepend (listener->conns, conn);
  g_debug ("RTMP %s: connected", conn->peer);
  read_more (conn);
  return TRUE;
}

TgRtmpListener *
tg_rtmp_listener_new (TgServer *server, GError **error)
{
  const TgConfig *config = server->config;
  g_autoptr (GInetAddress) any
      = g_inet_address_new_from_string (config->bind_address);
  g_autoptr (GSocketAddress) address = NULL;
  g_autoptr (GSocketAddress) bound = NULL;
  TgRtmpListener *listener;

  if (any == NULL)
    {
      g_set_error (error, TG_ERROR, TG_ERROR_INVALID,
                   "bind-address '%s' is not an IP address",
                   config->bind_address);
      return NULL;
    }
  address = g_inet_socket_address_new (
      any, config->random_ports ? 0 : (guint16) config->rtmp_port);
  listener = g_new0 (TgRtmpListener, 1);
  listener->server = server;
  listener->live = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                          (GDestroyNotify) live_free);
  listener->service = g_socket_service_new ();
  if (!g_socket_listener_add_address (
          G_SOCKET_LISTENER (listener->service), address, G_SOCKET_TYPE_STREAM,
          G_SOCKET_PROTOCOL_TCP, NULL, &bound, error))
    {
      g_prefix_error (error, "RTMP port %d: ", config->rtmp_port);
      tg_rtmp_listener_free (listener);
      return NULL;
    }
  listener->port
      = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_signal_connect (listener->service, "incoming", G_CALLBACK (incoming),
                    listener);
  g_socket_service_start (listener->service);
  listener->sweep = g_timeout_add_seconds (5, sweep_idle, listener);
  return listener;
}

void
tg_rtmp_listener_free (TgRtmpListener *listener)
{
  if (listener == NULL)
    return;
  if (listener->sweep)
    g_source_remove (listener->sweep);
  g_socket_service_stop (listener->service);
  g_socket_listener_close (G_SOCKET_LISTENER (listener->service));
  while (listener->conns)
    conn_free (listener->conns->data);
  g_hash_table_unref (listener->live);
  g_object_unref (listener->service);
  g_free (listener);
}

typedef struct
{
  TgServer *server;
  char *key;
} StopRequest;

static void
stop_request_free (StopRequest *request)
{
  g_free (request->key);
  g_free (request);
}

static gboolean
stop_stream (gpointer data)
{
  StopRequest *request = data;
  TgRtmpListener *listener = request->server->rtmp;
  Live *live
      = listener ? g_hash_table_lookup (listener->live, request->key) : NULL;
  GList *publishers = NULL;

  if (live == NULL)
    return G_SOURCE_REMOVE;
  g_info ("%s: stopped by request", request->key);
  for (GList *l = listener->conns; l; l = l->next)
    if (((Conn *) l->data)->live == live)
      publishers = g_list_prepend (publishers, l->data);
  for (GList *l = publishers; l; l = l->next)
    {
      Conn *conn = l->data;

      g_cancellable_cancel (conn->cancel);
      conn_close (conn); /* finishes the stream */
    }
  g_list_free (publishers);
  return G_SOURCE_REMOVE;
}

void
tg_rtmp_stop_stream (TgServer *server, const char *app, const char *stream_id)
{
  StopRequest *request = g_new0 (StopRequest, 1);

  request->server = server;
  request->key = g_strdup_printf ("%s/%s", app, stream_id);
  g_main_context_invoke_full (NULL, G_PRIORITY_DEFAULT, stop_stream, request,
                              (GDestroyNotify) stop_request_free);
}

guint16
tg_rtmp_listener_get_port (TgRtmpListener *listener)
{
  return listener->port;
}
