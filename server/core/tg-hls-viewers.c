#include "tg-hls-viewers.h"

static GMutex lock;
/* "app/stream" -> (playback session id -> Viewer) */
static GHashTable *streams;
/* "app/stream" -> gint64 *: the last request for a file of it */
static GHashTable *requested;

/* Ended playback sessions: session id -> gint64 * (monotonic), until when
 * its keys may still be presented; under their own lock, which the
 * sessions' cut takes (never the one above). */
static GMutex revoked_lock;
static GHashTable *revoked;

typedef struct
{
  gint64 last; /* seen */
  gint64 idle; /* its keys' lifetime, in microseconds */
  char *app, *stream_id, *id;
  TgSessions *sessions;
  TgSession *session;
} Viewer;

static void
viewer_free (gpointer data)
{
  Viewer *viewer = data;

  tg_sessions_close (viewer->sessions, viewer->session);
  g_free (viewer->app);
  g_free (viewer->stream_id);
  g_free (viewer->id);
  g_free (viewer);
}

/* Drops the sessions of one stream not seen within the window. Locked. */
static void
forget_idle (GHashTable *sessions, gint64 now)
{
  GHashTableIter iter;
  gpointer last;

  g_hash_table_iter_init (&iter, sessions);
  while (g_hash_table_iter_next (&iter, NULL, &last))
    if (now - ((Viewer *) last)->last > TG_HLS_VIEWER_S * G_USEC_PER_SEC)
      g_hash_table_iter_remove (&iter);
}

/* Forgets, in every stream, the sessions not seen within the window, and
 * the streams left without any. Locked. */
static void
sweep (gint64 now)
{
  GHashTableIter iter;
  gpointer sessions;

  if (streams == NULL)
    return;
  g_hash_table_iter_init (&iter, streams);
  while (g_hash_table_iter_next (&iter, NULL, &sessions))
    {
      forget_idle (sessions, now);
      if (g_hash_table_size (sessions) == 0)
        g_hash_table_iter_remove (&iter);
    }
}

void
tg_hls_viewers_sweep (void)
{
  g_mutex_lock (&lock);
  sweep (g_get_monotonic_time ());
  g_mutex_unlock (&lock);
}

void
tg_hls_viewers_end_all (void)
{
  g_mutex_lock (&lock);
  if (streams)
    g_hash_table_remove_all (streams);
  g_mutex_unlock (&lock);
}

static GHashTable *
sessions_of (const char *app, const char *stream_id, gboolean create)
{
  g_autofree char *key = g_strdup_printf ("%s/%s", app, stream_id);
  GHashTable *sessions;

  if (streams == NULL)
    streams = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                     (GDestroyNotify) g_hash_table_unref);
  sessions = g_hash_table_lookup (streams, key);
  if (sessions == NULL && create)
    {
      sessions
          = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, viewer_free);
      g_hash_table_insert (streams, g_steal_pointer (&key), sessions);
    }
  return sessions;
}

/* The operator's end of a session, out of the sessions' lock: it is
 * forgotten. */
static gboolean
forget_later (gpointer data)
{
  char **names = data; /* app, stream id, session id */
  GHashTable *sessions;

  g_mutex_lock (&lock);
  sessions = streams ? sessions_of (names[0], names[1], FALSE) : NULL;
  if (sessions)
    g_hash_table_remove (sessions, names[2]);
  g_mutex_unlock (&lock);
  return G_SOURCE_REMOVE;
}

/* Its session's cut (tg-sessions.h), under the sessions' lock: its keys
 * are refused from now on, for as long as they could live. */
static void
cut_viewer (gpointer data)
{
  Viewer *viewer = data;
  gint64 now = g_get_monotonic_time ();
  GHashTableIter iter;
  gpointer until;
  char **names = g_new0 (char *, 4);

  g_mutex_lock (&revoked_lock);
  if (revoked == NULL)
    revoked = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_hash_table_iter_init (&iter, revoked);
  while (g_hash_table_iter_next (&iter, NULL, &until))
    if (*(gint64 *) until < now)
      g_hash_table_iter_remove (&iter);
  g_hash_table_insert (
      revoked, g_strdup (viewer->id),
      g_memdup2 (&(gint64){ now + viewer->idle }, sizeof (gint64)));
  g_mutex_unlock (&revoked_lock);
  names[0] = g_strdup (viewer->app);
  names[1] = g_strdup (viewer->stream_id);
  names[2] = g_strdup (viewer->id);
  g_idle_add_full (G_PRIORITY_DEFAULT, forget_later, names,
                   (GDestroyNotify) g_strfreev);
}

gboolean
tg_hls_session_is_ended (const char *session_id)
{
  gint64 *until;
  gboolean ended;

  g_mutex_lock (&revoked_lock);
  until = revoked ? g_hash_table_lookup (revoked, session_id) : NULL;
  ended = until && *until >= g_get_monotonic_time ();
  g_mutex_unlock (&revoked_lock);
  return ended;
}

void
tg_hls_viewer_seen (const TgHlsViewerSeen *seen)
{
  gint64 now = g_get_monotonic_time ();
  TgSessionDoor door
      = seen->file == TG_VIEWER_DASH ? TG_SESSION_DASH : TG_SESSION_HLS;
  GHashTable *sessions;
  Viewer *viewer;

  g_mutex_lock (&lock);
  sessions = sessions_of (seen->app, seen->stream_id, TRUE);
  viewer = g_hash_table_lookup (sessions, seen->session_id);
  if (viewer == NULL)
    {
      if (g_hash_table_size (sessions) >= TG_HLS_VIEWERS_MAX)
        forget_idle (sessions, now);
      if (g_hash_table_size (sessions) < TG_HLS_VIEWERS_MAX)
        {
          viewer = g_new0 (Viewer, 1);
          viewer->app = g_strdup (seen->app);
          viewer->stream_id = g_strdup (seen->stream_id);
          viewer->id = g_strdup (seen->session_id);
          viewer->sessions = seen->sessions;
          viewer->session = tg_sessions_open (
              seen->sessions, door, TG_TOKEN_TYPE_PLAY, seen->app,
              seen->stream_id, seen->peer, seen->tag, cut_viewer, viewer);
          g_hash_table_insert (sessions, viewer->id, viewer);
        }
    }
  else if (seen->file != TG_VIEWER_MEDIA)
    tg_session_set_door (viewer->session, door);
  if (viewer)
    {
      viewer->last = now;
      viewer->idle = seen->idle_s * G_USEC_PER_SEC;
    }
  g_mutex_unlock (&lock);
}

void
tg_hls_viewer_sent (const char *app, const char *stream_id,
                    const char *session_id, guint64 bytes)
{
  GHashTable *sessions;
  Viewer *viewer;

  g_mutex_lock (&lock);
  sessions = streams ? sessions_of (app, stream_id, FALSE) : NULL;
  viewer = sessions ? g_hash_table_lookup (sessions, session_id) : NULL;
  if (viewer)
    tg_session_add_bytes (viewer->session, 0, bytes);
  g_mutex_unlock (&lock);
}

void
tg_hls_stream_requested (const char *app, const char *stream_id)
{
  gint64 now = g_get_monotonic_time ();
  char *key = g_strdup_printf ("%s/%s", app, stream_id);

  g_mutex_lock (&lock);
  if (requested == NULL)
    requested = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  if (g_hash_table_size (requested) >= TG_HLS_VIEWERS_MAX)
    g_hash_table_remove_all (requested);
  g_hash_table_insert (requested, key, g_memdup2 (&now, sizeof now));
  g_mutex_unlock (&lock);
}

gint64
tg_hls_last_request (const char *app, const char *stream_id)
{
  g_autofree char *key = g_strdup_printf ("%s/%s", app, stream_id);
  gint64 *last;
  gint64 when;

  g_mutex_lock (&lock);
  last = requested ? g_hash_table_lookup (requested, key) : NULL;
  when = last ? *last : 0;
  g_mutex_unlock (&lock);
  return when;
}
