/* Playback sessions (ARCHITECTURE.md "Playback sessions (HTTP)",
 * PROTOCOL.md 4): which stream a file belongs to, session keys, and the
 * rewriting of playlists and manifests so that every URI in them carries
 * the session.
 *
 * A session key is stateless: "{session id}.{expiry}.{mac}", where expiry
 * is unix seconds and mac is the base64url HMAC-SHA256, under the server
 * secret, of "tollgate-playback-v1|app|stream|session id|expiry|epoch".
 * Any node holding the secret can check it; bumping the stream's epoch
 * (kept in the store, kind "epoch:{app}", key = stream id) revokes every
 * key issued before. */
#pragma once

#include "tg-server.h"

/* The cookie holding a session of one stream: "tgs_{stream id}". */
#define TG_PLAYBACK_COOKIE_PREFIX "tgs_"
/* The query parameter holding a session key in rewritten URIs. */
#define TG_PLAYBACK_PARAM "session"

/* Idle timeout bounds: 3 x hlsTime x hlsListSize, within these. */
#define TG_PLAYBACK_MIN_IDLE_S 30
#define TG_PLAYBACK_MAX_IDLE_S 3600
/* Lifetime of keys written into URIs of nested playlists (the variants of
 * a master playlist): players reload those URIs as they are, for as long
 * as they play, so a key there cannot be refreshed. */
#define TG_PLAYBACK_NESTED_LIFETIME_S (6 * 3600)
/* Longest VoD duration added to a key's lifetime. */
#define TG_PLAYBACK_MAX_VOD_S (7 * 24 * 3600)

/* The stream a file under streams/ belongs to (PROTOCOL.md 4), or NULL if
 * the name yields none. folder is NULL for a file directly in streams/;
 * a file in streams/{id}/ belongs to {id}. */
char *tg_playback_stream_id (const char *folder, const char *file);

/* The idle timeout of sessions of an app, in seconds:
 * 3 x hlsTime x hlsListSize (an unlimited list, 0, counts as 15), clamped to
 * [TG_PLAYBACK_MIN_IDLE_S, TG_PLAYBACK_MAX_IDLE_S]. */
gint64 tg_playback_idle_timeout (const TgSettings *settings);

/* A fresh random session id (base64url), or NULL if the CSPRNG fails. */
char *tg_playback_session_id_new (GError **error);

char *tg_playback_key_issue (GBytes *secret, const char *app,
                             const char *stream, const char *session_id,
                             gint64 expiry, gint64 epoch);

/* Whether key is a key of (app, stream) at this epoch, not expired at now.
 * On TRUE, session_id (if not NULL) receives the key's session id. */
gboolean tg_playback_key_verify (GBytes *secret, const char *app,
                                 const char *stream, const char *key,
                                 gint64 now, gint64 epoch, char **session_id);

/* The session of a request's Cookie header (header may be NULL): that of
 * its first cookie "tgs_{stream}" whose value is a valid key of (app,
 * stream) by tg_playback_key_verify, or NULL. */
char *tg_playback_cookie_session (GBytes *secret, const char *header,
                                  const char *app, const char *stream,
                                  gint64 now, gint64 epoch);

/* The stream's revocation epoch (0 when never revoked). */
gboolean tg_playback_get_epoch (TgStore *store, const char *app,
                                const char *stream, gint64 *epoch,
                                GError **error);

/* Ends every playback session of (app, stream): bumps its epoch. */
gboolean tg_playback_revoke (TgServer *server, const char *app,
                             const char *stream, GError **error);

/* uri with "session=key" added to its query, or NULL if uri is absolute
 * (has a scheme or starts with "//"): keys never go to other hosts. */
char *tg_playback_add_key (const char *uri, const char *key);

/* An HLS playlist with the session in every URI: each non-comment line
 * and each URI="..." attribute. URIs of playlists (.m3u8) get nested_key,
 * all others key. */
char *tg_playback_rewrite_m3u8 (const char *text, const char *key,
                                const char *nested_key);

/* A DASH manifest with the session in every media, initialization and
 * sourceURL attribute and every BaseURL. */
char *tg_playback_rewrite_mpd (const char *text, const char *key);

/* How long a viewer may need to play a finished (VoD) playlist or
 * manifest, in whole seconds: the sum of #EXTINF of a playlist with
 * #EXT-X-ENDLIST, the mediaPresentationDuration of a static manifest; 0 for
 * live ones. At most TG_PLAYBACK_MAX_VOD_S. */
gint64 tg_playback_m3u8_vod_duration (const char *text);
gint64 tg_playback_mpd_vod_duration (const char *text);
