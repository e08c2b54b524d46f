/* The table a store backend fills in. Each function follows the contract of
 * the public function of the same name in tollgate.h; tgstore.c checks the
 * arguments before calling, so backends see only well-formed input. */
#pragma once

#include "tollgate.h"

typedef struct _TgStoreBackend TgStoreBackend;

struct _TgStoreBackend
{
  const char *scheme; /* "sqlite", "memory", "redis", "unix", "rediss" */
  /* rest: what follows "scheme://" in the URI */
  gpointer (*open) (const char *rest, GError **error);
  void (*close) (gpointer data);
  gboolean (*insert) (gpointer data, const TgToken *token, GError **error);
  TgVerdict (*consume) (gpointer data, const char *app, const char *token_id,
                        const char *stream_id, TgTokenType type,
                        const char *room_id, gint64 now, GError **error);
  TgVerdict (*check) (gpointer data, const char *app, const char *token_id,
                      const char *stream_id, TgTokenType type, gint64 now,
                      GError **error);
  gint64 (*revoke_stream) (gpointer data, const char *app,
                           const char *stream_id, GError **error);
  GPtrArray *(*list_tokens) (gpointer data, const char *app,
                             const char *stream_id, guint offset, guint size,
                             GError **error);
  gint64 (*purge_expired) (gpointer data, gint64 now, GError **error);
  gboolean (*record_put) (gpointer data, const char *kind, const char *key,
                          const char *value, gboolean only_if_absent,
                          GError **error);
  char *(*record_get) (gpointer data, const char *kind, const char *key,
                       GError **error);
  gboolean (*record_delete) (gpointer data, const char *kind, const char *key,
                             GError **error);
  GPtrArray *(*record_list) (gpointer data, const char *kind, guint offset,
                             guint size, GError **error);
  gint64 (*record_count) (gpointer data, const char *kind, GError **error);
  /* Optional: runs func (store, func_data) with the writes it makes in one
   * transaction. */
  gboolean (*batch) (gpointer data, TgStore *store, TgStoreBatchFunc func,
                     gpointer func_data, GError **error);
};

extern const TgStoreBackend tg_store_backend_sqlite;
extern const TgStoreBackend tg_store_backend_memory;
extern const TgStoreBackend tg_store_backend_redis;
extern const TgStoreBackend tg_store_backend_redis_unix;
extern const TgStoreBackend tg_store_backend_rediss;

/* The verdict for a token that exists but failed the rule: shared by
 * backends so that every backend names refusals alike. */
TgVerdict tg_token_judge (const TgToken *stored, const char *stream_id,
                          TgTokenType type, const char *room_id, gint64 now);

/* Tells the store's watcher (tg_store_set_watch) what tg_admit decided. */
void tg_store_tell_admitted (TgStore *store, const TgAdmission *request,
                             const TgPolicy *policy, TgAdmit outcome,
                             TgVerdict verdict);
