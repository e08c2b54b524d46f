/* The server's metrics: counters, gauges and histograms by name and labels,
 * written out in Prometheus' text format (version 0.0.4) for GET /metrics.
 * Names follow Prometheus' conventions: a tollgate_ prefix, _total on
 * counters, base units (seconds, bytes). Label values are only ever names
 * the server knows (an app that exists, a door, a reason), never what a
 * client sent unchecked: each distinct set of labels is kept for good. */
#pragma once

#include <glib.h>

typedef struct _TgMetrics TgMetrics;

TgMetrics *tg_metrics_new (void);
void tg_metrics_free (TgMetrics *metrics);

/* Adds by to the counter name{labels}; the labels are pairs of name and
 * value, then NULL. The first call for a name gives its help text. */
void tg_metrics_add (TgMetrics *metrics, const char *name, const char *help,
                     guint64 by, ...) G_GNUC_NULL_TERMINATED;

/* Sets the counter name{labels} to total, counted elsewhere since the
 * start (read as the metrics are asked for). */
void tg_metrics_set_total (TgMetrics *metrics, const char *name,
                           const char *help, guint64 total,
                           ...) G_GNUC_NULL_TERMINATED;

/* Sets the gauge name{labels} to value. */
void tg_metrics_set (TgMetrics *metrics, const char *name, const char *help,
                     double value, ...) G_GNUC_NULL_TERMINATED;

/* Sets every series of the gauge name to 0 (before a scrape sets those
 * that are there now). */
void tg_metrics_zero (TgMetrics *metrics, const char *name);

/* Counts value (in seconds) in the histogram name{labels}, whose buckets
 * run from 100 us to 10 s. */
void tg_metrics_observe (TgMetrics *metrics, const char *name, const char *help,
                         double value, ...) G_GNUC_NULL_TERMINATED;

/* Calls func with the labels (as rendered: a="x",b="y") and value of each
 * series of the counter or gauge name, with the registry locked: func must
 * not call back into it. */
typedef void (*TgMetricsFunc) (const char *labels, double value, gpointer data);
void tg_metrics_foreach (TgMetrics *metrics, const char *name,
                         TgMetricsFunc func, gpointer data);

/* The value of the label name in labels as tg_metrics_foreach gives them,
 * unescaped, or NULL when it has none. */
char *tg_metrics_label (const char *labels, const char *name);

/* Every metric, families by name, series by labels. */
char *tg_metrics_render (TgMetrics *metrics);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgMetrics, tg_metrics_free)
