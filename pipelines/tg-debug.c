#include "tg-debug.h"

void
tg_debug_dump (GstElement *pipeline, const char *name)
{
  g_autofree char *file = g_strdup_printf ("tollgate-%s", name);

  /* Stream names hold a '/': one file name. */
  g_strdelimit (file, "/", '-');
  GST_DEBUG_BIN_TO_DOT_FILE_WITH_TS (GST_BIN (pipeline),
                                     GST_DEBUG_GRAPH_SHOW_ALL, file);
}

static GstBusSyncReply
on_error (GstBus *bus, GstMessage *message, gpointer data)
{
  const char *name = data;
  g_autoptr (GError) error = NULL;
  g_autofree char *debug = NULL;
  GstObject *pipeline, *up;

  if (GST_MESSAGE_TYPE (message) != GST_MESSAGE_ERROR)
    return GST_BUS_PASS;
  gst_message_parse_error (message, &error, &debug);
  g_message ("%s: %s: %s (%s)", name, GST_MESSAGE_SRC_NAME (message),
             error->message, debug ? debug : "");
  /* The pipeline: the sender's topmost parent. */
  pipeline = gst_object_ref (GST_MESSAGE_SRC (message));
  while ((up = gst_object_get_parent (pipeline)))
    {
      gst_object_unref (pipeline);
      pipeline = up;
    }
  if (GST_IS_BIN (pipeline))
    tg_debug_dump (GST_ELEMENT (pipeline), name);
  gst_object_unref (pipeline);
  return GST_BUS_PASS;
}

void
tg_debug_watch_errors (GstElement *pipeline, const char *name)
{
  g_autoptr (GstBus) bus = gst_element_get_bus (pipeline);

  gst_bus_set_sync_handler (bus, on_error, g_strdup (name), g_free);
}
