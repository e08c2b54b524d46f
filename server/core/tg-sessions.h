/* Sessions: every admitted client, publisher or viewer, whatever its door,
 * from its admission to its leaving. An operator lists them and ends them
 * over REST (GET/DELETE .../broadcasts/{id}/sessions); the broadcasts'
 * viewer counts and the metrics' bytes by door are read from them; each
 * start and end is a line of the audit log. In memory, for this process;
 * thread-safe. */
#pragma once

#include <json-glib/json-glib.h>

#include "tg-audit.h"
#include "tollgate.h"

typedef enum
{
  TG_SESSION_RTMP,
  TG_SESSION_SRT,
  TG_SESSION_RTSP,
  TG_SESSION_WEBRTC, /* over the WebSocket signalling */
  TG_SESSION_WHIP,
  TG_SESSION_WHEP,
  TG_SESSION_HLS,
  TG_SESSION_DASH,
  TG_SESSION_DOORS
} TgSessionDoor;

/* "RTMP", "SRT", "RTSP", "WebRTC", "WHIP", "WHEP", "HLS", "DASH". */
const char *tg_session_door_name (TgSessionDoor door);
/* The door whose name is name (as TgDoor.name says it), or -1. */
gint tg_session_door_from_name (const char *name);

typedef struct _TgSessions TgSessions;
typedef struct _TgSession TgSession;

/* Asks the door to cut its client off: called with the registry's lock
 * held, from any thread, at most once a session. It must only ask (take
 * its own reference, schedule the cut on its context, shut a socket) and
 * not call back into the registry; the client leaves later, and its door
 * closes the session then. */
typedef void (*TgSessionCut) (gpointer data);

/* audit may be NULL (no audit log); it must outlive the registry. */
TgSessions *tg_sessions_new (TgAudit *audit);
void tg_sessions_free (TgSessions *sessions);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgSessions, tg_sessions_free)

/* A client admitted (peer: its address; tag: the tag (tg_session_tag) of
 * the token or JWT that admitted it, or NULL). cut and cut_data must stay
 * usable until tg_sessions_close has returned. The session is the
 * registry's: the door keeps the pointer until it closes it. */
TgSession *tg_sessions_open (TgSessions *sessions, TgSessionDoor door,
                             TgTokenType type, const char *app,
                             const char *stream_id, const char *peer,
                             const char *tag, TgSessionCut cut,
                             gpointer cut_data);
/* A credential's tag (tg_token_hash), or NULL for none. */
char *tg_session_tag (const char *credential);
/* The client has left: the session is forgotten (its audit line says
 * whether it was cut) and freed. NULL does nothing. */
void tg_sessions_close (TgSessions *sessions, TgSession *session);

/* Where the registry reads a session's bytes, for a door that counts them
 * elsewhere (a stream, a WebRTC viewer): in and out (either may be NULL)
 * give the totals so far of data, called with the registry's lock held;
 * data must stay usable until the session is closed. */
typedef guint64 (*TgSessionBytes) (gpointer data);
void tg_sessions_count_with (TgSessions *sessions, TgSession *session,
                             TgSessionBytes in, TgSessionBytes out,
                             gpointer data);

/* Bytes received from and sent to the client since the last call (NULL
 * does nothing). Any thread, no lock. */
void tg_session_add_bytes (TgSession *session, guint64 in, guint64 out);
/* An HLS session whose player has moved to DASH's manifest, or back. */
void tg_session_set_door (TgSession *session, TgSessionDoor door);
/* Whether it was cut (by the operator). */
gboolean tg_session_is_cut (TgSession *session);

/* The sessions of app/stream_id, oldest first, as JSON objects
 * (sessionId, streamId, door, type, remoteIp, startTime, bytesIn,
 * bytesOut, credential). */
JsonArray *tg_sessions_list (TgSessions *sessions, const char *app,
                             const char *stream_id);
/* Cuts the session id of app/stream_id: FALSE when there is none. */
gboolean tg_sessions_cut (TgSessions *sessions, const char *app,
                          const char *stream_id, const char *id);
/* Cuts every session of app/stream_id of type (-1: both); how many. */
guint tg_sessions_cut_all (TgSessions *sessions, const char *app,
                           const char *stream_id, gint type);
/* How many sessions of app/stream_id of type play through each door
 * (counts[TG_SESSION_DOORS]). */
void tg_sessions_count_viewers (TgSessions *sessions, const char *app,
                                const char *stream_id, guint *counts);

/* Over every session, open or closed since the start: bytes received and
 * sent by door; and the open viewers (type play) by door. Each array has
 * TG_SESSION_DOORS entries. */
void tg_sessions_totals (TgSessions *sessions, guint64 *in, guint64 *out,
                         guint *viewers);
