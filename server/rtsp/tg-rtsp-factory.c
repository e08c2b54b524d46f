#include "tg-rtsp-factory.h"

#include <gst/app/gstappsrc.h>
#include <string.h>

#include "tg-path.h"
#include "tg-play.h"
#include "tg-rtsp-ts-pay.h"

/* How long the feeder waits for the stream's next buffer before it looks
 * whether it must stop. */
#define FEED_POLL_MS 100

/* The media's own queue in front of the payloader: past it, the feeder
 * waits, and the mux viewer's bounds (tg-mux-out.h) drop the media. */
#define MEDIA_PIPELINE                                                         \
  "appsrc name=src is-live=true do-timestamp=true format=time block=true "     \
  "max-bytes=1048576 caps=video/mpegts,systemstream=true,packetsize=188 ! "    \
  "tgrtsptspay name=pay0 pt=33"

struct _TgRtspFactory
{
  GstRTSPMediaFactory parent;
  TgLive *live;
  GMainContext *context;
  TgRtspEnded ended;
  gpointer ended_data;
  GMutex lock;
  GPtrArray *feeds;    /* Feed, of the medias that last */
  GHashTable *viewers; /* key: its clients admitted to play, as a guint */
  GHashTable *current; /* key: Current, the stream's media now */
  guint64 next_id;
};

/* gst-rtsp-server tears a shared media down when its last session ends,
 * keeps it in its cache until that is done, and refuses a viewer who finds
 * it on the way ("can not reuse media": 503; 86 of 300 sessions in the
 * soak, four viewers joining and leaving at once). A viewer counts from its
 * admission, before gst-rtsp-server looks the media up; so the factory
 * holds each media prepared itself (one more gst_rtsp_media_prepare) while
 * the stream has viewers, and lets it go when the last one leaves, in the
 * same step as it gives the stream a new cache key: the next viewer gets a
 * new media, never one being torn down. */
typedef struct
{
  GWeakRef media; /* NULL until it is made */
  guint64 id;     /* in its cache key */
  gboolean held;  /* prepared once more, by the factory */
} Current;

static void
current_free (gpointer data)
{
  Current *current = data;

  g_weak_ref_clear (&current->media);
  g_free (current);
}

G_DEFINE_TYPE (TgRtspFactory, tg_rtsp_factory, GST_TYPE_RTSP_MEDIA_FACTORY)

char *
tg_rtsp_key_of_path (const char *abspath, char **app, char **stream_id)
{
  g_auto (GStrv) segments = tg_path_split (abspath ? abspath : "");

  if (segments == NULL || segments[0] == NULL || segments[1] == NULL
      || *segments[0] == '\0' || *segments[1] == '\0')
    return NULL;
  if (app)
    *app = g_strdup (segments[0]);
  if (stream_id)
    *stream_id = g_strdup (segments[1]);
  return g_strdup_printf ("%s/%s", segments[0], segments[1]);
}

/* --- the feeder: the stream's MPEG-TS into the media's appsrc --- */

typedef struct
{
  TgRtspFactory *factory; /* a reference */
  char *key;
} Ended;

static gboolean
dispatch_ended (gpointer data)
{
  Ended *ended = data;

  ended->factory->ended (ended->key, ended->factory->ended_data);
  return G_SOURCE_REMOVE;
}

static void
ended_free (Ended *ended)
{
  g_object_unref (ended->factory);
  g_free (ended->key);
  g_free (ended);
}

/* An idle source, not g_main_context_invoke: that would run it here once
 * the context's thread has stopped. */
static void
tell_ended (TgRtspFactory *factory, const char *key)
{
  g_autoptr (GSource) source = g_idle_source_new ();
  Ended *data = g_new0 (Ended, 1);

  data->factory = g_object_ref (factory);
  data->key = g_strdup (key);
  g_source_set_callback (source, dispatch_ended, data,
                         (GDestroyNotify) ended_free);
  g_source_attach (source, factory->context);
}

typedef struct
{
  TgRtspFactory *factory; /* a reference */
  GstElement *src;        /* a reference */
  TgMuxViewer *viewer;
  char *app, *stream_id, *key;
  gboolean attached;
  gint started; /* atomic */
  gint fed;     /* atomic: it has pushed a buffer */
  gint stop;    /* atomic */
  GThread *thread;
} Feed;

/* The stream gives it no more. */
static void
detach (Feed *feed)
{
  tg_mux_viewer_close (feed->viewer);
  if (feed->attached)
    tg_play_detach (feed->factory->live, feed->app, feed->stream_id,
                    feed->viewer);
  feed->attached = FALSE;
}

static gpointer
feed_run (gpointer data)
{
  Feed *feed = data;
  const char *why = "the media stopped";
  TgMuxViewerState state = TG_MUX_VIEWER_DROPPED;
  gboolean fed = FALSE;

  while (feed->attached && !g_atomic_int_get (&feed->stop))
    {
      g_autoptr (GPtrArray) batch = tg_mux_viewer_take (
          feed->viewer, FEED_POLL_MS * G_TIME_SPAN_MILLISECOND, &state);
      GstBuffer *buffer;

      if (batch == NULL && state == TG_MUX_VIEWER_RUNNING)
        continue;
      if (batch == NULL)
        break;
      /* One buffer (its memories, not copied): the payloader makes its
       * packets in one go. Its own timestamps (do-timestamp): the media's
       * clock, not the stream's. */
      buffer = gst_buffer_new ();
      for (guint i = 0; i < batch->len; i++)
        buffer = gst_buffer_append (buffer, gst_buffer_ref (batch->pdata[i]));
      if (gst_app_src_push_buffer (GST_APP_SRC (feed->src), buffer)
          != GST_FLOW_OK)
        break;
      fed = TRUE;
      g_atomic_int_set (&feed->fed, TRUE);
    }
  if (!feed->attached || state == TG_MUX_VIEWER_ENDED)
    why = "the stream ended";
  else if (state == TG_MUX_VIEWER_DROPPED && !g_atomic_int_get (&feed->stop))
    why = "it does not keep up";
  g_info ("RTSP media of %s: stopped: %s", feed->key, why);
  if (fed)
    gst_app_src_end_of_stream (GST_APP_SRC (feed->src));
  else
    /* Not an end of stream: a live media that has had no buffer is still
     * preparing, and gst-rtsp-server's blocked streams would hold that end
     * back, and the DESCRIBEs that wait for it. An error ends them. */
    GST_ELEMENT_ERROR (feed->src, RESOURCE, NOT_FOUND, ("%s", why), (NULL));
  if (!feed->attached || state != TG_MUX_VIEWER_RUNNING)
    tell_ended (feed->factory, feed->key);
  detach (feed);
  return NULL;
}

/* The appsrc wants data: its pipeline plays. The feeder starts once. */
static void
need_data (GstElement *src, guint length, gpointer data)
{
  Feed *feed = data;

  (void) src;
  (void) length;
  if (g_atomic_int_compare_and_exchange (&feed->started, FALSE, TRUE))
    feed->thread = g_thread_new ("tg-rtsp-feed", feed_run, feed);
}

static void
feed_free (Feed *feed)
{
  g_mutex_lock (&feed->factory->lock);
  g_ptr_array_remove_fast (feed->factory->feeds, feed);
  g_mutex_unlock (&feed->factory->lock);
  g_atomic_int_set (&feed->stop, TRUE);
  if (feed->thread)
    g_thread_join (feed->thread);
  detach (feed);
  tg_mux_viewer_unref (feed->viewer);
  gst_object_unref (feed->src);
  g_object_unref (feed->factory);
  g_free (feed->app);
  g_free (feed->stream_id);
  g_free (feed->key);
  g_free (feed);
}

/* --- the factory --- */

/* One media per stream: the path's app and stream, not its query (the
 * token) nor the stream's control part (stream=0); and the id of the
 * stream's media now. */
static char *
gen_key (GstRTSPMediaFactory *base, const GstRTSPUrl *url)
{
  TgRtspFactory *factory = TG_RTSP_FACTORY (base);
  g_autofree char *key = tg_rtsp_key_of_path (url->abspath, NULL, NULL);
  Current *current;
  char *cache_key;

  if (key == NULL)
    return g_strdup ("");
  g_mutex_lock (&factory->lock);
  current = g_hash_table_lookup (factory->current, key);
  if (current == NULL)
    {
      current = g_new0 (Current, 1);
      g_weak_ref_init (&current->media, NULL);
      current->id = ++factory->next_id;
      g_hash_table_insert (factory->current, g_strdup (key), current);
    }
  cache_key = g_strdup_printf ("%s#%" G_GUINT64_FORMAT, key, current->id);
  g_mutex_unlock (&factory->lock);
  return cache_key;
}

typedef struct
{
  TgRtspFactory *factory; /* a reference */
  char *key;
} Watch;

static void
watch_free (gpointer data, GClosure *closure)
{
  Watch *watch = data;

  (void) closure;
  g_object_unref (watch->factory);
  g_free (watch->key);
  g_free (watch);
}

/* Whether media is key's media now; under the lock. */
static Current *
current_of (TgRtspFactory *factory, const char *key, GstRTSPMedia *media)
{
  Current *current = g_hash_table_lookup (factory->current, key);
  GstRTSPMedia *now = current ? g_weak_ref_get (&current->media) : NULL;

  /* (the caller holds media: this reference is not its last) */
  if (now)
    g_object_unref (now);
  return now == media ? current : NULL;
}

/* Prerolled: the factory holds it while the stream has viewers. (Each
 * viewer that waited for the preroll gets this signal too.) */
static void
prepared (GstRTSPMedia *media, gpointer data)
{
  Watch *watch = data;
  TgRtspFactory *factory = watch->factory;
  Current *current;
  gboolean hold = FALSE;

  g_mutex_lock (&factory->lock);
  current = current_of (factory, watch->key, media);
  if (current && !current->held
      && g_hash_table_contains (factory->viewers, watch->key))
    hold = current->held = TRUE;
  g_mutex_unlock (&factory->lock);
  /* Prepared already: this only counts one more preparation. */
  if (hold)
    gst_rtsp_media_prepare (media, NULL);
}

/* Torn down (its last viewer left, or it failed): a viewer who comes gets
 * a new media. */
static void
unprepared (GstRTSPMedia *media, gpointer data)
{
  Watch *watch = data;
  TgRtspFactory *factory = watch->factory;

  g_mutex_lock (&factory->lock);
  if (current_of (factory, watch->key, media))
    g_hash_table_remove (factory->current, watch->key);
  g_mutex_unlock (&factory->lock);
}

static GstRTSPMedia *
construct (GstRTSPMediaFactory *base, const GstRTSPUrl *url)
{
  TgRtspFactory *factory = TG_RTSP_FACTORY (base);
  GstRTSPMedia *media
      = GST_RTSP_MEDIA_FACTORY_CLASS (tg_rtsp_factory_parent_class)
            ->construct (base, url);
  g_autofree char *key = tg_rtsp_key_of_path (url->abspath, NULL, NULL);
  Watch *watch;
  Current *current;

  if (media == NULL || key == NULL)
    return media;
  g_mutex_lock (&factory->lock);
  current = g_hash_table_lookup (factory->current, key);
  if (current)
    g_weak_ref_set (&current->media, media);
  g_mutex_unlock (&factory->lock);
  watch = g_new0 (Watch, 1);
  watch->factory = g_object_ref (factory);
  watch->key = g_steal_pointer (&key);
  g_signal_connect_data (media, "prepared", G_CALLBACK (prepared), watch,
                         watch_free, 0);
  g_signal_connect (media, "unprepared", G_CALLBACK (unprepared), watch);
  return media;
}

/* Never NULL (gst-rtsp-server takes that for a bug): a stream that went
 * meanwhile makes a media that ends at once. */
static GstElement *
create_element (GstRTSPMediaFactory *base, const GstRTSPUrl *url)
{
  TgRtspFactory *factory = TG_RTSP_FACTORY (base);
  g_autoptr (GError) error = NULL;
  GstElement *bin;
  Feed *feed;

  bin = gst_parse_launch_full (MEDIA_PIPELINE, NULL,
                               GST_PARSE_FLAG_PLACE_IN_BIN, &error);
  g_assert (bin != NULL && error == NULL);
  feed = g_new0 (Feed, 1);
  feed->factory = g_object_ref (factory);
  feed->src = gst_bin_get_by_name (GST_BIN (bin), "src");
  feed->key = tg_rtsp_key_of_path (url->abspath, &feed->app, &feed->stream_id);
  if (feed->key == NULL)
    feed->key = g_strdup ("?");
  feed->viewer = tg_mux_viewer_new (TG_MUX_DOOR_RTSP, "RTSP media", NULL, NULL);
  feed->attached = feed->app
                   && tg_play_attach (factory->live, feed->app, feed->stream_id,
                                      TG_MUX_OUT_MPEGTS, feed->viewer);
  g_signal_connect (feed->src, "need-data", G_CALLBACK (need_data), feed);
  g_object_set_data_full (G_OBJECT (bin), "tg-rtsp-feed", feed,
                          (GDestroyNotify) feed_free);
  g_mutex_lock (&factory->lock);
  g_ptr_array_add (factory->feeds, feed);
  tg_mux_viewer_set_count (feed->viewer, GPOINTER_TO_UINT (g_hash_table_lookup (
                                             factory->viewers, feed->key)));
  g_mutex_unlock (&factory->lock);
  g_info ("RTSP media of %s: made", feed->key);
  return bin;
}

void
tg_rtsp_factory_fail (TgRtspFactory *factory, gboolean started_too,
                      const char *why)
{
  g_mutex_lock (&factory->lock);
  for (guint i = 0; i < factory->feeds->len; i++)
    {
      Feed *feed = g_ptr_array_index (factory->feeds, i);

      if (!started_too && g_atomic_int_get (&feed->fed))
        continue;
      g_atomic_int_set (&feed->stop, TRUE);
      GST_ELEMENT_ERROR (feed->src, RESOURCE, NOT_FOUND, ("%s", why), (NULL));
    }
  g_mutex_unlock (&factory->lock);
}

static void
finalize (GObject *object)
{
  TgRtspFactory *factory = TG_RTSP_FACTORY (object);

  g_ptr_array_unref (factory->feeds);
  g_hash_table_unref (factory->viewers);
  g_hash_table_unref (factory->current);
  g_mutex_clear (&factory->lock);
  g_main_context_unref (TG_RTSP_FACTORY (object)->context);
  G_OBJECT_CLASS (tg_rtsp_factory_parent_class)->finalize (object);
}

static void
tg_rtsp_factory_class_init (TgRtspFactoryClass *klass)
{
  GstRTSPMediaFactoryClass *factory_class
      = GST_RTSP_MEDIA_FACTORY_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = finalize;
  factory_class->gen_key = gen_key;
  factory_class->construct = construct;
  factory_class->create_element = create_element;
  tg_rtsp_ts_pay_register ();
}

static void
tg_rtsp_factory_init (TgRtspFactory *factory)
{
  g_mutex_init (&factory->lock);
  factory->feeds = g_ptr_array_new ();
  factory->viewers
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  factory->current
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, current_free);
}

void
tg_rtsp_factory_count_viewer (TgRtspFactory *factory, const char *key,
                              gboolean joined)
{
  g_autoptr (GstRTSPMedia) release = NULL;
  guint count;

  g_mutex_lock (&factory->lock);
  count = GPOINTER_TO_UINT (g_hash_table_lookup (factory->viewers, key));
  count = joined ? count + 1 : count - MIN (count, 1);
  if (count > 0)
    g_hash_table_insert (factory->viewers, g_strdup (key),
                         GUINT_TO_POINTER (count));
  else
    g_hash_table_remove (factory->viewers, key);
  for (guint i = 0; i < factory->feeds->len; i++)
    {
      Feed *feed = g_ptr_array_index (factory->feeds, i);

      if (strcmp (feed->key, key) == 0)
        tg_mux_viewer_set_count (feed->viewer, count);
    }
  if (count == 0)
    {
      /* The last viewer left: the media goes, and the next viewer (who
       * would be counted first) gets a new one. */
      Current *current = g_hash_table_lookup (factory->current, key);

      if (current && current->held)
        release = g_weak_ref_get (&current->media);
      g_hash_table_remove (factory->current, key);
    }
  g_mutex_unlock (&factory->lock);
  /* (out of the lock: a media's end takes it) */
  if (release)
    gst_rtsp_media_unprepare (release);
}

TgRtspFactory *
tg_rtsp_factory_new (TgLive *live, GMainContext *context, TgRtspEnded ended,
                     gpointer ended_data)
{
  TgRtspFactory *factory = g_object_new (TG_TYPE_RTSP_FACTORY, NULL);

  factory->live = live;
  factory->context = g_main_context_ref (context);
  factory->ended = ended;
  factory->ended_data = ended_data;
  gst_rtsp_media_factory_set_shared (GST_RTSP_MEDIA_FACTORY (factory), TRUE);
  gst_rtsp_media_factory_set_stop_on_disconnect (
      GST_RTSP_MEDIA_FACTORY (factory), TRUE);
  return factory;
}
