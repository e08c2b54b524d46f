#include "tg-stream.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gst/app/gstappsrc.h>

/* Most FLV bytes queued in front of a stalled pipeline before new ones are
 * dropped (a flood costs memory up to this, no more). */
#define MAX_QUEUED_BYTES (16 * 1024 * 1024)

/* Recording length whose index room is reserved up front. */
#define RESERVED_HOURS 3

struct _TgStream
{
  char *name; /* app/stream, for logs */
  GstElement *pipeline;
  GstElement *src;
  GstElement *hls; /* hlssink2, or NULL */
  char *dir;       /* the app's streams folder */
  char *stream_id;
  gboolean hls_delete;
  GstElement *mp4mux; /* or NULL */
  char *mp4_part;     /* the recording while it is written */
  char *mp4_final;    /* its name once complete */
  TgStreamEnded ended;
  gpointer user_data;
  guint bus_watch;
  gboolean done;
  /* Muxers take no new streams once data flows (mp4mux refuses them,
   * hlssink2 can deadlock): each branch to an output waits, blocked, until
   * every stream the FLV header announced is there, then all link at once.
   * Streams per output: waiting->len / outputs. */
  GMutex lock;
  gint expected;      /* streams announced by the FLV header; -1 before it */
  GPtrArray *waiting; /* Waiting */
};

typedef struct
{
  GstPad *pad; /* the blocked end of a branch */
  gulong probe;
  GstElement *sink; /* the output it will feed */
  const char *template;
} Waiting;

static GstElement *
make (const char *factory, GError **error)
{
  GstElement *element = gst_element_factory_make (factory, NULL);

  if (element == NULL)
    g_set_error (error, TG_ERROR, TG_ERROR_STORE,
                 "GStreamer element %s is missing (install its plugin)",
                 factory);
  return element;
}

/* A free recording name: {id}.mp4, then {id}_1.mp4, {id}_2.mp4... */
static char *
recording_name (const char *dir, const char *stream_id)
{
  for (guint n = 0;; n++)
    {
      g_autofree char *base = n ? g_strdup_printf ("%s_%u.mp4", stream_id, n)
                                : g_strdup_printf ("%s.mp4", stream_id);
      char *path = g_build_filename (dir, base, NULL);
      g_autofree char *part = g_strconcat (path, ".part", NULL);

      if (!g_file_test (path, G_FILE_TEST_EXISTS)
          && !g_file_test (part, G_FILE_TEST_EXISTS))
        return path;
      g_free (path);
    }
}

static GstPadProbeReturn
hold (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  return GST_PAD_PROBE_OK;
}

static guint
outputs (TgStream *stream)
{
  return !!stream->hls + !!stream->mp4mux;
}

/* Links every waiting branch once all announced streams are there. Called
 * with the lock held. */
static void
link_if_complete (TgStream *stream)
{
  if (stream->expected < 0
      || stream->waiting->len < (guint) stream->expected * outputs (stream))
    return;
  /* Every pad first, then the data: a muxer asked for a pad while data
   * already flows into another of its pads can deadlock (splitmuxsink). */
  for (guint i = 0; i < stream->waiting->len; i++)
    {
      Waiting *w = stream->waiting->pdata[i];
      GstPad *to = gst_element_request_pad_simple (w->sink, w->template);

      gst_pad_link (w->pad, to);
      gst_object_unref (to);
    }
  for (guint i = 0; i < stream->waiting->len; i++)
    {
      Waiting *w = stream->waiting->pdata[i];

      gst_pad_remove_probe (w->pad, w->probe);
    }
  g_ptr_array_set_size (stream->waiting, 0);
}

/* A branch of tee through queue and parser to an output, held until the
 * output can take every stream at once. */
static void
branch (TgStream *stream, GstElement *tee, GstElement *sink,
        const char *template, GstElement *parser)
{
  /* With two outputs, each gets its own thread, so a slow one does not
   * hold the other; with one, the stream's queue before the tee serves. */
  GstElement *queue
      = outputs (stream) > 1 ? gst_element_factory_make ("queue", NULL) : NULL;
  GstElement *first = queue ? queue : parser;
  GstPad *from = gst_element_request_pad_simple (tee, "src_%u");
  GstPad *in = gst_element_get_static_pad (first, "sink");
  Waiting *w = g_new0 (Waiting, 1);

  gst_bin_add (GST_BIN (stream->pipeline), parser);
  if (queue)
    {
      gst_bin_add (GST_BIN (stream->pipeline), queue);
      gst_element_link (queue, parser);
    }
  gst_pad_link (from, in);
  gst_object_unref (from);
  gst_object_unref (in);
  w->pad = gst_element_get_static_pad (parser, "src");
  w->sink = sink;
  w->template = template;
  w->probe = gst_pad_add_probe (w->pad, GST_PAD_PROBE_TYPE_BLOCK_DOWNSTREAM,
                                hold, NULL, NULL);
  gst_element_sync_state_with_parent (parser);
  if (queue)
    gst_element_sync_state_with_parent (queue);
  g_mutex_lock (&stream->lock);
  g_ptr_array_add (stream->waiting, w);
  link_if_complete (stream);
  g_mutex_unlock (&stream->lock);
}

static void
waiting_free (Waiting *w)
{
  gst_object_unref (w->pad);
  g_free (w);
}

/* flvdemux found a stream: parse it, tee it, feed every output. Runs on the
 * streaming thread, before the pad's first buffer. */
static void
demux_pad_added (GstElement *demux, GstPad *pad, gpointer data)
{
  TgStream *stream = data;
  const char *name = GST_PAD_NAME (pad);
  gboolean video = g_str_equal (name, "video");
  g_autoptr (GstCaps) caps = gst_pad_get_current_caps (pad);
  GstStructure *s = caps ? gst_caps_get_structure (caps, 0) : NULL;
  GstElement *queue, *tee;
  GstPad *in;

  if (s == NULL
      || !(video ? gst_structure_has_name (s, "video/x-h264")
                 : gst_structure_has_name (s, "audio/mpeg")))
    {
      GST_ELEMENT_ERROR (demux, STREAM, CODEC_NOT_FOUND,
                         ("Unsupported %s codec %s: publish H.264 and AAC",
                          name, s ? gst_structure_get_name (s) : "(none)"),
                         (NULL));
      return;
    }
  /* The queue gives each stream its own thread: the outputs wait for audio
   * and video to line up, which the one demuxer thread cannot do alone. */
  queue = gst_element_factory_make ("queue", NULL);
  tee = gst_element_factory_make ("tee", NULL);
  /* Outputs come and go; data flows on with none. */
  g_object_set (tee, "allow-not-linked", TRUE, NULL);
  gst_bin_add_many (GST_BIN (stream->pipeline), queue, tee, NULL);
  in = gst_element_get_static_pad (queue, "sink");
  gst_pad_link (pad, in);
  gst_object_unref (in);
  gst_element_link (queue, tee);
  /* MPEG-TS wants H.264 as byte-stream, MP4 as avc: a parser for each. */
  if (stream->hls)
    branch (stream, tee, stream->hls, video ? "video" : "audio",
            gst_element_factory_make (video ? "h264parse" : "aacparse", NULL));
  if (stream->mp4mux)
    branch (stream, tee, stream->mp4mux, video ? "video_%u" : "audio_%u",
            gst_element_factory_make (video ? "h264parse" : "aacparse", NULL));
  gst_element_sync_state_with_parent (tee);
  gst_element_sync_state_with_parent (queue);
}

/* The recording is complete: give it its final name. */
static void
finalise_recording (TgStream *stream)
{
  if (stream->mp4_part == NULL
      || !g_file_test (stream->mp4_part, G_FILE_TEST_EXISTS))
    return;
  if (g_rename (stream->mp4_part, stream->mp4_final) != 0)
    g_message ("%s: could not rename the recording: %s", stream->name,
               g_strerror (errno));
}

/* The stream's playlist and segments: {id}.m3u8, {id}%09d.ts. */
static void
delete_hls (TgStream *stream)
{
  g_autoptr (GDir) dir = g_dir_open (stream->dir, 0, NULL);
  gsize id_length = strlen (stream->stream_id);
  const char *name;

  while (dir && (name = g_dir_read_name (dir)))
    {
      const char *rest = name + id_length;
      g_autofree char *path = NULL;

      if (strncmp (name, stream->stream_id, id_length) != 0
          || !(g_str_equal (rest, ".m3u8")
               || (strspn (rest, "0123456789") == 9
                   && g_str_equal (rest + 9, ".ts"))))
        continue;
      path = g_build_filename (stream->dir, name, NULL);
      g_remove (path);
    }
}

static void
end (TgStream *stream, const GError *error)
{
  if (stream->done)
    return;
  stream->done = TRUE;
  gst_element_set_state (stream->pipeline, GST_STATE_NULL);
  if (error == NULL)
    finalise_recording (stream);
  if (stream->hls && stream->hls_delete)
    delete_hls (stream);
  stream->ended (stream, error, stream->user_data);
}

static gboolean
bus_message (GstBus *bus, GstMessage *message, gpointer data)
{
  TgStream *stream = data;
  g_autoptr (GError) error = NULL;
  g_autofree char *debug = NULL;

  switch (GST_MESSAGE_TYPE (message))
    {
    case GST_MESSAGE_EOS:
      g_info ("%s: ended", stream->name);
      end (stream, NULL);
      break;
    case GST_MESSAGE_ERROR:
      gst_message_parse_error (message, &error, &debug);
      g_message ("%s: %s (%s)", stream->name, error->message,
                 debug ? debug : "");
      end (stream, error);
      break;
    default:
      break;
    }
  return G_SOURCE_CONTINUE;
}

static GstElement *
make_hls (const TgStreamSpec *spec, GError **error)
{
  GstElement *hls = make ("hlssink2", error);
  g_autofree char *segments = NULL;
  g_autofree char *playlist = NULL;
  g_autofree char *pattern = NULL;

  if (hls == NULL)
    return NULL;
  pattern = g_strdup_printf ("%s%%09d.ts", spec->stream_id);
  segments = g_build_filename (spec->dir, pattern, NULL);
  playlist = g_strdup_printf ("%s/%s.m3u8", spec->dir, spec->stream_id);
  g_object_set (hls, "location", segments, "playlist-location", playlist,
                "target-duration", (guint) MAX (1, spec->hls_time + 0.5),
                "playlist-length", spec->hls_list_size,
                /* old segments go once they have left the playlist */
                "max-files", spec->hls_list_size + 2,
                /* nothing upstream can make key frames on demand */
                "send-keyframe-requests", FALSE, NULL);
  return hls;
}

static gboolean
add_mp4 (TgStream *stream, const TgStreamSpec *spec, GError **error)
{
  GstElement *mux = make ("mp4mux", error);
  GstElement *sink = mux ? make ("filesink", error) : NULL;

  if (sink == NULL)
    {
      if (mux)
        gst_object_unref (mux);
      return FALSE;
    }
  stream->mp4_final = recording_name (spec->dir, spec->stream_id);
  stream->mp4_part = g_strconcat (stream->mp4_final, ".part", NULL);
  /* Room for the index is reserved at the start and the index rewritten
   * there every second, so a recording cut short by a crash still plays
   * (up to the reserved length; past it the index is written at the end). */
  g_object_set (mux, "reserved-max-duration",
                (guint64) RESERVED_HOURS * 3600 * GST_SECOND,
                "reserved-moov-update-period", (guint64) GST_SECOND, NULL);
  g_object_set (sink, "location", stream->mp4_part, NULL);
  gst_bin_add_many (GST_BIN (stream->pipeline), mux, sink, NULL);
  gst_element_link (mux, sink);
  stream->mp4mux = mux;
  return TRUE;
}

/* The pipeline's own error, if one is on the bus (a refused token). */
static GError *
pop_error (GstElement *pipeline)
{
  g_autoptr (GstBus) bus = gst_element_get_bus (pipeline);
  g_autoptr (GstMessage) message
      = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  GError *error = NULL;

  if (message)
    gst_message_parse_error (message, &error, NULL);
  return error;
}

static gboolean
build (TgStream *stream, const TgStreamSpec *spec, GError **error)
{
  g_autoptr (GstCaps) caps = gst_caps_new_empty_simple ("video/x-flv");
  GstElement *gate = NULL, *demux;

  stream->src = make ("appsrc", error);
  demux = stream->src ? make ("flvdemux", error) : NULL;
  if (demux == NULL)
    return FALSE;
  g_object_set (stream->src, "caps", caps, "format", GST_FORMAT_BYTES,
                "max-bytes", (guint64) MAX_QUEUED_BYTES, "leaky-type", 1, NULL);
  gst_bin_add_many (GST_BIN (stream->pipeline), stream->src, demux, NULL);
  if (spec->token)
    {
      gate = make ("tokencheck", error);
      if (gate == NULL)
        return FALSE;
      g_object_set (gate, "app", spec->app, "stream-id", spec->stream_id,
                    "type", 0 /* publish */, "token", spec->token, NULL);
      gst_bin_add (GST_BIN (stream->pipeline), gate);
    }
  if (!(gate ? gst_element_link_many (stream->src, gate, demux, NULL)
             : gst_element_link (stream->src, demux)))
    {
      g_set_error (error, TG_ERROR, TG_ERROR_STORE, "%s: could not link",
                   stream->name);
      return FALSE;
    }
  g_signal_connect (demux, "pad-added", G_CALLBACK (demux_pad_added), stream);
  return TRUE;
}

/* The outputs come after the token: sinks open their files on the way to
 * READY, and a refused publisher must leave none. */
static gboolean
add_outputs (TgStream *stream, const TgStreamSpec *spec, GError **error)
{
  if (spec->hls)
    {
      stream->hls = make_hls (spec, error);
      if (stream->hls == NULL)
        return FALSE;
      gst_bin_add (GST_BIN (stream->pipeline), stream->hls);
    }
  if (spec->mp4 && !add_mp4 (stream, spec, error))
    return FALSE;
  if (gst_element_set_state (stream->pipeline, GST_STATE_READY)
      != GST_STATE_CHANGE_FAILURE)
    return TRUE;
  *error = pop_error (stream->pipeline);
  if (*error == NULL)
    g_set_error (error, TG_ERROR, TG_ERROR_STORE, "outputs did not start");
  return FALSE;
}

TgStream *
tg_stream_new (const TgStreamSpec *spec, TgStreamEnded ended,
               gpointer user_data, GError **error)
{
  TgStream *stream = g_new0 (TgStream, 1);
  g_autoptr (GstContext) context = NULL;
  g_autoptr (GstBus) bus = NULL;
  g_autoptr (GError) refusal = NULL;

  stream->name = g_strdup_printf ("%s/%s", spec->app, spec->stream_id);
  stream->dir = g_strdup (spec->dir);
  stream->stream_id = g_strdup (spec->stream_id);
  stream->hls_delete = spec->hls_delete;
  stream->ended = ended;
  stream->user_data = user_data;
  stream->pipeline = gst_pipeline_new (stream->name);
  g_mutex_init (&stream->lock);
  stream->expected = -1;
  stream->waiting
      = g_ptr_array_new_with_free_func ((GDestroyNotify) waiting_free);
  if (g_mkdir_with_parents (spec->dir, 0755) != 0)
    {
      g_set_error (error, TG_ERROR, TG_ERROR_STORE, "Cannot create %s: %s",
                   spec->dir, g_strerror (errno));
      tg_stream_free (stream);
      return NULL;
    }
  if (!build (stream, spec, error))
    {
      tg_stream_free (stream);
      return NULL;
    }
  /* tokencheck spends the token with the server's store, not its own. */
  context = gst_context_new (TG_STORE_CONTEXT_TYPE, TRUE);
  gst_structure_set (gst_context_writable_structure (context), "store",
                     TG_TYPE_STORE, spec->store, NULL);
  gst_element_set_context (stream->pipeline, context);
  if (gst_element_set_state (stream->pipeline, GST_STATE_READY)
      == GST_STATE_CHANGE_FAILURE)
    {
      refusal = pop_error (stream->pipeline);
      g_set_error (error, TG_ERROR, TG_ERROR_FORBIDDEN, "%s",
                   refusal ? refusal->message : "the pipeline did not start");
      tg_stream_free (stream);
      return NULL;
    }
  if (!add_outputs (stream, spec, error))
    {
      g_prefix_error (error, "%s: ", stream->name);
      tg_stream_free (stream);
      return NULL;
    }
  bus = gst_element_get_bus (stream->pipeline);
  stream->bus_watch = gst_bus_add_watch (bus, bus_message, stream);
  return stream;
}

gboolean
tg_stream_start (TgStream *stream, GError **error)
{
  if (gst_element_set_state (stream->pipeline, GST_STATE_PLAYING)
      == GST_STATE_CHANGE_FAILURE)
    {
      g_set_error (error, TG_ERROR, TG_ERROR_STORE,
                   "%s: the pipeline did not start", stream->name);
      return FALSE;
    }
  return TRUE;
}

void
tg_stream_push (TgStream *stream, GBytes *flv)
{
  gsize size = 0;
  const guint8 *data = g_bytes_get_data (flv, &size);

  if (stream->expected < 0 && size >= 5 && memcmp (data, "FLV", 3) == 0)
    {
      /* Flags: 0x04 audio, 0x01 video. */
      g_mutex_lock (&stream->lock);
      stream->expected = !!(data[4] & 0x04) + !!(data[4] & 0x01);
      link_if_complete (stream);
      g_mutex_unlock (&stream->lock);
    }
  /* The buffer takes its own reference; this one was given to us. */
  gst_app_src_push_buffer (GST_APP_SRC (stream->src),
                           gst_buffer_new_wrapped_bytes (flv));
  g_bytes_unref (flv);
}

void
tg_stream_finish (TgStream *stream)
{
  gst_app_src_end_of_stream (GST_APP_SRC (stream->src));
}

void
tg_stream_free (TgStream *stream)
{
  if (stream == NULL)
    return;
  if (stream->bus_watch)
    g_source_remove (stream->bus_watch);
  gst_element_set_state (stream->pipeline, GST_STATE_NULL);
  gst_object_unref (stream->pipeline);
  g_ptr_array_unref (stream->waiting);
  g_mutex_clear (&stream->lock);
  g_free (stream->mp4_part);
  g_free (stream->mp4_final);
  g_free (stream->dir);
  g_free (stream->stream_id);
  g_free (stream->name);
  g_free (stream);
}

const char *
tg_stream_get_recording (TgStream *stream)
{
  return stream->mp4mux && stream->done ? stream->mp4_final : NULL;
}
