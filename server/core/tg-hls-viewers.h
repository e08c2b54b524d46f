/* HTTP viewers of a live stream, for the broadcast's hlsViewerCount and
 * dashViewerCount: a playback session (tg-playback.h) that asked for a
 * file of the stream in the last TG_HLS_VIEWER_S seconds counts as one
 * viewer, of DASH if the last manifest it asked for was an MPD, else of
 * HLS. Sessions exist
 * when the app has a play scheme (one-time token or JWT); without one
 * there is nothing to tell viewers apart and none are counted. A session
 * not seen for TG_HLS_VIEWER_S is forgotten within another TG_HLS_VIEWER_S
 * (a stream with none left too), counted or not. In memory, for this
 * process; thread-safe. */
#pragma once

#include <glib.h>

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

void tg_hls_viewer_seen (const char *app, const char *stream_id,
                         const char *session_id, TgViewerFile file);
/* The viewers of one kind (TG_VIEWER_HLS or TG_VIEWER_DASH). */
guint tg_hls_viewers (const char *app, const char *stream_id,
                      TgViewerFile kind);

/* Any request for a file of a stream live here, with a session or not:
 * when the last came (monotonic time, 0: none), so that an edge's pull
 * (tg-cluster.h) ends once nobody asks for its files. */
void tg_hls_stream_requested (const char *app, const char *stream_id);
gint64 tg_hls_last_request (const char *app, const char *stream_id);
