#include "tg-live.h"

#include "tg-cluster.h"
#include "tg-sessions.h"
#include "tg-wait.h"

typedef struct
{
  TgLiveWatch func;
  gpointer data;
} Watcher;

struct _TgLive
{
  GMutex lock;
  GHashTable *publications; /* "app/stream" -> TgPublication (a reference) */
  guint held;               /* publications the registry still holds */
  gboolean closing;
  GArray *watchers;     /* Watcher */
  TgCluster *cluster;   /* set before the doors open, or NULL */
  TgSessions *sessions; /* the same */
};

TgLive *
tg_live_new (void)
{
  TgLive *live = g_new0 (TgLive, 1);

  g_mutex_init (&live->lock);
  live->publications = g_hash_table_new (g_str_hash, g_str_equal);
  live->watchers = g_array_new (FALSE, FALSE, sizeof (Watcher));
  return live;
}

void
tg_live_set_cluster (TgLive *live, TgCluster *cluster)
{
  live->cluster = cluster;
}

void
tg_live_set_sessions (TgLive *live, TgSessions *sessions)
{
  live->sessions = sessions;
}

void
tg_live_free (TgLive *live)
{
  if (live == NULL)
    return;
  if (live->held > 0)
    g_warning ("%u publications outlive the live registry", live->held);
  g_hash_table_unref (live->publications);
  g_array_unref (live->watchers);
  g_mutex_clear (&live->lock);
  g_free (live);
}

/* --- publications --- */

TgPublication *
tg_publication_ref (TgPublication *publication)
{
  g_atomic_int_inc (&publication->refs);
  return publication;
}

void
tg_publication_unref (TgPublication *publication)
{
  if (publication == NULL || !g_atomic_int_dec_and_test (&publication->refs))
    return;
  tg_stream_free (publication->stream);
  g_free (publication->app);
  g_free (publication->stream_id);
  g_free (publication->key);
  g_free (publication->peer);
  g_free (publication->credential_tag);
  g_free (publication);
}

/* Takes the publication out of the table; called locked. */
static void
unlist (TgLive *live, TgPublication *publication)
{
  if (!publication->listed)
    return;
  g_hash_table_remove (live->publications, publication->key);
  publication->listed = FALSE;
}

/* Drops the registry's reference. */
static void
let_go (TgLive *live, TgPublication *publication)
{
  g_mutex_lock (&live->lock);
  live->held--;
  g_mutex_unlock (&live->lock);
  tg_publication_unref (publication);
}

TgPublication *
tg_live_claim (TgLive *live, const TgDoor *door, gpointer door_data,
               const char *app, const char *stream_id, const char *peer)
{
  g_autofree char *key = g_strdup_printf ("%s/%s", app, stream_id);
  TgPublication *publication = NULL;

  /* A publisher is the stream's only one in the whole cluster. */
  if (!door->relay
      && tg_cluster_is_live_elsewhere (live->cluster, app, stream_id))
    return NULL;
  g_mutex_lock (&live->lock);
  if (!live->closing && !g_hash_table_contains (live->publications, key))
    {
      publication = g_new0 (TgPublication, 1);
      publication->refs = 2; /* the caller's and the registry's */
      publication->live = live;
      publication->door = door;
      publication->door_data = door_data;
      publication->app = g_strdup (app);
      publication->stream_id = g_strdup (stream_id);
      publication->key = g_steal_pointer (&key);
      publication->peer = g_strdup (peer);
      publication->listed = TRUE;
      g_hash_table_insert (live->publications, publication->key, publication);
      live->held++;
    }
  g_mutex_unlock (&live->lock);
  return publication;
}

void
tg_live_abandon (TgLive *live, TgPublication *publication)
{
  g_mutex_lock (&live->lock);
  unlist (live, publication);
  g_mutex_unlock (&live->lock);
  let_go (live, publication);
}

gboolean
tg_live_is_closing (TgLive *live)
{
  gboolean closing;

  g_mutex_lock (&live->lock);
  closing = live->closing;
  g_mutex_unlock (&live->lock);
  return closing;
}

gboolean
tg_live_is_claimed (TgLive *live, const char *app, const char *stream_id)
{
  g_autofree char *key = g_strdup_printf ("%s/%s", app, stream_id);
  gboolean claimed;

  g_mutex_lock (&live->lock);
  claimed = g_hash_table_contains (live->publications, key);
  g_mutex_unlock (&live->lock);
  return claimed;
}

gboolean
tg_live_is_free (gpointer data)
{
  TgLiveWanted *wanted = data;

  return !tg_live_is_claimed (wanted->live, wanted->app, wanted->stream_id)
         && !tg_cluster_is_live_elsewhere (wanted->live->cluster, wanted->app,
                                           wanted->stream_id);
}

gboolean
tg_live_with_stream (TgLive *live, const char *app, const char *stream_id,
                     void (*func) (TgStream *stream, gpointer data),
                     gpointer data)
{
  g_autofree char *key = g_strdup_printf ("%s/%s", app, stream_id);
  TgPublication *publication;
  gboolean found;

  g_mutex_lock (&live->lock);
  publication = g_hash_table_lookup (live->publications, key);
  found = publication && publication->running;
  if (found)
    func (publication->stream, data);
  g_mutex_unlock (&live->lock);
  return found;
}

static void
get_info (TgStream *stream, gpointer data)
{
  tg_stream_get_info (stream, data);
}

gboolean
tg_live_get_info (TgLive *live, const char *app, const char *stream_id,
                  TgStreamInfo *info)
{
  return tg_live_with_stream (live, app, stream_id, get_info, info);
}

void
tg_live_foreach_running (TgLive *live,
                         void (*func) (const TgPublication *publication,
                                       const TgStreamInfo *info, gpointer data),
                         gpointer data)
{
  GHashTableIter iter;
  TgPublication *publication;

  g_mutex_lock (&live->lock);
  g_hash_table_iter_init (&iter, live->publications);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &publication))
    if (publication->running && publication->stream)
      {
        TgStreamInfo info;

        tg_stream_get_info (publication->stream, &info);
        func (publication, &info, data);
      }
  g_mutex_unlock (&live->lock);
}

void
tg_publication_left (TgPublication *publication, const char *because)
{
  g_atomic_pointer_compare_and_exchange (&publication->left_because, NULL,
                                         because);
}

/* --- stopping --- */

/* On the main context, where publications end: a publication still listed
 * has not ended, so its door's data is alive. */
static gboolean
stop_on_main (gpointer data)
{
  TgPublication *publication = data;
  TgLive *live = publication->live;
  gboolean listed;

  g_mutex_lock (&live->lock);
  listed = publication->listed;
  publication->stopping = FALSE;
  g_mutex_unlock (&live->lock);
  if (listed)
    {
      tg_publication_left (publication, "stopped by the server");
      publication->door->stop (publication, publication->door_data);
    }
  return G_SOURCE_REMOVE;
}

/* Sends a stop to the main context, unless one is on its way; called
 * locked, for a running publication. Always queued, never run here: the
 * lock is held, and the main context may be this thread's. */
static void
stop_later (TgPublication *publication)
{
  GSource *source;

  if (publication->stopping)
    return;
  publication->stopping = TRUE;
  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, stop_on_main, tg_publication_ref (publication),
                         (GDestroyNotify) tg_publication_unref);
  g_source_attach (source, NULL);
  g_source_unref (source);
}

gboolean
tg_live_stop (TgLive *live, const char *app, const char *stream_id)
{
  g_autofree char *key = g_strdup_printf ("%s/%s", app, stream_id);
  TgPublication *publication;

  g_mutex_lock (&live->lock);
  publication = g_hash_table_lookup (live->publications, key);
  if (publication && publication->running)
    {
      g_info ("%s: stopped by request", key);
      stop_later (publication);
    }
  else if (publication)
    {
      /* Still being built: stopped once it goes live. */
      g_info ("%s: to be stopped by request", key);
      publication->stop_wanted = TRUE;
    }
  g_mutex_unlock (&live->lock);
  return publication != NULL;
}

void
tg_live_close (TgLive *live)
{
  GHashTableIter iter;
  TgPublication *publication;

  /* Publishers are cut off and their streams drain (each within its drain
   * timeout), so that a server that stops leaves complete recordings and
   * finished broadcasts. One still being built goes live and is stopped
   * then (tg_live_went_live), or is abandoned. */
  g_mutex_lock (&live->lock);
  live->closing = TRUE;
  g_hash_table_iter_init (&iter, live->publications);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &publication))
    if (publication->running)
      stop_later (publication);
  g_mutex_unlock (&live->lock);
  tg_wait_until_none (&live->lock, &live->held);
}

/* --- watchers --- */

void
tg_live_watch (TgLive *live, TgLiveWatch func, gpointer data)
{
  Watcher watcher = { func, data };

  g_mutex_lock (&live->lock);
  g_array_append_val (live->watchers, watcher);
  g_mutex_unlock (&live->lock);
}

void
tg_live_unwatch (TgLive *live, TgLiveWatch func, gpointer data)
{
  g_mutex_lock (&live->lock);
  for (guint i = 0; i < live->watchers->len; i++)
    {
      Watcher *watcher = &g_array_index (live->watchers, Watcher, i);

      if (watcher->func == func && watcher->data == data)
        {
          g_array_remove_index (live->watchers, i);
          break;
        }
    }
  g_mutex_unlock (&live->lock);
}

/* --- the life cycle (tg-publish.c) --- */

/* Its session's cut (tg-sessions.h), under the sessions' lock. */
static void
cut_publication (gpointer data)
{
  TgPublication *publication = data;
  TgLive *live = publication->live;

  g_mutex_lock (&live->lock);
  if (publication->running && publication->listed)
    {
      g_info ("%s: publisher cut off by the operator", publication->key);
      stop_later (publication);
    }
  g_mutex_unlock (&live->lock);
}

void
tg_live_went_live (TgLive *live, TgPublication *publication)
{
  gint door = tg_session_door_from_name (publication->door->name);

  g_mutex_lock (&live->lock);
  publication->start_time = g_get_real_time () / 1000;
  publication->running = TRUE;
  if ((live->closing || publication->stop_wanted) && publication->listed)
    stop_later (publication);
  g_mutex_unlock (&live->lock);
  if (live->sessions && !publication->door->relay && door >= 0)
    {
      TgSession *session = tg_sessions_open (
          live->sessions, door, TG_TOKEN_TYPE_PUBLISH, publication->app,
          publication->stream_id, publication->peer,
          publication->credential_tag, cut_publication, publication);

      /* What its publisher sends, counted by its stream, whatever its
       * door. */
      tg_sessions_count_with (live->sessions, session,
                              (TgSessionBytes) tg_stream_get_bytes_in, NULL,
                              publication->stream);
      publication->session = session;
    }
}

void
tg_live_media_ready (TgLive *live, TgPublication *publication)
{
  g_mutex_lock (&live->lock);
  for (guint i = 0; i < live->watchers->len; i++)
    {
      Watcher *watcher = &g_array_index (live->watchers, Watcher, i);

      watcher->func (publication, watcher->data);
    }
  g_mutex_unlock (&live->lock);
}

static gboolean
let_go_later (gpointer data)
{
  TgPublication *publication = data;

  let_go (publication->live, publication);
  return G_SOURCE_REMOVE;
}

void
tg_live_ended (TgLive *live, TgPublication *publication)
{
  g_mutex_lock (&live->lock);
  unlist (live, publication);
  publication->running = FALSE;
  g_mutex_unlock (&live->lock);
  tg_sessions_close (live->sessions, g_steal_pointer (&publication->session));
  /* Not from inside the stream's own bus callback: the last reference
   * frees the stream. */
  g_idle_add (let_go_later, publication);
}
