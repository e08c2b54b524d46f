/* The token decisions per minute (tg-decisions.h): which series count, and
 * the minutes made of the samples. */
#include "tg-decisions.h"

#define MINUTE TG_DECISIONS_STEP_MS
/* A minute's start, far from 0. */
#define T0 ((gint64) 29000000 * MINUTE)

static void
decide (TgMetrics *metrics, const char *door, const char *direction,
        const char *result, const char *stage, guint64 by)
{
  tg_metrics_add (metrics, "tollgate_token_decisions_total", "Decisions.", by,
                  "app", "LiveApp", "direction", direction, "door", door,
                  "scheme", "token", "result", result, "reason", "ok", "stage",
                  stage, NULL);
}

static void
test_labels (void)
{
  g_autofree char *a = tg_metrics_label ("a=\"x\",b=\"y\"", "a");
  g_autofree char *b = tg_metrics_label ("a=\"x\",b=\"y\"", "b");
  g_autofree char *c = tg_metrics_label ("a=\"x\",b=\"y\"", "c");
  g_autofree char *escaped
      = tg_metrics_label ("ab=\"q\\\"\\\\\\n,b=\",b=\"z\"", "b");
  g_autofree char *prefix = tg_metrics_label ("ab=\"q\"", "a");

  g_assert_cmpstr (a, ==, "x");
  g_assert_cmpstr (b, ==, "y");
  g_assert_null (c);
  g_assert_cmpstr (escaped, ==, "z");
  g_assert_null (prefix);
  g_assert_null (tg_metrics_label ("", "a"));
}

static void
test_totals_count_each_admission_once (void)
{
  g_autoptr (TgMetrics) metrics = tg_metrics_new ();
  TgDecisionTotals totals;

  /* An RTMP publish: checked at the door, spent at tokencheck. */
  decide (metrics, "rtmp", "publish", "admitted", "check", 1);
  decide (metrics, "tokencheck", "publish", "admitted", "spend", 1);
  /* Refused at the door: no spend follows. */
  decide (metrics, "rtmp", "publish", "refused", "check", 2);
  /* RTMP play: a check, then a spend at the door. */
  decide (metrics, "rtmp", "play", "admitted", "check", 1);
  decide (metrics, "rtmp", "play", "admitted", "spend", 1);
  /* The doors that decide only as they spend. */
  decide (metrics, "http", "play", "refused", "spend", 4);
  decide (metrics, "rtsp", "play", "admitted", "spend", 8);
  /* A store error is neither. */
  decide (metrics, "srt", "publish", "error", "check", 16);
  totals = tg_decisions_totals (metrics);
  g_assert_cmpuint (totals.admitted, ==, 1 + 1 + 8);
  g_assert_cmpuint (totals.refused, ==, 2 + 4);
}

static void
test_points (void)
{
  g_autoptr (TgMetrics) metrics = tg_metrics_new ();
  g_autoptr (TgDecisions) decisions = tg_decisions_new (metrics);
  TgDecisionPoint points[TG_DECISIONS_MINUTES];

  /* Started mid-minute with 1 admitted counted. */
  decide (metrics, "rtmp", "publish", "admitted", "check", 1);
  tg_decisions_sample (decisions, T0 + 20000);
  decide (metrics, "rtmp", "publish", "admitted", "check", 2);
  decide (metrics, "rtmp", "publish", "refused", "check", 1);
  /* A second sample in the same minute changes nothing. */
  tg_decisions_sample (decisions, T0 + 50000);
  tg_decisions_sample (decisions, T0 + MINUTE + 10);
  decide (metrics, "rtmp", "publish", "refused", "check", 5);

  /* During the next minute: the last point is live. */
  tg_decisions_points (decisions, T0 + MINUTE + 30000, points);
  g_assert_cmpint (points[TG_DECISIONS_MINUTES - 1].time, ==, T0 + MINUTE);
  g_assert_cmpint (points[0].time, ==,
                   T0 + MINUTE - (TG_DECISIONS_MINUTES - 1) * MINUTE);
  g_assert_cmpuint (points[TG_DECISIONS_MINUTES - 2].admitted, ==, 2);
  g_assert_cmpuint (points[TG_DECISIONS_MINUTES - 2].refused, ==, 1);
  g_assert_cmpuint (points[TG_DECISIONS_MINUTES - 1].admitted, ==, 0);
  g_assert_cmpuint (points[TG_DECISIONS_MINUTES - 1].refused, ==, 5);
  for (guint i = 0; i < TG_DECISIONS_MINUTES - 2; i++)
    {
      g_assert_cmpuint (points[i].admitted, ==, 0);
      g_assert_cmpuint (points[i].refused, ==, 0);
      g_assert_cmpint (points[i + 1].time - points[i].time, ==, MINUTE);
    }

  /* Two minutes on, with no sample at the start of the last: T0 + 1 has
   * no end, the current minute no start. */
  tg_decisions_points (decisions, T0 + 2 * MINUTE + 5, points);
  g_assert_cmpuint (points[TG_DECISIONS_MINUTES - 3].admitted, ==, 2);
  g_assert_cmpuint (points[TG_DECISIONS_MINUTES - 2].refused, ==, 0);
  g_assert_cmpuint (points[TG_DECISIONS_MINUTES - 1].refused, ==, 0);

  /* An hour and more later the old minutes are gone, the slot reused. */
  tg_decisions_sample (decisions, T0 + 61 * MINUTE);
  decide (metrics, "http", "play", "admitted", "spend", 3);
  tg_decisions_points (decisions, T0 + 61 * MINUTE + 1, points);
  g_assert_cmpuint (points[TG_DECISIONS_MINUTES - 1].admitted, ==, 3);
  for (guint i = 0; i < TG_DECISIONS_MINUTES - 1; i++)
    g_assert_cmpuint (points[i].admitted + points[i].refused, ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/decisions/labels", test_labels);
  g_test_add_func ("/decisions/totals", test_totals_count_each_admission_once);
  g_test_add_func ("/decisions/points", test_points);
  return g_test_run ();
}
