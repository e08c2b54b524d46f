/* Who publishes what: connect app and tcUrl, publish name -> app, stream
 * id, token (PROTOCOL.md section 3). */
#include "tg-rtmp-name.h"
#include "tollgate.h"

#include <string.h>

#define URL "rtmp://127.0.0.1:1935/LiveApp"

static const struct
{
  const char *app, *tc_url, *name;
  /* expected: app, stream id, token; or NULL app and an error part */
  const char *want_app, *want_stream, *want_token;
  const char *error;
} cases[] = {
  /* What ffmpeg and rtmp2sink send (the captures), and OBS. */
  { "LiveApp", URL, "s1?token=T0k3nExample", "LiveApp", "s1", "T0k3nExample" },
  { "LiveApp", URL, "s2?token=T0k3nExample", "LiveApp", "s2", "T0k3nExample" },
  { "LiveApp", "rtmp://h/LiveApp", "s1?token=T&x=1", "LiveApp", "s1", "T" },
  { "LiveApp", URL, "s1?x=1&token=T", "LiveApp", "s1", "T" },
  /* Path form, no token, an empty token. */
  { "LiveApp", URL, "s1/T", "LiveApp", "s1", "T" },
  { "LiveApp", URL, "s1", "LiveApp", "s1", NULL },
  { "LiveApp", URL, "s1?token=", "LiveApp", "s1", NULL },
  { "LiveApp", URL, "s1?other=1", "LiveApp", "s1", NULL },
  /* The app as {app}/{streamId}, as ffmpeg sends it for longer URLs. */
  { "LiveApp/s1", URL "/s1", "?token=T", "LiveApp", "s1", "T" },
  { "LiveApp/s1", URL "/s1", "", "LiveApp", "s1", NULL },
  { "LiveApp/s1", URL "/s1", NULL, "LiveApp", "s1", NULL },
  { "LiveApp/s1", URL "/s1", "T", "LiveApp", "s1", "T" },
  { "LiveApp/s1", URL "/s1", "s1?token=T", "LiveApp", "s1", "T" },
  { "LiveApp/s1", URL "/s1", "s1/T", "LiveApp", "s1", "T" },
  /* Queries on the app and tcUrl. */
  { "LiveApp?token=T", URL "?token=T", "s1", "LiveApp", "s1", "T" },
  { "LiveApp?x=1", URL "?token=U", "s1", "LiveApp", "s1", "U" },
  { "LiveApp?token=A", URL, "s1?token=B", "LiveApp", "s1", "B" },
  { "LiveApp", URL "?token=%54", "s1", "LiveApp", "s1", "T" },
  /* Slashes around the app; the app from tcUrl when connect has none. */
  { "/LiveApp/", URL, "s1", "LiveApp", "s1", NULL },
  { "", URL, "s1", "LiveApp", "s1", NULL },
  { NULL, URL, "s1?token=T", "LiveApp", "s1", "T" },
  { NULL, "rtmp://h:1935/LiveApp/s1?token=T", NULL, "LiveApp", "s1", "T" },
  { NULL, "rtmp://h/LiveApp/", "s1", "LiveApp", "s1", NULL },
  /* Refusals. */
  { "LiveApp", URL, "", NULL, NULL, NULL, "no stream id" },
  { "LiveApp", URL, NULL, NULL, NULL, NULL, "no stream id" },
  { "LiveApp", URL, "?token=T", NULL, NULL, NULL, "no stream id" },
  { "", "", "s1", NULL, NULL, NULL, "no application name" },
  { NULL, NULL, "s1", NULL, NULL, NULL, "no application name" },
  { NULL, "rtmp://h", "s1", NULL, NULL, NULL, "no application name" },
  { NULL, "not a url", "s1", NULL, NULL, NULL, "no application name" },
  { "LiveApp", URL, "s1/T/x", NULL, NULL, NULL, "too many" },
  { "LiveApp/s1/x", URL, "T", NULL, NULL, NULL, "too many" },
  { "LiveApp", URL, "s1//T", NULL, NULL, NULL, "empty segment" },
  { "LiveApp", URL, "/s1", NULL, NULL, NULL, "empty segment" },
  { "Live//App", URL, "s1", NULL, NULL, NULL, "empty segment" },
  { "LiveApp", URL, "s1/T?token=T", NULL, NULL, NULL, "both" },
  { "LiveApp", URL, "s1?token=%zz", NULL, NULL, NULL, "bad query" },
  { "LiveApp", URL, "s1\n?token=T", NULL, NULL, NULL, "control character" },
  { "Live\tApp", URL, "s1", NULL, NULL, NULL, "control character" },
  { "LiveApp", URL, "s1?token=a%0Ab", NULL, NULL, NULL, "control character" },
};

static void
test_table (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *app = NULL, *stream_id = NULL, *token = NULL;
      g_autoptr (GError) error = NULL;
      gboolean ok;

      g_test_message ("case %u: app \"%s\", tcUrl \"%s\", name \"%s\"", i,
                      cases[i].app, cases[i].tc_url, cases[i].name);
      ok = tg_rtmp_name_parse (cases[i].app, cases[i].tc_url, cases[i].name,
                               &app, &stream_id, &token, &error);
      if (cases[i].want_app)
        {
          g_assert_no_error (error);
          g_assert_true (ok);
          g_assert_cmpstr (app, ==, cases[i].want_app);
          g_assert_cmpstr (stream_id, ==, cases[i].want_stream);
          g_assert_cmpstr (token, ==, cases[i].want_token);
          continue;
        }
      g_assert_false (ok);
      g_assert_error (error, TG_ERROR, TG_ERROR_INVALID);
      g_assert_null (app);
      g_assert_null (stream_id);
      g_assert_null (token);
      if (strstr (error->message, cases[i].error) == NULL)
        g_error ("case %u: \"%s\" is not about \"%s\"", i, error->message,
                 cases[i].error);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/rtmp-name/table", test_table);
  return g_test_run ();
}
