/* The RTSP door (gst-rtsp-server): play of live streams at
 * rtsp://HOST:PORT/{app}/{stream}?token=T, over TCP (interleaved) or UDP,
 * and publishing to the same URL (ANNOUNCE, RECORD). Admission in
 * tg-rtsp-auth.h, the shared media per stream in tg-rtsp-factory.h, a
 * publisher's in tg-rtsp-record.h and tg-rtsp-publish.h. It runs in a main
 * context of its own, on its own thread. When a stream ends, its RTSP clients
 * are closed. */
#pragma once

#include "tg-server.h"

typedef struct _TgRtspServer TgRtspServer;

TgRtspServer *tg_rtsp_server_new (TgServer *server, GError **error);
/* After the live registry was closed: closes the clients left, stops the
 * thread, frees. */
void tg_rtsp_server_free (TgRtspServer *rtsp);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgRtspServer, tg_rtsp_server_free)

guint16 tg_rtsp_server_get_port (TgRtspServer *rtsp);
