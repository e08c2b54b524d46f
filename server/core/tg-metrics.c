/* Metrics in Prometheus' text format: see tg-metrics.h. */
#include "tg-metrics.h"

#include <stdarg.h>
#include <string.h>

typedef enum
{
  COUNTER,
  GAUGE,
  HISTOGRAM,
} Kind;

static const char *const KIND_NAMES[] = { "counter", "gauge", "histogram" };

/* Seconds: from a store's hot path (100 us) to a stalled one (10 s). */
static const double BUCKETS[]
    = { 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
        0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10 };
#define N_BUCKETS G_N_ELEMENTS (BUCKETS)

typedef struct
{
  double value;                 /* a counter's or gauge's; a sum */
  guint64 count;                /* a histogram's observations */
  guint64 in_bucket[N_BUCKETS]; /* each at or under its bound alone */
} Series;

typedef struct
{
  Kind kind;
  char *help;
  GTree *series; /* label text ("" or a="x",b="y") -> Series */
} Family;

struct _TgMetrics
{
  GMutex lock;
  GHashTable *families; /* name -> Family */
};

static void
family_free (Family *family)
{
  g_tree_unref (family->series);
  g_free (family->help);
  g_free (family);
}

TgMetrics *
tg_metrics_new (void)
{
  TgMetrics *metrics = g_new0 (TgMetrics, 1);

  g_mutex_init (&metrics->lock);
  metrics->families = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                             (GDestroyNotify) family_free);
  return metrics;
}

void
tg_metrics_free (TgMetrics *metrics)
{
  if (metrics == NULL)
    return;
  g_hash_table_unref (metrics->families);
  g_mutex_clear (&metrics->lock);
  g_free (metrics);
}

/* A label value as the format wants it: backslash, quote and newline
 * escaped. */
static void
append_escaped (GString *out, const char *value)
{
  for (const char *c = value; *c; c++)
    if (*c == '\\')
      g_string_append (out, "\\\\");
    else if (*c == '"')
      g_string_append (out, "\\\"");
    else if (*c == '\n')
      g_string_append (out, "\\n");
    else
      g_string_append_c (out, *c);
}

static char *
labels_of (va_list pairs)
{
  GString *text = g_string_new (NULL);
  const char *name;

  while ((name = va_arg (pairs, const char *)) != NULL)
    {
      const char *value = va_arg (pairs, const char *);

      g_string_append_printf (text, "%s%s=\"", text->len ? "," : "", name);
      append_escaped (text, value ? value : "");
      g_string_append_c (text, '"');
    }
  return g_string_free (text, FALSE);
}

static gint
by_text (gconstpointer a, gconstpointer b, gpointer unused)
{
  (void) unused;
  return strcmp (a, b);
}

/* The series name{labels} of that kind, made if new; locked. NULL (and a
 * critical: a programming error) when the name is another kind's. */
static Series *
series_of (TgMetrics *metrics, const char *name, const char *help, Kind kind,
           char *labels)
{
  Family *family = g_hash_table_lookup (metrics->families, name);
  Series *series;

  if (family == NULL)
    {
      family = g_new0 (Family, 1);
      family->kind = kind;
      family->help = g_strdup (help);
      family->series = g_tree_new_full (by_text, NULL, g_free, g_free);
      g_hash_table_insert (metrics->families, g_strdup (name), family);
    }
  if (family->kind != kind)
    {
      g_critical ("metric %s is a %s, not a %s", name, KIND_NAMES[family->kind],
                  KIND_NAMES[kind]);
      g_free (labels);
      return NULL;
    }
  series = g_tree_lookup (family->series, labels);
  if (series == NULL)
    {
      series = g_new0 (Series, 1);
      g_tree_insert (family->series, labels, series);
    }
  else
    g_free (labels);
  return series;
}

/* The series of name{pairs}, with the lock taken: the caller unlocks. */
static Series *
lock_series (TgMetrics *metrics, const char *name, const char *help, Kind kind,
             va_list pairs)
{
  char *labels = labels_of (pairs);

  g_mutex_lock (&metrics->lock);
  return series_of (metrics, name, help, kind, labels);
}

/* A counter or gauge's series: value added to it, or set. */
static void
put (TgMetrics *metrics, const char *name, const char *help, Kind kind,
     gboolean add, double value, va_list pairs)
{
  Series *series = lock_series (metrics, name, help, kind, pairs);

  if (series)
    series->value = add ? series->value + value : value;
  g_mutex_unlock (&metrics->lock);
}

void
tg_metrics_add (TgMetrics *metrics, const char *name, const char *help,
                guint64 by, ...)
{
  va_list pairs;

  va_start (pairs, by);
  put (metrics, name, help, COUNTER, TRUE, (double) by, pairs);
  va_end (pairs);
}

void
tg_metrics_set_total (TgMetrics *metrics, const char *name, const char *help,
                      guint64 total, ...)
{
  va_list pairs;

  va_start (pairs, total);
  put (metrics, name, help, COUNTER, FALSE, (double) total, pairs);
  va_end (pairs);
}

void
tg_metrics_set (TgMetrics *metrics, const char *name, const char *help,
                double value, ...)
{
  va_list pairs;

  va_start (pairs, value);
  put (metrics, name, help, GAUGE, FALSE, value, pairs);
  va_end (pairs);
}

static gboolean
zero_series (gpointer key, gpointer value, gpointer data)
{
  Series *series = value;

  (void) key;
  (void) data;
  series->value = 0;
  return FALSE;
}

void
tg_metrics_zero (TgMetrics *metrics, const char *name)
{
  Family *family;

  g_mutex_lock (&metrics->lock);
  family = g_hash_table_lookup (metrics->families, name);
  if (family && family->kind == GAUGE)
    g_tree_foreach (family->series, zero_series, NULL);
  g_mutex_unlock (&metrics->lock);
}

void
tg_metrics_observe (TgMetrics *metrics, const char *name, const char *help,
                    double value, ...)
{
  va_list pairs;
  Series *series;

  va_start (pairs, value);
  series = lock_series (metrics, name, help, HISTOGRAM, pairs);
  va_end (pairs);
  if (series)
    {
      guint b = 0;

      while (b < N_BUCKETS && value > BUCKETS[b])
        b++;
      if (b < N_BUCKETS)
        series->in_bucket[b]++;
      series->count++;
      series->value += value;
    }
  g_mutex_unlock (&metrics->lock);
}

typedef struct
{
  TgMetricsFunc func;
  gpointer data;
} Visit;

static gboolean
visit_series (gpointer key, gpointer value, gpointer data)
{
  Visit *visit = data;

  visit->func (key, ((Series *) value)->value, visit->data);
  return FALSE;
}

void
tg_metrics_foreach (TgMetrics *metrics, const char *name, TgMetricsFunc func,
                    gpointer data)
{
  Visit visit = { func, data };
  Family *family;

  g_mutex_lock (&metrics->lock);
  family = g_hash_table_lookup (metrics->families, name);
  if (family && family->kind != HISTOGRAM)
    g_tree_foreach (family->series, visit_series, &visit);
  g_mutex_unlock (&metrics->lock);
}

char *
tg_metrics_label (const char *labels, const char *name)
{
  gsize length = strlen (name);
  const char *at = labels;

  /* Each label is name="value" with \\, \" and \n escaped, then a comma. */
  while (*at)
    {
      gboolean wanted = strncmp (at, name, length) == 0 && at[length] == '='
                        && at[length + 1] == '"';
      g_autoptr (GString) value = g_string_new (NULL);

      at = strchr (at, '"');
      if (at == NULL)
        return NULL;
      for (at++; *at && *at != '"'; at++)
        if (*at == '\\' && at[1])
          g_string_append_c (value, *++at == 'n' ? '\n' : *at);
        else
          g_string_append_c (value, *at);
      if (wanted)
        return g_string_free (g_steal_pointer (&value), FALSE);
      if (*at == '"')
        at++;
      if (*at == ',')
        at++;
    }
  return NULL;
}

static void
append_number (GString *out, double value)
{
  char text[G_ASCII_DTOSTR_BUF_SIZE];

  g_string_append (out, g_ascii_dtostr (text, sizeof text, value));
}

/* name{labels[,extra]} value */
static void
append_sample (GString *out, const char *name, const char *suffix,
               const char *labels, const char *extra, double value)
{
  gboolean braces = *labels || extra;

  g_string_append_printf (
      out, "%s%s%s%s%s%s%s ", name, suffix, braces ? "{" : "", labels,
      *labels && extra ? "," : "", extra ? extra : "", braces ? "}" : "");
  append_number (out, value);
  g_string_append_c (out, '\n');
}

typedef struct
{
  GString *out;
  const char *name;
  Kind kind;
} Writing;

static gboolean
write_series (gpointer key, gpointer value, gpointer data)
{
  const char *labels = key;
  Series *series = value;
  Writing *w = data;
  guint64 cumulative = 0;

  if (w->kind != HISTOGRAM)
    {
      append_sample (w->out, w->name, "", labels, NULL, series->value);
      return FALSE;
    }
  for (guint b = 0; b < N_BUCKETS; b++)
    {
      char bound[G_ASCII_DTOSTR_BUF_SIZE];
      g_autofree char *le = NULL;

      cumulative += series->in_bucket[b];
      le = g_strdup_printf (
          "le=\"%s\"", g_ascii_formatd (bound, sizeof bound, "%g", BUCKETS[b]));
      append_sample (w->out, w->name, "_bucket", labels, le,
                     (double) cumulative);
    }
  append_sample (w->out, w->name, "_bucket", labels, "le=\"+Inf\"",
                 (double) series->count);
  append_sample (w->out, w->name, "_sum", labels, NULL, series->value);
  append_sample (w->out, w->name, "_count", labels, NULL,
                 (double) series->count);
  return FALSE;
}

static gint
by_name (gconstpointer a, gconstpointer b, gpointer unused)
{
  (void) unused;
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

char *
tg_metrics_render (TgMetrics *metrics)
{
  GString *out = g_string_new (NULL);
  g_autofree const char **names = NULL;

  g_mutex_lock (&metrics->lock);
  names = (const char **) g_hash_table_get_keys_as_array (metrics->families,
                                                          NULL);
  g_qsort_with_data (names, g_hash_table_size (metrics->families),
                     sizeof *names, by_name, NULL);
  for (guint i = 0; names[i]; i++)
    {
      Family *family = g_hash_table_lookup (metrics->families, names[i]);
      Writing w = { out, names[i], family->kind };

      g_string_append_printf (out, "# HELP %s %s\n# TYPE %s %s\n", names[i],
                              family->help, names[i], KIND_NAMES[family->kind]);
      g_tree_foreach (family->series, write_series, &w);
    }
  g_mutex_unlock (&metrics->lock);
  return g_string_free (out, FALSE);
}
