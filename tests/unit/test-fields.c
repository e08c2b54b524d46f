/* Table-driven JSON checks of request bodies. */
#include "tg-fields.h"
#include "tollgate.h"

static const TgField token_fields[] = { { "tokenId", TG_FIELD_STRING, TRUE },
                                        { "streamId", TG_FIELD_STRING, FALSE },
                                        { "expireDate", TG_FIELD_INT, FALSE },
                                        { NULL } };

static void
test_check (void)
{
  const char *cases[][2] = {
    { "{\"tokenId\":\"a\"}", NULL },
    { "{\"tokenId\":\"a\",\"streamId\":null}", NULL },
    { "{\"tokenId\":\"a\",\"expireDate\":5}", NULL },
    { "{}", "tokenId: missing" },
    { "{\"tokenId\":null}", "tokenId: missing" },
    { "{\"tokenId\":1}", "tokenId: must be a string" },
    { "{\"tokenId\":\"a\",\"expireDate\":\"5\"}",
      "expireDate: must be a whole number" },
    { "{\"tokenId\":\"a\",\"expireDate\":1.5}",
      "expireDate: must be a whole number" },
    { "{\"tokenId\":\"a\",\"x\":1}", "x: unknown field" },
    { "{\"tokenId\":[\"a\"]}", "tokenId: must be a string" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (JsonObject) object
          = tg_fields_parse_object (cases[i][0], strlen (cases[i][0]), &error);

      g_assert_no_error (error);
      if (cases[i][1] == NULL)
        {
          g_assert_true (tg_fields_check (object, token_fields, &error));
          g_assert_no_error (error);
        }
      else
        {
          g_assert_false (tg_fields_check (object, token_fields, &error));
          g_assert_error (error, TG_ERROR, TG_ERROR_INVALID);
          g_assert_cmpstr (error->message, ==, cases[i][1]);
        }
    }
}

static void
test_parse (void)
{
  const char *bad[] = { "",        "[]",       "\"x\"",
                        "{",       "{\"a\":}", "nul",
                        "{} {}",   "{}[]",     "{\"a\":\"\\u0000\"}",

                        "\xff\xfe" };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (JsonObject) object
          = tg_fields_parse_object (bad[i], strlen (bad[i]), &error);

      g_assert_null (object);
      g_assert_error (error, TG_ERROR, TG_ERROR_INVALID);
    }
}

static void
test_strict_json_accepted (void)
{
  const char *good[] = { "{\"a\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"}",
                         "{\"a\":\"\\ud83d\\ude00 \\u00e9\"}",
                         "{\"a\":[true,false,null,-1.5e3]}", " {} " };

  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (JsonObject) object
          = tg_fields_parse_object (good[i], strlen (good[i]), &error);

      g_assert_no_error (error);
      g_assert_nonnull (object);
    }
}

static void
test_depth (void)
{
  for (guint depth = TG_FIELDS_MAX_DEPTH - 1; depth <= TG_FIELDS_MAX_DEPTH + 1;
       depth++)
    {
      g_autofree char *open = g_strnfill (depth, '[');
      g_autofree char *close = g_strnfill (depth, ']');
      g_autofree char *body = g_strdup_printf ("{\"a\":%s%s}", open, close);
      g_autoptr (GError) error = NULL;
      G_GNUC_UNUSED g_autoptr (JsonObject) object
          = tg_fields_parse_object (body, strlen (body), &error);

      /* The object itself is one level. */
      if (depth + 1 <= TG_FIELDS_MAX_DEPTH)
        g_assert_no_error (error);
      else
        g_assert_error (error, TG_ERROR, TG_ERROR_INVALID);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/fields/check", test_check);
  g_test_add_func ("/fields/parse", test_parse);
  g_test_add_func ("/fields/depth", test_depth);
  g_test_add_func ("/fields/strict-json-accepted", test_strict_json_accepted);
  return g_test_run ();
}
