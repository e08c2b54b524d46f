#include "tg-mp4mux.h"

void
tg_mp4mux_pin_caps (GstElement *mux, const char *stream_id)
{
  g_autoptr (GstPad) pad = gst_element_get_static_pad (mux, "src");
  g_autoptr (GstCaps) caps = gst_caps_new_simple ("video/quicktime", "variant",
                                                  G_TYPE_STRING, "iso", NULL);
  g_autoptr (GstEvent) start = gst_event_new_stream_start (stream_id);
  g_autoptr (GstEvent) event = gst_event_new_caps (caps);

  gst_pad_store_sticky_event (pad, start);
  gst_pad_store_sticky_event (pad, event);
}
