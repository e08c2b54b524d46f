/* An edge's pull (tg-cluster.h): a stream live on another node, its
 * origin, is played from the origin's SRT door with a cluster link key
 * (streamid "#!::r={app}/{id},m=request,t={key}", and the app's SRT
 * passphrase if it has one) and published here as a relay publication, so
 * that every door of this node serves it. The pull ends when the origin's
 * stream ends or the link breaks, and when nobody has watched it here for
 * TG_SRT_PULL_IDLE_S: no WebRTC, RTSP, SRT or RTMP viewer, no request for
 * its HLS or DASH files. */
#pragma once

#include "tg-server.h"

G_BEGIN_DECLS

#define TG_SRT_PULL_IDLE_S 15

/* A TgClusterPuller: starts pulling app/stream_id from host:port on a
 * thread of its own; TRUE when a pull is on its way or the stream is here
 * already. Any thread. */
gboolean tg_srt_pull (TgServer *server, const char *app, const char *stream_id,
                      const char *host, guint port, gpointer data);

/* At shutdown, after the live registry has closed (which stops the pulls):
 * runs the main context until every pull's thread has ended. */
void tg_srt_pull_wait (void);

G_END_DECLS
