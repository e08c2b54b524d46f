#include "tg-live.h"

struct _TgLive
{
  GMutex lock;
  GHashTable *keys; /* "app/stream" -> TgStream, or NULL until it runs */
};

TgLive *
tg_live_new (void)
{
  TgLive *live = g_new0 (TgLive, 1);

  g_mutex_init (&live->lock);
  live->keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  return live;
}

void
tg_live_free (TgLive *live)
{
  if (live == NULL)
    return;
  g_hash_table_unref (live->keys);
  g_mutex_clear (&live->lock);
  g_free (live);
}

gboolean
tg_live_claim (TgLive *live, const char *app, const char *stream_id)
{
  char *key = g_strdup_printf ("%s/%s", app, stream_id);
  gboolean claimed;

  g_mutex_lock (&live->lock);
  claimed = !g_hash_table_contains (live->keys, key);
  if (claimed)
    g_hash_table_insert (live->keys, key, NULL);
  else
    g_free (key);
  g_mutex_unlock (&live->lock);
  return claimed;
}

gboolean
tg_live_is_claimed (TgLive *live, const char *app, const char *stream_id)
{
  g_autofree char *key = g_strdup_printf ("%s/%s", app, stream_id);
  gboolean claimed;

  g_mutex_lock (&live->lock);
  claimed = g_hash_table_contains (live->keys, key);
  g_mutex_unlock (&live->lock);
  return claimed;
}

gboolean
tg_live_is_free (gpointer data)
{
  TgLiveWanted *wanted = data;

  return !tg_live_is_claimed (wanted->live, wanted->app, wanted->stream_id);
}

void
tg_live_release (TgLive *live, const char *app, const char *stream_id)
{
  g_autofree char *key = g_strdup_printf ("%s/%s", app, stream_id);

  g_mutex_lock (&live->lock);
  g_hash_table_remove (live->keys, key);
  g_mutex_unlock (&live->lock);
}

void
tg_live_set_stream (TgLive *live, const char *app, const char *stream_id,
                    TgStream *stream)
{
  g_autofree char *key = g_strdup_printf ("%s/%s", app, stream_id);

  g_mutex_lock (&live->lock);
  if (g_hash_table_contains (live->keys, key))
    g_hash_table_insert (live->keys, g_steal_pointer (&key), stream);
  g_mutex_unlock (&live->lock);
}

gboolean
tg_live_with_stream (TgLive *live, const char *app, const char *stream_id,
                     void (*func) (TgStream *stream, gpointer data),
                     gpointer data)
{
  g_autofree char *key = g_strdup_printf ("%s/%s", app, stream_id);
  TgStream *stream;

  g_mutex_lock (&live->lock);
  stream = g_hash_table_lookup (live->keys, key);
  if (stream)
    func (stream, data);
  g_mutex_unlock (&live->lock);
  return stream != NULL;
}
