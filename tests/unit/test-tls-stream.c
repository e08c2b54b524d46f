/* Server-side TLS over OpenSSL (tg-tls-stream.h), on real sockets on
 * 127.0.0.1 with a certificate from tg_tls_load_or_create() (tls-test.h),
 * against real clients: GIO's GnuTLS client in a thread and raw sockets.
 * Under libsoup: test-tls-soup.c. */
#include "tls-test.h"

#include <openssl/err.h>
#include <sys/socket.h>

#define LARGE (1024 * 1024)

static const char *const h2_and_http11[] = { "h2", "http/1.1", NULL };
static const char *const h2_only[] = { "h2", NULL };

/* Pollable reads and writes: count bytes (reading: or up to the end of the
 * stream), at most chunk at a time, waiting on the stream's source after each
 * WOULD_BLOCK. */
static gsize
transfer (TgTlsStream *tls, gboolean reading, void *buffer, gsize count,
          gsize chunk, guint *would_block)
{
  GPollableInputStream *input = G_POLLABLE_INPUT_STREAM (
      g_io_stream_get_input_stream (G_IO_STREAM (tls)));
  GPollableOutputStream *output = G_POLLABLE_OUTPUT_STREAM (
      g_io_stream_get_output_stream (G_IO_STREAM (tls)));
  gsize done = 0;

  while (done < count)
    {
      g_autoptr (GError) error = NULL;
      char *at = (char *) buffer + done;
      gsize size = MIN (chunk, count - done);
      gssize n;

      if (reading)
        n = g_pollable_input_stream_read_nonblocking (input, at, size, NULL,
                                                      &error);
      else
        n = g_pollable_output_stream_write_nonblocking (output, at, size, NULL,
                                                        &error);
      if (n == 0)
        break;
      if (n > 0)
        {
          done += n;
          continue;
        }
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
      if (would_block)
        (*would_block)++;
      wait_source (reading
                       ? g_pollable_input_stream_create_source (input, NULL)
                       : g_pollable_output_stream_create_source (output, NULL),
                   G_SOURCE_FUNC (stream_ready));
    }
  return done;
}

static gsize
read_pollable (TgTlsStream *tls, void *buffer, gsize count, gsize chunk,
               guint *would_block)
{
  return transfer (tls, TRUE, buffer, count, chunk, would_block);
}

static void
write_pollable (TgTlsStream *tls, const void *buffer, gsize count,
                guint *would_block)
{
  g_assert_cmpuint (
      transfer (tls, FALSE, (void *) buffer, count, count, would_block), ==,
      count);
}

static void
assert_eof (TgTlsStream *tls)
{
  char byte;

  g_assert_cmpuint (read_pollable (tls, &byte, 1, 1, NULL), ==, 0);
  g_assert_cmpuint (ERR_peek_error (), ==, 0);
}

/* The GIO client, in a thread: blocking GnuTLS. */

typedef struct
{
  guint16 port;
  const char *const *protocols;
  const char *alpn; /* the protocol expected */
  void (*run) (GTlsConnection *tls);
  GTlsCertificate *peer;
} Client;

static gboolean
accept_any (GTlsConnection *tls, GTlsCertificate *peer,
            GTlsCertificateFlags errors, gpointer data)
{
  return TRUE;
}

static gpointer
client_thread (gpointer data)
{
  Client *client = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocketClient) sockets = g_socket_client_new ();
  g_autoptr (GSocketConnectable) identity
      = g_network_address_new ("localhost", client->port);
  g_autoptr (GSocketConnection) tcp = g_socket_client_connect_to_host (
      sockets, "127.0.0.1", client->port, NULL, &error);
  g_autoptr (GIOStream) tls = NULL;

  g_assert_no_error (error);
  tls = g_tls_client_connection_new (G_IO_STREAM (tcp), identity, &error);
  g_assert_no_error (error);
  g_signal_connect (tls, "accept-certificate", G_CALLBACK (accept_any), NULL);
  if (client->protocols)
    g_tls_connection_set_advertised_protocols (G_TLS_CONNECTION (tls),
                                               client->protocols);
  g_assert_true (
      g_tls_connection_handshake (G_TLS_CONNECTION (tls), NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (
      g_tls_connection_get_negotiated_protocol (G_TLS_CONNECTION (tls)), ==,
      client->alpn);
  client->peer = g_tls_connection_get_peer_certificate (G_TLS_CONNECTION (tls));
  g_object_ref (client->peer);
  client->run (G_TLS_CONNECTION (tls));
  return NULL;
}

static void
client_write (GTlsConnection *tls, const void *data, gsize size)
{
  g_autoptr (GError) error = NULL;
  GOutputStream *output = g_io_stream_get_output_stream (G_IO_STREAM (tls));

  g_assert_true (
      g_output_stream_write_all (output, data, size, NULL, NULL, &error));
  g_assert_no_error (error);
}

static void
client_expect (GTlsConnection *tls, const char *text)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *got = g_malloc0 (strlen (text) + 1);
  gsize n = 0;

  g_assert_true (
      g_input_stream_read_all (g_io_stream_get_input_stream (G_IO_STREAM (tls)),
                               got, strlen (text), &n, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (got, ==, text);
}

/* Ends the TCP connection without close_notify (as browsers may). */
static void
client_drop (GTlsConnection *tls, gboolean reset)
{
  g_autoptr (GSocketConnection) tcp = NULL;
  GSocket *socket;

  g_object_get (tls, "base-io-stream", &tcp, NULL);
  socket = g_socket_connection_get_socket (tcp);
  if (reset)
    {
      struct linger linger = { 1, 0 };

      g_assert_cmpint (setsockopt (g_socket_get_fd (socket), SOL_SOCKET,
                                   SO_LINGER, &linger, sizeof linger),
                       ==, 0);
    }
  g_assert_true (g_socket_close (socket, NULL));
}

/* A server stream, its listener, and its GIO client in a thread. */
typedef struct
{
  GSocket *listener;
  Client client;
  GThread *thread;
  TgTlsStream *tls;
} Pair;

static TgTlsStream *
pair_start (Pair *pair, void (*run) (GTlsConnection *tls),
            const char *const *protocols, const char *alpn)
{
  guint16 port;

  pair->listener = listen_local (&port);
  pair->client = (Client){ port, protocols, alpn, run, NULL };
  pair->thread = g_thread_new ("client", client_thread, &pair->client);
  pair->tls = accept_tls (pair->listener);
  return pair->tls;
}

/* Waits for the client to be done. */
static void
pair_join (Pair *pair)
{
  g_thread_join (g_steal_pointer (&pair->thread));
}

static void
pair_clear (Pair *pair)
{
  if (pair->thread)
    pair_join (pair);
  g_clear_object (&pair->client.peer);
  g_clear_object (&pair->tls);
  g_clear_object (&pair->listener);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Pair, pair_clear)

/* Handshake, ALPN, echo both ways, and close_notify: an end of stream while
 * the TCP connection stays open (the client's write side only is closed),
 * after which the server may still write. */
static void
run_echo (GTlsConnection *tls)
{
  g_autoptr (GError) error = NULL;

  client_write (tls, "hello", 5);
  client_expect (tls, "hello");
  g_assert_true (g_output_stream_close (
      g_io_stream_get_output_stream (G_IO_STREAM (tls)), NULL, &error));
  g_assert_no_error (error);
  client_expect (tls, "after");
  g_assert_true (g_io_stream_close (G_IO_STREAM (tls), NULL, &error));
}

static void
test_echo (void)
{
  g_autoptr (GError) error = NULL;
  g_auto (Pair) pair = { 0 };
  TgTlsStream *tls = pair_start (&pair, run_echo, h2_and_http11, "http/1.1");
  char got[6] = "";

  g_assert_cmpuint (read_pollable (tls, got, 5, 64, NULL), ==, 5);
  g_assert_cmpstr (got, ==, "hello");
  write_pollable (tls, got, 5, NULL);
  assert_eof (tls);
  g_assert_false (
      g_socket_condition_check (tg_tls_stream_get_socket (tls), G_IO_HUP));
  write_pollable (tls, "after", 5, NULL);
  assert_eof (tls);
  pair_join (&pair);
  g_assert_true (g_io_stream_close (G_IO_STREAM (tls), NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_socket_is_closed (tg_tls_stream_get_socket (tls)));
}

/* ALPN: http/1.1 when offered; no protocol (and no failure) otherwise. */
static void
run_nothing (GTlsConnection *tls)
{
}

static void
test_alpn (void)
{
  const char *const *offers[] = { h2_and_http11, h2_only, NULL };
  const char *chosen[] = { "http/1.1", NULL, NULL };

  for (guint i = 0; i < G_N_ELEMENTS (offers); i++)
    {
      g_auto (Pair) pair = { 0 };
      TgTlsStream *tls = pair_start (&pair, run_nothing, offers[i], chosen[i]);

      pair_join (&pair);
      assert_eof (tls);
    }
}

/* Data already decrypted inside OpenSSL: two records, read a byte at a time
 * through the pollable source (a new one for each wait, then one kept
 * attached throughout); the rest of a record is readable while the socket
 * has nothing. */
static void
run_two_records (GTlsConnection *tls)
{
  for (int round = 0; round < 2; round++)
    {
      client_write (tls, "hello", 5);
      client_write (tls, "world", 5);
      client_expect (tls, "!");
    }
}

typedef struct
{
  TgTlsStream *tls;
  char got[11];
  int n;
  gboolean done;
} Bytewise;

/* After each byte: the rest of a record is readable; once the last record
 * is in OpenSSL, the socket has nothing more. */
static void
check_readable (TgTlsStream *tls, int n)
{
  GPollableInputStream *input = G_POLLABLE_INPUT_STREAM (
      g_io_stream_get_input_stream (G_IO_STREAM (tls)));

  if (n == 6)
    g_assert_false (
        g_socket_condition_check (tg_tls_stream_get_socket (tls), G_IO_IN));
  if (n % 5 != 0)
    g_assert_true (g_pollable_input_stream_is_readable (input));
}

static gboolean
read_byte (GObject *input, gpointer data)
{
  Bytewise *b = data;
  g_autoptr (GError) error = NULL;
  gssize n = g_pollable_input_stream_read_nonblocking (
      G_POLLABLE_INPUT_STREAM (input), b->got + b->n, 1, NULL, &error);

  if (n < 0)
    {
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
      return G_SOURCE_CONTINUE;
    }
  g_assert_cmpint (n, ==, 1);
  check_readable (b->tls, ++b->n);
  b->done = b->n == 10;
  return b->done ? G_SOURCE_REMOVE : G_SOURCE_CONTINUE;
}

static void
test_pending (void)
{
  g_auto (Pair) pair = { 0 };
  TgTlsStream *tls = pair_start (&pair, run_two_records, NULL, NULL);
  Bytewise b = { tls, "", 0, FALSE };
  GSource *source;

  for (int i = 0; i < 10; i++)
    {
      g_assert_cmpuint (read_pollable (tls, b.got + i, 1, 1, NULL), ==, 1);
      check_readable (tls, i + 1);
    }
  g_assert_cmpstr (b.got, ==, "helloworld");
  write_pollable (tls, "!", 1, NULL);

  memset (b.got, 0, sizeof b.got);
  source = g_pollable_input_stream_create_source (
      G_POLLABLE_INPUT_STREAM (
          g_io_stream_get_input_stream (G_IO_STREAM (tls))),
      NULL);
  g_source_set_callback (source, G_SOURCE_FUNC (read_byte), &b, NULL);
  g_source_attach (source, NULL);
  iterate_until (&b.done);
  g_source_unref (source);
  g_assert_cmpstr (b.got, ==, "helloworld");
  write_pollable (tls, "!", 1, NULL);
  pair_join (&pair);
  assert_eof (tls);
}

/* 1 MiB each way through a small send buffer: short writes and
 * WOULD_BLOCK both ways, pollable or blocking. */
static guint8 *
pattern (void)
{
  guint8 *data = g_malloc (LARGE);

  for (guint i = 0; i < LARGE; i++)
    data[i] = (guint8) (i ^ (i >> 8) ^ (i >> 16));
  return data;
}

static void
run_large (GTlsConnection *tls)
{
  g_autofree guint8 *expected = pattern ();
  g_autofree guint8 *got = g_malloc (LARGE);
  g_autoptr (GError) error = NULL;
  gsize n = 0;

  client_expect (tls, "go");
  client_write (tls, expected, LARGE);
  g_assert_true (
      g_input_stream_read_all (g_io_stream_get_input_stream (G_IO_STREAM (tls)),
                               got, LARGE, &n, NULL, &error));
  g_assert_cmpuint (n, ==, LARGE);
  g_assert_true (memcmp (got, expected, LARGE) == 0);
  g_assert_true (g_io_stream_close (G_IO_STREAM (tls), NULL, &error));
}

static void
test_large (gconstpointer blocking)
{
  g_autoptr (GError) error = NULL;
  g_auto (Pair) pair = { 0 };
  TgTlsStream *tls = pair_start (&pair, run_large, NULL, NULL);
  GSocket *socket = tg_tls_stream_get_socket (tls);
  g_autofree guint8 *expected = pattern ();
  g_autofree guint8 *data = g_malloc0 (LARGE);
  guint read_blocked = 0, write_blocked = 0;
  gsize n = 0;

  /* A small send buffer: the client cannot keep up with the writes. */
  g_assert_true (
      g_socket_set_option (socket, SOL_SOCKET, SO_SNDBUF, 4096, NULL));
  /* Nothing to read until the client hears "go". */
  g_assert_cmpint (g_pollable_input_stream_read_nonblocking (
                       G_POLLABLE_INPUT_STREAM (
                           g_io_stream_get_input_stream (G_IO_STREAM (tls))),
                       data, LARGE, NULL, &error),
                   ==, -1);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
  g_clear_error (&error);
  write_pollable (tls, "go", 2, NULL);
  if (blocking)
    g_assert_true (g_input_stream_read_all (
        g_io_stream_get_input_stream (G_IO_STREAM (tls)), data, LARGE, &n, NULL,
        &error));
  else
    n = read_pollable (tls, data, LARGE, 65536, &read_blocked);
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, LARGE);
  g_assert_true (memcmp (data, expected, LARGE) == 0);
  if (blocking)
    g_assert_true (g_output_stream_write_all (
        g_io_stream_get_output_stream (G_IO_STREAM (tls)), data, LARGE, &n,
        NULL, &error));
  else
    write_pollable (tls, data, LARGE, &write_blocked);
  g_assert_no_error (error);
  if (!blocking)
    {
      g_test_message ("would block: %u reading, %u writing", read_blocked,
                      write_blocked);
      g_assert_cmpuint (write_blocked, >, 0);
    }
  pair_join (&pair);
  assert_eof (tls);
}

/* A TCP close without close_notify is an end of stream; writing on after
 * the peer is gone is an error, not SIGPIPE. A reset is an error. */
static void
run_drop (GTlsConnection *tls)
{
  client_write (tls, "bye", 3);
  client_expect (tls, "ok");
  client_drop (tls, FALSE);
}

static void
run_reset (GTlsConnection *tls)
{
  client_expect (tls, "ok");
  client_drop (tls, TRUE);
}

static void
test_eof_without_close_notify (void)
{
  g_auto (Pair) pair = { 0 };
  TgTlsStream *tls = pair_start (&pair, run_drop, NULL, NULL);
  GSocket *socket = tg_tls_stream_get_socket (tls);
  GOutputStream *output = g_io_stream_get_output_stream (G_IO_STREAM (tls));
  g_autoptr (GError) error = NULL;
  char got[4] = "";

  g_assert_cmpuint (read_pollable (tls, got, 3, 3, NULL), ==, 3);
  g_assert_cmpstr (got, ==, "bye");
  write_pollable (tls, "ok", 2, NULL);
  pair_join (&pair);
  assert_eof (tls);
  /* The first write draws a reset from the closed peer; then writes fail. */
  write_pollable (tls, "late", 4, NULL);
  g_assert_true (g_socket_condition_timed_wait (
      socket, G_IO_ERR | G_IO_HUP, 10 * G_USEC_PER_SEC, NULL, NULL));
  for (int i = 0; i < 3 && !error; i++)
    g_output_stream_write (output, "late", 4, NULL, &error);
  g_assert_nonnull (error);
  g_assert_false (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK));
  g_test_message ("write after the peer left: %s", error->message);
  g_assert_cmpuint (ERR_peek_error (), ==, 0);
}

static void
test_reset (void)
{
  g_auto (Pair) pair = { 0 };
  TgTlsStream *tls = pair_start (&pair, run_reset, NULL, NULL);
  g_autoptr (GError) error = NULL;
  char byte;

  write_pollable (tls, "ok", 2, NULL);
  pair_join (&pair);
  wait_socket (tg_tls_stream_get_socket (tls), G_IO_IN);
  g_assert_cmpint (g_pollable_input_stream_read_nonblocking (
                       G_POLLABLE_INPUT_STREAM (
                           g_io_stream_get_input_stream (G_IO_STREAM (tls))),
                       &byte, 1, NULL, &error),
                   ==, -1);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED);
  g_test_message ("reset: %s", error->message);
  g_assert_cmpuint (ERR_peek_error (), ==, 0);
}

/* Not TLS: the handshake fails with a reason, and nothing is left in
 * OpenSSL's error queue. */
static void
test_garbage (void)
{
  static const struct
  {
    const char *data;
    gsize size;
    int code;
  } cases[] = {
    { "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 27, G_IO_ERROR_FAILED },
    { "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16, G_IO_ERROR_FAILED },
    { "\x16\x03\x01\x00\x04\x01\x00\x00\x00", 9, G_IO_ERROR_FAILED },
    { "\x16\x03\x01\x00\x04\x07\x00\x00\x00", 9, G_IO_ERROR_FAILED },
    { "", 0, G_IO_ERROR_CONNECTION_CLOSED },
  };
  guint16 port;
  g_autoptr (GSocket) listener = listen_local (&port);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GSocket) client = connect_raw (port);
      g_autoptr (TgTlsStream) tls = accept_stream (listener);

      if (cases[i].size)
        send_all (client, cases[i].data, cases[i].size);
      else
        g_socket_close (client, NULL);
      g_assert_false (handshake (tls, &error));
      g_assert_error (error, G_IO_ERROR, cases[i].code);
      g_test_message ("case %u: %s", i, error->message);
      g_assert_cmpuint (ERR_peek_error (), ==, 0);
      g_assert_true (g_io_stream_close (G_IO_STREAM (tls), NULL, NULL));
    }
}

/* Clients that send a ClientHello (whole, or half of one) and stall: every
 * handshake step returns WOULD_BLOCK at once, and no thread is made. */
static GBytes *
client_hello (void)
{
  SSL_CTX *client_context = SSL_CTX_new (TLS_client_method ());
  SSL *ssl = SSL_new (client_context);
  BIO *in = BIO_new (BIO_s_mem ()), *out = BIO_new (BIO_s_mem ());
  GBytes *hello;
  char *data;
  long size;

  SSL_set_bio (ssl, in, out);
  SSL_set_connect_state (ssl);
  g_assert_cmpint (SSL_do_handshake (ssl), ==, -1);
  g_assert_cmpint (SSL_get_error (ssl, -1), ==, SSL_ERROR_WANT_READ);
  size = BIO_get_mem_data (out, &data);
  g_assert_cmpint (size, >, 100);
  hello = g_bytes_new (data, size);
  SSL_free (ssl);
  SSL_CTX_free (client_context);
  return hello;
}

static guint
count_threads (void)
{
  g_autoptr (GDir) dir = g_dir_open ("/proc/self/task", 0, NULL);
  guint n = 0;

  g_assert_nonnull (dir);
  while (g_dir_read_name (dir))
    n++;
  return n;
}

static void
test_stalled (void)
{
  g_autoptr (GBytes) hello = client_hello ();
  g_autoptr (GPtrArray) clients
      = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GPtrArray) streams
      = g_ptr_array_new_with_free_func (g_object_unref);
  guint16 port;
  g_autoptr (GSocket) listener = listen_local (&port);
  guint threads = count_threads ();
  gint64 start = g_get_monotonic_time ();

  for (guint i = 0; i < 50; i++)
    {
      GSocket *client = connect_raw (port);
      gsize size = g_bytes_get_size (hello);

      send_all (client, g_bytes_get_data (hello, NULL),
                i % 2 ? size / 2 : size);
      g_ptr_array_add (clients, client);
      g_ptr_array_add (streams, accept_stream (listener));
    }
  for (guint step = 0; step < 3; step++)
    for (guint i = 0; i < streams->len; i++)
      {
        g_autoptr (GError) error = NULL;
        GIOCondition wait = 0;

        g_assert_false (
            tg_tls_stream_handshake (streams->pdata[i], &wait, &error));
        g_assert_error (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
        g_assert_cmpint (wait, ==, G_IO_IN);
      }
  g_test_message ("150 handshake steps in %" G_GINT64_FORMAT " us",
                  g_get_monotonic_time () - start);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);
  g_assert_cmpuint (count_threads (), <=, threads);
  g_assert_cmpuint (ERR_peek_error (), ==, 0);
}

/* A certificate with an issuer: the chain is sent. */
static void
openssl_command (const char *command)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *line = g_strdup_printf ("openssl %s", command);
  int status = 0;

  g_assert_true (g_spawn_sync (temp_dir, (char *[]){ "sh", "-c", line, NULL },
                               NULL,
                               G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL
                                   | G_SPAWN_STDERR_TO_DEV_NULL,
                               NULL, NULL, NULL, NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
}

static void
test_chain (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GTlsCertificate) chained = NULL;
  g_autofree char *chain = g_build_filename (temp_dir, "chain.pem", NULL);
  g_autofree char *key = g_build_filename (temp_dir, "leaf.key", NULL);
  g_autofree char *ca_name = NULL;
  SSL_CTX *saved = context;
  g_auto (Pair) pair = { 0 };
  GTlsCertificate *issuer;
  g_autofree char *openssl = g_find_program_in_path ("openssl");

  if (openssl == NULL)
    {
      g_test_skip ("no openssl command");
      return;
    }
  openssl_command ("req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
                   "-nodes -keyout ca.key -out ca.pem -subj /CN=Test-CA "
                   "-days 1");
  openssl_command ("req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
                   "-keyout leaf.key -out leaf.csr -subj /CN=localhost");
  openssl_command ("x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key "
                   "-CAcreateserial -days 1 -out leaf.pem");
  openssl_command ("x509 -in leaf.pem > chain.pem && cat ca.pem >> chain.pem");
  chained = g_tls_certificate_new_from_files (chain, key, &error);
  g_assert_no_error (error);
  g_assert_nonnull (g_tls_certificate_get_issuer (chained));
  context = tg_tls_context_new (chained, &error);
  g_assert_no_error (error);
  pair_start (&pair, run_nothing, NULL, NULL);
  SSL_CTX_free (context);
  context = saved;
  pair_join (&pair);
  issuer = g_tls_certificate_get_issuer (pair.client.peer);
  g_assert_nonnull (issuer);
  ca_name = g_tls_certificate_get_subject_name (issuer);
  g_assert_nonnull (strstr (ca_name, "Test-CA"));
  assert_eof (pair.tls);
}

/* A certificate without its key is refused with a reason. */
static void
test_no_key (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *pem = NULL;
  g_autoptr (GTlsCertificate) bare = NULL;

  g_object_get (certificate, "certificate-pem", &pem, NULL);
  bare = g_tls_certificate_new_from_pem (pem, -1, &error);
  g_assert_no_error (error);
  g_assert_null (tg_tls_context_new (bare, &error));
  g_assert_error (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
  g_assert_cmpuint (ERR_peek_error (), ==, 0);
}

int
main (int argc, char **argv)
{
  tls_test_init (&argc, &argv);

  g_test_add_func ("/tls-stream/stalled", test_stalled);
  g_test_add_func ("/tls-stream/echo", test_echo);
  g_test_add_func ("/tls-stream/alpn", test_alpn);
  g_test_add_func ("/tls-stream/pending", test_pending);
  g_test_add_data_func ("/tls-stream/large-pollable", NULL, test_large);
  g_test_add_data_func ("/tls-stream/large-blocking", "", test_large);
  g_test_add_func ("/tls-stream/eof-without-close-notify",
                   test_eof_without_close_notify);
  g_test_add_func ("/tls-stream/reset", test_reset);
  g_test_add_func ("/tls-stream/garbage", test_garbage);
  g_test_add_func ("/tls-stream/chain", test_chain);
  g_test_add_func ("/tls-stream/no-key", test_no_key);
  return tls_test_run ();
}
