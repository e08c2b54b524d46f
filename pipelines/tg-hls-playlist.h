/* A stream's HLS media playlist ({id}.m3u8 beside its {id}%09d.ts
 * segments, as hlssink writes them) put right when the stream ends. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The number of a segment of stream_id's, named {id}%09d.ts; -1 for any
 * other name. */
gint64 tg_hls_segment_number (const char *name, const char *stream_id);

/* A playlist cut short (a crash, a write that failed): the segment that was
 * being written, numbered after the playlist's last, is deleted (it is
 * half-written), and the playlist gets its end tag. FALSE if it lists
 * nothing, has its end tag already, or cannot be written. */
gboolean tg_hls_playlist_close (const char *dir, const char *stream_id);

/* hlssink 1.22 sometimes gives the last segment of an ended stream a
 * duration computed from a time it does not have (#EXTINF:18446743552,
 * then #EXT-X-TARGETDURATION:0): when that segment is the stream's last
 * key frame alone. Each duration that is not a number, not above 0 or
 * longer than TG_HLS_LONGEST_SEGMENT_S is measured from the segment's own
 * timestamps (a segment of one frame lasts a frame of the segment before),
 * and the target duration made the longest segment's again. FALSE if nothing
 * needed it, or it could not be done. */
#define TG_HLS_LONGEST_SEGMENT_S 600
gboolean tg_hls_playlist_mend (const char *dir, const char *stream_id);

/* The span of an MPEG-TS segment's presentation times in seconds, from
 * its video's PES headers (its audio's if it has no video), one frame
 * (*frame: its length) included; -1 if it has none. A segment of one
 * frame cannot tell that frame's length: 0 (and *frame 0). */
double tg_hls_ts_duration (const guint8 *data, gsize size, double *frame);

G_END_DECLS
