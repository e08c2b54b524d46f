/* Server-side TLS over OpenSSL (tg-tls-stream.h) under libsoup, on real
 * sockets on 127.0.0.1 with a certificate from tg_tls_load_or_create()
 * (tls-test.h), against real clients: libsoup and curl. */
#include "tls-test.h"

#include <libsoup/soup.h>

/* libsoup takes the stream: three keep-alive requests (one chunked) from a
 * SoupSession and from curl, then a WebSocket echo and close. */
typedef struct
{
  SoupServer *server;
  guint accepted;
  SoupWebsocketConnection *websocket;
} Front;

/* Each connection's handshake is stepped (in a nested loop here), then the
 * stream goes to libsoup. */
static gboolean
accept_ready (GSocket *listener, GIOCondition condition, gpointer data)
{
  Front *front = data;
  g_autoptr (TgTlsStream) tls = accept_tls (listener);
  GSocket *socket = tg_tls_stream_get_socket (tls);
  g_autoptr (GSocketAddress) local = g_socket_get_local_address (socket, NULL);
  g_autoptr (GSocketAddress) remote
      = g_socket_get_remote_address (socket, NULL);

  g_assert_true (soup_server_accept_iostream (front->server, G_IO_STREAM (tls),
                                              local, remote, NULL));
  front->accepted++;
  return G_SOURCE_CONTINUE;
}

/* "hello", with a Content-Length, or chunked (libsoup writes the last chunk
 * from a GIO worker thread). */
static void
hello (SoupServer *server, SoupServerMessage *msg, const char *path,
       GHashTable *query, gpointer data)
{
  SoupMessageBody *body = soup_server_message_get_response_body (msg);

  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  if (g_str_equal (path, "/chunked"))
    soup_message_headers_set_encoding (
        soup_server_message_get_response_headers (msg), SOUP_ENCODING_CHUNKED);
  soup_message_body_append (body, SOUP_MEMORY_STATIC, "hello", 5);
  soup_message_body_complete (body);
}

static void
websocket_echo (SoupWebsocketConnection *websocket, int type, GBytes *message,
                gpointer data)
{
  soup_websocket_connection_send_message (websocket, type, message);
}

static void
websocket_opened (SoupServer *server, SoupServerMessage *msg, const char *path,
                  SoupWebsocketConnection *websocket, gpointer data)
{
  Front *front = data;

  front->websocket = g_object_ref (websocket);
  g_signal_connect (websocket, "message", G_CALLBACK (websocket_echo), NULL);
}

static gboolean
accept_soup_certificate (SoupMessage *msg, GTlsCertificate *peer,
                         GTlsCertificateFlags errors, gpointer data)
{
  return TRUE;
}

typedef struct
{
  gboolean done;
  GBytes *body;
  char *text;
  SoupWebsocketConnection *websocket;
} Result;

static void
got_body (GObject *session, GAsyncResult *result, gpointer data)
{
  Result *r = data;
  g_autoptr (GError) error = NULL;

  r->body = soup_session_send_and_read_finish (SOUP_SESSION (session), result,
                                               &error);
  g_assert_no_error (error);
  r->done = TRUE;
}

static void
get_hello (SoupSession *session, const char *uri)
{
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", uri);
  Result r = { 0 };

  g_signal_connect (msg, "accept-certificate",
                    G_CALLBACK (accept_soup_certificate), NULL);
  soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL,
                                    got_body, &r);
  iterate_until (&r.done);
  g_assert_cmpuint (soup_message_get_status (msg), ==, SOUP_STATUS_OK);
  g_assert_cmpmem (g_bytes_get_data (r.body, NULL), g_bytes_get_size (r.body),
                   "hello", 5);
  g_bytes_unref (r.body);
}

static void
curl_done (GObject *curl, GAsyncResult *result, gpointer data)
{
  Result *r = data;
  g_autoptr (GError) error = NULL;

  g_assert_true (g_subprocess_communicate_utf8_finish (
      G_SUBPROCESS (curl), result, &r->text, NULL, &error));
  g_assert_no_error (error);
  r->done = TRUE;
}

static void
websocket_connected (GObject *session, GAsyncResult *result, gpointer data)
{
  Result *r = data;
  g_autoptr (GError) error = NULL;

  r->websocket = soup_session_websocket_connect_finish (SOUP_SESSION (session),
                                                        result, &error);
  g_assert_no_error (error);
  r->done = TRUE;
}

static void
websocket_message (SoupWebsocketConnection *websocket, int type,
                   GBytes *message, gpointer data)
{
  Result *r = data;

  r->text = g_strndup (g_bytes_get_data (message, NULL),
                       g_bytes_get_size (message));
  r->done = TRUE;
}

static void
websocket_closed (SoupWebsocketConnection *websocket, gpointer data)
{
  *(gboolean *) data = TRUE;
}

static void
test_soup (void)
{
  guint16 port;
  g_autoptr (GSocket) listener = listen_local (&port);
  g_autofree char *uri = g_strdup_printf ("https://127.0.0.1:%u/", port);
  g_autofree char *chunked
      = g_strdup_printf ("https://127.0.0.1:%u/chunked", port);
  g_autofree char *ws_uri = g_strdup_printf ("wss://127.0.0.1:%u/ws", port);
  g_autofree char *curl_path = g_find_program_in_path ("curl");
  g_autoptr (SoupSession) session = soup_session_new ();
  g_autoptr (SoupMessage) upgrade = soup_message_new ("GET", ws_uri);
  Front front = { soup_server_new (NULL, NULL), 0, NULL };
  g_autoptr (GError) error = NULL;
  GSource *accepting;
  Result r = { 0 };
  gboolean client_closed = FALSE, server_closed = FALSE;

  /* libsoup 3.2.3 keeps connections alive only while the server has a
   * listener of its own (soup-server.c, request_finished): one nobody uses. */
  g_assert_true (soup_server_listen_local (
      front.server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  g_assert_no_error (error);
  accepting = g_socket_create_source (listener, G_IO_IN, NULL);
  g_source_set_callback (accepting, G_SOURCE_FUNC (accept_ready), &front, NULL);
  g_source_attach (accepting, NULL);
  soup_server_add_handler (front.server, "/", hello, NULL, NULL);
  soup_server_add_websocket_handler (front.server, "/ws", NULL, NULL,
                                     websocket_opened, &front, NULL);

  get_hello (session, uri);
  get_hello (session, chunked);
  get_hello (session, uri);
  g_assert_cmpuint (front.accepted, ==, 1);

  /* curl (OpenSSL) with TLS 1.3, then 1.2: one connection each. */
  for (guint i = 0; curl_path && i < 2; i++)
    {
      g_autoptr (GSubprocess) curl
          = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, curl_path,
                              "-k", "-s", "-S", "--max-time", "20", "--tls-max",
                              i ? "1.2" : "1.3", uri, chunked, uri, NULL);

      g_assert_no_error (error);
      r.done = FALSE;
      g_subprocess_communicate_utf8_async (curl, NULL, NULL, curl_done, &r);
      iterate_until (&r.done);
      g_assert_cmpstr (r.text, ==, "hellohellohello");
      g_clear_pointer (&r.text, g_free);
      g_assert_cmpuint (front.accepted, ==, 2 + i);
    }
  if (curl_path == NULL)
    g_test_message ("no curl: not tried");

  r.done = FALSE;
  g_signal_connect (upgrade, "accept-certificate",
                    G_CALLBACK (accept_soup_certificate), NULL);
  soup_session_websocket_connect_async (session, upgrade, NULL, NULL,
                                        G_PRIORITY_DEFAULT, NULL,
                                        websocket_connected, &r);
  iterate_until (&r.done);
  g_assert_nonnull (front.websocket);
  r.done = FALSE;
  g_signal_connect (r.websocket, "message", G_CALLBACK (websocket_message), &r);
  g_signal_connect (r.websocket, "closed", G_CALLBACK (websocket_closed),
                    &client_closed);
  g_signal_connect (front.websocket, "closed", G_CALLBACK (websocket_closed),
                    &server_closed);
  soup_websocket_connection_send_text (r.websocket, "ping");
  iterate_until (&r.done);
  g_assert_cmpstr (r.text, ==, "ping");
  soup_websocket_connection_close (r.websocket, SOUP_WEBSOCKET_CLOSE_NORMAL,
                                   NULL);
  iterate_until (&client_closed);
  iterate_until (&server_closed);
  g_assert_cmpint (soup_websocket_connection_get_close_code (front.websocket),
                   ==, SOUP_WEBSOCKET_CLOSE_NORMAL);

  g_clear_pointer (&r.text, g_free);
  g_clear_object (&r.websocket);
  g_clear_object (&front.websocket);
  g_clear_object (&session);
  soup_server_disconnect (front.server);
  g_clear_object (&front.server);
  g_source_destroy (accepting);
  g_source_unref (accepting);
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

int
main (int argc, char **argv)
{
  tls_test_init (&argc, &argv);

  g_test_add_func ("/tls-stream/soup", test_soup);
  return tls_test_run ();
}
