/* The SRT listener: one UDP port for every publisher (libsrt). The caller's
 * streamid is checked in the handshake (tg_srt_listen_decide, on libsrt's
 * thread): a refused caller is rejected there with an SRT reject reason, an
 * accepted one has its stream built and its publish token spent before the
 * connection completes. Each accepted connection then has a thread that
 * receives MPEG-TS and pushes it into its stream. */
#pragma once

#include "tg-server.h"

typedef struct _TgSrtListener TgSrtListener;

TgSrtListener *tg_srt_listener_new (TgServer *server, GError **error);
/* After the live registry was closed (tg_live_close: every publication has
 * ended): cuts off the callers left and waits, running the main context,
 * until their threads have finished; then frees. */
void tg_srt_listener_free (TgSrtListener *listener);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgSrtListener, tg_srt_listener_free)

guint16 tg_srt_listener_get_port (TgSrtListener *listener);
