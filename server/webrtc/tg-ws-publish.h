/* WebRTC publish over the signalling (PROTOCOL.md 5), for one client: its
 * publish, and the publisher's takeConfiguration (its offer),
 * takeCandidate and stop. On the client's context. */
#pragma once

#include "tg-ws-client.h"

void tg_ws_publish (TgWsClient *client, TgSignalRequest *request);
/* FALSE when the client does not publish that stream id. */
gboolean tg_ws_publish_take (TgWsClient *client, TgSignalRequest *request);
gboolean tg_ws_publish_stop (TgWsClient *client, const char *stream_id);
/* The connection is gone: its publishes end. */
void tg_ws_publish_end_all (TgWsClient *client);
