/* A real redis-server for the store's tests (test-redis.h). */
#include "test-redis.h"

#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>

#define DATABASES "64"
#define START_WAIT_S 10

struct _TestRedis
{
  char *dir;
  char *socket;
  guint16 port;
  GSubprocess *process;
};

static guint16
free_port (void)
{
  g_autoptr (GSocket) socket = g_socket_new (
      G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr (GInetAddress) loopback
      = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) bound = NULL;

  g_assert_nonnull (socket);
  g_assert_true (g_socket_bind (socket, any, FALSE, NULL));
  bound = g_socket_get_local_address (socket, NULL);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

char *
test_redis_ask (TestRedis *redis, const char *line)
{
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GSocketAddress) address
      = g_unix_socket_address_new (redis->socket);
  g_autoptr (GSocketConnection) connection = g_socket_client_connect (
      client, G_SOCKET_CONNECTABLE (address), NULL, NULL);
  g_autofree char *request = g_strconcat (line, "\r\n", NULL);
  char reply[256] = { 0 };

  if (connection == NULL
      || !g_output_stream_write_all (
          g_io_stream_get_output_stream (G_IO_STREAM (connection)), request,
          strlen (request), NULL, NULL, NULL)
      || g_input_stream_read (
             g_io_stream_get_input_stream (G_IO_STREAM (connection)), reply,
             sizeof reply - 1, NULL, NULL)
             <= 0)
    return NULL;
  return g_strndup (reply, strcspn (reply, "\r\n"));
}

/* Whether the server answers PING on its socket. */
static gboolean
answers (TestRedis *redis)
{
  g_autofree char *reply = test_redis_ask (redis, "PING");

  return g_strcmp0 (reply, "+PONG") == 0;
}

/* In the child: the server goes when the test does, even killed. */
static void
die_with_parent (gpointer unused)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

static void
launch (TestRedis *redis)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *port = g_strdup_printf ("%u", redis->port);
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (
      G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  gint64 deadline;

  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  redis->process = g_subprocess_launcher_spawn (
      launcher, &error, "redis-server", "--port", port, "--bind", "127.0.0.1",
      "--unixsocket", redis->socket, "--dir", redis->dir, "--save", "",
      "--appendonly", "no", "--databases", DATABASES, NULL);
  if (redis->process == NULL)
    g_error ("redis-server could not start (Debian: the package "
             "redis-server): %s",
             error->message);
  deadline = g_get_monotonic_time () + START_WAIT_S * G_USEC_PER_SEC;
  while (!answers (redis))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (20 * G_TIME_SPAN_MILLISECOND);
    }
}

void
test_redis_halt (TestRedis *redis)
{
  g_subprocess_send_signal (redis->process, SIGTERM);
  g_assert_true (g_subprocess_wait (redis->process, NULL, NULL));
  g_clear_object (&redis->process);
}

TestRedis *
test_redis_start (void)
{
  g_autoptr (GError) error = NULL;
  TestRedis *redis = g_new0 (TestRedis, 1);

  redis->dir = g_dir_make_tmp ("tg-redis-XXXXXX", &error);
  g_assert_no_error (error);
  redis->socket = g_build_filename (redis->dir, "redis.sock", NULL);
  redis->port = free_port ();
  launch (redis);
  return redis;
}

void
test_redis_relaunch (TestRedis *redis)
{
  launch (redis);
}

void
test_redis_stop (TestRedis *redis)
{
  if (redis->process)
    test_redis_halt (redis);
  g_remove (redis->socket);
  g_assert_cmpint (g_rmdir (redis->dir), ==, 0);
  g_free (redis->socket);
  g_free (redis->dir);
  g_free (redis);
}

char *
test_redis_unix_uri (TestRedis *redis, int db)
{
  return g_strdup_printf ("unix://%s?db=%d", redis->socket, db);
}

char *
test_redis_tcp_uri (TestRedis *redis, int db)
{
  return g_strdup_printf ("redis://127.0.0.1:%u/%d", redis->port, db);
}
