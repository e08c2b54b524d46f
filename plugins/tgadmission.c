/* The admission decision of every door: see tollgate.h. */
#include "tgstore-private.h"

#include <json-glib/json-glib.h>

#define SETTINGS_KIND "settings"

void
tg_policy_free (TgPolicy *policy)
{
  if (policy == NULL)
    return;
  g_free (policy->jwt_secret);
  g_free (policy);
}

TgScheme
tg_policy_scheme (const TgPolicy *policy, TgTokenType type)
{
  return type == TG_TOKEN_TYPE_PUBLISH ? policy->publish : policy->play;
}

static gboolean
flag (JsonObject *settings, const char *name)
{
  JsonNode *node = json_object_get_member (settings, name);

  return node && JSON_NODE_HOLDS_VALUE (node)
         && json_node_get_value_type (node) == G_TYPE_BOOLEAN
         && json_node_get_boolean (node);
}

static TgScheme
scheme (JsonObject *settings, const char *one_time, const char *jwt)
{
  /* Both on is refused when settings are stored; were a record to say so,
   * JWT is the one that needs a secret as well as a token. */
  if (flag (settings, jwt))
    return TG_SCHEME_JWT;
  return flag (settings, one_time) ? TG_SCHEME_ONE_TIME : TG_SCHEME_NONE;
}

TgPolicy *
tg_policy_from_json (const char *settings_json, GError **error)
{
  g_autoptr (JsonNode) root = json_from_string (settings_json, error);
  JsonObject *settings;
  TgPolicy *policy;
  const char *secret;

  if (root == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, TG_ERROR, TG_ERROR_STORE,
                   "The app's settings are not a JSON object");
      return NULL;
    }
  settings = json_node_get_object (root);
  policy = g_new0 (TgPolicy, 1);
  policy->publish = scheme (settings, "publishTokenControlEnabled",
                            "publishJwtControlEnabled");
  policy->play
      = scheme (settings, "playTokenControlEnabled", "playJwtControlEnabled");
  policy->only_registered = flag (settings, "acceptOnlyStreamsInDataStore");
  secret = json_object_has_member (settings, "jwtStreamSecretKey")
               ? json_object_get_string_member_with_default (
                   settings, "jwtStreamSecretKey", "")
               : "";
  policy->jwt_secret = g_strdup (secret ? secret : "");
  return policy;
}

TgPolicy *
tg_policy_load (TgStore *store, const char *app, GError **error)
{
  g_autofree char *text
      = tg_store_record_get (store, SETTINGS_KIND, app, error);

  return text ? tg_policy_from_json (text, error) : NULL;
}

const char *
tg_admit_to_string (TgAdmit outcome)
{
  switch (outcome)
    {
    case TG_ADMIT_OK:
      return "admitted";
    case TG_ADMIT_INVALID_STREAM_ID:
      return "invalid stream id";
    case TG_ADMIT_UNKNOWN_APP:
      return "unknown application";
    case TG_ADMIT_UNREGISTERED:
      return "not_allowed_unregistered_streams";
    case TG_ADMIT_IN_USE:
      return "streamIdInUse";
    case TG_ADMIT_NO_TOKEN:
      return "no token";
    case TG_ADMIT_REFUSED:
      return "token refused";
    case TG_ADMIT_STORE_ERROR:
      return "store error";
    }
  return "unknown outcome";
}

gboolean
tg_stream_id_is_valid (const char *id)
{
  gsize length = id ? strlen (id) : 0;

  if (length == 0 || length > 128)
    return FALSE;
  for (const char *c = id; *c; c++)
    if (!g_ascii_isalnum (*c) && *c != '_' && *c != '.' && *c != '-')
      return FALSE;
  return TRUE;
}

char *
tg_broadcast_kind (const char *app)
{
  return g_strconcat ("broadcast:", app, NULL);
}

/* acceptOnlyStreamsInDataStore: whether the stream has a broadcast. */
static TgAdmit
registered (TgStore *store, const TgAdmission *request, GError **error)
{
  g_autofree char *kind = tg_broadcast_kind (request->app);
  g_autoptr (GError) local = NULL;
  g_autofree char *record
      = tg_store_record_get (store, kind, request->stream_id, &local);

  if (record)
    return TG_ADMIT_OK;
  if (g_error_matches (local, TG_ERROR, TG_ERROR_NOT_FOUND))
    return TG_ADMIT_UNREGISTERED;
  g_propagate_error (error, g_steal_pointer (&local));
  return TG_ADMIT_STORE_ERROR;
}

static TgVerdict
check_credential (TgStore *store, const TgPolicy *policy,
                  const TgAdmission *request, GError **error)
{
  if (tg_policy_scheme (policy, request->type) == TG_SCHEME_JWT)
    return tg_jwt_verify (request->credential, policy->jwt_secret,
                          request->stream_id, request->type,
                          g_get_real_time () / G_USEC_PER_SEC);
  if (request->spend)
    return tg_store_consume (store, request->app, request->credential,
                             request->stream_id, request->type, NULL, error);
  return tg_store_check (store, request->app, request->credential,
                         request->stream_id, request->type, error);
}

static TgAdmit
decide (TgStore *store, const TgPolicy *policy, const TgAdmission *request,
        TgVerdict *verdict, GError **error)
{
  TgAdmit outcome;

  if (!tg_stream_id_is_valid (request->stream_id))
    return TG_ADMIT_INVALID_STREAM_ID;
  if (policy == NULL)
    return TG_ADMIT_UNKNOWN_APP;
  if (request->type == TG_TOKEN_TYPE_PUBLISH && policy->only_registered
      && (outcome = registered (store, request, error)) != TG_ADMIT_OK)
    return outcome;
  if (request->claim && !request->claim (request->claim_data))
    return TG_ADMIT_IN_USE;
  if (tg_policy_scheme (policy, request->type) == TG_SCHEME_NONE)
    return TG_ADMIT_OK;
  if (request->credential == NULL || *request->credential == '\0')
    return TG_ADMIT_NO_TOKEN;
  *verdict = check_credential (store, policy, request, error);
  if (*verdict == TG_VERDICT_OK)
    return TG_ADMIT_OK;
  return *verdict == TG_VERDICT_STORE_ERROR ? TG_ADMIT_STORE_ERROR
                                            : TG_ADMIT_REFUSED;
}

static const char *
scheme_name (TgScheme scheme)
{
  return scheme == TG_SCHEME_JWT        ? "JWT"
         : scheme == TG_SCHEME_ONE_TIME ? "token"
                                        : "no token";
}

TgAdmit
tg_admit (TgStore *store, const TgPolicy *policy, const TgAdmission *request,
          TgVerdict *verdict, GError **error)
{
  TgVerdict local_verdict = TG_VERDICT_OK;
  TgAdmit outcome = decide (store, policy, request, &local_verdict, error);
  g_autofree char *tag = request->credential && *request->credential
                             ? tg_token_hash (request->credential)
                             : g_strdup ("-");

  /* The credential by its tag only: tokens never reach a log. */
  /* Names a client sent are logged only once known to be plain. */
  g_info ("%s %s/%s over %s, %s %s: %s%s%s",
          tg_token_type_to_string (request->type),
          policy ? request->app : "(unknown app)",
          outcome != TG_ADMIT_INVALID_STREAM_ID ? request->stream_id
                                                : "(invalid id)",
          request->door ? request->door : "?",
          policy ? scheme_name (tg_policy_scheme (policy, request->type)) : "-",
          tag, tg_admit_to_string (outcome),
          outcome == TG_ADMIT_REFUSED ? ", " : "",
          outcome == TG_ADMIT_REFUSED ? tg_verdict_to_string (local_verdict)
                                      : "");
  tg_store_tell_admitted (store, request, policy, outcome, local_verdict);
  if (verdict)
    *verdict = local_verdict;
  return outcome;
}
