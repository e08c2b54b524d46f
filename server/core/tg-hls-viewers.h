/* HTTP viewers of a live stream: a playback session (tg-playback.h) that
 * asks for files of the stream is a session (tg-sessions.h) of door HLS,
 * or DASH if the last manifest it asked for was an MPD, from its first
 * request to TG_HLS_VIEWER_S seconds after its last (forgotten by
 * tg_hls_viewers_sweep). Playback sessions exist when the app has a play
 * scheme (one-time token or JWT); without one there is nothing to tell
 * viewers apart and none are counted. An operator's end of a session
 * refuses its keys from then on (tg_hls_session_is_ended). In memory, for
 * this process; thread-safe. */
#pragma once

#include <glib.h>

#include "tg-sessions.h"

/* Players fetch the playlist every target duration (hlsTime). */
#define TG_HLS_VIEWER_S 20
/* Most sessions kept per stream: past it, the oldest one goes. */
#define TG_HLS_VIEWERS_MAX 100000

typedef enum
{
  TG_VIEWER_MEDIA, /* a segment: the session's kind stays as it was */
  TG_VIEWER_HLS,   /* a playlist */
  TG_VIEWER_DASH,  /* an MPD */
} TgViewerFile;

/* A request of a playback session. */
typedef struct
{
  TgSessions *sessions;
  const char *app, *stream_id;
  const char *session_id; /* the playback session's */
  TgViewerFile file;
  const char *peer; /* the client's address */
  const char *tag;  /* its credential's (tg_session_tag) when it opened the
                       session with this request, else NULL */
  gint64 idle_s;    /* how long its keys live (tg_playback_idle_timeout) */
} TgHlsViewerSeen;

void tg_hls_viewer_seen (const TgHlsViewerSeen *seen);
/* Bytes sent to a playback session seen. */
void tg_hls_viewer_sent (const char *app, const char *stream_id,
                         const char *session_id, guint64 bytes);
/* Whether an operator has ended the playback session. */
gboolean tg_hls_session_is_ended (const char *session_id);
/* Forgets the sessions not seen for TG_HLS_VIEWER_S: run every few
 * seconds. */
void tg_hls_viewers_sweep (void);
/* At shutdown: every playback session ends. */
void tg_hls_viewers_end_all (void);

/* Any request for a file of a stream live here, with a session or not:
 * when the last came (monotonic time, 0: none), so that an edge's pull
 * (tg-cluster.h) ends once nobody asks for its files. */
void tg_hls_stream_requested (const char *app, const char *stream_id);
gint64 tg_hls_last_request (const char *app, const char *stream_id);
