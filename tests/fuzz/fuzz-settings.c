/* libFuzzer target: per-application settings from an untrusted JSON body
 * (tg-settings.h). Whatever is accepted must survive its own JSON form:
 * GET of the settings, PUT back onto defaults, GET again gives the same. */
#include "tg-fields.h"
#include "tg-settings.h"

#include "fuzz-common.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static char *
settings_text (const TgSettings *settings)
{
  g_autoptr (JsonNode) node = tg_settings_to_json (settings);
  g_autoptr (JsonGenerator) generator = json_generator_new ();

  json_generator_set_root (generator, node);
  return json_generator_to_data (generator, NULL);
}

static void
check_addresses (const TgSettings *settings)
{
  const char *addresses[] = { "127.0.0.1", "::1", "::ffff:10.1.2.3" };

  for (guint i = 0; i < G_N_ELEMENTS (addresses); i++)
    {
      g_autoptr (GInetAddress) address
          = g_inet_address_new_from_string (addresses[i]);
      gboolean allowed = tg_settings_allows_address (settings, address);

      if (!settings->ip_filter_enabled)
        g_assert_true (allowed);
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) object = NULL;
  g_autoptr (JsonObject) again = NULL;
  g_autoptr (TgSettings) defaults = tg_settings_new_default ();
  g_autoptr (TgSettings) settings = NULL;
  g_autoptr (TgSettings) reapplied = NULL;
  g_autofree char *text = NULL;
  g_autofree char *text_again = NULL;

  object = tg_fields_parse_object ((const char *) data, size, &error);
  if (object == NULL)
    return 0;
  settings = tg_settings_apply (defaults, object, &error);
  if (settings == NULL)
    {
      g_assert_nonnull (error);
      return 0;
    }
  g_assert_no_error (error);
  check_addresses (settings);

  text = settings_text (settings);
  again = tg_fields_parse_object (text, strlen (text), &error);
  g_assert_no_error (error);
  reapplied = tg_settings_apply (defaults, again, &error);
  g_assert_no_error (error);
  text_again = settings_text (reapplied);
  g_assert_cmpstr (text, ==, text_again);
  return 0;
}
