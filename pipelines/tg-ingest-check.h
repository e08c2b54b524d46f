/* What a publisher's container carries, checked before the demuxer reads
 * it: the shapes that GStreamer 1.22.0's demuxers themselves do not survive.
 *  - FLV: an AAC tag whose AACPacketType is not 0 or 1, or an AVC tag whose
 *    AVCPacketType is not 0, 1 or 2, or an AAC frame or AVC data before
 *    their sequence header (flvdemux pushes data before its stream start,
 *    and the muxers behind it fail with criticals); a tag type other than
 *    audio, video or script data; an encrypted (filtered) tag; a script data
 *    tag larger than 64 KiB, or an onMetaData that flvdemux does not
 *    survive (tg-flv-script.h).
 *  - MPEG-TS: a program that changes while it is published (a PAT naming
 *    another PMT, a PMT of a new version: tsdemux asserts, and aborts the
 *    process, after a PES without a PTS then an emptied program), a PES of
 *    audio or video without a PTS, packets that are not 188 bytes each
 *    behind a sync byte.
 * It reads the bytes as they come, in pieces of any size, keeping only a
 * few bytes between them (a script data tag: all of it). Pure C and GLib (a
 * fuzzer and the unit tests call it directly). */
#pragma once

#include <glib.h>

typedef struct _TgIngestCheck TgIngestCheck;

/* For FLV (an FLV header, then tags) or MPEG-TS (TS packets). */
TgIngestCheck *tg_ingest_check_new (gboolean mpegts);
void tg_ingest_check_free (TgIngestCheck *check);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgIngestCheck, tg_ingest_check_free)

/* Reads the next size bytes: FALSE with *reason (static, for the log line)
 * once they break a rule above, and for every call after. */
gboolean tg_ingest_check_feed (TgIngestCheck *check, const guint8 *data,
                               gsize size, const char **reason);
