#include "tg-mux-out.h"

#include "tg-stream-private.h"

#include <gst/app/gstappsink.h>

/* The most of a GOP kept for viewers who join (a longer one is not kept:
 * they wait for the next key frame). */
#define GOP_MAX_BYTES (4 * 1024 * 1024)

/* In front of the muxer, per track: a leaky queue (the publisher never
 * waits for these viewers), then the parser that gives the muxer the
 * format it takes (byte-stream or avc H.264, ADTS or raw AAC). */
#define TRACK_QUEUE                                                            \
  "queue " TG_LEAKY_QUEUE " max-size-buffers=0 max-size-bytes=0 "              \
  "max-size-time=2000000000"
static const char *const MUXERS[TG_MUX_OUT_FORMATS]
    = { "mpegtsmux name=mux alignment=0", "flvmux name=mux streamable=true" };
static const char *const FORMAT_NAMES[TG_MUX_OUT_FORMATS]
    = { "MPEG-TS", "FLV" };

struct _TgMuxViewer
{
  gint refs;
  TgMuxDoor door;
  gint count; /* atomic: how many viewers it is counted as */
  char *name;
  GMutex lock; /* for what follows */
  GCond cond;
  GQueue queue;   /* GstBuffer, oldest first */
  GQueue arrived; /* monotonic time each came, as a gint64 in a pointer */
  gsize bytes;
  gboolean synced;  /* it has had the headers and a key frame */
  gboolean waiting; /* its taker waits for a buffer: give() wakes it */
  gint64 next_take; /* monotonic: its taker sleeps until then */
  TgMuxViewerState state;
  TgMuxViewerWake wake;
  gpointer wake_data;
};

/* One format's branch of a stream and its viewers. */
typedef struct _TgMuxOut
{
  TgMuxOutFormat format;
  char *name; /* "app/stream MPEG-TS", for logs */
  gboolean has_video;
  GMutex lock;        /* for what follows */
  GPtrArray *viewers; /* TgMuxViewer */
  GstCaps *caps;      /* the last caps seen */
  GPtrArray *headers; /* GstBuffer: the caps' streamheader */
  GPtrArray *gop;     /* GstBuffer since the last key frame, or NULL */
  gsize gop_bytes;
  GstBuffer *batch; /* MPEG-TS packets not yet given (take_ts) */
} TgMuxOut;

/* --- viewers --- */

TgMuxViewer *
tg_mux_viewer_new (TgMuxDoor door, const char *name, TgMuxViewerWake wake,
                   gpointer wake_data)
{
  TgMuxViewer *viewer = g_new0 (TgMuxViewer, 1);

  viewer->refs = 1;
  viewer->door = door;
  viewer->count = 1;
  viewer->name = g_strdup (name);
  g_mutex_init (&viewer->lock);
  g_cond_init (&viewer->cond);
  g_queue_init (&viewer->queue);
  g_queue_init (&viewer->arrived);
  viewer->wake = wake;
  viewer->wake_data = wake_data;
  return viewer;
}

void
tg_mux_viewer_set_count (TgMuxViewer *viewer, guint count)
{
  g_atomic_int_set (&viewer->count, (gint) count);
}

TgMuxViewer *
tg_mux_viewer_ref (TgMuxViewer *viewer)
{
  g_atomic_int_inc (&viewer->refs);
  return viewer;
}

/* Called locked. */
static void
empty (TgMuxViewer *viewer)
{
  g_queue_clear_full (&viewer->queue, (GDestroyNotify) gst_buffer_unref);
  g_queue_clear (&viewer->arrived);
  viewer->bytes = 0;
}

void
tg_mux_viewer_unref (TgMuxViewer *viewer)
{
  if (viewer == NULL || !g_atomic_int_dec_and_test (&viewer->refs))
    return;
  empty (viewer);
  g_mutex_clear (&viewer->lock);
  g_cond_clear (&viewer->cond);
  g_free (viewer->name);
  g_free (viewer);
}

/* Stops it (dropped, ended): its door's writer is woken. Called locked. */
static void
stop (TgMuxViewer *viewer, TgMuxViewerState state)
{
  if (viewer->state != TG_MUX_VIEWER_RUNNING)
    return;
  viewer->state = state;
  if (state == TG_MUX_VIEWER_DROPPED)
    empty (viewer);
  g_cond_broadcast (&viewer->cond);
  if (viewer->wake)
    viewer->wake (state, viewer->wake_data);
}

/* Every buffer queued, oldest first; called locked. */
static GPtrArray *
take_all (TgMuxViewer *viewer)
{
  GPtrArray *taken = g_ptr_array_new_full (viewer->queue.length,
                                           (GDestroyNotify) gst_buffer_unref);

  while (!g_queue_is_empty (&viewer->queue))
    g_ptr_array_add (taken, g_queue_pop_head (&viewer->queue));
  g_queue_clear (&viewer->arrived);
  viewer->bytes = 0;
  return taken;
}

GPtrArray *
tg_mux_viewer_take (TgMuxViewer *viewer, gint64 timeout_us,
                    TgMuxViewerState *state)
{
  gint64 deadline = g_get_monotonic_time () + timeout_us;
  gint64 until;
  GPtrArray *taken = NULL;

  g_mutex_lock (&viewer->lock);
  /* Woken by the clock, not by give(): the queue fills meanwhile. */
  until = MIN (viewer->next_take, deadline);
  while (viewer->state == TG_MUX_VIEWER_RUNNING
         && g_cond_wait_until (&viewer->cond, &viewer->lock, until))
    ;
  /* Then by give() if there is nothing yet. */
  viewer->waiting = TRUE;
  while (g_queue_is_empty (&viewer->queue)
         && viewer->state == TG_MUX_VIEWER_RUNNING
         && g_cond_wait_until (&viewer->cond, &viewer->lock, deadline))
    ;
  viewer->waiting = FALSE;
  if (!g_queue_is_empty (&viewer->queue)
      && (viewer->state != TG_MUX_VIEWER_RUNNING
          || g_get_monotonic_time () >= viewer->next_take))
    {
      taken = take_all (viewer);
      viewer->next_take = g_get_monotonic_time ()
                          + TG_MUX_VIEWER_BATCH_MS * G_TIME_SPAN_MILLISECOND;
    }
  *state = viewer->state;
  g_mutex_unlock (&viewer->lock);
  return taken;
}

gsize
tg_mux_batch_size (GPtrArray *batch)
{
  gsize size = 0;

  for (guint i = 0; i < batch->len; i++)
    size += gst_buffer_get_size (batch->pdata[i]);
  return size;
}

TgMuxViewerState
tg_mux_viewer_state (TgMuxViewer *viewer)
{
  TgMuxViewerState state;

  g_mutex_lock (&viewer->lock);
  state = viewer->state;
  g_mutex_unlock (&viewer->lock);
  return state;
}

void
tg_mux_viewer_drop (TgMuxViewer *viewer)
{
  g_mutex_lock (&viewer->lock);
  stop (viewer, TG_MUX_VIEWER_DROPPED);
  g_mutex_unlock (&viewer->lock);
}

void
tg_mux_viewer_close (TgMuxViewer *viewer)
{
  g_mutex_lock (&viewer->lock);
  viewer->wake = NULL;
  if (viewer->state == TG_MUX_VIEWER_RUNNING)
    viewer->state = TG_MUX_VIEWER_DROPPED;
  empty (viewer);
  g_mutex_unlock (&viewer->lock);
}

/* Queues a buffer; FALSE when the viewer is not running or, over its
 * bounds, has just been dropped (said why). Called with the out's lock. */
static gboolean
give (TgMuxOut *out, TgMuxViewer *viewer, GstBuffer *buffer)
{
  gint64 now = g_get_monotonic_time ();
  gint64 oldest;
  gboolean running;

  g_mutex_lock (&viewer->lock);
  oldest = viewer->arrived.head
               ? (gint64) GPOINTER_TO_SIZE (viewer->arrived.head->data)
               : now;
  if (viewer->state == TG_MUX_VIEWER_RUNNING
      && (viewer->bytes + gst_buffer_get_size (buffer) > TG_MUX_VIEWER_MAX_BYTES
          || now - oldest > TG_MUX_VIEWER_MAX_AGE_S * G_USEC_PER_SEC))
    {
      g_info ("%s: %s dropped: it does not keep up (%" G_GSIZE_FORMAT
              " bytes queued, the oldest %" G_GINT64_FORMAT " ms ago)",
              out->name, viewer->name, viewer->bytes, (now - oldest) / 1000);
      stop (viewer, TG_MUX_VIEWER_DROPPED);
    }
  running = viewer->state == TG_MUX_VIEWER_RUNNING;
  if (running)
    {
      g_queue_push_tail (&viewer->queue, gst_buffer_ref (buffer));
      g_queue_push_tail (&viewer->arrived, GSIZE_TO_POINTER (now));
      viewer->bytes += gst_buffer_get_size (buffer);
      if (viewer->waiting)
        g_cond_signal (&viewer->cond);
    }
  g_mutex_unlock (&viewer->lock);
  return running;
}

/* Gives a viewer that joins the headers and the buffers since the last
 * key frame; FALSE when there are none yet (it waits for a key frame).
 * Called with the out's lock. */
static gboolean
give_start (TgMuxOut *out, TgMuxViewer *viewer, GPtrArray *since_key)
{
  gboolean ok = TRUE;

  if (since_key == NULL || since_key->len == 0)
    return FALSE;
  for (guint i = 0; ok && out->headers && i < out->headers->len; i++)
    ok = give (out, viewer, out->headers->pdata[i]);
  for (guint i = 0; ok && i < since_key->len; i++)
    ok = give (out, viewer, since_key->pdata[i]);
  viewer->synced = TRUE;
  return TRUE;
}

/* --- the muxer's output, on its thread --- */

static void
take_headers (TgMuxOut *out, GstCaps *caps)
{
  const GValue *array;

  if (caps == NULL || caps == out->caps)
    return;
  gst_caps_replace (&out->caps, caps);
  array = gst_structure_get_value (gst_caps_get_structure (caps, 0),
                                   "streamheader");
  if (array == NULL || !GST_VALUE_HOLDS_ARRAY (array))
    return;
  g_clear_pointer (&out->headers, g_ptr_array_unref);
  out->headers
      = g_ptr_array_new_with_free_func ((GDestroyNotify) gst_buffer_unref);
  for (guint i = 0; i < gst_value_array_get_size (array); i++)
    {
      const GValue *value = gst_value_array_get_value (array, i);

      if (GST_VALUE_HOLDS_BUFFER (value))
        g_ptr_array_add (out->headers,
                         gst_buffer_ref (gst_value_get_buffer (value)));
    }
}

static gboolean
is_script_tag (GstBuffer *buffer)
{
  guint8 type;

  return gst_buffer_extract (buffer, 0, &type, 1) == 1 && type == 18;
}

/* Whether a viewer can start at buffer. flvmux (1.22) marks only video
 * inter frames as delta units, not audio tags, so an FLV key frame is read
 * from its tag: type 9 (video), frame type 1 (key). */
static gboolean
is_key (TgMuxOut *out, GstBuffer *buffer)
{
  guint8 tag[12];

  if (!out->has_video)
    return TRUE;
  if (GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_DELTA_UNIT))
    return FALSE;
  if (out->format != TG_MUX_OUT_FLV)
    return TRUE;
  return gst_buffer_extract (buffer, 0, tag, sizeof tag) == sizeof tag
         && tag[0] == 9 && tag[11] >> 4 == 1;
}

/* One buffer of the muxer's output, to every viewer that is at a key
 * frame; kept for those who join until the next key frame. */
static void
take (TgMuxOut *out, GstBuffer *buffer)
{
  gboolean key = is_key (out, buffer);

  /* flvmux pushes its header tags too: they are in the caps. Its later
   * onMetaData (the stream's tags changed) is dropped: players take a
   * script tag with a time for a subtitle track. */
  if (out->format == TG_MUX_OUT_FLV
      && (GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_HEADER)
          || is_script_tag (buffer)))
    return;
  if (key && out->has_video)
    {
      g_clear_pointer (&out->gop, g_ptr_array_unref);
      out->gop
          = g_ptr_array_new_with_free_func ((GDestroyNotify) gst_buffer_unref);
      out->gop_bytes = 0;
    }
  if (out->gop)
    {
      out->gop_bytes += gst_buffer_get_size (buffer);
      if (out->gop_bytes > GOP_MAX_BYTES)
        g_clear_pointer (&out->gop, g_ptr_array_unref);
      else
        g_ptr_array_add (out->gop, gst_buffer_ref (buffer));
    }
  for (guint i = 0; i < out->viewers->len;)
    {
      TgMuxViewer *viewer = out->viewers->pdata[i];
      gboolean running;

      if (viewer->synced)
        running = give (out, viewer, buffer);
      else if (key)
        {
          g_autoptr (GPtrArray) one = g_ptr_array_new ();

          g_ptr_array_add (one, buffer);
          give_start (out, viewer, one);
          g_mutex_lock (&viewer->lock);
          running = viewer->state == TG_MUX_VIEWER_RUNNING;
          g_mutex_unlock (&viewer->lock);
        }
      else
        running = TRUE;
      if (running)
        i++;
      else
        g_ptr_array_remove_index (out->viewers, i);
    }
}

/* MPEG-TS comes from the muxer a packet a buffer: it is given to viewers
 * TS_BATCH bytes at a time (an SRT message's, an RTP packet's worth), a
 * key frame's first packet starting a batch, so that a viewer's thread
 * wakes for 1316 bytes rather than for each 188. */
#define TS_BATCH (7 * 188)

static void
flush_batch (TgMuxOut *out)
{
  g_autoptr (GstBuffer) batch = g_steal_pointer (&out->batch);

  if (batch)
    take (out, batch);
}

static void
take_ts (TgMuxOut *out, GstBuffer *buffer)
{
  if (out->has_video
      && !GST_BUFFER_FLAG_IS_SET (buffer, GST_BUFFER_FLAG_DELTA_UNIT))
    flush_batch (out);
  out->batch = out->batch
                   ? gst_buffer_append (out->batch, gst_buffer_ref (buffer))
                   : gst_buffer_ref (buffer);
  if (gst_buffer_get_size (out->batch) >= TS_BATCH)
    flush_batch (out);
}

/* A buffer of the muxer's output. */
static void
take_any (TgMuxOut *out, GstBuffer *buffer)
{
  if (out->format == TG_MUX_OUT_MPEGTS)
    take_ts (out, buffer);
  else
    take (out, buffer);
}

static GstFlowReturn
new_sample (GstAppSink *sink, gpointer data)
{
  TgMuxOut *out = data;
  g_autoptr (GstSample) sample = gst_app_sink_pull_sample (sink);
  GstBufferList *list = sample ? gst_sample_get_buffer_list (sample) : NULL;
  GstBuffer *buffer = sample ? gst_sample_get_buffer (sample) : NULL;

  if (sample == NULL)
    return GST_FLOW_OK;
  g_mutex_lock (&out->lock);
  take_headers (out, gst_sample_get_caps (sample));
  if (buffer)
    take_any (out, buffer);
  for (guint i = 0; list && i < gst_buffer_list_length (list); i++)
    take_any (out, gst_buffer_list_get (list, i));
  g_mutex_unlock (&out->lock);
  return GST_FLOW_OK;
}

/* --- the branch --- */

static void
out_free (TgMuxOut *out)
{
  if (out == NULL)
    return;
  g_ptr_array_unref (out->viewers);
  gst_clear_caps (&out->caps);
  g_clear_pointer (&out->headers, g_ptr_array_unref);
  g_clear_pointer (&out->gop, g_ptr_array_unref);
  gst_clear_buffer (&out->batch);
  g_mutex_clear (&out->lock);
  g_free (out->name);
  g_free (out);
}

/* The branch's description: a queue and parser per track into the muxer,
 * the muxer into the appsink. */
static char *
describe (TgMuxOutFormat format, GstElement *const *tees)
{
  GString *text = g_string_new (MUXERS[format]);

  g_string_append (text, " ! appsink name=sink sync=false async=false "
                         "buffer-list=true");
  if (tees[VIDEO])
    g_string_append_printf (text,
                            " " TRACK_QUEUE
                            " name=in%u ! h264parse config-interval=-1 ! "
                            "mux.",
                            VIDEO);
  if (tees[AUDIO])
    g_string_append_printf (
        text, " " TRACK_QUEUE " name=in%u ! aacparse ! mux.", AUDIO);
  return g_string_free (text, FALSE);
}

/* Builds the format's branch from the tees; viewers_lock held. NULL (said
 * why) when it cannot be. */
static TgMuxOut *
build (TgStream *stream, TgMuxOutFormat format)
{
  GstAppSinkCallbacks callbacks = { .new_sample = new_sample };
  g_autofree char *description = describe (format, stream->tees);
  g_autoptr (GError) error = NULL;
  g_autoptr (GstElement) sink = NULL;
  GstElement *branch;
  TgMuxOut *out;

  branch = gst_parse_bin_from_description (description, FALSE, &error);
  if (branch == NULL)
    {
      g_message ("%s: no %s for viewers: %s", stream->name,
                 FORMAT_NAMES[format], error->message);
      return NULL;
    }
  out = g_new0 (TgMuxOut, 1);
  out->format = format;
  out->name = g_strdup_printf ("%s %s", stream->name, FORMAT_NAMES[format]);
  out->has_video = stream->tees[VIDEO] != NULL;
  g_mutex_init (&out->lock);
  out->viewers
      = g_ptr_array_new_with_free_func ((GDestroyNotify) tg_mux_viewer_unref);
  sink = gst_bin_get_by_name (GST_BIN (branch), "sink");
  gst_app_sink_set_callbacks (GST_APP_SINK (sink), &callbacks, out, NULL);
  gst_bin_add (GST_BIN (stream->pipeline), branch);
  /* Playing before the tees push into it: a branch still flushing would
   * fail a tee's push, and with it the stream. */
  gst_element_sync_state_with_parent (branch);
  for (guint t = 0; t < TRACKS; t++)
    {
      g_autofree char *name = g_strdup_printf ("in%u", t);
      g_autoptr (GstElement) queue = NULL;
      g_autoptr (GstPad) from = NULL, inner = NULL;
      GstPad *ghost;

      if (stream->tees[t] == NULL)
        continue;
      queue = gst_bin_get_by_name (GST_BIN (branch), name);
      inner = gst_element_get_static_pad (queue, "sink");
      ghost = gst_ghost_pad_new (name, inner);
      gst_pad_set_active (ghost, TRUE);
      gst_element_add_pad (branch, ghost);
      from = gst_element_request_pad_simple (stream->tees[t], "src_%u");
      gst_pad_link (from, ghost);
    }
  g_info ("%s: muxed for its viewers", out->name);
  return out;
}

gboolean
tg_stream_add_mux_viewer (TgStream *stream, TgMuxOutFormat format,
                          TgMuxViewer *viewer)
{
  TgMuxOut *out;
  gboolean added;

  g_return_val_if_fail (format < TG_MUX_OUT_FORMATS, FALSE);
  g_mutex_lock (&stream->viewers_lock);
  g_mutex_lock (&stream->lock);
  added = !stream->done && g_atomic_int_get (&stream->media_ready);
  g_mutex_unlock (&stream->lock);
  if (added && stream->mux_outs[format] == NULL)
    stream->mux_outs[format] = build (stream, format);
  out = stream->mux_outs[format];
  added = added && out != NULL;
  if (added)
    {
      g_mutex_lock (&out->lock);
      give_start (out, viewer, out->gop);
      g_ptr_array_add (out->viewers, tg_mux_viewer_ref (viewer));
      g_mutex_unlock (&out->lock);
    }
  g_mutex_unlock (&stream->viewers_lock);
  return added;
}

void
tg_stream_remove_mux_viewer (TgStream *stream, TgMuxViewer *viewer)
{
  g_mutex_lock (&stream->viewers_lock);
  for (guint f = 0; f < TG_MUX_OUT_FORMATS; f++)
    if (stream->mux_outs[f])
      {
        g_mutex_lock (&stream->mux_outs[f]->lock);
        g_ptr_array_remove (stream->mux_outs[f]->viewers, viewer);
        g_mutex_unlock (&stream->mux_outs[f]->lock);
      }
  g_mutex_unlock (&stream->viewers_lock);
}

guint
tg_stream_count_mux_viewers (TgStream *stream, TgMuxDoor door)
{
  guint count = 0;

  for (guint f = 0; f < TG_MUX_OUT_FORMATS; f++)
    {
      TgMuxOut *out = stream->mux_outs[f];

      if (out == NULL)
        continue;
      g_mutex_lock (&out->lock);
      for (guint i = 0; i < out->viewers->len; i++)
        {
          TgMuxViewer *viewer = out->viewers->pdata[i];

          if (viewer->door == door)
            count += (guint) g_atomic_int_get (&viewer->count);
        }
      g_mutex_unlock (&out->lock);
    }
  return count;
}

void
tg_stream_end_mux_outs (TgStream *stream)
{
  g_mutex_lock (&stream->viewers_lock);
  for (guint f = 0; f < TG_MUX_OUT_FORMATS; f++)
    {
      TgMuxOut *out = stream->mux_outs[f];

      if (out == NULL)
        continue;
      g_mutex_lock (&out->lock);
      flush_batch (out); /* the stream's last packets */
      for (guint i = 0; i < out->viewers->len; i++)
        {
          TgMuxViewer *viewer = out->viewers->pdata[i];

          g_mutex_lock (&viewer->lock);
          stop (viewer, TG_MUX_VIEWER_ENDED);
          g_mutex_unlock (&viewer->lock);
        }
      g_ptr_array_set_size (out->viewers, 0);
      g_mutex_unlock (&out->lock);
    }
  g_mutex_unlock (&stream->viewers_lock);
}

void
tg_stream_free_mux_outs (TgStream *stream)
{
  for (guint f = 0; f < TG_MUX_OUT_FORMATS; f++)
    g_clear_pointer (&stream->mux_outs[f], out_free);
}
