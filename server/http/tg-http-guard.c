#include "tg-http-guard.h"

#include <libsoup/soup.h>
#include <string.h>
#include <sys/socket.h>

#include "tg-http-framing.h"

/* How long a refused connection is read (and ignored) after its answer,
 * so that the client gets the answer rather than a reset. */
#define LINGER_US (2 * G_USEC_PER_SEC)
/* Read from the connection at once. */
#define READ_BLOCK (16 * 1024)

struct _TgHttpGuard
{
  GIOStream parent;
  GIOStream *base;
  GSocket *socket;
  char *peer;
  GInputStream *input;
  GOutputStream *output;
  TgHttpGuardClosed closed;
  gpointer closed_data;
  TgHttpFraming framing; /* what was read, and how far libsoup may have it */
  /* Last progress either way, in monotonic seconds (atomic: libsoup
   * writes the end of a chunked answer from a thread of GIO's). */
  gint active;
  /* The connection is over: libsoup is told (end of stream, writes that
   * go nowhere) and lets it go. */
  gboolean finished;
  gboolean junk_given;
  gboolean linger; /* after our refusal: read a little before closing */
  gboolean close_reported;
  GSource *linger_reader, *linger_timer;
};

G_DEFINE_FINAL_TYPE (TgHttpGuard, tg_http_guard, G_TYPE_IO_STREAM)

/* --- the two streams ---
 * They may outlive the guard (libsoup holds them a little longer): then
 * their guard is NULL, and they act as closed. */

typedef struct
{
  GInputStream parent;
  TgHttpGuard *guard; /* not a reference: the guard owns us */
} TgGuardInput;

typedef struct
{
  GInputStreamClass parent_class;
} TgGuardInputClass;

typedef struct
{
  GOutputStream parent;
  TgHttpGuard *guard;
} TgGuardOutput;

typedef struct
{
  GOutputStreamClass parent_class;
} TgGuardOutputClass;

static GType tg_guard_input_get_type (void);
static GType tg_guard_output_get_type (void);
static void guard_input_pollable_init (GPollableInputStreamInterface *iface);
static void guard_output_pollable_init (GPollableOutputStreamInterface *iface);

G_DEFINE_TYPE_WITH_CODE (TgGuardInput, tg_guard_input, G_TYPE_INPUT_STREAM,
                         G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_INPUT_STREAM,
                                                guard_input_pollable_init))
G_DEFINE_TYPE_WITH_CODE (TgGuardOutput, tg_guard_output, G_TYPE_OUTPUT_STREAM,
                         G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_OUTPUT_STREAM,
                                                guard_output_pollable_init))

static TgHttpGuard *
guard_of_input (gpointer stream)
{
  return ((TgGuardInput *) stream)->guard;
}

static TgHttpGuard *
guard_of_output (gpointer stream)
{
  return ((TgGuardOutput *) stream)->guard;
}

static GPollableInputStream *
base_input (TgHttpGuard *guard)
{
  return G_POLLABLE_INPUT_STREAM (g_io_stream_get_input_stream (guard->base));
}

static GPollableOutputStream *
base_output (TgHttpGuard *guard)
{
  return G_POLLABLE_OUTPUT_STREAM (g_io_stream_get_output_stream (guard->base));
}

static void
mark_active (TgHttpGuard *guard)
{
  g_atomic_int_set (&guard->active,
                    (gint) (g_get_monotonic_time () / G_USEC_PER_SEC));
}

/* --- ending --- */

static void
finish (TgHttpGuard *guard)
{
  guard->finished = TRUE;
  if (!g_socket_is_closed (guard->socket))
    shutdown (g_socket_get_fd (guard->socket),
              guard->linger ? SHUT_WR : SHUT_RDWR);
}

/* Answers what the framing refused ourselves (libsoup has seen none of
 * that head) and ends the connection. The answer is small: one
 * non-blocking write, or none. */
static void
refuse (TgHttpGuard *guard)
{
  guint status = guard->framing.status;
  const char *reason = guard->framing.reason;
  g_autofree char *answer = g_strdup_printf (
      "HTTP/1.1 %u %s\r\nServer: Tollgate\r\nContent-Type: text/plain\r\n"
      "Content-Length: %zu\r\nConnection: close\r\n\r\n%s\n",
      status, soup_status_get_phrase (status), strlen (reason) + 1, reason);

  g_info ("HTTP %s: refused (%u): %s", guard->peer, status, reason);
  g_pollable_output_stream_write_nonblocking (base_output (guard), answer,
                                              strlen (answer), NULL, NULL);
  guard->linger = TRUE;
  finish (guard);
}

/* --- reading --- */

/* Gives libsoup what is ready. */
static gssize
give (TgHttpGuard *guard, void *buffer, gsize count)
{
  gsize n = tg_http_framing_take (&guard->framing, buffer, count);

  mark_active (guard);
  return (gssize) n;
}

/* The connection is over for libsoup. If it waits for a new head, it is
 * given one byte of junk before the end of the stream: libsoup 3.2.3 lets
 * a keep-alive connection go only through a request that fails (it never
 * notices a plain end of stream between requests, fixed in 3.3.0); the
 * junk is its "400", whose answer goes nowhere. */
static gssize
ended (TgHttpGuard *guard, void *buffer, gsize count)
{
  if (!tg_http_framing_between (&guard->framing) || guard->junk_given
      || count == 0)
    return 0;
  guard->junk_given = TRUE;
  ((char *) buffer)[0] = 'X';
  return 1;
}

/* Makes ready what can be without reading the connection (what is
 * buffered may hold a whole pipelined request), or answers what the
 * framing refused. Whether something can be given now. */
static gboolean
can_give (TgHttpGuard *guard)
{
  TgHttpFraming *framing = &guard->framing;

  while (!guard->finished && !framing->ready
         && tg_http_framing_advance (framing, g_get_monotonic_time ()))
    ;
  if (framing->status && !guard->finished)
    refuse (guard);
  return guard->finished || framing->ready;
}

static gssize
guard_read_nonblocking (GPollableInputStream *stream, void *buffer, gsize count,
                        GError **error)
{
  TgHttpGuard *guard = guard_of_input (stream);
  TgHttpFraming *framing;

  if (guard == NULL)
    return 0;
  framing = &guard->framing;
  /* Read before an answer to an upgrade: it is not one. */
  tg_http_framing_no_upgrade (framing);
  for (;;)
    {
      guint8 block[READ_BLOCK];
      GError *local = NULL;
      gssize n;

      if (can_give (guard))
        return guard->finished ? ended (guard, buffer, count)
                               : give (guard, buffer, count);
      if (framing->phase == TG_HTTP_UPGRADED)
        return g_pollable_input_stream_read_nonblocking (
            base_input (guard), buffer, count, NULL, error);
      n = g_pollable_input_stream_read_nonblocking (base_input (guard), block,
                                                    sizeof block, NULL, &local);
      if (n < 0 && g_error_matches (local, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          g_propagate_error (error, local);
          return -1;
        }
      if (n <= 0)
        {
          /* The client is gone (or sent half a request): a reset is an
           * end like any other (libsoup would not let go after an error
           * between requests either). */
          g_clear_error (&local);
          finish (guard);
          continue;
        }
      tg_http_framing_add (framing, block, n);
      mark_active (guard);
    }
}

static gboolean
guard_is_readable (GPollableInputStream *stream)
{
  TgHttpGuard *guard = guard_of_input (stream);

  return guard == NULL || can_give (guard)
         || g_pollable_input_stream_is_readable (base_input (guard));
}

static gboolean
ready_now (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

static gboolean
base_ready (GObject *stream, gpointer data)
{
  return G_SOURCE_CONTINUE;
}

/* A source that fires at once (something can be read or written without
 * the connection), or when base's would. (Not g_pollable_source_new_full
 * with base as the child: it sets a dummy closure on it, which a custom
 * source such as TgTlsStream's cannot take.) */
static GSource *
pollable_source (GObject *stream, gboolean now, GSource *base,
                 GCancellable *cancellable)
{
  GSource *source = g_pollable_source_new_full (stream, NULL, cancellable);
  GSource *child = now ? g_timeout_source_new (0) : base;

  if (now)
    {
      g_source_set_callback (child, ready_now, NULL, NULL);
      if (base)
        g_source_unref (base);
    }
  else
    g_source_set_callback (child, G_SOURCE_FUNC (base_ready), NULL, NULL);
  g_source_add_child_source (source, child);
  g_source_unref (child);
  return source;
}

static GSource *
guard_input_create_source (GPollableInputStream *stream,
                           GCancellable *cancellable)
{
  TgHttpGuard *guard = guard_of_input (stream);
  gboolean now = guard == NULL || can_give (guard);

  return pollable_source (
      G_OBJECT (stream), now,
      now ? NULL
          : g_pollable_input_stream_create_source (base_input (guard), NULL),
      cancellable);
}

/* Blocking reads and writes, which libsoup does not use, done anyway:
 * the non-blocking kind (attempt), and a wait for the socket while it
 * would block. */
typedef gssize (*Attempt) (GObject *stream, void *buffer, gsize count,
                           GError **error);

static gssize
blocking (TgHttpGuard *guard, GIOCondition condition, Attempt attempt,
          GObject *stream, void *buffer, gsize count, GCancellable *cancellable,
          GError **error)
{
  for (;;)
    {
      GError *local = NULL;
      gssize n = attempt (stream, buffer, count, &local);

      if (n >= 0
          || !g_error_matches (local, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        {
          if (local)
            g_propagate_error (error, local);
          return n;
        }
      g_clear_error (&local);
      if (guard == NULL
          || !g_socket_condition_wait (guard->socket, condition, cancellable,
                                       error))
        return -1;
    }
}

static gssize
attempt_read (GObject *stream, void *buffer, gsize count, GError **error)
{
  return guard_read_nonblocking (G_POLLABLE_INPUT_STREAM (stream), buffer,
                                 count, error);
}

static gssize
guard_read (GInputStream *stream, void *buffer, gsize count,
            GCancellable *cancellable, GError **error)
{
  return blocking (guard_of_input (stream), G_IO_IN, attempt_read,
                   G_OBJECT (stream), buffer, count, cancellable, error);
}

static void
guard_input_pollable_init (GPollableInputStreamInterface *iface)
{
  iface->is_readable = guard_is_readable;
  iface->create_source = guard_input_create_source;
  iface->read_nonblocking = guard_read_nonblocking;
}

static gboolean
guard_input_close (GInputStream *stream, GCancellable *cancellable,
                   GError **error)
{
  return TRUE; /* the guard closes the connection */
}

static void
tg_guard_input_class_init (TgGuardInputClass *klass)
{
  GInputStreamClass *input_class = G_INPUT_STREAM_CLASS (klass);

  input_class->read_fn = guard_read;
  input_class->close_fn = guard_input_close;
}

static void
tg_guard_input_init (TgGuardInput *input)
{
}

/* --- writing --- */

static gssize
guard_write_nonblocking (GPollableOutputStream *stream, const void *buffer,
                         gsize count, GError **error)
{
  TgHttpGuard *guard = guard_of_output (stream);
  gssize n;

  if (guard == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CLOSED,
                           "The connection is closed");
      return -1;
    }
  if (guard->finished)
    return (gssize) count; /* the connection is over: it goes nowhere */
  n = g_pollable_output_stream_write_nonblocking (base_output (guard), buffer,
                                                  count, NULL, error);
  if (n > 0)
    {
      tg_http_framing_answer (&guard->framing, buffer, n);
      mark_active (guard);
    }
  return n;
}

static gboolean
guard_is_writable (GPollableOutputStream *stream)
{
  TgHttpGuard *guard = guard_of_output (stream);

  return guard == NULL || guard->finished
         || g_pollable_output_stream_is_writable (base_output (guard));
}

static GSource *
guard_output_create_source (GPollableOutputStream *stream,
                            GCancellable *cancellable)
{
  TgHttpGuard *guard = guard_of_output (stream);
  gboolean now = guard == NULL || guard->finished;

  return pollable_source (
      G_OBJECT (stream), now,
      now ? NULL
          : g_pollable_output_stream_create_source (base_output (guard), NULL),
      cancellable);
}

static gssize
attempt_write (GObject *stream, void *buffer, gsize count, GError **error)
{
  return guard_write_nonblocking (G_POLLABLE_OUTPUT_STREAM (stream), buffer,
                                  count, error);
}

static gssize
guard_write (GOutputStream *stream, const void *buffer, gsize count,
             GCancellable *cancellable, GError **error)
{
  return blocking (guard_of_output (stream), G_IO_OUT, attempt_write,
                   G_OBJECT (stream), (void *) buffer, count, cancellable,
                   error);
}

static gboolean
guard_flush (GOutputStream *stream, GCancellable *cancellable, GError **error)
{
  TgHttpGuard *guard = guard_of_output (stream);

  return guard == NULL || guard->finished
         || g_output_stream_flush (G_OUTPUT_STREAM (base_output (guard)),
                                   cancellable, error);
}

static void
guard_output_pollable_init (GPollableOutputStreamInterface *iface)
{
  iface->is_writable = guard_is_writable;
  iface->create_source = guard_output_create_source;
  iface->write_nonblocking = guard_write_nonblocking;
}

static gboolean
guard_output_close (GOutputStream *stream, GCancellable *cancellable,
                    GError **error)
{
  return TRUE; /* the guard closes the connection */
}

static void
tg_guard_output_class_init (TgGuardOutputClass *klass)
{
  GOutputStreamClass *output_class = G_OUTPUT_STREAM_CLASS (klass);

  output_class->write_fn = guard_write;
  output_class->flush = guard_flush;
  output_class->close_fn = guard_output_close;
}

static void
tg_guard_output_init (TgGuardOutput *output)
{
}

/* --- the connection --- */

static void
report_closed (TgHttpGuard *guard)
{
  if (guard->close_reported)
    return;
  guard->close_reported = TRUE;
  if (guard->closed)
    guard->closed (guard, guard->closed_data);
}

static void
drop_source (GSource **source)
{
  if (*source == NULL)
    return;
  g_source_destroy (*source);
  g_clear_pointer (source, g_source_unref);
}

static void
stop_lingering (TgHttpGuard *guard)
{
  drop_source (&guard->linger_reader);
  drop_source (&guard->linger_timer);
}

static void
close_now (TgHttpGuard *guard)
{
  stop_lingering (guard);
  g_io_stream_close (guard->base, NULL, NULL);
  report_closed (guard);
}

/* After a refusal: what the client still sends is read and dropped until
 * it closes or LINGER_US has passed, then the connection is closed. */
static gboolean
linger_read (GSocket *socket, GIOCondition condition, gpointer data)
{
  TgHttpGuard *guard = data;
  char block[4096];

  if (g_socket_receive (socket, block, sizeof block, NULL, NULL) > 0)
    return G_SOURCE_CONTINUE;
  close_now (guard);
  return G_SOURCE_REMOVE;
}

static gboolean
linger_over (gpointer data)
{
  close_now (data);
  return G_SOURCE_REMOVE;
}

static GSource *
linger_source (TgHttpGuard *guard, GSource *source, GSourceFunc func)
{
  g_source_set_callback (source, func, g_object_ref (guard), g_object_unref);
  g_source_attach (source, g_main_context_get_thread_default ());
  return source;
}

static void
linger (TgHttpGuard *guard)
{
  guard->linger_reader = linger_source (
      guard, g_socket_create_source (guard->socket, G_IO_IN, NULL),
      G_SOURCE_FUNC (linger_read));
  guard->linger_timer = linger_source (
      guard, g_timeout_source_new (LINGER_US / 1000), linger_over);
}

void
tg_http_guard_abort (TgHttpGuard *guard)
{
  guard->finished = TRUE;
  close_now (guard);
}

static gboolean
guard_close (GIOStream *stream, GCancellable *cancellable, GError **error)
{
  TgHttpGuard *guard = TG_HTTP_GUARD (stream);

  if (guard->linger && !guard->linger_timer && !guard->close_reported)
    linger (guard);
  else if (!guard->linger_timer)
    close_now (guard);
  return TRUE;
}

/* Closing is quick and never blocks: done on the caller's thread (the
 * default would run it on a thread of GIO's pool). */
static void
guard_close_async (GIOStream *stream, int priority, GCancellable *cancellable,
                   GAsyncReadyCallback callback, gpointer data)
{
  g_autoptr (GTask) task = g_task_new (stream, cancellable, callback, data);

  guard_close (stream, cancellable, NULL);
  g_task_return_boolean (task, TRUE);
}

static gboolean
guard_close_finish (GIOStream *stream, GAsyncResult *result, GError **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static GInputStream *
guard_get_input (GIOStream *stream)
{
  return TG_HTTP_GUARD (stream)->input;
}

static GOutputStream *
guard_get_output (GIOStream *stream)
{
  return TG_HTTP_GUARD (stream)->output;
}

static void
guard_finalize (GObject *object)
{
  TgHttpGuard *guard = TG_HTTP_GUARD (object);

  report_closed (guard);
  /* libsoup may hold the streams longer than the connection. */
  ((TgGuardInput *) guard->input)->guard = NULL;
  ((TgGuardOutput *) guard->output)->guard = NULL;
  g_clear_object (&guard->input);
  g_clear_object (&guard->output);
  g_clear_object (&guard->base);
  g_clear_object (&guard->socket);
  tg_http_framing_clear (&guard->framing);
  g_free (guard->peer);
  G_OBJECT_CLASS (tg_http_guard_parent_class)->finalize (object);
}

static void
tg_http_guard_class_init (TgHttpGuardClass *klass)
{
  GIOStreamClass *stream_class = G_IO_STREAM_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = guard_finalize;
  stream_class->get_input_stream = guard_get_input;
  stream_class->get_output_stream = guard_get_output;
  stream_class->close_fn = guard_close;
  stream_class->close_async = guard_close_async;
  stream_class->close_finish = guard_close_finish;
}

static void
tg_http_guard_init (TgHttpGuard *guard)
{
}

TgHttpGuard *
tg_http_guard_new (GIOStream *base, GSocket *socket, const char *peer,
                   TgHttpGuardClosed closed, gpointer data)
{
  TgHttpGuard *guard = g_object_new (TG_TYPE_HTTP_GUARD, NULL);
  TgGuardInput *input = g_object_new (tg_guard_input_get_type (), NULL);
  TgGuardOutput *output = g_object_new (tg_guard_output_get_type (), NULL);

  input->guard = output->guard = guard;
  guard->input = G_INPUT_STREAM (input);
  guard->output = G_OUTPUT_STREAM (output);
  guard->base = g_object_ref (base);
  guard->socket = g_object_ref (socket);
  guard->peer = g_strdup (peer);
  guard->closed = closed;
  guard->closed_data = data;
  tg_http_framing_init (&guard->framing, g_get_monotonic_time ());
  mark_active (guard);
  return guard;
}

gboolean
tg_http_guard_expire (TgHttpGuard *guard, gint64 now, gint64 request_timeout,
                      gint64 idle_timeout)
{
  TgHttpFraming *framing = &guard->framing;
  const char *why = NULL;

  if (guard->finished || framing->phase == TG_HTTP_UPGRADED)
    return FALSE;
  if (tg_http_framing_between (framing) && framing->head_since
      && (framing->requests == 0 || framing->in->len > 0)
      && now - framing->head_since > request_timeout)
    why = "request head not complete in time";
  else if (now / G_USEC_PER_SEC - g_atomic_int_get (&guard->active)
           > idle_timeout / G_USEC_PER_SEC)
    why = tg_http_framing_between (framing) ? "idle" : "no progress";
  if (why == NULL)
    return FALSE;
  g_info ("HTTP %s: closed: %s", guard->peer, why);
  finish (guard);
  return TRUE;
}

const char *
tg_http_guard_get_peer (TgHttpGuard *guard)
{
  return guard->peer;
}
