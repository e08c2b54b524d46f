/* A publisher's timestamps, per track, made continuous: a jump between
 * two messages of one track of more than TG_RTMP_CLOCK_MAX_JUMP_MS, ahead
 * or back (a clock reset, a publisher's bug, 2^31 ms on purpose), is
 * rebased away, so that the track goes on from where it was and no muxer
 * is handed a segment or a recording a day long. Smaller steps, and the
 * wrap of RTMP's 32-bit milliseconds, pass as they are. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define TG_RTMP_CLOCK_MAX_JUMP_MS 10000

typedef struct
{
  gboolean started;
  guint32 last_in; /* the last timestamp that came */
  gint64 out;      /* the last one given, unwrapped */
} TgRtmpClock;

/* The timestamp to write for one that came as in; *jump: the jump rebased
 * away, in milliseconds (0: none). */
guint32 tg_rtmp_clock_map (TgRtmpClock *clock, guint32 in, gint64 *jump);

G_END_DECLS
