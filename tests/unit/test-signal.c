/* WebSocket signalling frames -> requests or the error to answer
 * (PROTOCOL.md section 5). */
#include "tg-signal.h"
#include "tollgate.h"

static TgSignalRequest *
parse (const char *text, TgSignalOutcome *outcome, const char **definition)
{
  g_autoptr (GError) error = NULL;
  TgSignalRequest *request
      = tg_signal_parse (text, strlen (text), outcome, definition, &error);

  if (request || *outcome != TG_SIGNAL_CLOSE)
    g_assert_no_error (error);
  else
    g_assert_error (error, TG_ERROR, TG_ERROR_INVALID);
  return request;
}

static void
test_good (void)
{
  TgSignalOutcome outcome;
  const char *definition;
  g_autoptr (TgSignalRequest) ping
      = parse ("{\"command\":\"ping\"}", &outcome, &definition);
  g_autoptr (TgSignalRequest) publish
      = parse ("{\"command\":\"publish\",\"streamId\":\"s1\",\"token\":\"T\","
               "\"video\":false,\"streamName\":\"n\",\"extra\":[1]}",
               &outcome, &definition);
  g_autoptr (TgSignalRequest) play
      = parse ("{\"command\":\"play\",\"streamId\":\"s1\",\"token\":\"\"}",
               &outcome, &definition);
  g_autoptr (TgSignalRequest) offer
      = parse ("{\"command\":\"takeConfiguration\",\"streamId\":\"s1\","
               "\"type\":\"offer\",\"sdp\":\"v=0\"}",
               &outcome, &definition);
  g_autoptr (TgSignalRequest) candidate = parse (
      "{\"command\":\"takeCandidate\",\"streamId\":\"s1\",\"label\":1,"
      "\"id\":\"1\",\"candidate\":\"candidate:1 1 UDP 1 127.0.0.1 9 typ "
      "host\"}",
      &outcome, &definition);

  g_assert_nonnull (ping);
  g_assert_cmpint (ping->command, ==, TG_SIGNAL_PING);
  g_assert_null (ping->stream_id);
  g_assert_nonnull (publish);
  g_assert_cmpint (publish->command, ==, TG_SIGNAL_PUBLISH);
  g_assert_cmpstr (publish->stream_id, ==, "s1");
  g_assert_cmpstr (publish->token, ==, "T");
  g_assert_false (publish->video);
  g_assert_true (publish->audio);
  g_assert_nonnull (play);
  g_assert_null (play->token); /* empty is no token */
  g_assert_nonnull (offer);
  g_assert_true (offer->is_offer);
  g_assert_cmpstr (offer->sdp, ==, "v=0");
  g_assert_nonnull (candidate);
  g_assert_cmpuint (candidate->label, ==, 1);
  g_assert_cmpstr (candidate->mid, ==, "1");
}

static void
test_answered (void)
{
  const char *cases[][2] = {
    { "{\"command\":\"publish\"}", "noStreamNameSpecified" },
    { "{\"command\":\"play\",\"streamId\":\"\"}", "noStreamNameSpecified" },
    { "{\"command\":\"stop\",\"streamId\":null}", "noStreamNameSpecified" },
    { "{\"command\":\"play\",\"streamId\":7}", "invalidStreamName" },
    { "{\"command\":\"play\",\"streamId\":\"a/b\"}", "invalidStreamName" },
    { "{\"command\":\"getStreamInfo\",\"streamId\":\"../x\"}",
      "invalidStreamName" },
    { "{\"command\":\"publish\",\"streamId\":\"s\",\"token\":5}",
      "unauthorized_access" },
    { "{\"command\":\"takeConfiguration\",\"streamId\":\"s\","
      "\"type\":\"pranswer\",\"sdp\":\"v=0\"}",
      "notSetRemoteDescription" },
    { "{\"command\":\"takeConfiguration\",\"streamId\":\"s\","
      "\"type\":\"offer\"}",
      "notSetRemoteDescription" },
    { "{\"command\":\"takeConfiguration\",\"streamId\":\"s\","
      "\"type\":\"offer\",\"sdp\":{}}",
      "notSetRemoteDescription" },
    { "{\"command\":\"takeCandidate\",\"streamId\":\"s\",\"label\":\"0\","
      "\"candidate\":\"c\"}",
      "invalidCandidate" },
    { "{\"command\":\"takeCandidate\",\"streamId\":\"s\",\"label\":-1,"
      "\"candidate\":\"c\"}",
      "invalidCandidate" },
    { "{\"command\":\"takeCandidate\",\"streamId\":\"s\",\"label\":0}",
      "invalidCandidate" },
    { "{\"command\":\"forceStreamQuality\",\"streamId\":\"s\"}",
      "invalidStreamHeight" },
    { "{\"command\":\"forceStreamQuality\",\"streamId\":\"s\","
      "\"streamHeight\":-240}",
      "invalidStreamHeight" },
    { "{\"command\":\"forceStreamQuality\",\"streamId\":\"s\","
      "\"streamHeight\":1e9}",
      "invalidStreamHeight" },
    { "{\"command\":\"forceStreamQuality\",\"streamId\":\"s\","
      "\"streamHeight\":\"240p\"}",
      "invalidStreamHeight" },
    { "{\"command\":\"forceStreamQuality\",\"streamId\":\"s\","
      "\"streamHeight\":99999}",
      "invalidStreamHeight" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      TgSignalOutcome outcome;
      const char *definition;
      g_autoptr (TgSignalRequest) request
          = parse (cases[i][0], &outcome, &definition);

      g_assert_null (request);
      g_assert_cmpint (outcome, ==, TG_SIGNAL_ANSWER);
      g_assert_cmpstr (definition, ==, cases[i][1]);
    }
}

/* Ant Media's forceStreamQuality and play carry streamHeight as a number,
 * or as a page's <select> gives it: a string, or "auto". */
static void
test_stream_height (void)
{
  const struct
  {
    const char *text;
    gint height;
  } cases[] = {
    { "{\"command\":\"forceStreamQuality\",\"streamId\":\"s\","
      "\"streamHeight\":240}",
      240 },
    { "{\"command\":\"forceStreamQuality\",\"streamId\":\"s\","
      "\"streamHeight\":\"480\"}",
      480 },
    { "{\"command\":\"forceStreamQuality\",\"streamId\":\"s\","
      "\"streamHeight\":\"auto\"}",
      0 },
    { "{\"command\":\"play\",\"streamId\":\"s\",\"streamHeight\":360}", 360 },
    { "{\"command\":\"play\",\"streamId\":\"s\"}", -1 },
    /* in play, a height that is none is no height */
    { "{\"command\":\"play\",\"streamId\":\"s\",\"streamHeight\":[1]}", -1 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      TgSignalOutcome outcome;
      const char *definition;
      g_autoptr (TgSignalRequest) request
          = parse (cases[i].text, &outcome, &definition);

      g_assert_nonnull (request);
      g_assert_cmpint (request->height, ==, cases[i].height);
    }
}

static void
test_ignored_and_closed (void)
{
  const char *ignored[] = { "{\"command\":\"joinRoom\",\"room\":\"r\"}",
                            "{\"command\":\"getTrackList\"}" };
  const char *closed[] = { "",
                           "not json",
                           "[]",
                           "{\"command\":1}",
                           "{\"streamId\":\"s1\"}",
                           "{\"command\":\"ping\"} trailing",
                           "{\"command\":\"ping\",\"a\":\"\\u0000\"}" };
  TgSignalOutcome outcome;
  const char *definition;

  for (guint i = 0; i < G_N_ELEMENTS (ignored); i++)
    {
      g_assert_null (parse (ignored[i], &outcome, &definition));
      g_assert_cmpint (outcome, ==, TG_SIGNAL_IGNORED);
    }
  for (guint i = 0; i < G_N_ELEMENTS (closed); i++)
    {
      g_assert_null (parse (closed[i], &outcome, &definition));
      g_assert_cmpint (outcome, ==, TG_SIGNAL_CLOSE);
    }
}

static void
test_replies (void)
{
  g_autoptr (JsonObject) error = tg_signal_error ("no_stream_exist", "s1");
  g_autoptr (JsonObject) pong = tg_signal_reply ("pong", NULL);
  g_autofree char *error_text = NULL, *pong_text = NULL;

  json_object_set_string_member (error, "error_code", "404");
  error_text = tg_signal_to_text (error);
  pong_text = tg_signal_to_text (pong);
  g_assert_cmpstr (
      error_text, ==,
      "{\"command\":\"error\",\"streamId\":\"s1\","
      "\"definition\":\"no_stream_exist\",\"error_code\":\"404\"}");
  g_assert_cmpstr (pong_text, ==, "{\"command\":\"pong\"}");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/signal/good", test_good);
  g_test_add_func ("/signal/answered", test_answered);
  g_test_add_func ("/signal/stream-height", test_stream_height);
  g_test_add_func ("/signal/ignored-and-closed", test_ignored_and_closed);
  g_test_add_func ("/signal/replies", test_replies);
  return g_test_run ();
}
