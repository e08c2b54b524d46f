/* CMAF packaging of one stream, for DASH and LL-HLS: each track goes
 * through its own mp4mux in fragmented mode (a fragment every
 * TG_CMAF_PART_MS, and at every key frame) into an appsink; the fragments
 * become LL-HLS parts, and runs of them that start at a key frame and last
 * about the segment time become segments. Files, in {dir}/{id}/:
 * init-stream{N}.m4s, chunk-stream{N}-{number}.m4s, part-stream{N}-
 * {number}-{part}.m4s and {id}.mpd; in {dir}/ll-hls/{id}/: {id}__master.m3u8
 * and a media playlist per track. Every file is written whole under a
 * hidden name and renamed (a reader never sees half of one).
 *
 * Why not dashsink: in GStreamer 1.22 its MP4 mode writes a whole segment
 * at a time through splitmuxsink (no parts, so no LL-HLS), names segments
 * itself, and has no way to keep the audio's segments from coming out
 * empty or to bound its wait at EOS; packaging mp4mux's fragments here
 * takes a few hundred lines and serves both. */
#pragma once

#include <gst/gst.h>

/* Longest fragment (LL-HLS part), in milliseconds. */
#define TG_CMAF_PART_MS 500

typedef struct _TgCmaf TgCmaf;

typedef struct
{
  const char *dir; /* the app's streams folder */
  const char *stream_id;
  double segment_time; /* seconds a segment lasts at least (hlsTime) */
  guint list_size;     /* segments in the manifests */
} TgCmafSpec;

TgCmaf *tg_cmaf_new (const TgCmafSpec *spec);

/* Adds a track's branch to bin, fed from a new pad of tee: its parser,
 * mp4mux and appsink, in the bin's state. On the streaming thread that
 * found the track, before its first buffer. track: TgStreamTrack. */
gboolean tg_cmaf_add_track (TgCmaf *cmaf, GstBin *bin, GstElement *tee,
                            guint track, GError **error);

/* The stream has ended: the manifests say so (a static MPD, playlists
 * with their end tag), or with remove every file goes. */
void tg_cmaf_end (TgCmaf *cmaf, gboolean remove);

void tg_cmaf_free (TgCmaf *cmaf);
