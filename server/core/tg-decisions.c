/* The token decisions of the last hour: see tg-decisions.h. */
#include "tg-decisions.h"

/* One more than the minutes shown: the one before the oldest ends where the
 * oldest starts. */
#define SLOTS (TG_DECISIONS_MINUTES + 1)

typedef struct
{
  gint64 minute; /* unix minutes; -1: empty */
  TgDecisionTotals totals;
} Sample;

struct _TgDecisions
{
  TgMetrics *metrics;
  GMutex lock;
  Sample samples[SLOTS]; /* by minute % SLOTS */
  guint timeout;
};

TgDecisions *
tg_decisions_new (TgMetrics *metrics)
{
  TgDecisions *decisions = g_new0 (TgDecisions, 1);

  decisions->metrics = metrics;
  g_mutex_init (&decisions->lock);
  for (guint i = 0; i < SLOTS; i++)
    decisions->samples[i].minute = -1;
  return decisions;
}

void
tg_decisions_free (TgDecisions *decisions)
{
  if (decisions == NULL)
    return;
  if (decisions->timeout)
    g_source_remove (decisions->timeout);
  g_mutex_clear (&decisions->lock);
  g_free (decisions);
}

/* Whether a series counts: a check, or a spend no check came before. */
static gboolean
counts (const char *labels)
{
  g_autofree char *stage = tg_metrics_label (labels, "stage");
  g_autofree char *door = NULL;
  g_autofree char *direction = NULL;

  if (g_strcmp0 (stage, "check") == 0)
    return TRUE;
  if (g_strcmp0 (stage, "spend") != 0)
    return FALSE;
  door = tg_metrics_label (labels, "door");
  direction = tg_metrics_label (labels, "direction");
  return g_strcmp0 (door, "http") == 0
         || (g_strcmp0 (door, "rtsp") == 0
             && g_strcmp0 (direction, "play") == 0);
}

static void
add_series (const char *labels, double value, gpointer data)
{
  TgDecisionTotals *totals = data;
  g_autofree char *result = NULL;

  if (!counts (labels))
    return;
  result = tg_metrics_label (labels, "result");
  if (g_strcmp0 (result, "admitted") == 0)
    totals->admitted += (guint64) value;
  else if (g_strcmp0 (result, "refused") == 0)
    totals->refused += (guint64) value;
}

TgDecisionTotals
tg_decisions_totals (TgMetrics *metrics)
{
  TgDecisionTotals totals = { 0, 0 };

  tg_metrics_foreach (metrics, "tollgate_token_decisions_total", add_series,
                      &totals);
  return totals;
}

static gint64
minute_of (gint64 ms)
{
  return ms / TG_DECISIONS_STEP_MS;
}

void
tg_decisions_sample (TgDecisions *decisions, gint64 now_ms)
{
  gint64 minute = minute_of (now_ms);
  TgDecisionTotals totals = tg_decisions_totals (decisions->metrics);
  Sample *sample = &decisions->samples[minute % SLOTS];

  g_mutex_lock (&decisions->lock);
  if (sample->minute != minute)
    *sample = (Sample){ minute, totals };
  g_mutex_unlock (&decisions->lock);
}

/* The totals at the start of minute, or NULL; locked. */
static const TgDecisionTotals *
totals_at (TgDecisions *decisions, gint64 minute)
{
  const Sample *sample = &decisions->samples[minute % SLOTS];

  return minute >= 0 && sample->minute == minute ? &sample->totals : NULL;
}

void
tg_decisions_points (TgDecisions *decisions, gint64 now_ms,
                     TgDecisionPoint points[TG_DECISIONS_MINUTES])
{
  gint64 now = minute_of (now_ms);
  TgDecisionTotals live = tg_decisions_totals (decisions->metrics);

  g_mutex_lock (&decisions->lock);
  for (guint i = 0; i < TG_DECISIONS_MINUTES; i++)
    {
      gint64 minute = now - (TG_DECISIONS_MINUTES - 1) + i;
      const TgDecisionTotals *start = totals_at (decisions, minute);
      const TgDecisionTotals *end
          = minute == now ? &live : totals_at (decisions, minute + 1);

      points[i] = (TgDecisionPoint){ minute * TG_DECISIONS_STEP_MS, 0, 0 };
      /* Counters only grow; MAX guards a sample taken out of order. */
      if (start && end)
        {
          points[i].admitted
              = MAX (end->admitted, start->admitted) - start->admitted;
          points[i].refused
              = MAX (end->refused, start->refused) - start->refused;
        }
    }
  g_mutex_unlock (&decisions->lock);
}

static gboolean tick (gpointer data);

/* Samples now and wakes at the next minute's start. */
static void
sample_and_rearm (TgDecisions *decisions)
{
  gint64 now_ms = g_get_real_time () / 1000;
  gint64 wait = TG_DECISIONS_STEP_MS - now_ms % TG_DECISIONS_STEP_MS;

  tg_decisions_sample (decisions, now_ms);
  decisions->timeout = g_timeout_add ((guint) wait, tick, decisions);
}

static gboolean
tick (gpointer data)
{
  sample_and_rearm (data);
  return G_SOURCE_REMOVE;
}

void
tg_decisions_start (TgDecisions *decisions)
{
  sample_and_rearm (decisions);
}
