/* Viewers of the doors that play a stream muxed (SRT: MPEG-TS, RTMP:
 * FLV; tg-mux-out.h): the checks before a viewer is let in, in one place,
 * and its attachment to the live stream. The stream must be live, and
 * playable (its tracks known), before anything is spent; then the
 * admission (tg_admit, type play) decides, and each door maps its outcome
 * to its own wire form. */
#pragma once

#include "tg-live.h"
#include "tg-server.h"
#include "tg-settings.h"

G_BEGIN_DECLS

typedef enum
{
  TG_PLAY_OK,
  TG_PLAY_NOT_LIVE, /* the stream is not live or not playable yet */
  TG_PLAY_REFUSED,  /* the admission said no: see *outcome */
} TgPlay;

/* Whether a viewer at peer (its address) may play app/stream_id through
 * door ("SRT", "RTMP"), presenting token (may be NULL); spend: a one-time token
 * is spent if it passes (else only checked). *outcome: the admission's
 * (TG_ADMIT_OK unless refused), *problem: why not, for the log (never the
 * token). Any thread. */
TgPlay tg_play_admit (TgServer *server, const TgSettings *settings,
                      const char *app, const char *stream_id, const char *token,
                      const char *door, const char *peer, gboolean spend,
                      TgAdmit *outcome, const char **problem);

/* Attaches a viewer to the live stream app/stream_id muxed as format:
 * FALSE when it is not live or not playable. Any thread. */
gboolean tg_play_attach (TgLive *live, const char *app, const char *stream_id,
                         TgMuxOutFormat format, TgMuxViewer *viewer);
/* Detaches it, if its stream is still there. */
void tg_play_detach (TgLive *live, const char *app, const char *stream_id,
                     TgMuxViewer *viewer);

G_END_DECLS
