/* The store's watcher for the metrics and the audit log: see
 * tg-store-watch.h. */
#include "tg-store-watch.h"

struct _TgStoreWatcher
{
  TgStore *store; /* a reference: unwatched when the watcher goes */
  TgMetrics *metrics;
  TgAudit *audit; /* or NULL */
};

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

/* One line of the audit log: the credential by its tag only, names a
 * client sent only once known to be plain (a known app, a valid id). */
static void
audit (TgAudit *audit, const TgAdmission *request, const char *scheme,
       const char *result, const char *reason)
{
  g_autoptr (JsonObject) line = json_object_new ();
  gboolean known_app = *scheme != '\0';
  gboolean valid_id = tg_stream_id_is_valid (request->stream_id);
  g_autofree char *tag = request->credential && *request->credential
                             ? tg_token_hash (request->credential)
                             : NULL;

  json_object_set_string_member (line, "event", "decision");
  json_object_set_string_member (line, "app", known_app ? request->app : NULL);
  json_object_set_string_member (line, "stream",
                                 valid_id ? request->stream_id : NULL);
  json_object_set_string_member (line, "door", request->door);
  json_object_set_string_member (line, "type",
                                 tg_token_type_to_string (request->type));
  json_object_set_string_member (line, "stage",
                                 request->spend ? "spend" : "check");
  json_object_set_string_member (line, "client", request->peer);
  json_object_set_string_member (line, "scheme", known_app ? scheme : NULL);
  json_object_set_string_member (line, "result", result);
  json_object_set_string_member (line, "reason", reason);
  json_object_set_string_member (line, "credential", tag);
  tg_audit_write (audit, line);
}

static void
admitted (const TgAdmission *request, const TgPolicy *policy, TgAdmit outcome,
          TgVerdict verdict, gpointer data)
{
  TgStoreWatcher *watcher = data;
  g_autofree char *door
      = g_ascii_strdown (request->door ? request->door : "", -1);
  /* An unknown app's name is the client's: it is not a label. */
  const char *app = policy ? request->app : "";
  const char *scheme = scheme_label (
      policy ? tg_policy_scheme (policy, request->type) : TG_SCHEME_NONE);
  const char *result = outcome == TG_ADMIT_OK            ? "admitted"
                       : outcome == TG_ADMIT_STORE_ERROR ? "error"
                                                         : "refused";
  const char *reason = reason_label (outcome, verdict);

  tg_metrics_add (watcher->metrics, "tollgate_token_decisions_total",
                  "Admissions decided, by app, direction, door, the app's "
                  "scheme for the direction, result, reason and stage (a "
                  "check before the token is spent, or the spend).",
                  1, "app", app, "direction",
                  tg_token_type_to_string (request->type), "door", door,
                  "scheme", scheme, "result", result, "reason", reason, "stage",
                  request->spend ? "spend" : "check", NULL);
  if (watcher->audit)
    audit (watcher->audit, request, policy ? scheme : "", result, reason);
}

static void
operation (const char *name, double seconds, gboolean answered, gpointer data)
{
  TgStoreWatcher *watcher = data;

  tg_metrics_observe (watcher->metrics,
                      "tollgate_store_operation_duration_seconds",
                      "How long the token store took, by operation.", seconds,
                      "operation", name, NULL);
  if (!answered)
    tg_metrics_add (watcher->metrics, "tollgate_store_errors_total",
                    "Token store operations that failed, by operation.", 1,
                    "operation", name, NULL);
}

TgStoreWatcher *
tg_store_watcher_new (TgStore *store, TgMetrics *metrics, TgAudit *audit)
{
  static const TgStoreWatch watch = { admitted, operation };
  TgStoreWatcher *watcher = g_new0 (TgStoreWatcher, 1);

  watcher->store = tg_store_ref (store);
  watcher->metrics = metrics;
  watcher->audit = audit;
  tg_store_set_watch (store, &watch, watcher);
  return watcher;
}

void
tg_store_watcher_free (TgStoreWatcher *watcher)
{
  if (watcher == NULL)
    return;
  tg_store_set_watch (watcher->store, NULL, NULL);
  tg_store_unref (watcher->store);
  g_free (watcher);
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
