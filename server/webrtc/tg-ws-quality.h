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

/* The video at a level of the ladder, the videos ordered by bitrate (0
 * the lowest rung; the top, n_rungs, the source): the rung's index, or -1
 * for the source; *height its height. And the level of a rung (-1: the
 * source). */
gint tg_ws_rung_at_level (const TgWsLadder *ladder, guint level, gint *height);
guint tg_ws_level_of_rung (const TgWsLadder *ladder, gint rung);

/* Auto quality, as the viewer's receiver reports its losses (a receiver
 * report a second): more than a tenth lost moves it a level down at once;
 * a run of reports with under 2% lost moves it a level up, to try; a level
 * that then loses makes the next try wait twice as long. After a move,
 * the reports of the time the move takes (the next key frame) are not
 * counted. */
typedef struct
{
  guint clean;     /* reports in a row with little loss */
  guint needed;    /* clean reports wanted before a try */
  guint hold;      /* reports not counted yet, after a move */
  gboolean trying; /* moved up, not yet proved */
} TgWsAuto;
void tg_ws_auto_init (TgWsAuto *auto_quality);
/* One report, at level of top (the source's level): the level to be at. */
guint tg_ws_auto_report (TgWsAuto *auto_quality, double fraction_lost,
                         guint level, guint top);

/* The viewer is to be given the video nearest height (tg_ws_pick_rung);
 * the client hears resolutionChangeInfo with the height it gets. The
 * rung given (-1: the source). */
gint tg_ws_give_quality (TgWsClient *client, const char *stream_id,
                         TgViewer *viewer, gint height);
