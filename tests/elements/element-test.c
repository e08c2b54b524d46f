#include "element-test.h"

#include <glib/gstdio.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TG_TEST_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define TG_TEST_ASAN 1
#endif

#ifdef TG_TEST_ASAN
/* LeakSanitizer reads this hook of the test program. GLib before 2.78.2
 * leaks its first quark array (allocated in g_quark_init, a library
 * constructor) when GStreamer's quarks outgrow it: GLib MR !3677 "Make
 * GQuark register intentional leaks". Debian's libglib frames carry no
 * symbols, so the leak is matched by the constructor frame instead. */
const char *__lsan_default_suppressions (void);
const char *
__lsan_default_suppressions (void)
{
  return "leak:_dl_init\n";
}
#endif

TgTestStore *
tg_test_store_new (void)
{
  g_autoptr (GError) error = NULL;
  TgTestStore *ts = g_new0 (TgTestStore, 1);

  ts->dir = g_dir_make_tmp ("tollgate-elements-XXXXXX", &error);
  g_assert_no_error (error);
  ts->uri = g_strdup_printf ("sqlite://%s/tollgate.db", ts->dir);
  ts->store = tg_store_open (ts->uri, &error);
  g_assert_no_error (error);
  g_assert_nonnull (ts->store);
  return ts;
}

void
tg_test_store_free (TgTestStore *ts)
{
  g_autoptr (GDir) dir = NULL;
  const char *name;

  g_clear_pointer (&ts->store, tg_store_unref);
  dir = g_dir_open (ts->dir, 0, NULL);
  while (dir && (name = g_dir_read_name (dir)))
    {
      g_autofree char *path = g_build_filename (ts->dir, name, NULL);
      g_assert_cmpint (g_unlink (path), ==, 0);
    }
  g_assert_cmpint (g_rmdir (ts->dir), ==, 0);
  g_free (ts->dir);
  g_free (ts->uri);
  g_free (ts);
}

char *
tg_test_mint (TgStore *store, const char *app, const char *stream_id,
              TgTokenType type)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TgToken) token = NULL;
  gint64 expire = g_get_real_time () / G_USEC_PER_SEC + 3600;

  token = tg_store_mint (store, app, stream_id, type, expire, NULL, &error);
  g_assert_no_error (error);
  return g_strdup (token->token_id);
}

gboolean
tg_test_has_token (TgStore *store, const char *app, const char *stream_id,
                   const char *token_id)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) tokens = NULL;

  tokens = tg_store_list_tokens (store, app, stream_id, 0, 1000, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < tokens->len; i++)
    {
      TgToken *token = tokens->pdata[i];

      if (g_strcmp0 (token->token_id, token_id) == 0)
        return TRUE;
    }
  return FALSE;
}

static GstStaticPadTemplate any_src = GST_STATIC_PAD_TEMPLATE (
    "src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);
static GstStaticPadTemplate any_sink = GST_STATIC_PAD_TEMPLATE (
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS_ANY);

static GstFlowReturn
rig_chain (GstPad *pad, GstObject *parent, GstBuffer *buffer)
{
  TgTestRig *rig = g_object_get_data (G_OBJECT (pad), "rig");

  g_atomic_int_inc (&rig->received);
  gst_buffer_unref (buffer);
  return GST_FLOW_OK;
}

TgTestRig *
tg_test_rig_new (GstElement *element)
{
  TgTestRig *rig = g_new0 (TgTestRig, 1);
  g_autoptr (GstPad) element_sink
      = gst_element_get_static_pad (element, "sink");
  g_autoptr (GstPad) element_src = gst_element_get_static_pad (element, "src");

  rig->element = gst_object_ref_sink (element);
  rig->bus = gst_bus_new ();
  gst_element_set_bus (element, rig->bus);
  if (element_sink)
    {
      rig->src = gst_pad_new_from_static_template (&any_src, "src");
      g_assert_cmpint (gst_pad_link (rig->src, element_sink), ==,
                       GST_PAD_LINK_OK);
      gst_pad_set_active (rig->src, TRUE);
    }
  if (element_src)
    {
      rig->sink = gst_pad_new_from_static_template (&any_sink, "sink");
      g_object_set_data (G_OBJECT (rig->sink), "rig", rig);
      gst_pad_set_chain_function (rig->sink, rig_chain);
      g_assert_cmpint (gst_pad_link (element_src, rig->sink), ==,
                       GST_PAD_LINK_OK);
      gst_pad_set_active (rig->sink, TRUE);
    }
  return rig;
}

void
tg_test_rig_free (TgTestRig *rig)
{
  g_assert_cmpint (gst_element_set_state (rig->element, GST_STATE_NULL), ==,
                   GST_STATE_CHANGE_SUCCESS);
  if (rig->src)
    {
      gst_pad_set_active (rig->src, FALSE);
      gst_object_unref (rig->src);
    }
  if (rig->sink)
    {
      gst_pad_set_active (rig->sink, FALSE);
      gst_object_unref (rig->sink);
    }
  gst_element_set_bus (rig->element, NULL);
  gst_object_unref (rig->bus);
  gst_object_unref (rig->element);
  g_free (rig);
}

void
tg_test_assert_refusal_on_bus (GstBus *bus, const char *reason)
{
  g_autoptr (GstMessage) message = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *debug = NULL;
  g_autofree char *suffix = g_strdup_printf (": %s", reason);

  /* The error is posted before the state change returns: no waiting. */
  message = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  g_assert_nonnull (message);
  gst_message_parse_error (message, &error, &debug);
  g_assert_error (error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_NOT_AUTHORIZED);
  g_assert_true (
      g_str_has_prefix (error->message, "Token refused for stream "));
  g_assert_true (g_str_has_suffix (error->message, suffix));
}

void
tg_test_rig_assert_refused (TgTestRig *rig, const char *reason)
{
  g_assert_cmpint (gst_element_set_state (rig->element, GST_STATE_PLAYING), ==,
                   GST_STATE_CHANGE_FAILURE);
  g_assert_cmpint (GST_STATE (rig->element), ==, GST_STATE_NULL);
  tg_test_assert_refusal_on_bus (rig->bus, reason);
  if (rig->src)
    {
      GstSegment segment;

      gst_segment_init (&segment, GST_FORMAT_BYTES);
      gst_pad_push_event (rig->src, gst_event_new_stream_start ("refused"));
      gst_pad_push_event (rig->src, gst_event_new_segment (&segment));
      g_assert_cmpint (gst_pad_push (rig->src, gst_buffer_new_and_alloc (8)),
                       !=, GST_FLOW_OK);
    }
  g_assert_cmpint (g_atomic_int_get (&rig->received), ==, 0);
}
