/* WebRTC signalling over WebSocket at /{app}/websocket (PROTOCOL.md 5):
 * one client per connection, on the HTTP worker thread that accepted it; a
 * registry of them, so that events from other threads (a stream going
 * live, told by the live registry) reach the clients waiting for them. */
#pragma once

#include <libsoup/soup.h>

#include "tg-server.h"

G_BEGIN_DECLS

typedef struct _TgWs TgWs;

TgWs *tg_ws_new (TgServer *server);
/* Closes every connection and waits (up to a few seconds) until they are
 * gone; the HTTP workers must still run. Later connections are cut. Their
 * publications were stopped before (tg_live_close). */
void tg_ws_close (TgWs *ws);
/* After the HTTP workers have stopped. */
void tg_ws_free (TgWs *ws);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgWs, tg_ws_free)

/* The SoupServerWebsocketCallback; user_data is the TgWs. */
void tg_ws_handle (SoupServer *soup, SoupServerMessage *msg, const char *path,
                   SoupWebsocketConnection *connection, gpointer user_data);

G_END_DECLS
