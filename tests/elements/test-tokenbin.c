/* tokenbin: a refused token leaves the wrapped element in NULL, so no file
 * is created and no port is bound; a good one lets it run. */
#include <gio/gio.h>
#include <gst/check/gstharness.h>

#include "element-test.h"

#define APP "LiveApp"

static GstElement *
make_tokenbin (const char *store_uri, const char *stream_id, const char *token,
               const char *description)
{
  GstElement *element = gst_element_factory_make ("tokenbin", NULL);

  g_assert_nonnull (element);
  g_object_set (element, "store", store_uri, "app", APP, "stream-id", stream_id,
                "token", token, "element", description, NULL);
  return element;
}

static GstElement *
the_child (GstElement *bin)
{
  g_assert_cmpint (GST_BIN (bin)->numchildren, ==, 1);
  return GST_BIN (bin)->children->data;
}

static void
test_filesink_refused (void)
{
  g_autoptr (TgTestStore) ts = tg_test_store_new ();
  g_autofree char *token
      = tg_test_mint (ts->store, APP, "s1", TG_TOKEN_TYPE_PLAY);
  g_autofree char *out = g_build_filename (ts->dir, "out", NULL);
  g_autofree char *description
      = g_strdup_printf ("filesink location=\"%s\"", out);
  g_autoptr (TgTestRig) rig
      = tg_test_rig_new (make_tokenbin (ts->uri, "other", token, description));

  g_assert_nonnull (rig->src); /* the ghost of filesink's sink pad */
  tg_test_rig_assert_refused (rig, "wrong-stream");
  g_assert_cmpint (GST_STATE (the_child (rig->element)), ==, GST_STATE_NULL);
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
  g_assert_true (tg_test_has_token (ts->store, APP, "s1", token));
}

static void
test_filesink_good_token (void)
{
  g_autoptr (TgTestStore) ts = tg_test_store_new ();
  g_autofree char *token
      = tg_test_mint (ts->store, APP, "s1", TG_TOKEN_TYPE_PLAY);
  g_autofree char *out = g_build_filename (ts->dir, "out", NULL);
  /* GstHarness wants PLAYING at once: no preroll, no clock sync. */
  g_autofree char *description = g_strdup_printf (
      "filesink location=\"%s\" async=false sync=false", out);
  GstElement *element
      = gst_object_ref_sink (make_tokenbin (ts->uri, "s1", token, description));
  GstHarness *h = gst_harness_new_with_element (element, "sink", NULL);
  g_autofree char *contents = NULL;
  gsize length = 0;

  g_assert_false (tg_test_has_token (ts->store, APP, "s1", token));
  gst_harness_set_src_caps_str (h, "application/x-tollgate-test");
  g_assert_cmpint (gst_harness_push (h, gst_buffer_new_memdup ("tollgate", 8)),
                   ==, GST_FLOW_OK);
  gst_harness_teardown (h);
  gst_object_unref (element);

  g_assert_true (g_file_get_contents (out, &contents, &length, NULL));
  g_assert_cmpmem (contents, length, "tollgate", 8);
}

static guint16
free_port (GSocketProtocol protocol)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocket) socket = NULL;
  g_autoptr (GInetAddress) loopback = NULL;
  g_autoptr (GSocketAddress) any_port = NULL;
  g_autoptr (GSocketAddress) bound = NULL;

  socket
      = g_socket_new (G_SOCKET_FAMILY_IPV4,
                      protocol == G_SOCKET_PROTOCOL_UDP ? G_SOCKET_TYPE_DATAGRAM
                                                        : G_SOCKET_TYPE_STREAM,
                      protocol, &error);
  g_assert_no_error (error);
  loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  any_port = g_inet_socket_address_new (loopback, 0);
  g_socket_bind (socket, any_port, FALSE, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

/* Whether we can bind (no reuse) to 127.0.0.1:port ourselves. */
static gboolean
can_bind (GSocketProtocol protocol, guint16 port)
{
  g_autoptr (GSocket) socket = NULL;
  g_autoptr (GInetAddress) loopback = NULL;
  g_autoptr (GSocketAddress) address = NULL;
  gboolean bound;

  socket
      = g_socket_new (G_SOCKET_FAMILY_IPV4,
                      protocol == G_SOCKET_PROTOCOL_UDP ? G_SOCKET_TYPE_DATAGRAM
                                                        : G_SOCKET_TYPE_STREAM,
                      protocol, NULL);
  g_assert_nonnull (socket);
  loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  address = g_inet_socket_address_new (loopback, port);
  bound = g_socket_bind (socket, address, FALSE, NULL);
  if (bound && protocol == G_SOCKET_PROTOCOL_TCP)
    bound = g_socket_listen (socket, NULL);
  return bound;
}

typedef struct
{
  const char *format; /* of the element description, with the port */
  GSocketProtocol protocol;
  GstState bound_in; /* the state in which the source has bound */
} Server;

static const Server udpsrc = { "udpsrc address=127.0.0.1 port=%u",
                               G_SOCKET_PROTOCOL_UDP, GST_STATE_READY };
static const Server tcpserversrc = { "tcpserversrc host=127.0.0.1 port=%u",
                                     G_SOCKET_PROTOCOL_TCP, GST_STATE_PAUSED };

static void
test_server_refused (gconstpointer data)
{
  const Server *server = data;
  g_autoptr (TgTestStore) ts = tg_test_store_new ();
  g_autofree char *token
      = tg_test_mint (ts->store, APP, "s1", TG_TOKEN_TYPE_PUBLISH);
  guint16 port = free_port (server->protocol);
  g_autofree char *description = g_strdup_printf (server->format, port);
  g_autoptr (TgTestRig) refused = NULL;
  g_autoptr (TgTestRig) granted = NULL;

  refused = tg_test_rig_new (make_tokenbin (ts->uri, "s1", token, description));
  gst_util_set_object_arg (G_OBJECT (refused->element), "type", "play");
  g_assert_nonnull (refused->sink); /* the ghost of the source's src pad */
  tg_test_rig_assert_refused (refused, "wrong-type");
  g_assert_true (can_bind (server->protocol, port));

  /* The control: with the right type the same bin does bind the port. */
  granted = tg_test_rig_new (make_tokenbin (ts->uri, "s1", token, description));
  gst_util_set_object_arg (G_OBJECT (granted->element), "type", "publish");
  g_assert_cmpint (gst_element_set_state (granted->element, server->bound_in),
                   ==, GST_STATE_CHANGE_SUCCESS);
  g_assert_false (can_bind (server->protocol, port));
}

static void
test_bad_description (void)
{
  g_autoptr (TgTestRig) rig = tg_test_rig_new (
      make_tokenbin ("memory://", "s1", "abc", "no-such-element-xyz"));
  g_autoptr (GstMessage) message = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (gst_element_set_state (rig->element, GST_STATE_READY), ==,
                   GST_STATE_CHANGE_FAILURE);
  message = gst_bus_pop_filtered (rig->bus, GST_MESSAGE_ERROR);
  g_assert_nonnull (message);
  gst_message_parse_error (message, &error, NULL);
  g_assert_error (error, GST_CORE_ERROR, GST_CORE_ERROR_FAILED);
}

static void
test_store_from_context (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TgStore) store = tg_store_open ("memory://", &error);
  g_autofree char *token = tg_test_mint (store, APP, "s1", TG_TOKEN_TYPE_PLAY);
  g_autoptr (GstContext) context
      = gst_context_new (TG_STORE_CONTEXT_TYPE, TRUE);
  g_autoptr (TgTestRig) rig
      = tg_test_rig_new (make_tokenbin (NULL, "s1", token, "fakesink"));

  gst_structure_set (gst_context_writable_structure (context), "store",
                     TG_TYPE_STORE, store, NULL);
  gst_element_set_context (rig->element, context);
  g_assert_cmpint (gst_element_set_state (rig->element, GST_STATE_READY), ==,
                   GST_STATE_CHANGE_SUCCESS);
  g_assert_false (tg_test_has_token (store, APP, "s1", token));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gst_init (&argc, &argv);

  g_test_add_func ("/tokenbin/filesink/refused", test_filesink_refused);
  g_test_add_func ("/tokenbin/filesink/good-token", test_filesink_good_token);
  g_test_add_data_func ("/tokenbin/udpsrc/refused-binds-no-port", &udpsrc,
                        test_server_refused);
  g_test_add_data_func ("/tokenbin/tcpserversrc/refused-binds-no-port",
                        &tcpserversrc, test_server_refused);
  g_test_add_func ("/tokenbin/bad-description", test_bad_description);
  g_test_add_func ("/tokenbin/store-from-context", test_store_from_context);
  return g_test_run ();
}
