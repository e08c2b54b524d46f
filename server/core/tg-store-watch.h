/* What the token store tells the server: each admission's decision goes
 * to the metrics, by app, direction, door, scheme, result, reason and
 * stage (tollgate_token_decisions_total), and to the audit log, a line
 * each (tg-audit.h); each token operation's time to the metrics
 * (tollgate_store_operation_duration_seconds). */
#pragma once

#include "tg-audit.h"
#include "tg-metrics.h"
#include "tollgate.h"

typedef struct _TgStoreWatcher TgStoreWatcher;

/* Watches store (tg_store_set_watch) for metrics and audit (NULL: no
 * audit log), which must outlive the watcher; freed, it unwatches the
 * store (once no other thread uses it). */
TgStoreWatcher *tg_store_watcher_new (TgStore *store, TgMetrics *metrics,
                                      TgAudit *audit);
void tg_store_watcher_free (TgStoreWatcher *watcher);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgStoreWatcher, tg_store_watcher_free)

/* A token minted over REST, one-time or JWT
 * (tollgate_tokens_minted_total). */
void tg_metrics_count_mint (TgMetrics *metrics, const char *app,
                            TgTokenType type, gboolean jwt);
