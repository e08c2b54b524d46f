#include "tg-hls-viewers.h"

static GMutex lock;
static GHashTable *streams; /* "app/stream" -> (session id -> last seen) */

/* Drops the sessions of one stream not seen within the window. Locked. */
static void
forget_idle (GHashTable *sessions, gint64 now)
{
  GHashTableIter iter;
  gpointer last;

  g_hash_table_iter_init (&iter, sessions);
  while (g_hash_table_iter_next (&iter, NULL, &last))
    if (now - *(gint64 *) last > TG_HLS_VIEWER_S * G_USEC_PER_SEC)
      g_hash_table_iter_remove (&iter);
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
                    const char *session_id)
{
  gint64 now = g_get_monotonic_time ();
  GHashTable *sessions;
  gint64 *last;

  g_mutex_lock (&lock);
  sessions = sessions_of (app, stream_id, TRUE);
  last = g_hash_table_lookup (sessions, session_id);
  if (last == NULL)
    {
      if (g_hash_table_size (sessions) >= TG_HLS_VIEWERS_MAX)
        forget_idle (sessions, now);
      if (g_hash_table_size (sessions) < TG_HLS_VIEWERS_MAX)
        {
          last = g_new (gint64, 1);
          g_hash_table_insert (sessions, g_strdup (session_id), last);
        }
    }
  if (last)
    *last = now;
  g_mutex_unlock (&lock);
}

guint
tg_hls_viewers (const char *app, const char *stream_id)
{
  GHashTable *sessions;
  guint count = 0;

  g_mutex_lock (&lock);
  sessions = streams ? sessions_of (app, stream_id, FALSE) : NULL;
  if (sessions)
    {
      forget_idle (sessions, g_get_monotonic_time ());
      count = g_hash_table_size (sessions);
      if (count == 0)
        {
          g_autofree char *key = g_strdup_printf ("%s/%s", app, stream_id);

          g_hash_table_remove (streams, key);
        }
    }
  g_mutex_unlock (&lock);
  return count;
}
