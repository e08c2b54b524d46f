#include "tg-accept.h"

#include <errno.h>
#include <sys/socket.h>

#include "tollgate.h"

/* How long accepting pauses when the process is out of descriptors: the
 * pending connections wait in the listen queue meanwhile. */
#define PAUSE_MS 200

struct _TgAcceptor
{
  char *door;
  GSocket *listening;
  GMainContext *context;
  TgAccepted accepted;
  gpointer data;
  GSource *source; /* the listening socket's, or the pause's */
  gboolean paused; /* since the last connection accepted */
};

GSocket *
tg_listen (const char *address, guint16 port, gboolean reuse_port,
           GError **error)
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
      || (reuse_port
          && !g_socket_set_option (socket, SOL_SOCKET, SO_REUSEPORT, 1, error)))
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
  g_socket_set_blocking (socket, FALSE);
  return g_steal_pointer (&socket);
}

guint16
tg_listen_port (GSocket *socket)
{
  g_autoptr (GSocketAddress) local = g_socket_get_local_address (socket, NULL);

  return local ? g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (local))
               : 0;
}

static void watch (TgAcceptor *acceptor);

static gboolean
resume (gpointer data)
{
  TgAcceptor *acceptor = data;

  g_source_unref (acceptor->source);
  watch (acceptor);
  return G_SOURCE_REMOVE;
}

static void
pause_accepting (TgAcceptor *acceptor, const GError *error)
{
  if (!acceptor->paused)
    g_message ("%s: out of file descriptors (%s): accepting paused",
               acceptor->door, error->message);
  acceptor->paused = TRUE;
  g_source_destroy (acceptor->source);
  g_source_unref (acceptor->source);
  acceptor->source = g_timeout_source_new (PAUSE_MS);
  g_source_set_callback (acceptor->source, resume, acceptor, NULL);
  g_source_attach (acceptor->source, acceptor->context);
}

static gboolean
incoming (GSocket *listening, GIOCondition condition, gpointer data)
{
  TgAcceptor *acceptor = data;

  for (;;)
    {
      g_autoptr (GError) error = NULL;
      GSocket *client = g_socket_accept (listening, NULL, &error);

      if (client)
        {
          if (acceptor->paused)
            g_message ("%s: accepting again", acceptor->door);
          acceptor->paused = FALSE;
          acceptor->accepted (client, acceptor->data);
          g_object_unref (client);
          continue;
        }
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK))
        return G_SOURCE_CONTINUE;
      /* A connection reset while it waited: take the next. */
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED)
          || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_BROKEN_PIPE))
        continue;
      pause_accepting (acceptor, error);
      return G_SOURCE_REMOVE;
    }
}

static void
watch (TgAcceptor *acceptor)
{
  acceptor->source
      = g_socket_create_source (acceptor->listening, G_IO_IN, NULL);
  g_source_set_callback (acceptor->source, G_SOURCE_FUNC (incoming), acceptor,
                         NULL);
  g_source_attach (acceptor->source, acceptor->context);
}

TgAcceptor *
tg_acceptor_new (const char *door, GSocket *listening, GMainContext *context,
                 TgAccepted accepted, gpointer data)
{
  TgAcceptor *acceptor = g_new0 (TgAcceptor, 1);

  acceptor->door = g_strdup (door);
  acceptor->listening = g_object_ref (listening);
  acceptor->context = context ? g_main_context_ref (context)
                              : g_main_context_ref_thread_default ();
  acceptor->accepted = accepted;
  acceptor->data = data;
  watch (acceptor);
  return acceptor;
}

void
tg_acceptor_free (TgAcceptor *acceptor)
{
  if (acceptor == NULL)
    return;
  g_source_destroy (acceptor->source);
  g_source_unref (acceptor->source);
  g_object_unref (acceptor->listening);
  g_main_context_unref (acceptor->context);
  g_free (acceptor->door);
  g_free (acceptor);
}
