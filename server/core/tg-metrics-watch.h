/* What the token store tells the metrics: each admission's decision, by
 * app, direction, door, scheme, result, reason and stage
 * (tollgate_token_decisions_total), and each token operation's time
 * (tollgate_store_operation_duration_seconds). */
#pragma once

#include "tg-metrics.h"
#include "tollgate.h"

/* metrics must outlive the store's use. */
void tg_metrics_watch_store (TgMetrics *metrics, TgStore *store);

/* A token minted over REST, one-time or JWT
 * (tollgate_tokens_minted_total). */
void tg_metrics_count_mint (TgMetrics *metrics, const char *app,
                            TgTokenType type, gboolean jwt);
