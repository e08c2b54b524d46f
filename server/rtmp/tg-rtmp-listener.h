/* The RTMP listener: accepts publishers on one TCP port (on the main
 * context), gives each connection a thread that speaks RTMP through
 * TgRtmpSession, and turns each accepted publish into a TgStream fed from
 * that thread. */
#pragma once

#include "tg-server.h"

typedef struct _TgRtmpListener TgRtmpListener;

TgRtmpListener *tg_rtmp_listener_new (TgServer *server, GError **error);
/* After the live registry was closed (tg_live_close: every publication has
 * ended): cuts off the connections left and waits, running the main
 * context, until their threads have finished; then frees. */
void tg_rtmp_listener_free (TgRtmpListener *listener);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgRtmpListener, tg_rtmp_listener_free)

guint16 tg_rtmp_listener_get_port (TgRtmpListener *listener);
