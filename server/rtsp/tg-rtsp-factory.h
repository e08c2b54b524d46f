/* The media of RTSP viewers: one per live stream, shared by all of them
 * (gst-rtsp-server's shared media, keyed by app/stream without the query,
 * so viewers with different tokens share it). Its pipeline is
 * `appsrc ! tgrtsptspay name=pay0` (tg-rtsp-ts-pay.h), fed with the
 * stream's MPEG-TS a batch at a time, muxed
 * once per stream for its SRT and RTSP viewers (tg-mux-out.h: one mux
 * viewer per media, with its bounded queue; the media starts at the
 * muxer's headers and the last key frame). No decoding, no encoding. When
 * the stream ends, the media gets EOS and ended (below) is told. */
#pragma once

#include <gst/rtsp-server/rtsp-server.h>

#include "tg-live.h"

G_BEGIN_DECLS

#define TG_TYPE_RTSP_FACTORY (tg_rtsp_factory_get_type ())
G_DECLARE_FINAL_TYPE (TgRtspFactory, tg_rtsp_factory, TG, RTSP_FACTORY,
                      GstRTSPMediaFactory)

/* Told, in context, that the stream of a media has ended (key:
 * "app/stream_id"). */
typedef void (*TgRtspEnded) (const char *key, gpointer data);

/* live: where streams are found (outlives the factory); ended is
 * dispatched from context (never called when it no longer runs). */
TgRtspFactory *tg_rtsp_factory_new (TgLive *live, GMainContext *context,
                                    TgRtspEnded ended, gpointer ended_data);

/* Every media made that has not started yet (or every one, started_too)
 * ends with an error, why: so that no request waits for one to start (at
 * the server's end). */
void tg_rtsp_factory_fail (TgRtspFactory *factory, gboolean started_too,
                           const char *why);

/* A client admitted to play key has come (joined) or gone: the stream's
 * rtspViewerCount is the media's clients. Any thread. */
void tg_rtsp_factory_count_viewer (TgRtspFactory *factory, const char *key,
                                   gboolean joined);

/* "app/stream_id" of an RTSP path "/app/stream_id[/...]", or NULL. */
char *tg_rtsp_key_of_path (const char *abspath, char **app, char **stream_id);

G_END_DECLS
