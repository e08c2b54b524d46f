/* Who publishes or plays what: the SRT streamid -> app, stream id, token,
 * type (PROTOCOL.md section 3). */
#include "tg-srt-streamid.h"
#include "tollgate.h"

#include <string.h>

static const struct
{
  const char *streamid;
  const char *app, *stream_id, *token;
  gboolean play; /* m=request */
} good[] = {
  /* The plain form: srt://host:4200?streamid=LiveApp/s1,token=T */
  { "LiveApp/s1,token=T0k3nExample", "LiveApp", "s1", "T0k3nExample" },
  { "LiveApp/s1", "LiveApp", "s1", NULL },
  { "LiveApp/s1,token=", "LiveApp", "s1", NULL },
  { "LiveApp/s1,x=1,token=T,y=", "LiveApp", "s1", "T" },
  { "LiveApp/s1,t=T,r=a/b,m=request", "LiveApp", "s1", NULL },
  { "LiveApp/s1,token=a=b", "LiveApp", "s1", "a=b" },
  { "LiveApp/s1,token=a/b?c", "LiveApp", "s1", "a/b?c" },
  /* Neither decoded nor checked here: the caller checks the stream id. */
  { "LiveApp/s%201,token=%54", "LiveApp", "s%201", "%54" },
  { "Live App/s 1?x#,token= T ", "Live App", "s 1?x#", " T " },
  { "LiveApp/\xc3\xa9t\xc3\xa9", "LiveApp", "\xc3\xa9t\xc3\xa9", NULL },
  /* The access control form. */
  { "#!::r=LiveApp/s1,m=publish,t=T0k3nExample", "LiveApp", "s1",
    "T0k3nExample" },
  { "#!::t=T,m=publish,r=LiveApp/s1", "LiveApp", "s1", "T" },
  { "#!::r=LiveApp/s1", "LiveApp", "s1", NULL },
  { "#!::r=LiveApp/s1,t=", "LiveApp", "s1", NULL },
  { "#!::u=me,r=LiveApp/s1,s=abc,h=example.com,t=T", "LiveApp", "s1", "T" },
  { "#!::r=LiveApp/s1,token=X,t=T,u=a,u=b", "LiveApp", "s1", "T" },
  { "#!::r=LiveApp/s1,token=X", "LiveApp", "s1", NULL },
  /* Playing: m=request, in the access control form only. */
  { "#!::r=LiveApp/s1,m=request,t=T", "LiveApp", "s1", "T", TRUE },
  { "#!::m=request,r=LiveApp/s1", "LiveApp", "s1", NULL, TRUE },
};

static const struct
{
  const char *streamid;
  const char *error; /* a part of the message */
} bad[] = {
  { NULL, "empty streamid" },
  { "", "empty streamid" },
  /* The resource. */
  { "LiveApp", "no stream id" },
  { "LiveApp,token=T", "no stream id" },
  { ",token=T", "no {app}/{streamId}" },
  { "LiveApp/s1/T", "more than one '/'" },
  { "LiveApp/s1/", "more than one '/'" },
  { "/LiveApp/s1", "more than one '/'" },
  { "LiveApp/", "empty stream id" },
  { "/s1", "empty application name" },
  { "/", "empty application name" },
  { "#!::m=publish,t=T", "no {app}/{streamId}" },
  { "#!::r=,t=T", "no {app}/{streamId}" },
  { "#!::", "no {app}/{streamId}" },
  { "#!::,r=LiveApp/s1", "item 1 is not key=value" },
  { "#!::r=LiveApp", "no stream id" },
  { "#!::r=LiveApp/s1/T", "more than one '/'" },
  /* Items. */
  { "LiveApp/s1,", "item 1 is not key=value" },
  { "LiveApp/s1,token", "item 1 is not key=value" },
  { "LiveApp/s1,SECRET", "item 1 is not key=value" },
  { "#!::r=LiveApp/s1,SECRET,t=SECRET", "item 2 is not key=value" },
  { "LiveApp/s1,token=SECRET,token=SECRET", "\"token\" given twice" },
  { "LiveApp/s1,=T", "item 1 is not key=value" },
  { "LiveApp/s1,token=T,,x=1", "item 2 is not key=value" },
  { "#!::r=LiveApp/s1,publish", "is not key=value" },
  { "LiveApp/s1,token=A,token=B", "\"token\" given twice" },
  { "LiveApp/s1,token=,token=B", "\"token\" given twice" },
  { "#!::r=LiveApp/s1,r=LiveApp/s2", "\"r\" given twice" },
  { "#!::r=LiveApp/s1,t=A,t=B", "\"t\" given twice" },
  { "#!::r=LiveApp/s1,m=publish,m=publish", "\"m\" given twice" },
  /* Modes. */
  { "#!::r=LiveApp/s1,m=request,m=request", "\"m\" given twice" },
  { "#!::r=LiveApp/s1,m=bidirectional", "m=bidirectional is not supported" },
  { "#!::r=LiveApp/s1,m=PUBLISH", "m=PUBLISH is not supported" },
  { "#!::r=LiveApp/s1,m=", "m= is not supported" },
  { "#!:{r=LiveApp/s1}", "unsupported streamid syntax" },
  { "#!r=LiveApp/s1", "unsupported streamid syntax" },
  /* Control characters, anywhere. */
  { "LiveApp/s1\n", "control character" },
  { "Live\tApp/s1", "control character" },
  { "LiveApp/s1,token=T\r", "control character" },
  { "#!::r=LiveApp/s1,t=\x1b", "control character" },
  { "LiveApp/s1,x=\x7f", "control character" },
  { "\x01", "control character" },
};

static void
check_good (const char *streamid, const char *want_app,
            const char *want_stream_id, const char *want_token,
            gboolean want_play)
{
  g_autofree char *app = NULL, *stream_id = NULL, *token = NULL;
  g_autoptr (GError) error = NULL;
  TgTokenType type = TG_TOKEN_TYPE_PLAY;
  gboolean ok;

  g_test_message ("good: \"%s\"", streamid);
  ok = tg_srt_streamid_parse (streamid, &app, &stream_id, &token, &type,
                              &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  g_assert_cmpstr (app, ==, want_app);
  g_assert_cmpstr (stream_id, ==, want_stream_id);
  g_assert_cmpstr (token, ==, want_token);
  g_assert_cmpint (type, ==,
                   want_play ? TG_TOKEN_TYPE_PLAY : TG_TOKEN_TYPE_PUBLISH);
}

static void
check_bad (const char *streamid, const char *want_error)
{
  /* Set, to see that a refusal leaves them untouched. */
  char *app = (char *) "x", *stream_id = (char *) "y", *token = (char *) "z";
  g_autoptr (GError) error = NULL;
  TgTokenType type = TG_TOKEN_TYPE_PLAY;
  gboolean ok;

  g_test_message ("bad: \"%s\"", streamid);
  ok = tg_srt_streamid_parse (streamid, &app, &stream_id, &token, &type,
                              &error);
  g_assert_false (ok);
  g_assert_error (error, TG_ERROR, TG_ERROR_INVALID);
  g_assert_cmpstr (app, ==, "x");
  g_assert_cmpstr (stream_id, ==, "y");
  g_assert_cmpstr (token, ==, "z");
  g_assert_cmpint (type, ==, TG_TOKEN_TYPE_PLAY);
  if (strstr (error->message, want_error) == NULL)
    g_error ("\"%s\": \"%s\" is not about \"%s\"", streamid, error->message,
             want_error);
  /* Errors are logged: whatever looks like a token stays out of them. */
  g_assert_null (strstr (error->message, "SECRET"));
}

static void
test_good (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    check_good (good[i].streamid, good[i].app, good[i].stream_id, good[i].token,
                good[i].play);
}

static void
test_bad (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    check_bad (bad[i].streamid, bad[i].error);
}

/* SRT carries at most 512 bytes of streamid: that much passes, one more
 * byte does not. */
static void
test_length (void)
{
  const char *head = "LiveApp/s1,token=";
  g_autofree char *token = g_strnfill (512 - strlen (head), 'T');
  g_autofree char *longest = g_strconcat (head, token, NULL);
  g_autofree char *too_long = g_strconcat (longest, "T", NULL);
  g_autofree char *pad = g_strnfill (512, 'x');
  g_autofree char *long_ignored = g_strconcat ("LiveApp/s1,x=", pad, NULL);

  g_assert_cmpuint (strlen (longest), ==, 512);
  check_good (longest, "LiveApp", "s1", token, FALSE);
  check_bad (too_long, "longer than 512 bytes");
  check_bad (long_ignored, "longer than 512 bytes");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/srt-streamid/good", test_good);
  g_test_add_func ("/srt-streamid/bad", test_bad);
  g_test_add_func ("/srt-streamid/length", test_length);
  return g_test_run ();
}
