/* A one-time token spent over HTTP, remembered with the playback session
 * it opened and the client that spent it: the same client presenting the
 * same token again, within the session's life, resumes that session. A
 * player embedded on another site keeps no cookie of ours and may drop
 * the session key, yet asks every file with the page's token (Ant
 * Media's player: HEAD {id}_adaptive.m3u8?token=T, then {id}.m3u8?token=T
 * ...): it plays the whole stream on one token, while that token from any
 * other client is still refused. In memory (one node); only a hash of the
 * token is kept. */
#pragma once

#include <glib.h>

/* At most this many tokens are remembered; past it, the oldest go. One
 * whose session has lapsed is forgotten within 30 s. */
#define TG_RESUME_MAX 65536

/* The token opened session_id for client, on app/stream, in the tokens'
 * epoch, for as long as until (real time, seconds). */
void tg_resume_remember (const char *token, const char *client, const char *app,
                         const char *stream, gint64 epoch,
                         const char *session_id, gint64 until);

/* The session the token opened, if client presents it again for the same
 * stream, in the same epoch (tokens revoked since end it), before it has
 * lapsed; its life is then extended to until. NULL otherwise. */
char *tg_resume_find (const char *token, const char *client, const char *app,
                      const char *stream, gint64 epoch, gint64 now,
                      gint64 until);
