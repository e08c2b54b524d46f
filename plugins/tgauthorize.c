/* The token check shared by tokencheck and tokenbin; see tgauthorize.h. */
#include "tgauthorize.h"

GST_DEBUG_CATEGORY_STATIC (tg_authorize_debug);
#define GST_CAT_DEFAULT tg_authorize_debug

GType
tg_token_check_type_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    { TG_TOKEN_CHECK_TYPE_PUBLISH, "A publisher's token", "publish" },
    { TG_TOKEN_CHECK_TYPE_PLAY, "A viewer's token", "play" },
    { 0, NULL, NULL },
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type,
                       g_enum_register_static ("TgTokenCheckType", values));
  return type;
}

void
tg_authorize_init (TgAuthorize *auth)
{
  *auth = (TgAuthorize){ .type = TG_TOKEN_CHECK_TYPE_PLAY };
}

void
tg_authorize_clear (TgAuthorize *auth)
{
  g_clear_pointer (&auth->store_uri, g_free);
  g_clear_pointer (&auth->app, g_free);
  g_clear_pointer (&auth->stream_id, g_free);
  g_clear_pointer (&auth->token, g_free);
  g_clear_pointer (&auth->context_store, tg_store_unref);
}

void
tg_authorize_install_properties (GObjectClass *klass)
{
  static gsize debug_ready = 0;

  if (g_once_init_enter (&debug_ready))
    {
      GST_DEBUG_CATEGORY_INIT (tg_authorize_debug, "tgauthorize", 0,
                               "Tollgate token checks");
      g_once_init_leave (&debug_ready, 1);
    }

  g_object_class_install_property (
      klass, TG_AUTHORIZE_PROP_STORE,
      g_param_spec_string (
          "store", "Token store",
          "URI of the token store (sqlite:///abs/path.db or memory://), "
          "opened only when no store arrives through a GstContext of type "
          "\"" TG_STORE_CONTEXT_TYPE "\"",
          NULL, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (
      klass, TG_AUTHORIZE_PROP_APP,
      g_param_spec_string ("app", "Application",
                           "Name of the application the token belongs to", NULL,
                           G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (
      klass, TG_AUTHORIZE_PROP_STREAM_ID,
      g_param_spec_string ("stream-id", "Stream id",
                           "Id of the stream the token must be valid for", NULL,
                           G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (
      klass, TG_AUTHORIZE_PROP_TYPE,
      g_param_spec_enum ("type", "Token type",
                         "What the token must allow: publishing the stream "
                         "or playing it",
                         TG_TYPE_TOKEN_CHECK_TYPE, TG_TOKEN_CHECK_TYPE_PLAY,
                         G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (
      klass, TG_AUTHORIZE_PROP_TOKEN,
      g_param_spec_string ("token", "Token",
                           "The one-time token (spent) or JWT (checked), as "
                           "the app's settings in the store ask, the first "
                           "time the element goes from NULL to READY "
                           "(write-only: a secret)",
                           NULL, G_PARAM_WRITABLE | G_PARAM_STATIC_STRINGS));
}

/* Replaces *field by value; a new value withdraws the grant. */
static void
set_grant_field (TgAuthorize *auth, char **field, const char *value)
{
  if (g_strcmp0 (*field, value) == 0)
    return;
  g_free (*field);
  *field = g_strdup (value);
  g_atomic_int_set (&auth->authorised, FALSE);
}

gboolean
tg_authorize_set_property (GstElement *element, TgAuthorize *auth,
                           guint prop_id, const GValue *value)
{
  gboolean mine = TRUE;

  GST_OBJECT_LOCK (element);
  switch (prop_id)
    {
    case TG_AUTHORIZE_PROP_STORE:
      g_free (auth->store_uri);
      auth->store_uri = g_value_dup_string (value);
      break;
    case TG_AUTHORIZE_PROP_APP:
      set_grant_field (auth, &auth->app, g_value_get_string (value));
      break;
    case TG_AUTHORIZE_PROP_STREAM_ID:
      set_grant_field (auth, &auth->stream_id, g_value_get_string (value));
      break;
    case TG_AUTHORIZE_PROP_TYPE:
      if ((TgTokenCheckType) g_value_get_enum (value) != auth->type)
        {
          auth->type = g_value_get_enum (value);
          g_atomic_int_set (&auth->authorised, FALSE);
        }
      break;
    case TG_AUTHORIZE_PROP_TOKEN:
      set_grant_field (auth, &auth->token, g_value_get_string (value));
      break;
    default:
      mine = FALSE;
    }
  GST_OBJECT_UNLOCK (element);
  return mine;
}

gboolean
tg_authorize_get_property (GstElement *element, TgAuthorize *auth,
                           guint prop_id, GValue *value)
{
  gboolean mine = TRUE;

  GST_OBJECT_LOCK (element);
  switch (prop_id)
    {
    case TG_AUTHORIZE_PROP_STORE:
      g_value_set_string (value, auth->store_uri);
      break;
    case TG_AUTHORIZE_PROP_APP:
      g_value_set_string (value, auth->app);
      break;
    case TG_AUTHORIZE_PROP_STREAM_ID:
      g_value_set_string (value, auth->stream_id);
      break;
    case TG_AUTHORIZE_PROP_TYPE:
      g_value_set_enum (value, auth->type);
      break;
    default:
      mine = FALSE; /* including the write-only token */
    }
  GST_OBJECT_UNLOCK (element);
  return mine;
}

void
tg_authorize_set_context (GstElement *element, TgAuthorize *auth,
                          GstContext *context)
{
  TgStore *store = NULL;

  if (!gst_context_has_context_type (context, TG_STORE_CONTEXT_TYPE))
    return;
  if (!gst_structure_get (gst_context_get_structure (context), "store",
                          TG_TYPE_STORE, &store, NULL)
      || store == NULL)
    {
      GST_WARNING_OBJECT (element, "context %s without a store",
                          TG_STORE_CONTEXT_TYPE);
      return;
    }
  GST_DEBUG_OBJECT (element, "store %s from a context",
                    tg_store_get_uri (store));
  GST_OBJECT_LOCK (element);
  g_clear_pointer (&auth->context_store, tg_store_unref);
  auth->context_store = store;
  GST_OBJECT_UNLOCK (element);
}

gboolean
tg_authorize_is_authorised (TgAuthorize *auth)
{
  return g_atomic_int_get (&auth->authorised);
}

void
tg_authorize_post_refusal (GstElement *element, TgAuthorize *auth,
                           const char *reason, const char *detail)
{
  g_autofree char *stream_id = NULL;

  GST_OBJECT_LOCK (element);
  stream_id = g_strdup (auth->stream_id);
  GST_OBJECT_UNLOCK (element);
  GST_ELEMENT_ERROR (element, RESOURCE, NOT_AUTHORIZED,
                     ("Token refused for stream %s: %s",
                      stream_id ? stream_id : "(none)", reason),
                     ("%s", detail));
}

static gboolean
refuse (GstElement *element, TgAuthorize *auth, const char *reason,
        const char *detail)
{
  tg_authorize_post_refusal (element, auth, reason, detail);
  return FALSE;
}

static TgStore *
dup_context_store (GstElement *element, TgAuthorize *auth)
{
  TgStore *store = NULL;

  GST_OBJECT_LOCK (element);
  if (auth->context_store)
    store = tg_store_ref (auth->context_store);
  GST_OBJECT_UNLOCK (element);
  return store;
}

static gboolean
query_peer (GstElement *element, GstPad *pad, gpointer query)
{
  return !gst_pad_peer_query (pad, query); /* go on while unanswered */
}

/* The usual GstContext dance: ask the neighbours, then the application
 * (through the bins, which answer from their own contexts). */
static TgStore *
find_context_store (GstElement *element, TgAuthorize *auth)
{
  TgStore *store = dup_context_store (element, auth);
  g_autoptr (GstQuery) query = NULL;

  if (store)
    return store;

  query = gst_query_new_context (TG_STORE_CONTEXT_TYPE);
  if (!gst_element_foreach_src_pad (element, query_peer, query)
      || !gst_element_foreach_sink_pad (element, query_peer, query))
    {
      GstContext *context = NULL;

      gst_query_parse_context (query, &context);
      if (context)
        gst_element_set_context (element, context);
    }
  store = dup_context_store (element, auth);
  if (store)
    return store;

  gst_element_post_message (
      element, gst_message_new_need_context (GST_OBJECT (element),
                                             TG_STORE_CONTEXT_TYPE));
  return dup_context_store (element, auth);
}

/* The app's admission policy from the store's record of its settings,
 * as the server keeps them. An app the store has no settings of (a store
 * used without the server) asks for a one-time token both ways: the
 * element's own rule. */
static TgPolicy *
load_policy (TgStore *store, const char *app, GError **error)
{
  g_autoptr (GError) local = NULL;
  TgPolicy *policy = tg_policy_load (store, app, &local);

  if (policy || !g_error_matches (local, TG_ERROR, TG_ERROR_NOT_FOUND))
    {
      if (local)
        g_propagate_error (error, g_steal_pointer (&local));
      return policy;
    }
  policy = g_new0 (TgPolicy, 1);
  policy->publish = policy->play = TG_SCHEME_ONE_TIME;
  policy->jwt_secret = g_strdup ("");
  return policy;
}

gboolean
tg_authorize_consume (GstElement *element, TgAuthorize *auth)
{
  g_autofree char *uri = NULL;
  g_autofree char *app = NULL;
  g_autofree char *stream_id = NULL;
  g_autofree char *token = NULL;
  g_autofree char *hash = NULL;
  g_autofree char *detail = NULL;
  g_autoptr (TgStore) store = NULL;
  g_autoptr (TgPolicy) policy = NULL;
  g_autoptr (GError) error = NULL;
  TgAdmission request;
  TgTokenType type;
  TgVerdict verdict = TG_VERDICT_OK;
  TgAdmit outcome;

  if (tg_authorize_is_authorised (auth))
    {
      GST_DEBUG_OBJECT (element, "already authorised, not consuming again");
      return TRUE;
    }

  GST_OBJECT_LOCK (element);
  uri = g_strdup (auth->store_uri);
  app = g_strdup (auth->app);
  stream_id = g_strdup (auth->stream_id);
  token = g_strdup (auth->token);
  type = (TgTokenType) auth->type;
  GST_OBJECT_UNLOCK (element);

  if (!token || !*token)
    return refuse (element, auth, "no token", "the token property is not set");
  if (!app || !*app)
    return refuse (element, auth, "no app", "the app property is not set");
  if (!stream_id || !*stream_id)
    return refuse (element, auth, "no stream-id",
                   "the stream-id property is not set");

  store = find_context_store (element, auth);
  if (!store && uri && *uri)
    {
      store = tg_store_open (uri, &error);
      if (!store)
        {
          detail = g_strdup_printf ("could not open store %s: %s", uri,
                                    error->message);
          return refuse (element, auth,
                         tg_verdict_to_string (TG_VERDICT_STORE_ERROR), detail);
        }
    }
  if (!store)
    return refuse (element, auth, "no token store",
                   "no " TG_STORE_CONTEXT_TYPE " context, no store property");

  policy = load_policy (store, app, &error);
  if (policy == NULL)
    {
      detail = g_strdup_printf ("the settings of app %s in store %s: %s", app,
                                tg_store_get_uri (store), error->message);
      return refuse (element, auth,
                     tg_verdict_to_string (TG_VERDICT_STORE_ERROR), detail);
    }
  request = (TgAdmission){ .app = app,
                           .stream_id = stream_id,
                           .type = type,
                           .credential = token,
                           .door = "tokencheck",
                           .spend = TRUE };
  hash = tg_token_hash (token);
  outcome = tg_admit (store, policy, &request, &verdict, &error);
  if (outcome != TG_ADMIT_OK)
    {
      const char *reason = outcome == TG_ADMIT_REFUSED
                               ? tg_verdict_to_string (verdict)
                               : tg_admit_to_string (outcome);

      detail = g_strdup_printf (
          "token %s for app %s, stream %s, type %s in store %s: %s", hash, app,
          stream_id, tg_token_type_to_string (type), tg_store_get_uri (store),
          error ? error->message : reason);
      return refuse (element, auth, reason, detail);
    }

  GST_INFO_OBJECT (element, "token %s admitted for app %s, stream %s, type %s",
                   hash, app, stream_id, tg_token_type_to_string (type));
  GST_OBJECT_LOCK (element);
  g_clear_pointer (&auth->token, g_free); /* spent: keep no secret */
  g_atomic_int_set (&auth->authorised, TRUE);
  GST_OBJECT_UNLOCK (element);
  return TRUE;
}
