/* Broadcast records (PROTOCOL.md 2.3, 2.5): their JSON form, kept in the
 * store under kind "broadcast:{app}", key streamId, and their life cycle as
 * publishers come and go. */
#pragma once

#include <json-glib/json-glib.h>

#include "tollgate.h"

/* A new record, status "created". host names the server in rtmpURL. */
JsonObject *tg_broadcast_new (const char *app, const char *stream_id,
                              const char *name, const char *description,
                              const char *host);

/* NULL with TG_ERROR_NOT_FOUND when there is none. */
JsonObject *tg_broadcast_load (TgStore *store, const char *app,
                               const char *stream_id, GError **error);
gboolean tg_broadcast_save (TgStore *store, const char *app,
                            JsonObject *broadcast, gboolean only_if_absent,
                            GError **error);

/* A publisher went live: the record (made now as a zombi if there was none)
 * becomes "broadcasting". */
gboolean tg_broadcast_went_live (TgStore *store, const char *app,
                                 const char *stream_id,
                                 const char *publish_type,
                                 const char *remote_ip, GError **error);

/* The publisher left: a zombi record goes, a known one is "finished" with
 * its viewer counts reset. */
gboolean tg_broadcast_ended (TgStore *store, const char *app,
                             const char *stream_id, GError **error);

/* Whether app/stream_id is live somewhere else (another node of a
 * cluster): its record is right as it is. */
typedef gboolean (*TgBroadcastLiveElsewhere) (gpointer data, const char *app,
                                              const char *stream_id);

/* At start: the broadcasts a crash left "broadcasting" end as
 * tg_broadcast_ended ends them (zombis deleted, the rest finished), since
 * nothing is live here yet; but not those live elsewhere (may be NULL).
 * How many, or -1. */
gint tg_broadcast_repair (TgStore *store, const char *app,
                          TgBroadcastLiveElsewhere elsewhere, gpointer data,
                          GError **error);
