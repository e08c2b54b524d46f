/* The metrics' text format (tg-metrics.h), as Prometheus reads it. */
#include "tg-metrics.h"

#include <string.h>

static void
test_counters_and_gauges (void)
{
  g_autoptr (TgMetrics) metrics = tg_metrics_new ();
  g_autofree char *text = NULL;

  g_assert_cmpstr ((text = tg_metrics_render (metrics)), ==, "");
  g_clear_pointer (&text, g_free);
  tg_metrics_add (metrics, "b_total", "Bees.", 2, "door", "rtmp", NULL);
  tg_metrics_add (metrics, "b_total", "ignored", 3, "door", "rtmp", NULL);
  tg_metrics_add (metrics, "b_total", NULL, 1, "door", "http", NULL);
  tg_metrics_add (metrics, "a_total", "No labels.", 1, NULL);
  tg_metrics_set (metrics, "c", "A gauge.", 1.5, "door", "srt", NULL);
  text = tg_metrics_render (metrics);
  /* Families by name, series by labels. */
  g_assert_cmpstr (text, ==,
                   "# HELP a_total No labels.\n"
                   "# TYPE a_total counter\n"
                   "a_total 1\n"
                   "# HELP b_total Bees.\n"
                   "# TYPE b_total counter\n"
                   "b_total{door=\"http\"} 1\n"
                   "b_total{door=\"rtmp\"} 5\n"
                   "# HELP c A gauge.\n"
                   "# TYPE c gauge\n"
                   "c{door=\"srt\"} 1.5\n");
  g_clear_pointer (&text, g_free);
  tg_metrics_zero (metrics, "c");
  tg_metrics_zero (metrics, "b_total"); /* not a gauge: left */
  text = tg_metrics_render (metrics);
  g_assert_nonnull (strstr (text, "\nc{door=\"srt\"} 0\n"));
  g_assert_nonnull (strstr (text, "\nb_total{door=\"rtmp\"} 5\n"));
}

static void
test_label_values_escaped (void)
{
  g_autoptr (TgMetrics) metrics = tg_metrics_new ();
  g_autofree char *text = NULL;

  tg_metrics_add (metrics, "x_total", "X.", 1, "app", "a\"b\\c\nd", "door",
                  NULL, NULL);
  text = tg_metrics_render (metrics);
  g_assert_nonnull (
      strstr (text, "\nx_total{app=\"a\\\"b\\\\c\\nd\",door=\"\"} 1\n"));
}

static void
test_histogram (void)
{
  g_autoptr (TgMetrics) metrics = tg_metrics_new ();
  g_autofree char *text = NULL;
  const char *sum;

  tg_metrics_observe (metrics, "t_seconds", "Times.", 0.0001, "op", "a", NULL);
  tg_metrics_observe (metrics, "t_seconds", NULL, 0.003, "op", "a", NULL);
  tg_metrics_observe (metrics, "t_seconds", NULL, 60, "op", "a", NULL);
  text = tg_metrics_render (metrics);
  /* Cumulative: a bucket counts what is at or under its bound. */
  g_assert_nonnull (strstr (text,
                            "\n# TYPE t_seconds histogram\n"
                            "t_seconds_bucket{op=\"a\",le=\"0.0001\"} 1\n"
                            "t_seconds_bucket{op=\"a\",le=\"0.00025\"} 1\n"));
  g_assert_nonnull (strstr (text,
                            "{op=\"a\",le=\"0.0025\"} 1\n"
                            "t_seconds_bucket{op=\"a\",le=\"0.005\"} 2\n"));
  g_assert_nonnull (strstr (text, "{op=\"a\",le=\"10\"} 2\n"
                                  "t_seconds_bucket{op=\"a\",le=\"+Inf\"} 3\n"
                                  "t_seconds_sum{op=\"a\"} "));
  sum = strstr (text, "t_seconds_sum{op=\"a\"} ")
        + strlen ("t_seconds_sum{op=\"a\"} ");
  g_assert_cmpfloat_with_epsilon (g_ascii_strtod (sum, NULL), 60.0031, 1e-9);
  g_assert_nonnull (strstr (text, "\nt_seconds_count{op=\"a\"} 3\n"));
}

static void
test_kinds_do_not_mix (void)
{
  g_autoptr (TgMetrics) metrics = tg_metrics_new ();
  g_autofree char *text = NULL;

  tg_metrics_add (metrics, "m_total", "M.", 1, NULL);
  g_test_expect_message ("tollgate", G_LOG_LEVEL_CRITICAL,
                         "metric m_total is a counter, not a gauge");
  tg_metrics_set (metrics, "m_total", "M.", 7, NULL);
  g_test_assert_expected_messages ();
  text = tg_metrics_render (metrics);
  g_assert_nonnull (strstr (text, "\nm_total 1\n"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/metrics/counters-and-gauges", test_counters_and_gauges);
  g_test_add_func ("/metrics/label-values-escaped", test_label_values_escaped);
  g_test_add_func ("/metrics/histogram", test_histogram);
  g_test_add_func ("/metrics/kinds-do-not-mix", test_kinds_do_not_mix);
  return g_test_run ();
}
