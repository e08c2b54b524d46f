/* Shared by the TLS stream tests (test-tls-stream.c and test-tls-soup.c):
 * a certificate from tg_tls_load_or_create() in a temporary directory and
 * its OpenSSL context, waits on the main context, sockets on 127.0.0.1, and
 * server streams accepted and handshaken. Static inline: each test uses what
 * it needs. */
#pragma once

#include "tg-tls-stream.h"
#include "tg-tls.h"

static GTlsCertificate *certificate;
static SSL_CTX *context;
static char *temp_dir;

/* The main context */

static inline gboolean
timed_out (gpointer data)
{
  g_error ("Timed out");
  return G_SOURCE_REMOVE;
}

static inline void
iterate_until (const gboolean *done)
{
  guint guard = g_timeout_add_seconds (30, timed_out, NULL);

  while (!*done)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (guard);
}

static inline gboolean
set_done (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

static inline gboolean
socket_ready (GSocket *socket, GIOCondition condition, gpointer data)
{
  return set_done (data);
}

static inline gboolean
stream_ready (GObject *stream, gpointer data)
{
  return set_done (data);
}

/* Waits for source (which it takes) to fire. */
static inline void
wait_source (GSource *source, GSourceFunc callback)
{
  gboolean done = FALSE;

  g_source_set_callback (source, callback, &done, NULL);
  g_source_attach (source, NULL);
  iterate_until (&done);
  g_source_destroy (source);
  g_source_unref (source);
}

static inline void
wait_socket (GSocket *socket, GIOCondition condition)
{
  wait_source (g_socket_create_source (socket, condition, NULL),
               G_SOURCE_FUNC (socket_ready));
}

/* Sockets */

static inline GSocketAddress *
local_address (guint16 port)
{
  g_autoptr (GInetAddress) loopback
      = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);

  return g_inet_socket_address_new (loopback, port);
}

static inline GSocket *
listen_local (guint16 *port)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocketAddress) address = local_address (0);
  g_autoptr (GSocketAddress) bound = NULL;
  GSocket *socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                  G_SOCKET_PROTOCOL_TCP, &error);

  g_assert_no_error (error);
  g_socket_set_listen_backlog (socket, 128);
  g_assert_true (g_socket_bind (socket, address, TRUE, &error));
  g_assert_true (g_socket_listen (socket, &error));
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  *port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  return socket;
}

static inline GSocket *
connect_raw (guint16 port)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocketAddress) address = local_address (port);
  GSocket *socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                  G_SOCKET_PROTOCOL_TCP, &error);

  g_assert_no_error (error);
  g_assert_true (g_socket_connect (socket, address, NULL, &error));
  return socket;
}

static inline void
send_all (GSocket *socket, const void *data, gsize size)
{
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (g_socket_send (socket, data, size, NULL, &error), ==, size);
  g_assert_no_error (error);
}

static inline TgTlsStream *
accept_stream (GSocket *listener)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocket) socket = g_socket_accept (listener, NULL, &error);

  g_assert_no_error (error);
  return tg_tls_stream_new (context, socket);
}

/* Steps the handshake to its end, waiting on the main context. */
static inline gboolean
handshake (TgTlsStream *tls, GError **error)
{
  GIOCondition wait = 0;

  while (!tg_tls_stream_handshake (tls, &wait, error))
    {
      if (!g_error_matches (*error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        return FALSE;
      g_clear_error (error);
      g_assert_true (wait == G_IO_IN || wait == G_IO_OUT);
      wait_socket (tg_tls_stream_get_socket (tls), wait);
    }
  return TRUE;
}

static inline TgTlsStream *
accept_tls (GSocket *listener)
{
  g_autoptr (GError) error = NULL;
  TgTlsStream *tls = accept_stream (listener);

  g_assert_true (handshake (tls, &error));
  g_assert_no_error (error);
  return tls;
}

/* g_test_init, then the certificate and its context. */
static inline void
tls_test_init (int *argc, char ***argv)
{
  g_autoptr (GError) error = NULL;

  g_test_init (argc, argv, NULL);
  temp_dir = g_dir_make_tmp ("tg-tls-stream-XXXXXX", &error);
  g_assert_no_error (error);
  certificate = tg_tls_load_or_create (temp_dir, NULL, NULL, &error);
  g_assert_no_error (error);
  context = tg_tls_context_new (certificate, &error);
  g_assert_no_error (error);
}

/* g_test_run, then the context, the certificate and its directory go. */
static inline int
tls_test_run (void)
{
  g_autofree char *command = NULL;
  int status = g_test_run ();

  SSL_CTX_free (context);
  g_object_unref (certificate);
  command = g_strdup_printf ("rm -rf '%s'", temp_dir);
  g_spawn_command_line_sync (command, NULL, NULL, NULL, NULL);
  g_free (temp_dir);
  return status;
}
