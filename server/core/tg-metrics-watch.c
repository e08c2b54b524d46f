/* The store's watcher for the metrics: see tg-metrics-watch.h. */
#include "tg-metrics-watch.h"

/* A label's form of the scheme: the names of the app's settings. */
static const char *
scheme_label (TgScheme scheme)
{
  switch (scheme)
    {
    case TG_SCHEME_ONE_TIME:
      return "token";
    case TG_SCHEME_JWT:
      return "jwt";
    case TG_SCHEME_NONE:
      break;
    }
  return "none";
}

/* Why: the token's verdict when it was refused, else the outcome's. */
static const char *
reason_label (TgAdmit outcome, TgVerdict verdict)
{
  switch (outcome)
    {
    case TG_ADMIT_OK:
      return "ok";
    case TG_ADMIT_INVALID_STREAM_ID:
      return "invalid-stream-id";
    case TG_ADMIT_UNKNOWN_APP:
      return "unknown-app";
    case TG_ADMIT_UNREGISTERED:
      return "unregistered-stream";
    case TG_ADMIT_IN_USE:
      return "stream-in-use";
    case TG_ADMIT_NO_TOKEN:
      return "no-token";
    case TG_ADMIT_REFUSED:
      return tg_verdict_to_string (verdict);
    case TG_ADMIT_STORE_ERROR:
      break;
    }
  return "store-error";
}

static void
admitted (const TgAdmission *request, const TgPolicy *policy, TgAdmit outcome,
          TgVerdict verdict, gpointer data)
{
  g_autofree char *door
      = g_ascii_strdown (request->door ? request->door : "", -1);
  /* An unknown app's name is the client's: it is not a label. */
  const char *app = policy ? request->app : "";
  TgScheme scheme
      = policy ? tg_policy_scheme (policy, request->type) : TG_SCHEME_NONE;
  const char *result = outcome == TG_ADMIT_OK            ? "admitted"
                       : outcome == TG_ADMIT_STORE_ERROR ? "error"
                                                         : "refused";

  tg_metrics_add (data, "tollgate_token_decisions_total",
                  "Admissions decided, by app, direction, door, the app's "
                  "scheme for the direction, result, reason and stage (a "
                  "check before the token is spent, or the spend).",
                  1, "app", app, "direction",
                  tg_token_type_to_string (request->type), "door", door,
                  "scheme", scheme_label (scheme), "result", result, "reason",
                  reason_label (outcome, verdict), "stage",
                  request->spend ? "spend" : "check", NULL);
}

static void
operation (const char *name, double seconds, gboolean answered, gpointer data)
{
  tg_metrics_observe (data, "tollgate_store_operation_duration_seconds",
                      "How long the token store took, by operation.", seconds,
                      "operation", name, NULL);
  if (!answered)
    tg_metrics_add (data, "tollgate_store_errors_total",
                    "Token store operations that failed, by operation.", 1,
                    "operation", name, NULL);
}

void
tg_metrics_watch_store (TgMetrics *metrics, TgStore *store)
{
  static const TgStoreWatch watch = { admitted, operation };

  tg_store_set_watch (store, &watch, metrics);
}

void
tg_metrics_count_mint (TgMetrics *metrics, const char *app, TgTokenType type,
                       gboolean jwt)
{
  tg_metrics_add (metrics, "tollgate_tokens_minted_total",
                  "Tokens minted over REST, by app, direction and scheme.", 1,
                  "app", app, "direction", tg_token_type_to_string (type),
                  "scheme", jwt ? "jwt" : "token", NULL);
}
