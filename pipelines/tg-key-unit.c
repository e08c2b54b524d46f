#include "tg-key-unit.h"

#include <gst/video/video.h>

typedef struct
{
  GstPad *src;       /* the parser's source pad (a reference) */
  GstEvent *held;    /* atomic: the request not yet handed over */
  GstEvent *handing; /* the one being handed over: let through */
} KeyUnits;

static void
key_units_free (gpointer data)
{
  KeyUnits *units = data;
  GstEvent *held = g_atomic_pointer_exchange (&units->held, NULL);

  if (held)
    gst_event_unref (held);
  gst_object_unref (units->src);
  g_free (units);
}

/* On the asker's thread: the request is kept, and counts as taken. */
static GstPadProbeReturn
hold_request (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  KeyUnits *units = data;
  GstEvent *event = GST_PAD_PROBE_INFO_EVENT (info);
  GstEvent *replaced;

  (void) pad;
  if (event == units->handing
      || GST_EVENT_TYPE (event) != GST_EVENT_CUSTOM_UPSTREAM
      || !gst_video_event_is_force_key_unit (event))
    return GST_PAD_PROBE_OK;
  replaced = g_atomic_pointer_exchange (&units->held, event);
  if (replaced)
    gst_event_unref (replaced);
  GST_PAD_PROBE_INFO_DATA (info) = NULL;
  return GST_PAD_PROBE_HANDLED;
}

/* On the streaming thread, before a buffer: the request handed over. */
static GstPadProbeReturn
hand_over (GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  KeyUnits *units = data;
  GstEvent *event = g_atomic_pointer_exchange (&units->held, NULL);

  (void) pad;
  (void) info;
  if (event == NULL)
    return GST_PAD_PROBE_OK;
  units->handing = event;
  gst_pad_send_event (units->src, event);
  units->handing = NULL;
  return GST_PAD_PROBE_OK;
}

void
tg_key_unit_serialize (GstElement *parser)
{
  KeyUnits *units = g_new0 (KeyUnits, 1);
  g_autoptr (GstPad) sink = gst_element_get_static_pad (parser, "sink");

  units->src = gst_element_get_static_pad (parser, "src");
  gst_pad_add_probe (units->src, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM,
                     hold_request, units, NULL);
  gst_pad_add_probe (sink,
                     GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
                     hand_over, units, NULL);
  g_object_set_data_full (G_OBJECT (parser), "tg-key-units", units,
                          key_units_free);
}
