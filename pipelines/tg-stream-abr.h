/* A stream's adaptive-bitrate ladder (tg-stream-abr.c): HLS renditions
 * made from the stream's tracks, in a pipeline of its own. */
#pragma once

#include <gst/gst.h>

#include "tg-stream.h"

typedef struct _TgStreamAbr TgStreamAbr;

/* The ladder of spec for this stream, or NULL when there is none to make
 * (no rungs, HLS off, an element missing: said once). Makes no file yet. */
TgStreamAbr *tg_stream_abr_new (TgStream *stream, const TgStreamSpec *spec);
/* The track (pad: its tee's sink, before its first buffer) feeds the
 * ladder. On the track's streaming thread; abr may be NULL. */
void tg_stream_abr_watch (TgStreamAbr *abr, guint track, GstPad *pad);
/* The stream has ended: the ladder stops (having drained, if the stream
 * did), and its files go with delete_files. abr may be NULL. */
void tg_stream_abr_end (TgStreamAbr *abr, gboolean delete_files);
void tg_stream_abr_free (TgStreamAbr *abr);
/* The rungs made so far, up to max of them, in order (the index a viewer
 * is moved to); their number. abr may be NULL. Any thread. */
guint tg_stream_abr_get_rungs (TgStreamAbr *abr, TgStreamRungInfo *rungs,
                               guint max);
/* The rung's H.264 goes to WebRTC viewers too, from now on (a branch of
 * its own, tg_stream_rtp_branch_new); nothing if there is no such rung.
 * abr may be NULL. Any thread. */
void tg_stream_abr_add_rtp (TgStreamAbr *abr, guint rung);
