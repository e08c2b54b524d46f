#include "tg-srt-pull.h"

#include <netdb.h>
#include <srt/access_control.h>
#include <srt/srt.h>

#include "tg-cluster.h"
#include "tg-hls-viewers.h"
#include "tg-live.h"
#include "tg-publish.h"
#include "tg-srt-receive.h"
#include "tg-wait.h"

/* How long the origin has to answer. */
#define CONNECT_TIMEOUT_MS 3000
/* An origin whose stream is not playable yet (it has just gone live) is
 * asked again every RETRY_MS for this long. */
#define PATIENCE_S 10
#define RETRY_MS 300
/* Nothing from the origin for this long: the link is broken. */
#define SILENCE_S 5

/* One pull, held by its thread and, once built, by its publication until
 * that has ended. */
typedef struct
{
  gint refs;
  TgServer *server;
  TgSettings *settings; /* the app's, when asked */
  char *app, *stream_id;
  char *origin; /* "host:port", the publication's peer */
  char *host;
  guint port;
  TgPublication *publication;
  GThread *thread;
  GMutex lock; /* guards socket */
  SRTSOCKET socket;
} Pull;

/* Threads not yet joined. */
static GMutex threads_lock;
static guint threads;

static Pull *
pull_ref (Pull *pull)
{
  g_atomic_int_inc (&pull->refs);
  return pull;
}

static void
pull_unref (Pull *pull)
{
  if (!g_atomic_int_dec_and_test (&pull->refs))
    return;
  g_clear_pointer (&pull->publication, tg_publication_unref);
  tg_settings_unref (pull->settings);
  g_mutex_clear (&pull->lock);
  g_free (pull->app);
  g_free (pull->stream_id);
  g_free (pull->origin);
  g_free (pull->host);
  g_free (pull);
}

/* Closes the link once (the thread sees it and ends the stream). */
static void
close_link (Pull *pull)
{
  g_mutex_lock (&pull->lock);
  if (pull->socket != SRT_INVALID_SOCK)
    srt_close (pull->socket);
  pull->socket = SRT_INVALID_SOCK;
  g_mutex_unlock (&pull->lock);
}

/* --- the publication, on the main context --- */

static void
cut_off (TgPublication *publication, gpointer data)
{
  close_link (data);
}

static void
ended (TgPublication *publication, gpointer data)
{
  close_link (data);
  pull_unref (data); /* the publication's */
}

static const TgDoor pull_door = { "Edge", cut_off, ended, TRUE };

/* --- the link, on the pull's thread --- */

/* One try; *not_yet: the origin refused because the stream is not
 * playable there (yet). */
static SRTSOCKET
connect_once (Pull *pull, gboolean *not_yet, GError **error)
{
  struct addrinfo hints = { .ai_socktype = SOCK_DGRAM }, *found = NULL;
  g_autofree char *port = g_strdup_printf ("%u", pull->port);
  g_autofree char *key
      = tg_cluster_link_key (pull->server->cluster, pull->app, pull->stream_id);
  g_autofree char *streamid = g_strdup_printf ("#!::r=%s/%s,m=request,t=%s",
                                               pull->app, pull->stream_id, key);
  const char *passphrase = pull->settings->srt_passphrase;
  int timeout = CONNECT_TIMEOUT_MS, status;
  gboolean no = FALSE;
  SRTSOCKET socket;

  status = getaddrinfo (pull->host, port, &hints, &found);
  if (status != 0)
    {
      g_set_error (error, TG_ERROR, TG_ERROR_FAILED, "%s: %s", pull->host,
                   gai_strerror (status));
      return SRT_INVALID_SOCK;
    }
  socket = srt_create_socket ();
  if (srt_setsockflag (socket, SRTO_STREAMID, streamid, (int) strlen (streamid))
          == SRT_ERROR
      || srt_setsockflag (socket, SRTO_CONNTIMEO, &timeout, sizeof timeout)
             == SRT_ERROR
      || srt_setsockflag (socket, SRTO_TSBPDMODE, &no, sizeof no) == SRT_ERROR
      || (*passphrase != '\0'
          && srt_setsockflag (socket, SRTO_PASSPHRASE, passphrase,
                              (int) strlen (passphrase))
                 == SRT_ERROR)
      || srt_connect (socket, found->ai_addr, (int) found->ai_addrlen)
             == SRT_ERROR)
    {
      int reason = srt_getrejectreason (socket);

      *not_yet = reason == SRT_REJX_NOTFOUND;
      g_set_error (error, TG_ERROR, TG_ERROR_FAILED, "%s%s%s",
                   srt_getlasterror_str (), reason ? ": " : "",
                   reason ? srt_rejectreason_str (reason) : "");
      srt_close (socket);
      socket = SRT_INVALID_SOCK;
    }
  freeaddrinfo (found);
  return socket;
}

static SRTSOCKET
connect_origin (Pull *pull, GError **error)
{
  gint64 deadline = g_get_monotonic_time () + PATIENCE_S * G_TIME_SPAN_SECOND;
  gboolean not_yet = FALSE;
  SRTSOCKET socket;

  while ((socket = connect_once (pull, &not_yet, error)) == SRT_INVALID_SOCK
         && not_yet && g_get_monotonic_time () < deadline
         && !tg_live_is_closing (pull->server->live))
    {
      g_clear_error (error);
      g_usleep (RETRY_MS * G_TIME_SPAN_MILLISECOND);
    }
  return socket;
}

/* Whether anyone watches the stream here, or asked for it in the last
 * TG_SRT_PULL_IDLE_S. */
static gboolean
is_watched (Pull *pull, gint64 started)
{
  gint64 now = g_get_monotonic_time ();
  gint64 idle = TG_SRT_PULL_IDLE_S * G_TIME_SPAN_SECOND;
  TgStreamInfo info = { 0 };
  guint viewers;

  if (now - started < idle
      || now - tg_hls_last_request (pull->app, pull->stream_id) < idle)
    return TRUE;
  if (!tg_live_get_info (pull->server->live, pull->app, pull->stream_id, &info))
    return FALSE;
  viewers = info.webrtc_viewers;
  for (guint i = 0; i < TG_MUX_DOORS; i++)
    viewers += info.mux_viewers[i];
  return viewers > 0;
}

static void
receive (Pull *pull, SRTSOCKET socket)
{
  g_autofree char *who = g_strdup_printf ("origin %s of %s/%s", pull->origin,
                                          pull->app, pull->stream_id);
  gint64 started = g_get_monotonic_time ();
  TgSrtReceive receive;
  gint64 idle = 0;

  tg_srt_receive_init (&receive, socket, pull->publication->stream, who);
  for (;;)
    {
      if (!tg_srt_receive_drain (&receive, &idle))
        {
          g_message ("Edge: %s/%s: the link to its origin %s has ended",
                     pull->app, pull->stream_id, pull->origin);
          break;
        }
      if (idle >= SILENCE_S * G_TIME_SPAN_SECOND)
        {
          g_message ("Edge: %s/%s: nothing from its origin %s for %d s",
                     pull->app, pull->stream_id, pull->origin, SILENCE_S);
          break;
        }
      if (!is_watched (pull, started))
        {
          g_message ("Edge: %s/%s: no viewer for %d s: the pull ends",
                     pull->app, pull->stream_id, TG_SRT_PULL_IDLE_S);
          break;
        }
      g_usleep (TG_SRT_BATCH_MS * G_TIME_SPAN_MILLISECOND);
    }
  tg_srt_receive_clear (&receive);
}

static gboolean
join (gpointer data)
{
  Pull *pull = data;

  g_thread_join (pull->thread);
  g_mutex_lock (&threads_lock);
  threads--;
  g_mutex_unlock (&threads_lock);
  pull_unref (pull);
  return G_SOURCE_REMOVE;
}

/* Connects, builds the stream and feeds it until the link or the viewers
 * are gone; a pull that cannot start gives up its claim. */
static gpointer
run (gpointer data)
{
  Pull *pull = data;
  TgServer *server = pull->server;
  g_autoptr (GError) error = NULL;
  SRTSOCKET socket = connect_origin (pull, &error);

  if (socket == SRT_INVALID_SOCK
      || !tg_publish_build (server, pull->publication, pull->settings,
                            TG_STREAM_MPEGTS, NULL, &error))
    {
      g_message ("Edge: %s/%s cannot be pulled from %s: %s", pull->app,
                 pull->stream_id, pull->origin, error->message);
      if (socket != SRT_INVALID_SOCK)
        srt_close (socket);
      tg_live_abandon (server->live, pull->publication);
    }
  else
    {
      g_mutex_lock (&pull->lock);
      pull->socket = socket;
      g_mutex_unlock (&pull->lock);
      pull_ref (pull); /* the publication's, until it has ended */
      tg_publish_start (server, pull->publication);
      g_message ("Edge: pulling %s/%s from %s", pull->app, pull->stream_id,
                 pull->origin);
      receive (pull, socket);
      tg_stream_finish (pull->publication->stream);
      close_link (pull);
    }
  srt_cleanup ();
  g_idle_add (join, pull);
  return NULL;
}

gboolean
tg_srt_pull (TgServer *server, const char *app, const char *stream_id,
             const char *host, guint port, gpointer data)
{
  Pull *pull;

  if (tg_live_is_claimed (server->live, app, stream_id))
    return TRUE;
  pull = g_new0 (Pull, 1);
  pull->refs = 1;
  pull->server = server;
  pull->settings = tg_apps_get_settings (server->apps, app);
  pull->app = g_strdup (app);
  pull->stream_id = g_strdup (stream_id);
  pull->host = g_strdup (host);
  pull->port = port;
  pull->origin
      = g_strdup_printf (strchr (host, ':') ? "[%s]:%u" : "%s:%u", host, port);
  pull->socket = SRT_INVALID_SOCK;
  g_mutex_init (&pull->lock);
  if (pull->settings)
    pull->publication = tg_live_claim (server->live, &pull_door, pull, app,
                                       stream_id, pull->origin);
  if (pull->publication == NULL)
    {
      gboolean here = pull->settings != NULL;

      pull_unref (pull);
      return here; /* claimed since: it is here, or coming */
    }
  srt_startup ();
  g_mutex_lock (&threads_lock);
  threads++;
  pull->thread = g_thread_new ("srt-pull", run, pull);
  g_mutex_unlock (&threads_lock);
  return TRUE;
}

void
tg_srt_pull_wait (void)
{
  tg_wait_until_none (&threads_lock, &threads);
}
