/* The check on a pad (tg-media-check.h), as WebRTC publishers' H.264 meets
 * it after rtph264depay: Annex B access units made by the real x264 pass;
 * the first one with a broken SPS refuses the track, once, and nothing
 * passes after it, not even the end of stream. */
#include <gst/check/gstharness.h>
#include <string.h>

#include "tg-media-check.h"

typedef struct
{
  guint refusals;
  char *what;
} Refused;

static void
refused (GstPad *pad, const char *what, gpointer data)
{
  Refused *r = data;

  r->refusals++;
  g_free (r->what);
  r->what = g_strdup (what);
}

static void
handoff (GstElement *sink, GstBuffer *buffer, GstPad *pad, gpointer data)
{
  g_ptr_array_add (data, gst_buffer_ref (buffer));
}

/* A second of x264's Annex B, one access unit per buffer. */
static GPtrArray *
encode (void)
{
  g_autoptr (GError) error = NULL;
  GstElement *pipeline = gst_parse_launch (
      "videotestsrc num-buffers=30 ! video/x-raw,format=I420,width=320,"
      "height=240,framerate=30/1 ! x264enc key-int-max=10 ! "
      "video/x-h264,stream-format=byte-stream,alignment=au,profile=high ! "
      "fakesink name=out signal-handoffs=true",
      &error);
  g_autoptr (GstElement) sink = NULL;
  g_autoptr (GstBus) bus = NULL;
  g_autoptr (GstMessage) end = NULL;
  GPtrArray *units
      = g_ptr_array_new_with_free_func ((GDestroyNotify) gst_buffer_unref);

  g_assert_no_error (error);
  sink = gst_bin_get_by_name (GST_BIN (pipeline), "out");
  g_signal_connect (sink, "handoff", G_CALLBACK (handoff), units);
  gst_element_set_state (pipeline, GST_STATE_PLAYING);
  bus = gst_element_get_bus (pipeline);
  end = gst_bus_timed_pop_filtered (bus, 60 * GST_SECOND,
                                    GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  g_assert_nonnull (end);
  g_assert_cmpint (GST_MESSAGE_TYPE (end), ==, GST_MESSAGE_EOS);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (pipeline);
  g_assert_cmpuint (units->len, ==, 30);
  return units;
}

static GstHarness *
checked (Refused *r)
{
  GstHarness *h = gst_harness_new ("identity");
  g_autoptr (GstPad) src = gst_element_get_static_pad (h->element, "src");

  tg_media_check_pad (src, refused, r);
  gst_harness_set_src_caps_str (
      h, "video/x-h264,stream-format=byte-stream,alignment=au");
  return h;
}

static void
test_x264_passes (void)
{
  g_autoptr (GPtrArray) units = encode ();
  Refused r = { 0 };
  GstHarness *h = checked (&r);

  for (guint i = 0; i < units->len; i++)
    g_assert_cmpint (gst_harness_push (h, gst_buffer_ref (units->pdata[i])), ==,
                     GST_FLOW_OK);
  g_assert_cmpuint (gst_harness_buffers_received (h), ==, units->len);
  g_assert_cmpuint (r.refusals, ==, 0);
  gst_harness_teardown (h);
}

/* The first access unit (SPS, PPS, IDR) with its SPS's level made 0xff
 * and its seq_parameter_set_id's bits broken. */
static GstBuffer *
broken (GstBuffer *first)
{
  GstBuffer *copy = gst_buffer_copy_deep (first);
  GstMapInfo map;

  gst_buffer_map (copy, &map, GST_MAP_READWRITE);
  for (gsize i = 0; i + 8 < map.size; i++)
    if (map.data[i] == 0 && map.data[i + 1] == 0 && map.data[i + 2] == 1
        && (map.data[i + 3] & 0x1f) == 7)
      {
        /* profile_idc 0: no such profile */
        map.data[i + 4] = 0;
        break;
      }
  gst_buffer_unmap (copy, &map);
  return copy;
}

static void
test_broken_sps_refused (void)
{
  g_autoptr (GPtrArray) units = encode ();
  Refused r = { 0 };
  GstHarness *h = checked (&r);
  GstEvent *event;

  g_assert_cmpint (gst_harness_push (h, gst_buffer_ref (units->pdata[0])), ==,
                   GST_FLOW_OK);
  gst_harness_push (h, broken (units->pdata[0]));
  g_assert_cmpuint (r.refusals, ==, 1);
  g_assert_nonnull (strstr (r.what, "SPS"));
  /* Nothing more passes, not even good units or the end. */
  for (guint i = 1; i < units->len; i++)
    gst_harness_push (h, gst_buffer_ref (units->pdata[i]));
  gst_harness_push_event (h, gst_event_new_eos ());
  g_assert_cmpuint (gst_harness_buffers_received (h), ==, 1);
  g_assert_cmpuint (r.refusals, ==, 1);
  while ((event = gst_harness_try_pull_event (h)))
    {
      g_assert_cmpint (GST_EVENT_TYPE (event), !=, GST_EVENT_EOS);
      gst_event_unref (event);
    }
  gst_harness_teardown (h);
  g_free (r.what);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/media-check/x264-passes", test_x264_passes);
  g_test_add_func ("/media-check/broken-sps-refused", test_broken_sps_refused);
  return g_test_run ();
}
