/* tokencheck: data passes untouched with a good token, nothing passes
 * without one, and the store can come from a GstContext. */
#include <gst/check/gstharness.h>

#include "element-test.h"

#define APP "LiveApp"

static GstElement *
make_tokencheck (const char *store_uri, const char *stream_id, const char *type,
                 const char *token)
{
  GstElement *element = gst_element_factory_make ("tokencheck", NULL);

  g_assert_nonnull (element);
  gst_util_set_object_arg (G_OBJECT (element), "type", type);
  g_object_set (element, "store", store_uri, "app", APP, "stream-id", stream_id,
                "token", token, NULL);
  return element;
}

static void
test_good_token_passes_untouched (void)
{
  g_autoptr (TgTestStore) ts = tg_test_store_new ();
  g_autofree char *token
      = tg_test_mint (ts->store, APP, "s1", TG_TOKEN_TYPE_PLAY);
  GstElement *element
      = gst_object_ref_sink (make_tokencheck (ts->uri, "s1", "play", token));
  GstHarness *h = gst_harness_new_with_element (element, "sink", "src");
  GstBuffer *in = gst_buffer_new_memdup ("tollgate", 8);
  GstBuffer *out;

  /* Consumed when the harness started the element. */
  g_assert_false (tg_test_has_token (ts->store, APP, "s1", token));

  gst_harness_set_src_caps_str (h, "application/x-tollgate-test");
  g_assert_cmpint (gst_harness_push (h, gst_buffer_ref (in)), ==, GST_FLOW_OK);
  out = gst_harness_pull (h);
  g_assert_true (out == in); /* the same buffer: passthrough, no copy */
  g_assert_cmpint (gst_buffer_memcmp (out, 0, "tollgate", 8), ==, 0);
  gst_buffer_unref (out);
  gst_buffer_unref (in);

  /* The grant is remembered: a restart consumes no second token (the
   * spent one would be refused) and data still passes. */
  g_assert_cmpint (gst_element_set_state (element, GST_STATE_NULL), ==,
                   GST_STATE_CHANGE_SUCCESS);
  gst_harness_play (h);
  gst_harness_set_src_caps_str (h, "application/x-tollgate-test");
  g_assert_cmpint (gst_harness_push (h, gst_buffer_new_and_alloc (4)), ==,
                   GST_FLOW_OK);
  gst_buffer_unref (gst_harness_pull (h));

  gst_harness_teardown (h);
  gst_object_unref (element);
}

/* A grant is for its stream: changing stream-id stops the data at once. */
static void
test_grant_withdrawn (void)
{
  g_autoptr (TgTestStore) ts = tg_test_store_new ();
  g_autofree char *token
      = tg_test_mint (ts->store, APP, "s1", TG_TOKEN_TYPE_PLAY);
  GstElement *element
      = gst_object_ref_sink (make_tokencheck (ts->uri, "s1", "play", token));
  GstHarness *h = gst_harness_new_with_element (element, "sink", "src");

  gst_harness_set_src_caps_str (h, "application/x-tollgate-test");
  g_assert_cmpint (gst_harness_push (h, gst_buffer_new_and_alloc (4)), ==,
                   GST_FLOW_OK);
  g_object_set (element, "stream-id", "s2", NULL);
  g_assert_cmpint (gst_harness_push (h, gst_buffer_new_and_alloc (4)), ==,
                   GST_FLOW_ERROR);
  g_assert_cmpuint (gst_harness_buffers_received (h), ==, 1);

  gst_harness_teardown (h);
  gst_object_unref (element);
}

static void
test_own_memory_store_is_empty (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TgStore) store = tg_store_open ("memory://", &error);
  g_autofree char *token = NULL;
  g_autoptr (TgTestRig) rig = NULL;

  /* The element opens its own memory:// store: an empty one. */
  g_assert_no_error (error);
  token = tg_test_mint (store, APP, "s1", TG_TOKEN_TYPE_PLAY);
  rig = tg_test_rig_new (make_tokencheck ("memory://", "s1", "play", token));
  tg_test_rig_assert_refused (rig, "unknown-or-spent");
  g_assert_true (tg_test_has_token (store, APP, "s1", token));
}

/* A token the element refuses, and that stays in the store. */
typedef struct
{
  const char *stream_id; /* the element's */
  const char *type;      /* the element's */
  gint64 expire_offset;  /* of the token, from now */
  gboolean in_store;     /* FALSE: a token id that was never minted */
  const char *reason;
} Refusal;

static const Refusal refusals[] = {
  { "other", "play", 3600, TRUE, "wrong-stream" },
  { "s1", "publish", 3600, TRUE, "wrong-type" },
  { "s1", "play", -10, TRUE, "expired" },
  { "s1", "play", 3600, FALSE, "unknown-or-spent" },
};

static void
test_refused (gconstpointer data)
{
  const Refusal *r = data;
  g_autoptr (TgTestStore) ts = tg_test_store_new ();
  g_autoptr (GError) error = NULL;
  g_autofree char *token = tg_token_id_new (&error);
  g_autoptr (TgToken) stored = NULL;
  g_autoptr (TgTestRig) rig = NULL;

  g_assert_no_error (error);
  stored = tg_token_new (APP, token, "s1",
                         g_get_real_time () / G_USEC_PER_SEC + r->expire_offset,
                         TG_TOKEN_TYPE_PLAY, NULL);
  if (r->in_store)
    {
      g_assert_true (tg_store_insert (ts->store, stored, &error));
      g_assert_no_error (error);
    }

  rig = tg_test_rig_new (
      make_tokencheck (ts->uri, r->stream_id, r->type, token));
  tg_test_rig_assert_refused (rig, r->reason);
  g_assert_cmpint (tg_test_has_token (ts->store, APP, "s1", token), ==,
                   r->in_store);
}

static void
test_spent_token_refused (void)
{
  g_autoptr (TgTestStore) ts = tg_test_store_new ();
  g_autofree char *token
      = tg_test_mint (ts->store, APP, "s1", TG_TOKEN_TYPE_PUBLISH);
  g_autoptr (TgTestRig) first = NULL;
  g_autoptr (TgTestRig) second = NULL;

  first = tg_test_rig_new (make_tokencheck (ts->uri, "s1", "publish", token));
  g_assert_cmpint (gst_element_set_state (first->element, GST_STATE_READY), ==,
                   GST_STATE_CHANGE_SUCCESS);
  second = tg_test_rig_new (make_tokencheck (ts->uri, "s1", "publish", token));
  tg_test_rig_assert_refused (second, "unknown-or-spent");
}

#define KEY "0123456789abcdef0123456789abcdef"

static void
put_settings (TgStore *store, const char *json)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (
      tg_store_record_put (store, "settings", APP, json, FALSE, &error));
  g_assert_no_error (error);
}

static char *
jwt_for (const char *stream_id, const char *type, const char *key)
{
  g_autofree char *claims = g_strdup_printf (
      "{\"streamId\":\"%s\",\"type\":\"%s\",\"exp\":%" G_GINT64_FORMAT "}",
      stream_id, type, g_get_real_time () / G_USEC_PER_SEC + 3600);

  return tg_jwt_sign (claims, key);
}

/* With the app's play JWT control on (its settings in the store, as the
 * server keeps them), a JWT is checked, not spent: it opens any number of
 * elements, and a one-time token opens none. */
static void
test_app_jwt (void)
{
  g_autoptr (TgTestStore) ts = tg_test_store_new ();
  g_autofree char *jwt = jwt_for ("s1", "play", KEY);
  g_autofree char *token
      = tg_test_mint (ts->store, APP, "s1", TG_TOKEN_TYPE_PLAY);
  g_autoptr (TgTestRig) refused = NULL;

  put_settings (ts->store, "{\"playJwtControlEnabled\":true,"
                           "\"jwtStreamSecretKey\":\"" KEY "\"}");
  for (int i = 0; i < 2; i++)
    {
      g_autoptr (TgTestRig) rig
          = tg_test_rig_new (make_tokencheck (ts->uri, "s1", "play", jwt));

      g_assert_cmpint (gst_element_set_state (rig->element, GST_STATE_READY),
                       ==, GST_STATE_CHANGE_SUCCESS);
    }
  refused = tg_test_rig_new (make_tokencheck (ts->uri, "s1", "play", token));
  tg_test_rig_assert_refused (refused, "bad-jwt");
  g_assert_true (tg_test_has_token (ts->store, APP, "s1", token));
}

/* JWTs the app's key did not sign for this stream and type. */
static void
test_app_jwt_refused (void)
{
  g_autoptr (TgTestStore) ts = tg_test_store_new ();
  g_autofree char *other_key
      = jwt_for ("s1", "play", "fedcba9876543210fedcba9876543210");
  g_autofree char *other_stream = jwt_for ("s2", "play", KEY);
  g_autofree char *publish = jwt_for ("s1", "publish", KEY);
  g_autoptr (TgTestRig) a = NULL, b = NULL, c = NULL;

  put_settings (ts->store, "{\"playJwtControlEnabled\":true,"
                           "\"jwtStreamSecretKey\":\"" KEY "\"}");
  a = tg_test_rig_new (make_tokencheck (ts->uri, "s1", "play", other_key));
  tg_test_rig_assert_refused (a, "bad-jwt");
  b = tg_test_rig_new (make_tokencheck (ts->uri, "s1", "play", other_stream));
  tg_test_rig_assert_refused (b, "wrong-stream");
  c = tg_test_rig_new (make_tokencheck (ts->uri, "s1", "play", publish));
  tg_test_rig_assert_refused (c, "wrong-type");
}

/* An app that asks for no token to play: the element lets a player by and
 * spends nothing. */
static void
test_app_without_scheme (void)
{
  g_autoptr (TgTestStore) ts = tg_test_store_new ();
  g_autofree char *token
      = tg_test_mint (ts->store, APP, "s1", TG_TOKEN_TYPE_PLAY);
  g_autoptr (TgTestRig) rig = NULL;

  put_settings (ts->store, "{\"playTokenControlEnabled\":false}");
  rig = tg_test_rig_new (make_tokencheck (ts->uri, "s1", "play", token));
  g_assert_cmpint (gst_element_set_state (rig->element, GST_STATE_READY), ==,
                   GST_STATE_CHANGE_SUCCESS);
  g_assert_true (tg_test_has_token (ts->store, APP, "s1", token));
}

static void
test_missing_settings_refused (void)
{
  g_autoptr (TgTestStore) ts = tg_test_store_new ();
  g_autofree char *token
      = tg_test_mint (ts->store, APP, "s1", TG_TOKEN_TYPE_PLAY);
  struct
  {
    const char *property;
    const char *reason;
  } cases[] = {
    { "token", "no token" },
    { "app", "no app" },
    { "stream-id", "no stream-id" },
    { "store", "no token store" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      GstElement *element = make_tokencheck (ts->uri, "s1", "play", token);
      g_autoptr (TgTestRig) rig = NULL;

      g_object_set (element, cases[i].property, NULL, NULL);
      rig = tg_test_rig_new (element);
      tg_test_rig_assert_refused (rig, cases[i].reason);
    }
  g_assert_true (tg_test_has_token (ts->store, APP, "s1", token));
}

static void
test_store_that_fails_to_open (void)
{
  g_autoptr (TgTestRig) rig = tg_test_rig_new (make_tokencheck (
      "sqlite:///nonexistent-tollgate-dir/x.db", "s1", "play", "abc"));

  tg_test_rig_assert_refused (rig, "store-error");
}

static GstContext *
store_context (TgStore *store)
{
  GstContext *context = gst_context_new (TG_STORE_CONTEXT_TYPE, TRUE);

  gst_structure_set (gst_context_writable_structure (context), "store",
                     TG_TYPE_STORE, store, NULL);
  return context;
}

static GstBusSyncReply
answer_need_context (GstBus *bus, GstMessage *message, gpointer store)
{
  const char *type;

  if (GST_MESSAGE_TYPE (message) == GST_MESSAGE_NEED_CONTEXT
      && gst_message_parse_context_type (message, &type)
      && g_str_equal (type, TG_STORE_CONTEXT_TYPE))
    {
      g_autoptr (GstContext) context = store_context (store);

      gst_element_set_context (GST_ELEMENT (GST_MESSAGE_SRC (message)),
                               context);
    }
  return GST_BUS_PASS;
}

/* The pipeline gets a memory:// store either up front with
 * gst_element_set_context or when the element asks on the bus; the
 * element must use it and never open its store property (a sqlite file
 * that must not appear). */
static void
test_store_from_context (gconstpointer ask_on_bus)
{
  g_autoptr (TgTestStore) ts = tg_test_store_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (TgStore) store = tg_store_open ("memory://", &error);
  g_autofree char *token = NULL;
  g_autofree char *unused = g_build_filename (ts->dir, "unused.db", NULL);
  g_autofree char *unused_uri = g_strconcat ("sqlite://", unused, NULL);
  g_autoptr (GstElement) pipeline = gst_pipeline_new (NULL);
  g_autoptr (GstBus) bus = gst_pipeline_get_bus (GST_PIPELINE (pipeline));
  g_autoptr (GstMessage) message = NULL;
  GstElement *src = gst_element_factory_make ("fakesrc", NULL);
  GstElement *sink = gst_element_factory_make ("fakesink", NULL);
  GstElement *check;

  g_assert_no_error (error);
  token = tg_test_mint (store, APP, "s1", TG_TOKEN_TYPE_PLAY);
  check = make_tokencheck (unused_uri, "s1", "play", token);
  g_object_set (src, "num-buffers", 3, NULL);
  gst_bin_add_many (GST_BIN (pipeline), src, check, sink, NULL);
  g_assert_true (gst_element_link_many (src, check, sink, NULL));
  if (GPOINTER_TO_INT (ask_on_bus))
    {
      gst_bus_set_sync_handler (bus, answer_need_context, store, NULL);
    }
  else
    {
      g_autoptr (GstContext) context = store_context (store);

      gst_element_set_context (pipeline, context);
    }

  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_PLAYING), !=,
                   GST_STATE_CHANGE_FAILURE);
  message = gst_bus_timed_pop_filtered (bus, GST_CLOCK_TIME_NONE,
                                        GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  g_assert_cmpint (GST_MESSAGE_TYPE (message), ==, GST_MESSAGE_EOS);
  g_assert_cmpint (gst_element_set_state (pipeline, GST_STATE_NULL), ==,
                   GST_STATE_CHANGE_SUCCESS);
  gst_bus_set_sync_handler (bus, NULL, NULL, NULL);

  g_assert_false (tg_test_has_token (store, APP, "s1", token));
  g_assert_false (g_file_test (unused, G_FILE_TEST_EXISTS));
}

static gboolean
answer_context_query (GstPad *pad, GstObject *parent, GstQuery *query)
{
  const char *type;

  if (GST_QUERY_TYPE (query) == GST_QUERY_CONTEXT
      && gst_query_parse_context_type (query, &type)
      && g_str_equal (type, TG_STORE_CONTEXT_TYPE))
    {
      g_autoptr (GstContext) context
          = store_context (g_object_get_data (G_OBJECT (pad), "store"));

      gst_query_set_context (query, context);
      return TRUE;
    }
  return gst_pad_query_default (pad, parent, query);
}

/* A neighbour answers the element's context query (upstream here). */
static void
test_store_from_peer_query (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TgStore) store = tg_store_open ("memory://", &error);
  g_autofree char *token = tg_test_mint (store, APP, "s1", TG_TOKEN_TYPE_PLAY);
  g_autoptr (TgTestRig) rig
      = tg_test_rig_new (make_tokencheck (NULL, "s1", "play", token));

  g_object_set_data (G_OBJECT (rig->src), "store", store);
  gst_pad_set_query_function (rig->src, answer_context_query);
  g_assert_cmpint (gst_element_set_state (rig->element, GST_STATE_PLAYING), ==,
                   GST_STATE_CHANGE_SUCCESS);
  g_assert_false (tg_test_has_token (store, APP, "s1", token));
}

/* What gst-inspect shows: documented properties, a token nobody reads. */
static void
test_properties_documented (gconstpointer factory)
{
  g_autoptr (GstElement) element = gst_element_factory_make (factory, NULL);
  g_autoptr (GstElementFactory) f = gst_element_factory_find (factory);
  g_autofree GParamSpec **specs = NULL;
  guint n;
  GParamSpec *token;

  g_assert_nonnull (element);
  g_assert_cmpstr (gst_element_factory_get_metadata (f, "author"), ==,
                   "Tollgate");
  specs = g_object_class_list_properties (G_OBJECT_GET_CLASS (element), &n);
  for (guint i = 0; i < n; i++)
    {
      const char *blurb = g_param_spec_get_blurb (specs[i]);

      g_assert_nonnull (blurb);
      g_assert_cmpuint (strlen (blurb), >, 20);
    }
  token = g_object_class_find_property (G_OBJECT_GET_CLASS (element), "token");
  g_assert_nonnull (token);
  g_assert_cmpint (token->flags & G_PARAM_READABLE, ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gst_init (&argc, &argv);

  g_test_add_func ("/tokencheck/good-token-passes-untouched",
                   test_good_token_passes_untouched);
  g_test_add_func ("/tokencheck/grant-withdrawn", test_grant_withdrawn);
  g_test_add_func ("/tokencheck/own-memory-store-is-empty",
                   test_own_memory_store_is_empty);
  for (guint i = 0; i < G_N_ELEMENTS (refusals); i++)
    {
      g_autofree char *path
          = g_strdup_printf ("/tokencheck/refused/%s", refusals[i].reason);

      g_test_add_data_func (path, &refusals[i], test_refused);
    }
  g_test_add_func ("/tokencheck/refused/spent", test_spent_token_refused);
  g_test_add_func ("/tokencheck/app/jwt", test_app_jwt);
  g_test_add_func ("/tokencheck/app/jwt-refused", test_app_jwt_refused);
  g_test_add_func ("/tokencheck/app/without-scheme", test_app_without_scheme);
  g_test_add_func ("/tokencheck/refused/missing-settings",
                   test_missing_settings_refused);
  g_test_add_func ("/tokencheck/refused/store-fails-to-open",
                   test_store_that_fails_to_open);
  g_test_add_data_func ("/tokencheck/context/set-on-pipeline",
                        GINT_TO_POINTER (FALSE), test_store_from_context);
  g_test_add_data_func ("/tokencheck/context/asked-on-bus",
                        GINT_TO_POINTER (TRUE), test_store_from_context);
  g_test_add_func ("/tokencheck/context/answered-by-peer",
                   test_store_from_peer_query);
  g_test_add_data_func ("/tokencheck/documented", "tokencheck",
                        test_properties_documented);
  g_test_add_data_func ("/tokenbin/documented", "tokenbin",
                        test_properties_documented);
  return g_test_run ();
}
