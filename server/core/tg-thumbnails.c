#include "tg-thumbnails.h"

#include <string.h>

#include "tg-play.h"
#include "tg-thumbnail.h"

struct _TgThumbnails
{
  TgLive *live;
  GMutex lock; /* for what follows */
  GCond idle;
  GHashTable *entries; /* "app/stream" -> Entry */
  guint running;       /* decodes under way */
  gboolean closed;     /* no more decodes start */
};

typedef struct _Job Job;

/* A stream's thumbnail, while the stream is live. */
typedef struct
{
  GBytes *jpeg;     /* the last made, or NULL */
  gint64 made;      /* monotonic µs; 0: none */
  Job *job;         /* the one being made, or NULL */
  gboolean failing; /* the last decode failed: said once until one works */
} Entry;

/* A request waiting for a thumbnail being made. */
typedef struct
{
  GMainContext *context; /* the request's, until told */
  TgThumbnailDone done;
  gpointer data;
  GDestroyNotify free_data;
  TgThumbnailResult result;
  GBytes *jpeg;
} Waiter;

struct _Job
{
  TgThumbnails *owner;
  char *key, *app, *stream_id;
  GPtrArray *waiters; /* Waiter, under the owner's lock */
};

TgThumbnailPlan
tg_thumbnail_plan (gint64 now, gint64 made, gboolean decoding, guint running)
{
  if (made != 0 && now - made < TG_THUMBNAILS_KEEP_MS * G_TIME_SPAN_MILLISECOND)
    return TG_THUMBNAIL_SERVE;
  if (decoding)
    return TG_THUMBNAIL_JOIN;
  if (running >= TG_THUMBNAILS_MAX_DECODES)
    return TG_THUMBNAIL_REFUSE;
  return TG_THUMBNAIL_START;
}

static void
entry_free (gpointer pointer)
{
  Entry *entry = pointer;

  g_clear_pointer (&entry->jpeg, g_bytes_unref);
  g_free (entry);
}

TgThumbnails *
tg_thumbnails_new (TgLive *live)
{
  TgThumbnails *thumbnails = g_new0 (TgThumbnails, 1);

  thumbnails->live = live;
  g_mutex_init (&thumbnails->lock);
  g_cond_init (&thumbnails->idle);
  thumbnails->entries
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, entry_free);
  return thumbnails;
}

void
tg_thumbnails_close (TgThumbnails *thumbnails)
{
  g_mutex_lock (&thumbnails->lock);
  thumbnails->closed = TRUE;
  while (thumbnails->running > 0)
    g_cond_wait (&thumbnails->idle, &thumbnails->lock);
  g_mutex_unlock (&thumbnails->lock);
}

void
tg_thumbnails_free (TgThumbnails *thumbnails)
{
  if (thumbnails == NULL)
    return;
  tg_thumbnails_close (thumbnails);
  g_hash_table_unref (thumbnails->entries);
  g_mutex_clear (&thumbnails->lock);
  g_cond_clear (&thumbnails->idle);
  g_free (thumbnails);
}

static void
waiter_free (gpointer pointer)
{
  Waiter *waiter = pointer;

  if (waiter->free_data)
    waiter->free_data (waiter->data);
  g_clear_pointer (&waiter->jpeg, g_bytes_unref);
  g_clear_pointer (&waiter->context, g_main_context_unref);
  g_free (waiter);
}

static gboolean
deliver (gpointer pointer)
{
  Waiter *waiter = pointer;

  waiter->done (waiter->result, waiter->jpeg, waiter->data);
  return G_SOURCE_REMOVE;
}

/* Tells a waiter on its context. The source holds the waiter, not the
 * context: a context freed first frees the waiter. */
static void
tell (Waiter *waiter, TgThumbnailResult result, GBytes *jpeg)
{
  GMainContext *context = g_steal_pointer (&waiter->context);

  waiter->result = result;
  waiter->jpeg = jpeg ? g_bytes_ref (jpeg) : NULL;
  g_main_context_invoke_full (context, G_PRIORITY_DEFAULT, deliver, waiter,
                              waiter_free);
  g_main_context_unref (context);
}

static void
job_free (Job *job)
{
  g_clear_pointer (&job->waiters, g_ptr_array_unref);
  g_free (job->key);
  g_free (job->app);
  g_free (job->stream_id);
  g_free (job);
}

/* Attaches a viewer of the stream muxed as MPEG-TS and decodes from it.
 * The viewer counts as none of its door's (the broadcast's viewer counts
 * and the metrics do not see it). */
static GBytes *
make (Job *job, GError **error)
{
  g_autoptr (TgMuxViewer) viewer
      = tg_mux_viewer_new (TG_MUX_DOOR_RTMP, "thumbnail", NULL, NULL);
  GBytes *jpeg;

  tg_mux_viewer_set_count (viewer, 0);
  if (!tg_play_attach (job->owner->live, job->app, job->stream_id,
                       TG_MUX_OUT_MPEGTS, viewer))
    {
      g_set_error (error, TG_ERROR, TG_ERROR_FAILED,
                   "the stream cannot be played now");
      return NULL;
    }
  jpeg = tg_thumbnail_make (viewer, TG_THUMBNAILS_MAX_WIDTH,
                            TG_THUMBNAILS_WAIT_S * G_USEC_PER_SEC, error);
  tg_play_detach (job->owner->live, job->app, job->stream_id, viewer);
  tg_mux_viewer_close (viewer);
  return jpeg;
}

static gpointer
run (gpointer data)
{
  Job *job = data;
  TgThumbnails *thumbnails = job->owner;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) jpeg = make (job, &error);
  g_autoptr (GPtrArray) waiters = NULL;
  Entry *entry;

  g_mutex_lock (&thumbnails->lock);
  entry = g_hash_table_lookup (thumbnails->entries, job->key);
  entry->job = NULL;
  if (jpeg)
    {
      g_clear_pointer (&entry->jpeg, g_bytes_unref);
      entry->jpeg = g_bytes_ref (jpeg);
      entry->made = g_get_monotonic_time ();
      entry->failing = FALSE;
    }
  else if (!entry->failing)
    {
      entry->failing = TRUE;
      g_message ("%s: no thumbnail: %s", job->key, error->message);
    }
  waiters = g_steal_pointer (&job->waiters);
  g_mutex_unlock (&thumbnails->lock);

  for (guint i = 0; i < waiters->len; i++)
    tell (waiters->pdata[i], jpeg ? TG_THUMBNAIL_OK : TG_THUMBNAIL_NOT_YET,
          jpeg);
  job_free (job);

  g_mutex_lock (&thumbnails->lock);
  thumbnails->running--;
  g_cond_broadcast (&thumbnails->idle);
  g_mutex_unlock (&thumbnails->lock);
  return NULL;
}

typedef struct
{
  gboolean ready, video;
} Look;

static void
look (TgStream *stream, gpointer data)
{
  Look *look = data;
  gboolean audio, baseline;
  g_autofree char *profile
      = tg_stream_describe (stream, &audio, &look->ready, &baseline);

  /* once ready, a stream with video has its profile */
  look->video = profile != NULL;
}

/* Forgets the streams no longer live that have no decode under way.
 * Locked. */
static void
sweep (TgThumbnails *thumbnails)
{
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, thumbnails->entries);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      const char *slash = strchr (key, '/');
      g_autofree char *app = g_strndup (key, slash - (const char *) key);

      if (((Entry *) value)->job == NULL
          && !tg_live_is_claimed (thumbnails->live, app, slash + 1))
        g_hash_table_iter_remove (&iter);
    }
}

/* Starts making the thumbnail of entry, for waiter. Locked. */
static gboolean
start (TgThumbnails *thumbnails, Entry *entry, const char *key, const char *app,
       const char *stream_id, Waiter *waiter)
{
  Job *job = g_new0 (Job, 1);
  g_autoptr (GError) error = NULL;
  GThread *thread;

  job->owner = thumbnails;
  job->key = g_strdup (key);
  job->app = g_strdup (app);
  job->stream_id = g_strdup (stream_id);
  job->waiters = g_ptr_array_new ();
  g_ptr_array_add (job->waiters, waiter);
  thread = g_thread_try_new ("tg-thumbnail", run, job, &error);
  if (thread == NULL)
    {
      g_message ("%s: no thumbnail: %s", key, error->message);
      g_ptr_array_set_size (job->waiters, 0);
      job_free (job);
      return FALSE;
    }
  g_thread_unref (thread);
  entry->job = job;
  thumbnails->running++;
  return TRUE;
}

TgThumbnailResult
tg_thumbnails_get (TgThumbnails *thumbnails, const char *app,
                   const char *stream_id, GBytes **jpeg, TgThumbnailDone done,
                   gpointer data, GDestroyNotify free_data)
{
  g_autofree char *key = g_strdup_printf ("%s/%s", app, stream_id);
  Look stream = { FALSE, FALSE };
  TgThumbnailResult result = TG_THUMBNAIL_PENDING;
  TgThumbnailPlan plan;
  Waiter *waiter;
  Entry *entry;

  *jpeg = NULL;
  if (!tg_live_with_stream (thumbnails->live, app, stream_id, look, &stream))
    return TG_THUMBNAIL_NOT_LIVE;
  if (!stream.ready)
    return TG_THUMBNAIL_NOT_YET;
  if (!stream.video)
    return TG_THUMBNAIL_NO_VIDEO;

  waiter = g_new0 (Waiter, 1);
  waiter->context = g_main_context_ref_thread_default ();
  waiter->done = done;
  waiter->data = data;
  waiter->free_data = free_data;
  g_mutex_lock (&thumbnails->lock);
  entry = g_hash_table_lookup (thumbnails->entries, key);
  plan = tg_thumbnail_plan (g_get_monotonic_time (), entry ? entry->made : 0,
                            entry && entry->job, thumbnails->running);
  switch (plan)
    {
    case TG_THUMBNAIL_SERVE:
      *jpeg = g_bytes_ref (entry->jpeg);
      result = TG_THUMBNAIL_OK;
      break;
    case TG_THUMBNAIL_JOIN:
      g_ptr_array_add (entry->job->waiters, waiter);
      break;
    case TG_THUMBNAIL_REFUSE:
      result = TG_THUMBNAIL_BUSY;
      break;
    case TG_THUMBNAIL_START:
      if (thumbnails->closed)
        {
          result = TG_THUMBNAIL_NOT_YET;
          break;
        }
      sweep (thumbnails);
      entry = g_hash_table_lookup (thumbnails->entries, key);
      if (entry == NULL)
        {
          entry = g_new0 (Entry, 1);
          g_hash_table_insert (thumbnails->entries, g_strdup (key), entry);
        }
      if (!start (thumbnails, entry, key, app, stream_id, waiter))
        result = TG_THUMBNAIL_NOT_YET;
      break;
    }
  g_mutex_unlock (&thumbnails->lock);
  if (result != TG_THUMBNAIL_PENDING)
    {
      /* not told: the caller's data stays the caller's */
      waiter->free_data = NULL;
      waiter_free (waiter);
    }
  return result;
}
