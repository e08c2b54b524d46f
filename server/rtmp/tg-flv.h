/* FLV framing of RTMP media, for `appsrc ! flvdemux`: a file header, then
 * one tag per audio (8), video (9) or data (18) message. An RTMP message
 * body is exactly an FLV tag body. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define TG_FLV_TAG_AUDIO 8
#define TG_FLV_TAG_VIDEO 9
#define TG_FLV_TAG_SCRIPT 18

/* The 9-byte FLV header with its flags, and the first PreviousTagSize (0):
 * 13 bytes. */
GBytes *tg_flv_header (gboolean audio, gboolean video);

/* An 11-byte tag header, the data, and the PreviousTagSize that follows
 * every tag. size must be below 2^24; timestamp is in milliseconds. */
GBytes *tg_flv_tag (guint8 type, guint32 timestamp, const guint8 *data,
                    gsize size);

G_END_DECLS
