#include "tg-http.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "tg-accept.h"
#include "tg-cors.h"
#include "tg-http-guard.h"
#include "tg-peer-limit.h"
#include "tg-reply.h"
#include "tg-tls-stream.h"
#include "tollgate.h"

/* The front door: each worker accepts on its own sockets, holds each
 * client address to its share of connections, does the TLS handshake
 * itself (no thread per handshake), and gives libsoup the connection
 * wrapped in a guard (tg-http-guard.h) that checks every request head.
 * Once a second it ends the connections that outlived their deadlines. */

enum
{
  PLAIN,
  TLS,
  KINDS
};

typedef struct _Worker Worker;

/* A TLS handshake under way, driven from the worker's context. */
typedef struct
{
  Worker *worker;
  TgTlsStream *tls;
  char *peer;
  gint64 since;
  GSource *source; /* waits on the socket */
} Handshake;

struct _Worker
{
  GThread *thread;
  GMainContext *context;
  GMainLoop *loop;
  GSocket *sockets[KINDS]; /* NULL when disabled */
  TgAcceptor *acceptors[KINDS];
  SoupServer *server;
  GSocket *idle[2];   /* the socket pair behind the server's idle listener */
  GHashTable *guards; /* TgHttpGuard (a reference) -> peer */
  GHashTable *handshakes; /* Handshake (owned) */
  GSource *sweep;
  TgHttp *http;
  GMutex lock; /* started handshake */
  GCond started;
  gboolean running;
};

struct _TgHttp
{
  GPtrArray *workers;
  guint16 ports[KINDS];
  SSL_CTX *tls_context;
  TgPeerLimit *peers;
  gint64 request_timeout, idle_timeout; /* microseconds */
  SoupServerCallback handler;
  SoupServerWebsocketCallback websocket;
  gpointer handler_data;
  gpointer websocket_data;
  TgMetrics *metrics;
};

/* --- request size --- */

/* Answers 413 at once; what arrives of the body is discarded, not kept. */
static void
refuse_body (SoupServerMessage *msg)
{
  soup_message_body_set_accumulate (soup_server_message_get_request_body (msg),
                                    FALSE);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Connection", "close");
  tg_reply_result (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, FALSE,
                   "Request body is too large");
}

static void
got_chunk (SoupServerMessage *msg, GBytes *chunk, gpointer data)
{
  if (soup_server_message_get_status (msg) == 0
      && soup_server_message_get_request_body (msg)->length > TG_HTTP_MAX_BODY)
    refuse_body (msg);
}

static void
got_headers (SoupServerMessage *msg, gpointer data)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);

  /* Every answer, libsoup's own and refusals included. */
  tg_cors_add_headers (msg);
  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CHUNKED)
    g_signal_connect (msg, "got-chunk", G_CALLBACK (got_chunk), NULL);
  else if (soup_message_headers_get_content_length (headers) > TG_HTTP_MAX_BODY)
    refuse_body (msg);
}

static void
request_started (SoupServer *server, SoupServerMessage *msg, gpointer data)
{
  g_signal_connect (msg, "got-headers", G_CALLBACK (got_headers), NULL);
}

/* Answered (its response written): counted by status. */
static void
request_finished (SoupServer *server, SoupServerMessage *msg, gpointer data)
{
  char code[16];

  (void) server;
  g_snprintf (code, sizeof code, "%u", soup_server_message_get_status (msg));
  tg_metrics_add (data, "tollgate_http_requests_total",
                  "HTTP requests answered, by status code.", 1, "code", code,
                  NULL);
}

/* --- connections --- */

/* Marks the local address of a TLS connection (libsoup, which does not do
 * the TLS, takes it for plain HTTP). */
static GQuark
tls_quark (void)
{
  return g_quark_from_static_string ("tg-http-tls");
}

gboolean
tg_http_is_tls (SoupServerMessage *msg)
{
  GSocketAddress *local = soup_server_message_get_local_address (msg);

  return local && g_object_get_qdata (G_OBJECT (local), tls_quark ());
}

static void
guard_closed (TgHttpGuard *guard, gpointer data)
{
  Worker *worker = data;

  /* Removing it may drop the last reference: keep it for the call. */
  g_object_ref (guard);
  if (g_hash_table_remove (worker->guards, guard))
    tg_peer_limit_release (worker->http->peers, tg_http_guard_get_peer (guard));
  g_object_unref (guard);
}

/* The connection (plain, or TLS after its handshake) goes to libsoup. */
static void
serve (Worker *worker, GIOStream *stream, GSocket *socket, const char *peer)
{
  g_autoptr (GSocketAddress) local = g_socket_get_local_address (socket, NULL);
  g_autoptr (GSocketAddress) remote
      = g_socket_get_remote_address (socket, NULL);
  TgHttpGuard *guard;

  if (local == NULL || remote == NULL)
    {
      /* Gone already. */
      g_io_stream_close (stream, NULL, NULL);
      tg_peer_limit_release (worker->http->peers, peer);
      return;
    }
  if (G_IS_INET_SOCKET_ADDRESS (local) && TG_IS_TLS_STREAM (stream))
    g_object_set_qdata (G_OBJECT (local), tls_quark (), GINT_TO_POINTER (1));
  guard = tg_http_guard_new (stream, socket, peer, guard_closed, worker);
  g_hash_table_add (worker->guards, guard);
  soup_server_accept_iostream (worker->server, G_IO_STREAM (guard), local,
                               remote, NULL);
}

static void handshake_step (Handshake *handshake);

static void
handshake_free (Handshake *handshake)
{
  if (handshake->source)
    {
      g_source_destroy (handshake->source);
      g_source_unref (handshake->source);
    }
  g_clear_object (&handshake->tls);
  g_free (handshake->peer);
  g_free (handshake);
}

/* The handshake failed, timed out, or the worker stops. */
static void
handshake_drop (Handshake *handshake)
{
  Worker *worker = handshake->worker;

  g_io_stream_close (G_IO_STREAM (handshake->tls), NULL, NULL);
  tg_peer_limit_release (worker->http->peers, handshake->peer);
  g_hash_table_remove (worker->handshakes, handshake);
}

static gboolean
handshake_ready (GSocket *socket, GIOCondition condition, gpointer data)
{
  Handshake *handshake = data;

  g_clear_pointer (&handshake->source, g_source_unref);
  handshake_step (handshake);
  return G_SOURCE_REMOVE;
}

static void
handshake_step (Handshake *handshake)
{
  Worker *worker = handshake->worker;
  GSocket *socket = tg_tls_stream_get_socket (handshake->tls);
  g_autoptr (GError) error = NULL;
  GIOCondition wait = G_IO_IN;

  if (tg_tls_stream_handshake (handshake->tls, &wait, &error))
    {
      serve (worker, G_IO_STREAM (handshake->tls), socket, handshake->peer);
      g_hash_table_remove (worker->handshakes, handshake);
      return;
    }
  if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
    {
      g_info ("HTTPS %s: TLS handshake failed: %s", handshake->peer,
              error->message);
      handshake_drop (handshake);
      return;
    }
  handshake->source = g_socket_create_source (socket, wait, NULL);
  g_source_set_callback (handshake->source, G_SOURCE_FUNC (handshake_ready),
                         handshake, NULL);
  g_source_attach (handshake->source, worker->context);
}

static void
accepted (Worker *worker, GSocket *client, gboolean tls)
{
  g_autoptr (GSocketAddress) remote
      = g_socket_get_remote_address (client, NULL);
  g_autofree char *peer = tg_peer_name (remote);
  Handshake *handshake;

  if (!tg_peer_limit_take (worker->http->peers, peer))
    {
      g_socket_close (client, NULL);
      return;
    }
  g_socket_set_option (client, IPPROTO_TCP, TCP_NODELAY, TRUE, NULL);
  if (!tls)
    {
      g_autoptr (GSocketConnection) connection
          = g_socket_connection_factory_create_connection (client);

      serve (worker, G_IO_STREAM (connection), client, peer);
      return;
    }
  handshake = g_new0 (Handshake, 1);
  handshake->worker = worker;
  handshake->tls = tg_tls_stream_new (worker->http->tls_context, client);
  handshake->peer = g_steal_pointer (&peer);
  handshake->since = g_get_monotonic_time ();
  g_hash_table_add (worker->handshakes, handshake);
  handshake_step (handshake);
}

static void
accepted_plain (GSocket *client, gpointer data)
{
  accepted (data, client, FALSE);
}

static void
accepted_tls (GSocket *client, gpointer data)
{
  accepted (data, client, TRUE);
}

/* Once a second: connections past their deadlines are ended. */
static gboolean
sweep (gpointer data)
{
  Worker *worker = data;
  TgHttp *http = worker->http;
  gint64 now = g_get_monotonic_time ();
  GHashTableIter iter;
  gpointer key;
  g_autoptr (GPtrArray) late = g_ptr_array_new ();

  g_hash_table_iter_init (&iter, worker->guards);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    tg_http_guard_expire (key, now, http->request_timeout, http->idle_timeout);
  g_hash_table_iter_init (&iter, worker->handshakes);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (now - ((Handshake *) key)->since > http->request_timeout)
      g_ptr_array_add (late, key);
  for (guint i = 0; i < late->len; i++)
    {
      Handshake *handshake = late->pdata[i];

      g_info ("HTTPS %s: TLS handshake not complete in time", handshake->peer);
      handshake_drop (handshake);
    }
  return G_SOURCE_CONTINUE;
}

/* --- workers --- */

/* libsoup 3.2.3 keeps a connection alive after a response only while the
 * server has a listener of its own (soup-server.c, request_finished): it
 * gets one that never has a connection to accept, one end of a socket pair
 * that nothing writes to (libsoup takes a connected socket as a listener). */
static void
add_idle_listener (Worker *worker)
{
  int fds[2];
  g_autoptr (GError) error = NULL;

  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
    g_error ("socketpair: %s", g_strerror (errno));
  for (guint i = 0; i < 2; i++)
    worker->idle[i] = g_socket_new_from_fd (fds[i], &error);
  if (error == NULL)
    soup_server_listen_socket (worker->server, worker->idle[0], 0, &error);
  if (error)
    g_error ("The HTTP worker's idle listener: %s", error->message);
}

static void
worker_start (Worker *worker)
{
  TgHttp *http = worker->http;
  TgAccepted callbacks[KINDS] = { accepted_plain, accepted_tls };

  worker->server
      = soup_server_new ("server-header", "Tollgate", "raw-paths", TRUE, NULL);
  soup_server_add_handler (worker->server, NULL, http->handler,
                           http->handler_data, NULL);
  soup_server_add_websocket_handler (worker->server, NULL, NULL, NULL,
                                     http->websocket, http->websocket_data,
                                     NULL);
  g_signal_connect (worker->server, "request-started",
                    G_CALLBACK (request_started), NULL);
  g_signal_connect (worker->server, "request-finished",
                    G_CALLBACK (request_finished), http->metrics);
  add_idle_listener (worker);
  worker->guards = g_hash_table_new_full (NULL, NULL, g_object_unref, NULL);
  worker->handshakes = g_hash_table_new_full (
      NULL, NULL, (GDestroyNotify) handshake_free, NULL);
  for (guint i = 0; i < KINDS; i++)
    if (worker->sockets[i])
      worker->acceptors[i]
          = tg_acceptor_new (i == TLS ? "HTTPS" : "HTTP", worker->sockets[i],
                             worker->context, callbacks[i], worker);
  worker->sweep = g_timeout_source_new_seconds (1);
  g_source_set_callback (worker->sweep, sweep, worker, NULL);
  g_source_attach (worker->sweep, worker->context);
}

static void
worker_stop (Worker *worker)
{
  g_autoptr (GList) guards = NULL;

  for (guint i = 0; i < KINDS; i++)
    g_clear_pointer (&worker->acceptors[i], tg_acceptor_free);
  g_source_destroy (worker->sweep);
  g_source_unref (worker->sweep);
  g_hash_table_remove_all (worker->handshakes);
  soup_server_disconnect (worker->server);
  /* What libsoup no longer holds: WebSockets, lingering refusals. */
  guards = g_hash_table_get_keys (worker->guards);
  for (GList *l = guards; l; l = l->next)
    tg_http_guard_abort (l->data);
  g_clear_object (&worker->server);
  g_clear_object (&worker->idle[0]);
  g_clear_object (&worker->idle[1]);
  /* Let sources that libsoup released finish their teardown. */
  while (g_main_context_iteration (worker->context, FALSE))
    ;
  g_hash_table_unref (worker->guards);
  g_hash_table_unref (worker->handshakes);
}

static gpointer
worker_main (gpointer data)
{
  Worker *worker = data;

  g_main_context_push_thread_default (worker->context);
  worker_start (worker);
  g_mutex_lock (&worker->lock);
  worker->running = TRUE;
  g_cond_signal (&worker->started);
  g_mutex_unlock (&worker->lock);
  g_main_loop_run (worker->loop);
  worker_stop (worker);
  g_main_context_pop_thread_default (worker->context);
  return NULL;
}

static gboolean
quit_loop (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

static void
worker_free (Worker *worker)
{
  if (worker->thread)
    {
      /* Quit from inside the loop, so a loop not yet running still ends. */
      g_main_context_invoke (worker->context, quit_loop, worker->loop);
      g_thread_join (worker->thread);
    }
  for (guint i = 0; i < KINDS; i++)
    g_clear_object (&worker->sockets[i]);
  g_main_loop_unref (worker->loop);
  g_main_context_unref (worker->context);
  g_mutex_clear (&worker->lock);
  g_cond_clear (&worker->started);
  g_free (worker);
}

static void
start_worker (Worker *worker)
{
  worker->thread = g_thread_new ("tg-http", worker_main, worker);
  g_mutex_lock (&worker->lock);
  while (!worker->running)
    g_cond_wait (&worker->started, &worker->lock);
  g_mutex_unlock (&worker->lock);
}

TgHttp *
tg_http_new (const TgConfig *config, TgMetrics *metrics,
             GTlsCertificate *certificate, SoupServerCallback handler,
             gpointer handler_data, SoupServerWebsocketCallback websocket,
             gpointer websocket_data, GError **error)
{
  g_autoptr (TgHttp) http = g_new0 (TgHttp, 1);
  int wanted[KINDS] = { config->http_port, config->https_port };
  guint n = config->http_threads > 0 ? (guint) config->http_threads
                                     : g_get_num_processors ();

  http->workers = g_ptr_array_new_with_free_func ((GDestroyNotify) worker_free);
  http->peers = tg_peer_limit_new (
      "HTTP", (guint) config->http_connections_per_address);
  http->request_timeout
      = (gint64) config->http_request_timeout * G_USEC_PER_SEC;
  http->idle_timeout = (gint64) config->http_idle_timeout * G_USEC_PER_SEC;
  http->handler = handler;
  http->metrics = metrics;
  http->websocket = websocket;
  http->handler_data = handler_data;
  http->websocket_data = websocket_data;
  if (certificate && wanted[TLS])
    {
      http->tls_context = tg_tls_context_new (certificate, error);
      if (http->tls_context == NULL)
        return NULL;
    }
  for (guint w = 0; w < n; w++)
    {
      Worker *worker = g_new0 (Worker, 1);

      worker->http = http;
      worker->context = g_main_context_new ();
      worker->loop = g_main_loop_new (worker->context, FALSE);
      g_mutex_init (&worker->lock);
      g_cond_init (&worker->started);
      g_ptr_array_add (http->workers, worker);
      for (guint i = 0; i < KINDS; i++)
        {
          guint16 port;

          if (wanted[i] == 0 || (i == TLS && http->tls_context == NULL))
            continue;
          /* The first worker binds (a random port if asked); the others
           * join it on the port it got. */
          port = w > 0 ? http->ports[i]
                       : (config->random_ports ? 0 : (guint16) wanted[i]);
          worker->sockets[i]
              = tg_listen (config->bind_address, port, TRUE, error);
          if (worker->sockets[i] == NULL)
            return NULL;
          http->ports[i] = tg_listen_port (worker->sockets[i]);
        }
      start_worker (worker);
    }
  return g_steal_pointer (&http);
}

void
tg_http_free (TgHttp *http)
{
  if (http == NULL)
    return;
  g_ptr_array_unref (http->workers);
  g_clear_pointer (&http->tls_context, SSL_CTX_free);
  tg_peer_limit_free (http->peers);
  g_free (http);
}

guint16
tg_http_get_port (TgHttp *http, gboolean tls)
{
  return http->ports[tls ? TLS : PLAIN];
}
