/* A still of a live stream as a JPEG: the first picture decoded from what
 * a viewer of the stream muxed as MPEG-TS receives (tg-mux-out.h: the
 * headers, then the stream from its latest key frame), scaled to at most
 * max_width pixels wide with square pixels, its aspect kept.
 *
 * The decoder is a small pipeline of its own (appsrc ! tsdemux !
 * h264parse ! avdec_h264 ! videoconvert ! videoscale ! jpegenc !
 * appsink): an error in it ends this still, never the stream. It sees
 * only what the ingest checks let into the stream. */
#pragma once

#include "tg-mux-out.h"

G_BEGIN_DECLS

/* Takes from viewer (attached to its stream in TG_MUX_OUT_MPEGTS form)
 * until a picture is decoded, the viewer ends or timeout_us passes; blocks,
 * so call it from a thread of its own. The JPEG, or NULL with a
 * TG_ERROR_FAILED error that says why (no picture in time, the stream
 * ended, the decoder failed). */
GBytes *tg_thumbnail_make (TgMuxViewer *viewer, guint max_width,
                           gint64 timeout_us, GError **error);

G_END_DECLS
