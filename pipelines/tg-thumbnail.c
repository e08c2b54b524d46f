#include "tg-thumbnail.h"

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>

#include "tollgate.h"

/* The most a take waits, so that the decoder's output and its bus are
 * looked at in between. */
#define STEP_US (200 * G_TIME_SPAN_MILLISECOND)

/* One thread for the decoder (no frame threading: a picture as soon as the
 * key frame is decoded); a bad frame is skipped, and a corrupt one not
 * given out. tsdemux's audio pad stays unlinked: its flow is combined with
 * the video's, so it stops nothing. */
#define DESCRIPTION                                                            \
  "appsrc name=src format=bytes "                                              \
  "caps=video/mpegts,systemstream=true,packetsize=188 "                        \
  "! tsdemux ! h264parse ! avdec_h264 max-threads=1 output-corrupt=false "     \
  "max-errors=-1 ! videoconvert ! videoscale "                                 \
  "! video/x-raw,format=I420,width=[1,%u],pixel-aspect-ratio=1/1 "             \
  "! jpegenc ! appsink name=sink sync=false max-buffers=1"

/* What the pipeline's bus says went wrong, if anything. */
static gboolean
failed (GstBus *bus, GError **error)
{
  g_autoptr (GstMessage) message
      = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  g_autoptr (GError) cause = NULL;
  g_autofree char *debug = NULL;

  if (message == NULL)
    return FALSE;
  gst_message_parse_error (message, &cause, &debug);
  g_set_error (error, TG_ERROR, TG_ERROR_FAILED, "the decoder failed: %s",
               cause->message);
  return TRUE;
}

static GBytes *
jpeg_of (GstSample *sample)
{
  GstBuffer *buffer = gst_sample_get_buffer (sample);
  gpointer data = NULL;
  gsize size = 0;

  if (buffer == NULL)
    return NULL;
  gst_buffer_extract_dup (buffer, 0, gst_buffer_get_size (buffer), &data,
                          &size);
  return g_bytes_new_take (data, size);
}

/* Feeds what the viewer is given into the decoder until a picture comes
 * out of it. */
static GBytes *
decode (GstElement *pipeline, TgMuxViewer *viewer, gint64 deadline,
        GError **error)
{
  g_autoptr (GstElement) src = gst_bin_get_by_name (GST_BIN (pipeline), "src");
  g_autoptr (GstElement) sink
      = gst_bin_get_by_name (GST_BIN (pipeline), "sink");
  g_autoptr (GstBus) bus = gst_element_get_bus (pipeline);
  gboolean ended = FALSE;

  for (;;)
    {
      gint64 left = deadline - g_get_monotonic_time ();
      g_autoptr (GstSample) sample = NULL;

      if (left <= 0)
        {
          g_set_error (error, TG_ERROR, TG_ERROR_FAILED,
                       "no picture was decoded in time");
          return NULL;
        }
      if (!ended)
        {
          TgMuxViewerState state = TG_MUX_VIEWER_RUNNING;
          g_autoptr (GPtrArray) taken
              = tg_mux_viewer_take (viewer, MIN (left, STEP_US), &state);

          for (guint i = 0; taken && i < taken->len; i++)
            gst_app_src_push_buffer (GST_APP_SRC (src),
                                     gst_buffer_ref (taken->pdata[i]));
          if (state != TG_MUX_VIEWER_RUNNING)
            {
              gst_app_src_end_of_stream (GST_APP_SRC (src));
              ended = TRUE;
            }
        }
      sample = gst_app_sink_try_pull_sample (
          GST_APP_SINK (sink), ended ? MIN (left, STEP_US) * GST_USECOND : 0);
      if (sample)
        return jpeg_of (sample);
      if (failed (bus, error))
        return NULL;
      if (ended && gst_app_sink_is_eos (GST_APP_SINK (sink)))
        {
          g_set_error (error, TG_ERROR, TG_ERROR_FAILED,
                       "the stream ended before a picture");
          return NULL;
        }
    }
}

GBytes *
tg_thumbnail_make (TgMuxViewer *viewer, guint max_width, gint64 timeout_us,
                   GError **error)
{
  gint64 deadline = g_get_monotonic_time () + timeout_us;
  g_autofree char *description = g_strdup_printf (DESCRIPTION, max_width);
  g_autoptr (GError) parse_error = NULL;
  g_autoptr (GstElement) pipeline = NULL;
  g_autoptr (GstBus) bus = NULL;
  GstElement *bin;
  GBytes *jpeg = NULL;

  bin = gst_parse_bin_from_description (description, FALSE, &parse_error);
  if (bin == NULL || parse_error != NULL)
    {
      /* an element missing: a bin may come, without it */
      g_clear_pointer (&bin, gst_object_unref);
      g_set_error (error, TG_ERROR, TG_ERROR_FAILED,
                   "no decoder for thumbnails: %s",
                   parse_error ? parse_error->message : "?");
      return NULL;
    }
  pipeline = gst_pipeline_new ("thumbnail");
  gst_bin_add (GST_BIN (pipeline), bin);
  bus = gst_element_get_bus (pipeline);
  if (gst_element_set_state (pipeline, GST_STATE_PLAYING)
      == GST_STATE_CHANGE_FAILURE)
    {
      if (!failed (bus, error))
        g_set_error (error, TG_ERROR, TG_ERROR_FAILED,
                     "the decoder for thumbnails does not start");
    }
  else
    jpeg = decode (pipeline, viewer, deadline, error);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  return jpeg;
}
