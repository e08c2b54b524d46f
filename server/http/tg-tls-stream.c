/* Server-side TLS with OpenSSL, non-blocking (tg-tls-stream.h). The SSL
 * object talks to the socket through a small BIO (send with MSG_NOSIGNAL,
 * so a closed peer never raises SIGPIPE). Reads and writes map OpenSSL's
 * WANT_READ / WANT_WRITE to G_IO_ERROR_WOULD_BLOCK and remember which
 * socket condition the next attempt needs; the pollable sources wait for
 * that condition, or fire at once while decrypted bytes wait inside
 * OpenSSL. A lock serializes the SSL calls: libsoup 3.2.3 writes the end of
 * a chunked body from a GIO worker thread (g_output_stream_close_async on
 * its body stream runs close_fn in a thread). */
#include "tg-tls-stream.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <openssl/err.h>
#include <openssl/pem.h>

/* The TLS 1.2 suites: forward secret and authenticated encryption only
 * (what every current client offers). TLS 1.3 keeps OpenSSL's defaults. */
#define TLS12_CIPHERS "ECDHE+AESGCM:ECDHE+CHACHA20"
#define MAX_CHAIN 8

struct _TgTlsStream
{
  GIOStream parent_instance;
  GSocket *socket;
  GMutex lock; /* over what follows */
  SSL *ssl;
  int socket_errno; /* of the socket call that failed, for the message */
  gboolean failed;  /* a fatal TLS error: no close_notify then */
  /* What the next read or write waits for: G_IO_IN or G_IO_OUT. */
  GIOCondition read_wait, write_wait;
  GInputStream *input;
  GOutputStream *output;
};

G_DEFINE_FINAL_TYPE (TgTlsStream, tg_tls_stream, G_TYPE_IO_STREAM)

/* The input and output streams point back at the connection, which owns
 * them; tls is NULL once the connection is gone. */
#define TG_TYPE_TLS_INPUT (tg_tls_input_get_type ())
G_DECLARE_FINAL_TYPE (TgTlsInput, tg_tls_input, TG, TLS_INPUT, GInputStream)
#define TG_TYPE_TLS_OUTPUT (tg_tls_output_get_type ())
G_DECLARE_FINAL_TYPE (TgTlsOutput, tg_tls_output, TG, TLS_OUTPUT, GOutputStream)

struct _TgTlsInput
{
  GInputStream parent_instance;
  TgTlsStream *tls;
};

struct _TgTlsOutput
{
  GOutputStream parent_instance;
  TgTlsStream *tls;
};

/* The socket BIO */

static int
bio_write (BIO *bio, const char *data, int length)
{
  TgTlsStream *tls = BIO_get_data (bio);
  ssize_t n;

  BIO_clear_retry_flags (bio);
  do
    n = send (g_socket_get_fd (tls->socket), data, length, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n >= 0)
    return n;
  if (errno == EAGAIN || errno == EWOULDBLOCK)
    BIO_set_retry_write (bio);
  else
    tls->socket_errno = errno;
  return -1;
}

static int
bio_read (BIO *bio, char *data, int length)
{
  TgTlsStream *tls = BIO_get_data (bio);
  ssize_t n;

  BIO_clear_retry_flags (bio);
  do
    n = recv (g_socket_get_fd (tls->socket), data, length, 0);
  while (n < 0 && errno == EINTR);
  if (n >= 0)
    return n; /* 0: the peer closed its end */
  if (errno == EAGAIN || errno == EWOULDBLOCK)
    BIO_set_retry_read (bio);
  else
    tls->socket_errno = errno;
  return -1;
}

static long
bio_ctrl (BIO *bio, int command, long number, void *pointer)
{
  /* Nothing is buffered here; OpenSSL's handshake flushes expect 1. */
  return command == BIO_CTRL_FLUSH ? 1 : 0;
}

static BIO_METHOD *
socket_bio_method (void)
{
  static BIO_METHOD *method;

  if (g_once_init_enter (&method))
    {
      BIO_METHOD *m = BIO_meth_new (BIO_get_new_index () | BIO_TYPE_SOURCE_SINK,
                                    "tollgate socket");

      if (m == NULL || !BIO_meth_set_write (m, bio_write)
          || !BIO_meth_set_read (m, bio_read)
          || !BIO_meth_set_ctrl (m, bio_ctrl))
        g_error ("OpenSSL: could not make a BIO method");
      g_once_init_leave (&method, m);
    }
  return method;
}

/* OpenSSL's outcomes */

/* Locks tls, unless it is gone or closed: then NULL and an error. */
static GMutexLocker *
lock_open (TgTlsStream *tls, GError **error)
{
  GMutexLocker *locker = tls ? g_mutex_locker_new (&tls->lock) : NULL;

  if (locker && !g_socket_is_closed (tls->socket))
    return locker;
  g_clear_pointer (&locker, g_mutex_locker_free);
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CLOSED,
                       "The TLS connection is closed");
  return NULL;
}

/* After an SSL call that failed (ret as it returned): 0 at the peer's end
 * of stream (no error set), or -1 with G_IO_ERROR_WOULD_BLOCK and *wait set
 * to the socket condition to wait for, or -1 with another error. Leaves
 * OpenSSL's error queue empty. */
static int
ssl_failed (TgTlsStream *tls, int ret, const char *what, GIOCondition *wait,
            GError **error)
{
  int code = SSL_get_error (tls->ssl, ret);
  unsigned long e = ERR_peek_last_error ();
  int saved = tls->socket_errno;
  char reason[256];

  tls->socket_errno = 0;
  if (e)
    ERR_error_string_n (e, reason, sizeof reason);
  ERR_clear_error ();
  switch (code)
    {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
      *wait = code == SSL_ERROR_WANT_READ ? G_IO_IN : G_IO_OUT;
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK,
                           g_strerror (EAGAIN));
      return -1;
    case SSL_ERROR_ZERO_RETURN:
      return 0;
    case SSL_ERROR_SYSCALL:
      if (saved == 0)
        return 0;
      tls->failed = TRUE;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "%s: %s",
                   what, g_strerror (saved));
      return -1;
    default:
      tls->failed = TRUE;
      if (ERR_GET_LIB (e) == ERR_LIB_SSL && ERR_reason_error_string (e))
        g_strlcpy (reason, ERR_reason_error_string (e), sizeof reason);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s", what,
                   e ? reason : "unknown OpenSSL error");
      return -1;
    }
}

/* One SSL_read or SSL_write: the bytes moved, 0 at the end of the stream
 * (reading), or -1 with an error; *wait is what the next attempt waits for
 * (after G_IO_ERROR_WOULD_BLOCK, what to wait for on the socket). */
static gssize
tls_io (TgTlsStream *tls, gboolean reading, void *buffer, gsize count,
        GIOCondition *wait, GError **error)
{
  g_autoptr (GMutexLocker) locker = lock_open (tls, error);
  GIOCondition *next;
  size_t n = 0;
  gssize result = 0;

  if (locker == NULL)
    return -1;
  next = reading ? &tls->read_wait : &tls->write_wait;
  *next = reading ? G_IO_IN : G_IO_OUT;
  ERR_clear_error ();
  if (count == 0
      || (reading ? SSL_read_ex (tls->ssl, buffer, count, &n)
                  : SSL_write_ex (tls->ssl, buffer, count, &n)))
    result = n;
  else if (ssl_failed (tls, 0, reading ? "TLS read failed" : "TLS write failed",
                       next, error)
           < 0)
    result = -1;
  else if (!reading)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE,
                           "TLS write failed: the peer closed the connection");
      result = -1;
    }
  if (wait)
    *wait = *next;
  return result;
}

/* The blocking calls: the non-blocking ones, waiting on the socket. */
static gssize
tls_blocking (TgTlsStream *tls, gboolean reading, void *buffer, gsize count,
              GCancellable *cancellable, GError **error)
{
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return -1;
  for (;;)
    {
      g_autoptr (GError) local = NULL;
      GIOCondition wait = 0;
      gssize n = tls_io (tls, reading, buffer, count, &wait, &local);

      if (n >= 0)
        return n;
      if (!g_error_matches (local, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return -1;
        }
      if (!g_socket_condition_wait (tls->socket, wait, cancellable, error))
        return -1;
    }
}

/* The pollable source: GIO's, with a child that polls the socket for what
 * the next read or write waits for (which may change while it is attached),
 * and is ready at once when OpenSSL holds decrypted bytes or the connection
 * is closed. */

typedef struct
{
  GSource source;
  GObject *stream; /* the TgTlsInput or TgTlsOutput */
  gboolean reading;
  gpointer tag;
  GIOCondition polled;
} TlsSource;

static TgTlsStream *
source_tls (TlsSource *s)
{
  return s->reading ? TG_TLS_INPUT (s->stream)->tls
                    : TG_TLS_OUTPUT (s->stream)->tls;
}

/* Whether a read (or write) would not wait for the socket: decrypted bytes
 * wait inside OpenSSL, or the connection is closed. Else *wanted is the
 * socket condition it waits for. */
static gboolean
ready (TgTlsStream *tls, gboolean reading, GIOCondition *wanted)
{
  g_autoptr (GMutexLocker) locker = lock_open (tls, NULL);

  if (locker == NULL)
    return TRUE;
  *wanted = (reading ? tls->read_wait : tls->write_wait) | G_IO_HUP | G_IO_ERR;
  return reading && SSL_pending (tls->ssl) > 0;
}

static gboolean
source_prepare (GSource *source, int *timeout)
{
  TlsSource *s = (TlsSource *) source;
  GIOCondition wanted = s->polled;

  *timeout = -1;
  if (ready (source_tls (s), s->reading, &wanted))
    return TRUE;
  if (wanted != s->polled)
    g_source_modify_unix_fd (source, s->tag, wanted);
  s->polled = wanted;
  return FALSE;
}

static gboolean
source_check (GSource *source)
{
  TlsSource *s = (TlsSource *) source;
  GIOCondition wanted;

  return ready (source_tls (s), s->reading, &wanted)
         || (s->tag && g_source_query_unix_fd (source, s->tag) != 0);
}

static gboolean
source_dispatch (GSource *source, GSourceFunc callback, gpointer data)
{
  return G_SOURCE_CONTINUE; /* the parent calls back */
}

static void
source_finalize (GSource *source)
{
  g_object_unref (((TlsSource *) source)->stream);
}

static GSourceFuncs source_funcs = {
  source_prepare,
  source_check,
  source_dispatch,
  source_finalize,
};

static GSource *
source_new (GObject *stream, gboolean reading, GCancellable *cancellable)
{
  GSource *source = g_pollable_source_new_full (stream, NULL, cancellable);
  GSource *child = g_source_new (&source_funcs, sizeof (TlsSource));
  TlsSource *s = (TlsSource *) child;
  TgTlsStream *tls;

  g_source_set_static_name (child, "TgTlsStream");
  s->stream = g_object_ref (stream);
  s->reading = reading;
  tls = source_tls (s);
  /* The socket, unless the connection is closed (ready for ever). */
  ready (tls, reading, &s->polled);
  if (s->polled)
    s->tag = g_source_add_unix_fd (child, g_socket_get_fd (tls->socket),
                                   s->polled);
  g_source_add_child_source (source, child);
  g_source_unref (child);
  return source;
}

/* The input stream */

static void tg_tls_input_pollable_init (GPollableInputStreamInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (
    TgTlsInput, tg_tls_input, G_TYPE_INPUT_STREAM,
    G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_INPUT_STREAM,
                           tg_tls_input_pollable_init))

static gssize
input_read (GInputStream *stream, void *buffer, gsize count,
            GCancellable *cancellable, GError **error)
{
  return tls_blocking (TG_TLS_INPUT (stream)->tls, TRUE, buffer, count,
                       cancellable, error);
}

static gssize
input_read_nonblocking (GPollableInputStream *stream, void *buffer, gsize count,
                        GError **error)
{
  return tls_io (TG_TLS_INPUT (stream)->tls, TRUE, buffer, count, NULL, error);
}

static gboolean
input_is_readable (GPollableInputStream *stream)
{
  TgTlsStream *tls = TG_TLS_INPUT (stream)->tls;
  GIOCondition wanted;

  return ready (tls, TRUE, &wanted)
         || g_socket_condition_check (tls->socket, wanted);
}

static GSource *
input_create_source (GPollableInputStream *stream, GCancellable *cancellable)
{
  return source_new (G_OBJECT (stream), TRUE, cancellable);
}

static void
tg_tls_input_pollable_init (GPollableInputStreamInterface *iface)
{
  iface->is_readable = input_is_readable;
  iface->create_source = input_create_source;
  iface->read_nonblocking = input_read_nonblocking;
}

static void
tg_tls_input_class_init (TgTlsInputClass *klass)
{
  G_INPUT_STREAM_CLASS (klass)->read_fn = input_read;
}

static void
tg_tls_input_init (TgTlsInput *input)
{
}

/* The output stream */

static void tg_tls_output_pollable_init (GPollableOutputStreamInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (
    TgTlsOutput, tg_tls_output, G_TYPE_OUTPUT_STREAM,
    G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_OUTPUT_STREAM,
                           tg_tls_output_pollable_init))

static gssize
output_write (GOutputStream *stream, const void *buffer, gsize count,
              GCancellable *cancellable, GError **error)
{
  return tls_blocking (TG_TLS_OUTPUT (stream)->tls, FALSE, (void *) buffer,
                       count, cancellable, error);
}

static gssize
output_write_nonblocking (GPollableOutputStream *stream, const void *buffer,
                          gsize count, GError **error)
{
  return tls_io (TG_TLS_OUTPUT (stream)->tls, FALSE, (void *) buffer, count,
                 NULL, error);
}

static gboolean
output_is_writable (GPollableOutputStream *stream)
{
  TgTlsStream *tls = TG_TLS_OUTPUT (stream)->tls;
  GIOCondition wanted;

  return ready (tls, FALSE, &wanted)
         || g_socket_condition_check (tls->socket, wanted);
}

static GSource *
output_create_source (GPollableOutputStream *stream, GCancellable *cancellable)
{
  return source_new (G_OBJECT (stream), FALSE, cancellable);
}

static void
tg_tls_output_pollable_init (GPollableOutputStreamInterface *iface)
{
  iface->is_writable = output_is_writable;
  iface->create_source = output_create_source;
  iface->write_nonblocking = output_write_nonblocking;
}

static void
tg_tls_output_class_init (TgTlsOutputClass *klass)
{
  /* No flush: nothing is held back once a write has returned. */
  G_OUTPUT_STREAM_CLASS (klass)->write_fn = output_write;
}

static void
tg_tls_output_init (TgTlsOutput *output)
{
}

/* The connection */

static GInputStream *
tg_tls_stream_get_input_stream (GIOStream *stream)
{
  return TG_TLS_STREAM (stream)->input;
}

static GOutputStream *
tg_tls_stream_get_output_stream (GIOStream *stream)
{
  return TG_TLS_STREAM (stream)->output;
}

static gboolean
tg_tls_stream_close (GIOStream *stream, GCancellable *cancellable,
                     GError **error)
{
  TgTlsStream *tls = TG_TLS_STREAM (stream);
  g_autoptr (GMutexLocker) locker = lock_open (tls, NULL);

  g_input_stream_close (tls->input, NULL, NULL);
  g_output_stream_close (tls->output, NULL, NULL);
  if (locker == NULL)
    return TRUE; /* closed already */
  /* close_notify if the socket takes it now; never after a fatal error. */
  if (!tls->failed && SSL_is_init_finished (tls->ssl))
    {
      ERR_clear_error ();
      SSL_shutdown (tls->ssl);
      ERR_clear_error ();
    }
  return g_socket_close (tls->socket, error);
}

/* Closing never waits, so it is done here rather than in a thread (GIO's
 * default), which would touch the connection from another thread. */
static void
tg_tls_stream_close_async (GIOStream *stream, int priority,
                           GCancellable *cancellable,
                           GAsyncReadyCallback callback, gpointer data)
{
  g_autoptr (GTask) task = g_task_new (stream, cancellable, callback, data);
  GError *error = NULL;

  g_task_set_source_tag (task, tg_tls_stream_close_async);
  if (tg_tls_stream_close (stream, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static gboolean
tg_tls_stream_close_finish (GIOStream *stream, GAsyncResult *result,
                            GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
tg_tls_stream_finalize (GObject *object)
{
  TgTlsStream *tls = TG_TLS_STREAM (object);

  TG_TLS_INPUT (tls->input)->tls = NULL;
  TG_TLS_OUTPUT (tls->output)->tls = NULL;
  g_object_unref (tls->input);
  g_object_unref (tls->output);
  SSL_free (tls->ssl); /* and its BIO */
  g_object_unref (tls->socket);
  g_mutex_clear (&tls->lock);
  G_OBJECT_CLASS (tg_tls_stream_parent_class)->finalize (object);
}

static void
tg_tls_stream_class_init (TgTlsStreamClass *klass)
{
  GIOStreamClass *stream_class = G_IO_STREAM_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = tg_tls_stream_finalize;
  stream_class->get_input_stream = tg_tls_stream_get_input_stream;
  stream_class->get_output_stream = tg_tls_stream_get_output_stream;
  stream_class->close_fn = tg_tls_stream_close;
  stream_class->close_async = tg_tls_stream_close_async;
  stream_class->close_finish = tg_tls_stream_close_finish;
}

static void
tg_tls_stream_init (TgTlsStream *tls)
{
  g_mutex_init (&tls->lock);
  tls->read_wait = G_IO_IN;
  tls->write_wait = G_IO_OUT;
}

TgTlsStream *
tg_tls_stream_new (SSL_CTX *context, GSocket *socket)
{
  TgTlsStream *tls = g_object_new (TG_TYPE_TLS_STREAM, NULL);
  TgTlsInput *input = g_object_new (TG_TYPE_TLS_INPUT, NULL);
  TgTlsOutput *output = g_object_new (TG_TYPE_TLS_OUTPUT, NULL);
  BIO *bio = BIO_new (socket_bio_method ());

  tls->ssl = SSL_new (context);
  if (tls->ssl == NULL || bio == NULL)
    g_error ("OpenSSL: out of memory");
  BIO_set_data (bio, tls);
  BIO_set_init (bio, 1);
  SSL_set_bio (tls->ssl, bio, bio);
  SSL_set_accept_state (tls->ssl);
  tls->socket = g_object_ref (socket);
  g_socket_set_blocking (socket, FALSE);
  /* As libsoup does for the sockets it accepts: records go out at once. */
  g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, TRUE, NULL);
  input->tls = output->tls = tls;
  tls->input = G_INPUT_STREAM (input);
  tls->output = G_OUTPUT_STREAM (output);
  return tls;
}

gboolean
tg_tls_stream_handshake (TgTlsStream *tls, GIOCondition *wait, GError **error)
{
  g_autoptr (GMutexLocker) locker = lock_open (tls, error);
  int ret;

  if (locker == NULL)
    return FALSE;
  ERR_clear_error ();
  ret = SSL_do_handshake (tls->ssl);
  if (ret == 1)
    return TRUE;
  if (ssl_failed (tls, ret, "TLS handshake failed", wait, error) == 0)
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED,
                         "TLS handshake failed: the peer closed the "
                         "connection");
  return FALSE;
}

GSocket *
tg_tls_stream_get_socket (TgTlsStream *tls)
{
  return tls->socket;
}

/* The context */

static int
select_alpn (SSL *ssl, const unsigned char **out, unsigned char *out_length,
             const unsigned char *in, unsigned int in_length, void *data)
{
  static const unsigned char ours[] = "\x08http/1.1";
  unsigned char *selected;

  if (SSL_select_next_proto (&selected, out_length, ours, sizeof ours - 1, in,
                             in_length)
      != OPENSSL_NPN_NEGOTIATED)
    return SSL_TLSEXT_ERR_NOACK;
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

static int
no_password (char *buffer, int size, int writing, void *data)
{
  return -1;
}

static gboolean
openssl_failed (const char *what, GError **error)
{
  unsigned long e = ERR_peek_last_error ();
  char reason[256] = "unknown OpenSSL error";

  if (e)
    ERR_error_string_n (e, reason, sizeof reason);
  ERR_clear_error ();
  g_set_error (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE,
               "Could not set up TLS: %s: %s", what, reason);
  return FALSE;
}

static X509 *
x509_of (GTlsCertificate *certificate)
{
  g_autofree char *pem = NULL;
  BIO *bio;
  X509 *x509;

  g_object_get (certificate, "certificate-pem", &pem, NULL);
  bio = BIO_new_mem_buf (pem ? pem : "", -1);
  x509 = bio ? PEM_read_bio_X509 (bio, NULL, no_password, NULL) : NULL;
  BIO_free (bio);
  return x509;
}

static EVP_PKEY *
key_of (GTlsCertificate *certificate)
{
  char *pem = NULL;
  BIO *bio;
  EVP_PKEY *key;

  g_object_get (certificate, "private-key-pem", &pem, NULL);
  if (pem == NULL)
    return NULL;
  bio = BIO_new_mem_buf (pem, -1);
  key = bio ? PEM_read_bio_PrivateKey (bio, NULL, no_password, NULL) : NULL;
  BIO_free (bio);
  OPENSSL_cleanse (pem, strlen (pem));
  g_free (pem);
  return key;
}

static gboolean
use_certificate (SSL_CTX *context, GTlsCertificate *certificate, GError **error)
{
  X509 *x509 = x509_of (certificate);
  EVP_PKEY *key = key_of (certificate);
  gboolean ok = x509 && key && SSL_CTX_use_certificate (context, x509)
                && SSL_CTX_use_PrivateKey (context, key)
                && SSL_CTX_check_private_key (context);
  GTlsCertificate *issuer = g_tls_certificate_get_issuer (certificate);

  X509_free (x509);
  EVP_PKEY_free (key);
  if (!ok)
    return openssl_failed (key ? "the certificate" : "its private key", error);
  for (int i = 0; issuer && i < MAX_CHAIN; i++)
    {
      x509 = x509_of (issuer);
      if (x509 == NULL || !SSL_CTX_add0_chain_cert (context, x509))
        {
          X509_free (x509);
          return openssl_failed ("its issuer", error);
        }
      issuer = g_tls_certificate_get_issuer (issuer);
    }
  return TRUE;
}

SSL_CTX *
tg_tls_context_new (GTlsCertificate *certificate, GError **error)
{
  static const char session_context[] = "tollgate";
  SSL_CTX *context;
  gboolean ok;

  ERR_clear_error ();
  context = SSL_CTX_new (TLS_server_method ());
  if (context == NULL)
    {
      openssl_failed ("SSL_CTX_new", error);
      return NULL;
    }
  SSL_CTX_set_min_proto_version (context, TLS1_2_VERSION);
  SSL_CTX_set_options (context,
                       SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF);
  SSL_CTX_set_mode (context, SSL_MODE_ENABLE_PARTIAL_WRITE
                                 | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER
                                 | SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_alpn_select_cb (context, select_alpn, NULL);
  if (!SSL_CTX_set_cipher_list (context, TLS12_CIPHERS)
      || !SSL_CTX_set_session_id_context (
          context, (const unsigned char *) session_context,
          sizeof session_context - 1))
    ok = openssl_failed ("the settings", error);
  else
    ok = use_certificate (context, certificate, error);
  if (!ok)
    g_clear_pointer (&context, SSL_CTX_free);
  return context;
}
