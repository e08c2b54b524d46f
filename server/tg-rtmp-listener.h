/* The RTMP listener: accepts publishers on one TCP port (on the main
 * context), gives each connection a thread that speaks RTMP through
 * TgRtmpSession, and turns each accepted publish into a TgStream fed from
 * that thread. */
#pragma once

#include "tg-server.h"

typedef struct _TgRtmpListener TgRtmpListener;

TgRtmpListener *tg_rtmp_listener_new (TgServer *server, GError **error);
/* Cuts every publisher off and waits, running the main context, until their
 * streams have drained and their files are final; then frees. */
void tg_rtmp_listener_free (TgRtmpListener *listener);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgRtmpListener, tg_rtmp_listener_free)

guint16 tg_rtmp_listener_get_port (TgRtmpListener *listener);

/* Stops the stream app/stream_id if it is published here: its publisher is
 * disconnected and the stream finalised. Callable from any thread: the work
 * is done on the main context. */
void tg_rtmp_stop_stream (TgServer *server, const char *app,
                          const char *stream_id);
