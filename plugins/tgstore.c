/* TgStore: a reference-counted handle on one backend, chosen by URI scheme.
 * Every public entry point checks its arguments here, once, so that the
 * backends only see well-formed input. */
#include "tgstore-private.h"

struct _TgStore
{
  gatomicrefcount refs;
  char *uri;
  const TgStoreBackend *backend;
  gpointer data;
  TgStoreWatch watch; /* zeroed: none */
  gpointer watch_data;
};

G_DEFINE_BOXED_TYPE (TgStore, tg_store, tg_store_ref, tg_store_unref)

static const TgStoreBackend *const backends[] = {
  &tg_store_backend_sqlite, &tg_store_backend_memory,
  &tg_store_backend_redis,  &tg_store_backend_redis_unix,
  &tg_store_backend_rediss,
};

/* The URI with its user part (a password: redis://:secret@host) masked,
 * for messages and logs. */
static char *
masked (const char *uri, const char *sep)
{
  const char *host = sep + 3;
  const char *at = strchr (host, '@');
  const char *slash = strchr (host, '/');

  if (at == NULL || (slash && slash < at))
    return g_strdup (uri);
  return g_strdup_printf ("%.*s***%s", (int) (host - uri), uri, at);
}

TgStore *
tg_store_open (const char *uri, GError **error)
{
  const char *sep = uri ? strstr (uri, "://") : NULL;

  if (sep == NULL)
    {
      g_set_error (error, TG_ERROR, TG_ERROR_INVALID,
                   "Store URI has no scheme (sqlite:///path.db, memory://, "
                   "redis://host:port/db, unix:///path/redis.sock)");
      return NULL;
    }
  for (guint i = 0; i < G_N_ELEMENTS (backends); i++)
    {
      const TgStoreBackend *backend = backends[i];
      gpointer data;
      TgStore *store;

      if (strlen (backend->scheme) != (gsize) (sep - uri)
          || strncmp (uri, backend->scheme, sep - uri) != 0)
        continue;
      data = backend->open (sep + 3, error);
      if (data == NULL)
        return NULL;
      store = g_new0 (TgStore, 1);
      g_atomic_ref_count_init (&store->refs);
      store->uri = masked (uri, sep);
      store->backend = backend;
      store->data = data;
      return store;
    }
  g_set_error (error, TG_ERROR, TG_ERROR_INVALID,
               "Unknown store scheme '%.*s' (known: sqlite, memory, redis, "
               "unix)",
               (int) (sep - uri), uri);
  return NULL;
}

TgStore *
tg_store_ref (TgStore *store)
{
  g_atomic_ref_count_inc (&store->refs);
  return store;
}

void
tg_store_unref (TgStore *store)
{
  if (store == NULL || !g_atomic_ref_count_dec (&store->refs))
    return;
  store->backend->close (store->data);
  g_free (store->uri);
  g_free (store);
}

const char *
tg_store_get_uri (TgStore *store)
{
  return store->uri;
}

void
tg_store_set_watch (TgStore *store, const TgStoreWatch *watch, gpointer data)
{
  TgStoreWatch none = { 0 };

  store->watch = watch ? *watch : none;
  store->watch_data = data;
}

void
tg_store_tell_admitted (TgStore *store, const TgAdmission *request,
                        const TgPolicy *policy, TgAdmit outcome,
                        TgVerdict verdict)
{
  if (store && store->watch.admitted)
    store->watch.admitted (request, policy, outcome, verdict,
                           store->watch_data);
}

/* When an operation started, for timed(); 0 when nobody watches. */
static gint64
started (TgStore *store)
{
  return store->watch.operation ? g_get_monotonic_time () : 0;
}

static void
timed (TgStore *store, const char *operation, gint64 start, gboolean answered)
{
  if (start != 0)
    store->watch.operation (
        operation, (double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC,
        answered, store->watch_data);
}

static gboolean
check_text (const char *what, const char *value, GError **error)
{
  if (value != NULL && *value != '\0' && g_utf8_validate (value, -1, NULL))
    return TRUE;
  g_set_error (error, TG_ERROR, TG_ERROR_INVALID, "%s is missing or invalid",
               what);
  return FALSE;
}

static gboolean
insert (TgStore *store, const TgToken *token, GError **error)
{
  gint64 start = started (store);
  gboolean done = store->backend->insert (store->data, token, error);

  timed (store, "insert", start, done);
  return done;
}

TgToken *
tg_store_mint (TgStore *store, const char *app, const char *stream_id,
               TgTokenType type, gint64 expire_date, const char *room_id,
               GError **error)
{
  g_autofree char *id = NULL;
  g_autoptr (TgToken) token = NULL;

  if (!check_text ("app", app, error)
      || !check_text ("streamId", stream_id, error))
    return NULL;
  id = tg_token_id_new (error);
  if (id == NULL)
    return NULL;
  token = tg_token_new (app, id, stream_id, expire_date, type, room_id);
  if (!insert (store, token, error))
    return NULL;
  return g_steal_pointer (&token);
}

gboolean
tg_store_batch (TgStore *store, TgStoreBatchFunc func, gpointer data,
                GError **error)
{
  if (store->backend->batch == NULL)
    {
      func (store, data);
      return TRUE;
    }
  return store->backend->batch (store->data, store, func, data, error);
}

gboolean
tg_store_insert (TgStore *store, const TgToken *token, GError **error)
{
  if (!check_text ("app", token->app, error)
      || !check_text ("tokenId", token->token_id, error)
      || !check_text ("streamId", token->stream_id, error))
    return FALSE;
  return insert (store, token, error);
}

TgVerdict
tg_store_consume (TgStore *store, const char *app, const char *token_id,
                  const char *stream_id, TgTokenType type, const char *room_id,
                  GError **error)
{
  TgVerdict verdict;
  gint64 start;

  /* A missing or malformed token can exist in no store. */
  if (app == NULL || token_id == NULL || *token_id == '\0'
      || (stream_id == NULL && room_id == NULL))
    return TG_VERDICT_UNKNOWN;
  start = started (store);
  verdict = store->backend->consume (
      store->data, app, token_id, stream_id, type, room_id,
      g_get_real_time () / G_USEC_PER_SEC, error);
  timed (store, "consume", start, verdict != TG_VERDICT_STORE_ERROR);
  return verdict;
}

TgVerdict
tg_store_check (TgStore *store, const char *app, const char *token_id,
                const char *stream_id, TgTokenType type, GError **error)
{
  TgVerdict verdict;
  gint64 start;

  if (app == NULL || token_id == NULL || *token_id == '\0' || stream_id == NULL)
    return TG_VERDICT_UNKNOWN;
  start = started (store);
  verdict = store->backend->check (store->data, app, token_id, stream_id, type,
                                   g_get_real_time () / G_USEC_PER_SEC, error);
  timed (store, "check", start, verdict != TG_VERDICT_STORE_ERROR);
  return verdict;
}

gint64
tg_store_revoke_stream (TgStore *store, const char *app, const char *stream_id,
                        GError **error)
{
  gint64 revoked, start;

  if (!check_text ("app", app, error)
      || !check_text ("streamId", stream_id, error))
    return -1;
  start = started (store);
  revoked = store->backend->revoke_stream (store->data, app, stream_id, error);
  timed (store, "revoke", start, revoked >= 0);
  return revoked;
}

GPtrArray *
tg_store_list_tokens (TgStore *store, const char *app, const char *stream_id,
                      guint offset, guint size, GError **error)
{
  if (!check_text ("app", app, error)
      || !check_text ("streamId", stream_id, error))
    return NULL;
  return store->backend->list_tokens (store->data, app, stream_id, offset, size,
                                      error);
}

gint64
tg_store_purge_expired (TgStore *store, gint64 now, GError **error)
{
  return store->backend->purge_expired (store->data, now, error);
}

gboolean
tg_store_record_put (TgStore *store, const char *kind, const char *key,
                     const char *value, gboolean only_if_absent, GError **error)
{
  if (!check_text ("kind", kind, error) || !check_text ("key", key, error)
      || !check_text ("value", value, error))
    return FALSE;
  return store->backend->record_put (store->data, kind, key, value,
                                     only_if_absent, error);
}

char *
tg_store_record_get (TgStore *store, const char *kind, const char *key,
                     GError **error)
{
  if (!check_text ("kind", kind, error) || !check_text ("key", key, error))
    return NULL;
  return store->backend->record_get (store->data, kind, key, error);
}

gboolean
tg_store_record_delete (TgStore *store, const char *kind, const char *key,
                        GError **error)
{
  if (!check_text ("kind", kind, error) || !check_text ("key", key, error))
    return FALSE;
  return store->backend->record_delete (store->data, kind, key, error);
}

GPtrArray *
tg_store_record_list (TgStore *store, const char *kind, guint offset,
                      guint size, GError **error)
{
  if (!check_text ("kind", kind, error))
    return NULL;
  return store->backend->record_list (store->data, kind, offset, size, error);
}

gint64
tg_store_record_count (TgStore *store, const char *kind, GError **error)
{
  if (!check_text ("kind", kind, error))
    return -1;
  return store->backend->record_count (store->data, kind, error);
}
