/* libFuzzer target: table-driven checks of untrusted JSON request bodies
 * (tg-fields.h), with the table of the token validation route. */
#include "tg-fields.h"

#include "fuzz-common.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* As in tg-rest-tokens.c. */
static const TgField token_fields[] = {
  { "tokenId", TG_FIELD_STRING, TRUE },  { "streamId", TG_FIELD_STRING, FALSE },
  { "type", TG_FIELD_STRING, TRUE },     { "roomId", TG_FIELD_STRING, FALSE },
  { "expireDate", TG_FIELD_INT, FALSE }, { NULL }
};

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) object = NULL;
  gboolean valid;

  object = tg_fields_parse_object ((const char *) data, size, &error);
  if (object == NULL)
    {
      g_assert_nonnull (error);
      return 0;
    }
  g_assert_no_error (error);
  valid = tg_fields_check (object, token_fields, &error);
  g_assert_true (valid == (error == NULL));

  for (const TgField *field = token_fields; field->name; field++)
    {
      const char *text = tg_fields_string (object, field->name);
      gint64 value = tg_fields_int (object, field->name, -1);

      /* The body was valid UTF-8, and what is read from it goes on into
       * the store and into JSON replies. */
      if (text)
        {
          g_assert_cmpuint (strlen (text), <=, size);
          g_assert_true (g_utf8_validate (text, -1, NULL));
        }
      if (valid && field->required)
        g_assert_nonnull (text);
      if (valid && field->type == TG_FIELD_STRING)
        g_assert_cmpint (value, ==, -1);
      if (valid && field->type == TG_FIELD_INT)
        g_assert_null (text);
    }
  g_assert_null (tg_fields_string (object, "noSuchField"));
  g_assert_cmpint (tg_fields_int (object, "noSuchField", 7), ==, 7);
  return 0;
}
