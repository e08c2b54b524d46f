/* HLS viewers of a live stream, for the broadcast's hlsViewerCount: a
 * playback session (tg-playback.h) that asked for a file of the stream in
 * the last TG_HLS_VIEWER_S seconds counts as one viewer. Sessions exist
 * when the app has a play scheme (one-time token or JWT); without one
 * there is nothing to tell viewers apart and none are counted. In memory,
 * for this process; thread-safe. */
#pragma once

#include <glib.h>

/* Players fetch the playlist every target duration (hlsTime). */
#define TG_HLS_VIEWER_S 20
/* Most sessions kept per stream: past it, the oldest one goes. */
#define TG_HLS_VIEWERS_MAX 100000

void tg_hls_viewer_seen (const char *app, const char *stream_id,
                         const char *session_id);
guint tg_hls_viewers (const char *app, const char *stream_id);
