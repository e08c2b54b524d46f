/* A publication's life cycle, the same for every door (RTMP, SRT, WebRTC)
 * once the door has claimed the stream id (tg_live_claim) and done its own
 * checks: the stream is built from the app's settings (which spends the
 * token), goes live (broadcast record "broadcasting", a zombi one made if
 * there was none), and when it has ended (files final) the broadcast is
 * finished or its zombi deleted, the stream id released and the door told
 * (TgDoor.ended). */
#pragma once

#include "tg-live.h"
#include "tg-server.h"
#include "tg-settings.h"

G_BEGIN_DECLS

/* Builds the publication's stream; the token (one-time or JWT) is checked
 * only when the app's publish scheme asks for one. FALSE when it is
 * refused or cannot be built: the door then abandons the claim
 * (tg_live_abandon). Any thread (see tg_stream_new). */
gboolean tg_publish_build (TgServer *server, TgPublication *publication,
                           const TgSettings *settings, TgStreamInput input,
                           const char *token, GError **error);

/* Starts the built stream and makes the publication live: the broadcast
 * record says so, viewers may join, and it may be stopped (TgDoor.stop).
 * Failures are logged; the stream then ends by itself. Any thread. */
void tg_publish_start (TgServer *server, TgPublication *publication);

G_END_DECLS
