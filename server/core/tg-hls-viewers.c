#include "tg-hls-viewers.h"

static GMutex lock;
/* "app/stream" -> (session id -> Viewer) */
static GHashTable *streams;
/* "app/stream" -> gint64 *: the last request for a file of it */
static GHashTable *requested;

typedef struct
{
  gint64 last; /* seen */
  gboolean dash;
} Viewer;

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
 * the streams left without any, at most once a window: the tables hold the
 * viewers of the last window, not every session since the start (of
 * streams long ended too) for want of a REST call that counts them.
 * Locked. */
static void
sweep (gint64 now)
{
  static gint64 last_sweep;
  GHashTableIter iter;
  gpointer sessions;

  if (streams == NULL || now - last_sweep < TG_HLS_VIEWER_S * G_USEC_PER_SEC)
    return;
  last_sweep = now;
  g_hash_table_iter_init (&iter, streams);
  while (g_hash_table_iter_next (&iter, NULL, &sessions))
    {
      forget_idle (sessions, now);
      if (g_hash_table_size (sessions) == 0)
        g_hash_table_iter_remove (&iter);
    }
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
          = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      g_hash_table_insert (streams, g_steal_pointer (&key), sessions);
    }
  return sessions;
}

void
tg_hls_viewer_seen (const char *app, const char *stream_id,
                    const char *session_id, TgViewerFile file)
{
  gint64 now = g_get_monotonic_time ();
  GHashTable *sessions;
  Viewer *last;

  g_mutex_lock (&lock);
  sweep (now);
  sessions = sessions_of (app, stream_id, TRUE);
  last = g_hash_table_lookup (sessions, session_id);
  if (last == NULL)
    {
      if (g_hash_table_size (sessions) >= TG_HLS_VIEWERS_MAX)
        forget_idle (sessions, now);
      if (g_hash_table_size (sessions) < TG_HLS_VIEWERS_MAX)
        {
          last = g_new0 (Viewer, 1);
          g_hash_table_insert (sessions, g_strdup (session_id), last);
        }
    }
  if (last)
    {
      last->last = now;
      if (file != TG_VIEWER_MEDIA)
        last->dash = file == TG_VIEWER_DASH;
    }
  g_mutex_unlock (&lock);
}

guint
tg_hls_viewers (const char *app, const char *stream_id, TgViewerFile kind)
{
  GHashTable *sessions;
  GHashTableIter iter;
  gpointer viewer;
  guint count = 0;

  g_mutex_lock (&lock);
  sessions = streams ? sessions_of (app, stream_id, FALSE) : NULL;
  if (sessions)
    {
      forget_idle (sessions, g_get_monotonic_time ());
      g_hash_table_iter_init (&iter, sessions);
      while (g_hash_table_iter_next (&iter, NULL, &viewer))
        count += ((Viewer *) viewer)->dash == (kind == TG_VIEWER_DASH);
      if (g_hash_table_size (sessions) == 0)
        {
          g_autofree char *key = g_strdup_printf ("%s/%s", app, stream_id);

          g_hash_table_remove (streams, key);
        }
    }
  g_mutex_unlock (&lock);
  return count;
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
