/* Which video of a stream a WebRTC viewer is given (PROTOCOL.md 5, Ant
 * Media's getStreamInfo and forceStreamQuality): the stream as published
 * or a rung of its ABR ladder, as a height asked for picks it. */
#pragma once

#include "tg-stream.h"
#include "tg-viewer.h"
#include "tg-ws-client.h"

/* The stream as it is and the rungs made of it. */
typedef struct
{
  TgStreamInfo source;
  TgStreamRungInfo rungs[TG_VIEWER_MAX_RUNGS];
  guint n_rungs;
} TgWsLadder;

/* The stream's ladder, read now; FALSE when the stream is not live. */
gboolean tg_ws_read_ladder (TgWsClient *client, const char *stream_id,
                            TgWsLadder *ladder);

/* The video for a height asked for: the tallest at or below it, else the
 * lowest; 0 (auto) or the source's height, the source. The rung's index,
 * or -1 for the source; *height its height. */
gint tg_ws_pick_rung (const TgWsLadder *ladder, gint asked, gint *height);

/* getStreamInfo's streamInfo: the source, then each rung. */
JsonArray *tg_ws_ladder_to_json (const TgWsLadder *ladder);

/* The viewer is to be given the video nearest height (tg_ws_pick_rung);
 * the client hears resolutionChangeInfo with the height it gets. */
void tg_ws_give_quality (TgWsClient *client, const char *stream_id,
                         TgViewer *viewer, gint height);
