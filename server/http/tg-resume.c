#include "tg-resume.h"

typedef struct
{
  char *client, *app, *stream, *session_id;
  gint64 epoch, until;
} Entry;

/* Lapsed entries are dropped at most this often (seconds). */
#define SWEEP_S 30

static GMutex lock;
static GHashTable *entries; /* SHA-256 of the token -> Entry */
static gint64 last_sweep;   /* real time, seconds */

static void
entry_free (gpointer data)
{
  Entry *entry = data;

  g_free (entry->client);
  g_free (entry->app);
  g_free (entry->stream);
  g_free (entry->session_id);
  g_free (entry);
}

static char *
key_of (const char *token)
{
  return g_compute_checksum_for_string (G_CHECKSUM_SHA256, token, -1);
}

/* Drops the entries lapsed by now. Locked. */
static void
forget_lapsed (gint64 now)
{
  GHashTableIter iter;
  Entry *entry;

  g_hash_table_iter_init (&iter, entries);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &entry))
    if (entry->until <= now)
      g_hash_table_iter_remove (&iter);
}

/* Makes room: lapsed entries go, then, if still full, the one that lapses
 * first. Locked. */
static void
make_room (gint64 now)
{
  GHashTableIter iter;
  Entry *entry;
  gint64 soonest = G_MAXINT64;

  forget_lapsed (now);
  if (g_hash_table_size (entries) < TG_RESUME_MAX)
    return;
  g_hash_table_iter_init (&iter, entries);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &entry))
    soonest = MIN (soonest, entry->until);
  g_hash_table_iter_init (&iter, entries);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &entry))
    if (entry->until == soonest)
      {
        g_hash_table_iter_remove (&iter);
        return;
      }
}

void
tg_resume_remember (const char *token, const char *client, const char *app,
                    const char *stream, gint64 epoch, const char *session_id,
                    gint64 until)
{
  Entry *entry = g_new0 (Entry, 1);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  entry->client = g_strdup (client);
  entry->app = g_strdup (app);
  entry->stream = g_strdup (stream);
  entry->session_id = g_strdup (session_id);
  entry->epoch = epoch;
  entry->until = until;
  g_mutex_lock (&lock);
  if (entries == NULL)
    entries
        = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, entry_free);
  /* The table holds the sessions still alive, not every token spent
   * since the start up to the cap. */
  if (now - last_sweep >= SWEEP_S)
    {
      last_sweep = now;
      forget_lapsed (now);
    }
  if (g_hash_table_size (entries) >= TG_RESUME_MAX)
    make_room (until);
  g_hash_table_replace (entries, key_of (token), entry);
  g_mutex_unlock (&lock);
}

char *
tg_resume_find (const char *token, const char *client, const char *app,
                const char *stream, gint64 epoch, gint64 now, gint64 until)
{
  g_autofree char *key = key_of (token);
  Entry *entry;
  char *session_id = NULL;

  g_mutex_lock (&lock);
  entry = entries ? g_hash_table_lookup (entries, key) : NULL;
  if (entry && entry->until <= now)
    g_hash_table_remove (entries, key);
  else if (entry && g_str_equal (entry->client, client)
           && g_str_equal (entry->app, app)
           && g_str_equal (entry->stream, stream) && entry->epoch == epoch)
    {
      entry->until = MAX (entry->until, until);
      session_id = g_strdup (entry->session_id);
    }
  g_mutex_unlock (&lock);
  return session_id;
}
