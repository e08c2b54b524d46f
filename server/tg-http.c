#include "tg-http.h"

#include "tg-reply.h"
#include "tollgate.h"

#include <errno.h>
#include <sys/socket.h>

typedef struct
{
  GThread *thread;
  GMainContext *context;
  GMainLoop *loop;
  GSocket *sockets[2]; /* HTTP, HTTPS; NULL when disabled */
  TgHttp *http;
  GMutex lock; /* started handshake */
  GCond started;
  gboolean running;
  GError *error;
} Worker;

struct _TgHttp
{
  GPtrArray *workers;
  guint16 ports[2];
  GTlsCertificate *certificate;
  SoupServerCallback handler;
  SoupServerWebsocketCallback websocket;
  gpointer handler_data;
};

/* --- libsoup 3.2.3 idle keep-alive leak ---
 * After a keep-alive response, libsoup 3.2.3 waits for the next request
 * without anyone to tell when the client closes instead (fixed in 3.3.0 by
 * "server: do not leak idle connections closed by the client"): the socket
 * stays open for ever. So between requests we watch the socket ourselves,
 * at a priority below libsoup's: when libsoup has had its turn and the
 * socket is at end of stream (or has input nobody reads), we close it. A new
 * request disarms the watch before it can fire. */

static GQuark
idle_watch_quark (void)
{
  return g_quark_from_static_string ("tg-idle-watch");
}

static gboolean
idle_socket_ready (GSocket *socket, GIOCondition condition, gpointer data)
{
  if (!g_socket_is_closed (socket))
    {
      char byte;
      gssize n
          = recv (g_socket_get_fd (socket), &byte, 1, MSG_PEEK | MSG_DONTWAIT);

      if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return G_SOURCE_CONTINUE;
      g_socket_close (socket, NULL);
    }
  g_source_unref (
      g_object_steal_qdata (G_OBJECT (socket), idle_watch_quark ()));
  return G_SOURCE_REMOVE;
}

static void
disarm (GSocket *socket)
{
  GSource *watch
      = g_object_steal_qdata (G_OBJECT (socket), idle_watch_quark ());

  if (watch)
    {
      g_source_destroy (watch);
      g_source_unref (watch);
    }
}

static void
arm (GSocket *socket)
{
  GSource *watch;

  if (socket == NULL || g_socket_is_closed (socket)
      || g_object_get_qdata (G_OBJECT (socket), idle_watch_quark ()))
    return;
  watch = g_socket_create_source (socket, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
  g_source_set_priority (watch, G_PRIORITY_LOW);
  g_source_set_callback (watch, G_SOURCE_FUNC (idle_socket_ready), NULL, NULL);
  g_source_attach (watch, g_main_context_get_thread_default ());
  g_object_set_qdata (G_OBJECT (socket), idle_watch_quark (), watch);
}

static void
request_finished (SoupServer *server, SoupServerMessage *msg, gpointer data)
{
  arm (soup_server_message_get_socket (msg));
}

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

  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CHUNKED)
    g_signal_connect (msg, "got-chunk", G_CALLBACK (got_chunk), NULL);
  else if (soup_message_headers_get_content_length (headers) > TG_HTTP_MAX_BODY)
    refuse_body (msg);
}

static void
request_started (SoupServer *server, SoupServerMessage *msg, gpointer data)
{
  GSocket *socket = soup_server_message_get_socket (msg);

  if (socket)
    disarm (socket);
  g_signal_connect (msg, "got-headers", G_CALLBACK (got_headers), NULL);
}

/* --- workers --- */

static gpointer
worker_main (gpointer data)
{
  Worker *worker = data;
  TgHttp *http = worker->http;
  g_autoptr (SoupServer) server = NULL;
  GError *error = NULL;

  g_main_context_push_thread_default (worker->context);
  server = soup_server_new ("server-header", "Tollgate", "raw-paths", TRUE,
                            "tls-certificate", http->certificate, NULL);
  soup_server_add_handler (server, NULL, http->handler, http->handler_data,
                           NULL);
  soup_server_add_websocket_handler (server, NULL, NULL, NULL, http->websocket,
                                     http->handler_data, NULL);
  g_signal_connect (server, "request-started", G_CALLBACK (request_started),
                    NULL);
  g_signal_connect (server, "request-finished", G_CALLBACK (request_finished),
                    NULL);
  for (guint i = 0; i < 2 && error == NULL; i++)
    if (worker->sockets[i])
      soup_server_listen_socket (server, worker->sockets[i],
                                 i ? SOUP_SERVER_LISTEN_HTTPS : 0, &error);

  g_mutex_lock (&worker->lock);
  worker->error = error;
  worker->running = TRUE;
  g_cond_signal (&worker->started);
  g_mutex_unlock (&worker->lock);

  if (error == NULL)
    g_main_loop_run (worker->loop);
  soup_server_disconnect (server);
  g_clear_object (&server);
  /* Let sources that libsoup released finish their teardown. */
  while (g_main_context_iteration (worker->context, FALSE))
    ;
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
  for (guint i = 0; i < 2; i++)
    g_clear_object (&worker->sockets[i]);
  g_main_loop_unref (worker->loop);
  g_main_context_unref (worker->context);
  g_clear_error (&worker->error);
  g_mutex_clear (&worker->lock);
  g_cond_clear (&worker->started);
  g_free (worker);
}

/* A listening socket on address:port shared with the other workers. */
static GSocket *
listen_on (const char *address, guint16 port, GError **error)
{
  g_autoptr (GInetAddress) inet = g_inet_address_new_from_string (address);
  g_autoptr (GSocketAddress) sockaddr = NULL;
  g_autoptr (GSocket) socket = NULL;
  struct sockaddr_storage native;

  if (inet == NULL)
    {
      g_set_error (error, TG_ERROR, TG_ERROR_INVALID,
                   "bind-address '%s' is not an IP address", address);
      return NULL;
    }
  sockaddr = g_inet_socket_address_new (inet, port);
  socket = g_socket_new (g_inet_address_get_family (inet), G_SOCKET_TYPE_STREAM,
                         G_SOCKET_PROTOCOL_TCP, error);
  if (socket == NULL
      || !g_socket_set_option (socket, SOL_SOCKET, SO_REUSEADDR, 1, error)
      || !g_socket_set_option (socket, SOL_SOCKET, SO_REUSEPORT, 1, error))
    return NULL;
  /* Not g_socket_bind(): it turns SO_REUSEPORT off on stream sockets. */
  g_socket_address_to_native (sockaddr, &native, sizeof native, NULL);
  if (bind (g_socket_get_fd (socket), (struct sockaddr *) &native,
            g_socket_address_get_native_size (sockaddr))
      != 0)
    {
      int code = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (code),
                   "Cannot listen on [%s]:%u: %s", address, port,
                   g_strerror (code));
      return NULL;
    }
  g_socket_set_listen_backlog (socket, 1024);
  if (!g_socket_listen (socket, error))
    return NULL;
  return g_steal_pointer (&socket);
}

static guint16
bound_port (GSocket *socket)
{
  g_autoptr (GSocketAddress) local = g_socket_get_local_address (socket, NULL);

  return local ? g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local))
               : 0;
}

static gboolean
start_worker (TgHttp *http, Worker *worker, GError **error)
{
  worker->thread = g_thread_new ("tg-http", worker_main, worker);
  g_mutex_lock (&worker->lock);
  while (!worker->running)
    g_cond_wait (&worker->started, &worker->lock);
  g_mutex_unlock (&worker->lock);
  if (worker->error)
    {
      g_propagate_error (error, g_steal_pointer (&worker->error));
      return FALSE;
    }
  return TRUE;
}

TgHttp *
tg_http_new (const TgConfig *config, GTlsCertificate *certificate,
             SoupServerCallback handler, SoupServerWebsocketCallback websocket,
             gpointer handler_data, GError **error)
{
  g_autoptr (TgHttp) http = g_new0 (TgHttp, 1);
  int wanted[2] = { config->http_port, config->https_port };
  guint n = config->http_threads > 0 ? (guint) config->http_threads
                                     : g_get_num_processors ();

  http->workers = g_ptr_array_new_with_free_func ((GDestroyNotify) worker_free);
  http->certificate = certificate ? g_object_ref (certificate) : NULL;
  http->handler = handler;
  http->websocket = websocket;
  http->handler_data = handler_data;
  for (guint w = 0; w < n; w++)
    {
      Worker *worker = g_new0 (Worker, 1);

      worker->http = http;
      worker->context = g_main_context_new ();
      worker->loop = g_main_loop_new (worker->context, FALSE);
      g_mutex_init (&worker->lock);
      g_cond_init (&worker->started);
      g_ptr_array_add (http->workers, worker);
      for (guint i = 0; i < 2; i++)
        {
          guint16 port;

          if (wanted[i] == 0 || (i == 1 && certificate == NULL))
            continue;
          /* The first worker binds (a random port if asked); the others
           * join it on the port it got. */
          port = w > 0 ? http->ports[i]
                       : (config->random_ports ? 0 : (guint16) wanted[i]);
          worker->sockets[i] = listen_on (config->bind_address, port, error);
          if (worker->sockets[i] == NULL)
            return NULL;
          http->ports[i] = bound_port (worker->sockets[i]);
        }
      if (!start_worker (http, worker, error))
        return NULL;
    }
  return g_steal_pointer (&http);
}

void
tg_http_free (TgHttp *http)
{
  if (http == NULL)
    return;
  g_ptr_array_unref (http->workers);
  g_clear_object (&http->certificate);
  g_free (http);
}

guint16
tg_http_get_port (TgHttp *http, gboolean tls)
{
  return http->ports[tls ? 1 : 0];
}
