/* The token decisions of the last hour, minute by minute, for the console's
 * chart (GET /rest/v2/token-decisions), from the metrics'
 * tollgate_token_decisions_total. An admission counts once: its check at
 * the door, or, at the doors that decide only as they spend (HTTP playback,
 * RTSP play), that spend; a spend after a check is not counted again.
 * The totals are sampled at the start of each minute (a timeout on the main
 * context); the current minute runs to the totals of the moment asked. */
#pragma once

#include "tg-metrics.h"

#define TG_DECISIONS_MINUTES 60
#define TG_DECISIONS_STEP_MS ((gint64) 60000)

typedef struct
{
  guint64 admitted, refused;
} TgDecisionTotals;

typedef struct
{
  gint64 time; /* the minute's start, unix milliseconds */
  guint64 admitted, refused;
} TgDecisionPoint;

typedef struct _TgDecisions TgDecisions;

/* Samples nothing until tg_decisions_sample or tg_decisions_start. */
TgDecisions *tg_decisions_new (TgMetrics *metrics);
void tg_decisions_free (TgDecisions *decisions);

/* The admitted and refused decisions counted so far (a store's errors are
 * neither). */
TgDecisionTotals tg_decisions_totals (TgMetrics *metrics);

/* Takes the totals now (unix milliseconds) as those at the start of now's
 * minute, unless that minute has them already. */
void tg_decisions_sample (TgDecisions *decisions, gint64 now_ms);

/* The TG_DECISIONS_MINUTES minutes up to now's, oldest first; a minute
 * with no sample at its start, or at the next one's, has none. */
void tg_decisions_points (TgDecisions *decisions, gint64 now_ms,
                          TgDecisionPoint points[TG_DECISIONS_MINUTES]);

/* Samples now, then at the start of every minute (main context). */
void tg_decisions_start (TgDecisions *decisions);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgDecisions, tg_decisions_free)
