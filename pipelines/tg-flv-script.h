/* An FLV script data tag (onMetaData) read as GStreamer 1.22.0's flvdemux
 * reads it, before flvdemux does: it turns some numbers of it straight into
 * caps and does not survive every value.
 *  - framerate: 0 (unknown) or within 0.01-1000 frames a second (a tiny or
 *    huge one makes a fraction over 0, a GStreamer critical);
 *  - AspectRatioX and AspectRatioY: whole numbers 1-65535 (0 makes a
 *    fraction over 0);
 *  - width and height: 0-8192 (they become caps as ints);
 *  - duration: 0-10^9 s; audiodatarate and videodatarate: 0-10^6 kbit/s
 *    (past those they do not fit the integers they are converted to);
 *  - objects nested deeper than 16 (flvdemux reads them recursively, so
 *    enough of them overflow its thread's stack).
 * A name counts wherever flvdemux reads it, at any depth, as flvdemux sets
 * it there too. Pure C and GLib. */
#pragma once

#include <glib.h>

/* The body of a tag of type 18: NULL, or what it breaks (static, for the
 * log line). */
const char *tg_flv_script_check (const guint8 *body, gsize size);
