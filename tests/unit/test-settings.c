/* Application settings: defaults, field-by-field validation, and who may
 * call the REST API. */
#include "tg-settings.h"
#include "tollgate.h"

static JsonObject *
object_of (const char *json)
{
  g_autoptr (JsonNode) node = json_from_string (json, NULL);

  g_assert_nonnull (node);
  return json_object_ref (json_node_get_object (node));
}

static void
test_defaults (void)
{
  g_autoptr (TgSettings) settings = tg_settings_new_default ();
  g_autoptr (JsonNode) node = tg_settings_to_json (settings);
  g_autofree char *text = json_to_string (node, FALSE);

  g_assert_nonnull (strstr (text, "\"hlsTime\":\"2\""));
  g_assert_nonnull (strstr (text, "\"hlsListSize\":\"15\""));
  g_assert_nonnull (strstr (text, "\"encoderSettings\":[]"));
  g_assert_nonnull (strstr (text, "\"remoteAllowedCIDR\":\"127.0.0.1\""));
  g_assert_nonnull (strstr (text, "\"publishTokenControlEnabled\":false"));
  g_assert_nonnull (strstr (text, "\"deleteHLSFilesOnEnded\":true"));
  g_assert_true (settings->hls_muxing);
}

static void
test_bad_values (void)
{
  const char *bad[][2] = {
    { "{\"hlsTime\":\"abc\"}", "hlsTime" },
    { "{\"hlsTime\":\"0\"}", "hlsTime" },
    { "{\"hlsListSize\":\"-1\"}", "hlsListSize" },
    { "{\"hlsListSize\":\"2.5\"}", "hlsListSize" },
    { "{\"publishTokenControlEnabled\":\"yes\"}",
      "publishTokenControlEnabled" },
    { "{\"encoderSettings\":[{\"height\":-1,\"videoBitrate\":1}]}",
      "encoderSettings" },
    { "{\"encoderSettings\":[{\"videoBitrate\":1}]}", "encoderSettings" },
    { "{\"encoderSettings\":{}}", "encoderSettings" },
    { "{\"remoteAllowedCIDR\":\"10.0.0.0/99\"}", "remoteAllowedCIDR" },
    { "{\"remoteAllowedCIDR\":\"0.0.0.0/129\"}", "remoteAllowedCIDR" },
    { "{\"remoteAllowedCIDR\":\"10.0.0.0/33\"}", "remoteAllowedCIDR" },
    { "{\"remoteAllowedCIDR\":\"10.0.0.0/-1\"}", "remoteAllowedCIDR" },
    { "{\"remoteAllowedCIDR\":\"10.0.0.0/+8\"}", "remoteAllowedCIDR" },
    { "{\"remoteAllowedCIDR\":\"10.0.0.0/8/8\"}", "remoteAllowedCIDR" },
    { "{\"remoteAllowedCIDR\":\"::1/129\"}", "remoteAllowedCIDR" },
    { "{\"encoderSettings\":[{\"height\":1,\"videoBitrate\":1,\"x\":1}]}",
      "encoderSettings" },
    { "{\"publishTokenControlEnabled\":true,"
      "\"publishJwtControlEnabled\":true}",
      "publishJwtControlEnabled" },
    { "{\"mp4MuxingEnabled\":true,\"noSuchField\":1}", "noSuchField" },
    { "{\"srtPassphrase\":\"short\"}", "srtPassphrase" },
    { "{\"srtPassphrase\":"
      "\"0123456789012345678901234567890123456789"
      "0123456789012345678901234567890123456789\"}",
      "srtPassphrase" },
    { "{\"srtPassphrase\":10}", "srtPassphrase" },
    /* JWT control needs a key: without one every door would refuse all. */
    { "{\"playJwtControlEnabled\":true}", "jwtStreamSecretKey" },
    { "{\"publishJwtControlEnabled\":true,"
      "\"jwtStreamSecretKey\":\"0123456789012345678901234567890\"}",
      "jwtStreamSecretKey" },
  };
  g_autoptr (TgSettings) base = tg_settings_new_default ();

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (JsonObject) object = object_of (bad[i][0]);
      g_autoptr (GError) error = NULL;
      g_autoptr (TgSettings) next = tg_settings_apply (base, object, &error);

      g_assert_null (next);
      g_assert_error (error, TG_ERROR, TG_ERROR_INVALID);
      g_assert_true (g_str_has_prefix (error->message, bad[i][1]));
    }
  g_assert_false (base->mp4_muxing);
}

static void
test_good_values (void)
{
  g_autoptr (TgSettings) base = tg_settings_new_default ();
  g_autoptr (JsonObject) object = object_of (
      "{\"hlsTime\":\"4\",\"hlsListSize\":5,\"playTokenControlEnabled\":true,"
      "\"encoderSettings\":[{\"height\":480,\"videoBitrate\":1000000,"
      "\"audioBitrate\":96000}],\"srtPassphrase\":\"ten chars!\"}");
  g_autoptr (GError) error = NULL;
  g_autoptr (TgSettings) next = tg_settings_apply (base, object, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (next->hls_time, ==, "4");
  g_assert_cmpstr (next->hls_list_size, ==, "5");
  g_assert_cmpstr (next->srt_passphrase, ==, "ten chars!");
  g_assert_cmpstr (base->srt_passphrase, ==, "");
  g_assert_true (next->play_token_control);
  g_assert_false (base->play_token_control);
  /* What admission reads follows. */
  g_assert_cmpint (next->policy->play, ==, TG_SCHEME_ONE_TIME);
  g_assert_cmpint (base->policy->play, ==, TG_SCHEME_NONE);
  g_assert_cmpuint (
      json_array_get_length (json_node_get_array (next->encoder_settings)), ==,
      1);
}

static gboolean
allows (TgSettings *settings, const char *address)
{
  g_autoptr (GInetAddress) inet = g_inet_address_new_from_string (address);

  return tg_settings_allows_address (settings, inet);
}

static void
test_allowed_addresses (void)
{
  g_autoptr (TgSettings) base = tg_settings_new_default ();
  g_autoptr (JsonObject) wider = object_of (
      "{\"remoteAllowedCIDR\":\"127.0.0.1, 10.1.0.0/16, ::1/128\"}");
  g_autoptr (JsonObject) open = object_of ("{\"ipFilterEnabled\":false}");
  g_autoptr (TgSettings) next = tg_settings_apply (base, wider, NULL);
  g_autoptr (TgSettings) all = tg_settings_apply (base, open, NULL);

  g_assert_true (allows (base, "127.0.0.1"));
  g_assert_true (allows (base, "::1"));
  g_assert_true (allows (base, "::ffff:127.0.0.1"));
  g_assert_false (allows (base, "127.0.0.2"));
  g_assert_false (allows (base, "10.1.2.3"));
  g_assert_true (allows (next, "10.1.2.3"));
  g_assert_true (allows (next, "::ffff:10.1.2.3"));
  g_assert_false (allows (next, "10.2.0.1"));
  g_assert_true (allows (all, "192.0.2.7"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/settings/defaults", test_defaults);
  g_test_add_func ("/settings/bad-values", test_bad_values);
  g_test_add_func ("/settings/good-values", test_good_values);
  g_test_add_func ("/settings/allowed-addresses", test_allowed_addresses);
  return g_test_run ();
}
