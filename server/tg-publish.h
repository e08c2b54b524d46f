/* What every ingest (RTMP, SRT) does around a publish once its own checks
 * have passed: build the stream from the app's settings (which spends the
 * token), and when the stream has ended, update the broadcast record and
 * release the stream id (tg-live.h). */
#pragma once

#include "tg-server.h"
#include "tg-settings.h"
#include "tg-stream.h"

G_BEGIN_DECLS

/* The token (one-time or JWT) is checked only when the app's publish
 * scheme asks for one. Callable from any thread (see tg_stream_new). */
TgStream *tg_publish_stream_new (TgServer *server, const TgSettings *settings,
                                 TgStreamInput input, const char *app,
                                 const char *stream_id, const char *token,
                                 TgStreamEnded ended, gpointer user_data,
                                 GError **error);

/* From a stream's ended callback: logs, marks the broadcast finished (or
 * deletes a zombi one) and releases app/stream_id. */
void tg_publish_ended (TgServer *server, const char *app, const char *stream_id,
                       const GError *error);

G_END_DECLS
