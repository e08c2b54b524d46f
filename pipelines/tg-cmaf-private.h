/* What the CMAF packager (tg-cmaf.c) and its manifest writers
 * (tg-cmaf-mpd.c, tg-cmaf-hls.c) share. */
#pragma once

#include "tg-cmaf-box.h"
#include "tg-cmaf.h"

/* [0] the video, [1] the audio (TgStreamTrack), then ABR rungs' video. */
#define CMAF_TRACKS 8

typedef struct
{
  guint64 start, duration; /* in the track's timescale */
  gboolean independent;
} CmafPart;

typedef struct
{
  guint number;
  guint64 start, duration;
  gint64 wall_start; /* g_get_real_time () of its start */
  GArray *parts;     /* CmafPart */
} CmafSegment;

typedef struct
{
  gboolean used;
  guint index; /* the N of stream{N}: its place in TgCmaf's tracks */
  gboolean video;
  guint rung_height, rung_kbps; /* an ABR rung's; 0 for the source */
  /* From its caps: RFC 6381 codecs, video size, audio rate and channels. */
  char *codecs;
  gint width, height, rate, channels;
  TgBoxTrack box; /* from its init segment */
  gboolean init_written;
  /* Its first buffer's running time: added to its decode times, so that
   * every track shares the stream's timeline. */
  GstClockTime start;
  gboolean started;      /* start is known */
  GstClockTime key_time; /* the latest key frame's, into mp4mux */
  GByteArray *pending;   /* bytes of boxes not yet complete */
  GByteArray *init;      /* ftyp, moov */
  GByteArray *moof;      /* a fragment's moof, until its mdat */
  GByteArray *current;   /* the segment being made */
  CmafSegment *open;     /* its record, NULL between segments */
  GQueue segments;       /* CmafSegment, finished, oldest first */
  guint next_number;
  guint64 bandwidth; /* highest bits per second of a segment */
  gboolean ended;
} CmafTrack;

struct _TgCmaf
{
  char *stream_id;
  char *media_dir; /* {dir}/{id} */
  char *ll_dir;    /* {dir}/ll-hls/{id} */
  double segment_time;
  guint list_size;
  GMutex lock; /* for what follows */
  CmafTrack tracks[CMAF_TRACKS];
  gint64 availability_start; /* real time of timeline 0, once known */
  gboolean ended;            /* the stream: manifests are final */
  gboolean playlists_ready;  /* every LL-HLS playlist has been written */
  char *master;              /* the LL-HLS master as last written */
  guint write_failures;      /* files not written (logged once) */
};

/* File names, in the media folder. */
char *tg_cmaf_init_name (const CmafTrack *track);
char *tg_cmaf_segment_name (const CmafTrack *track, guint number);
char *tg_cmaf_part_name (const CmafTrack *track, guint number, guint part);

/* A real time (g_get_real_time) as ISO 8601 UTC, to the millisecond. */
char *tg_cmaf_format_time (gint64 real_time);

/* Whether a track has its init segment and a whole segment (or, without
 * segments, a part). */
gboolean tg_cmaf_track_ready (const CmafTrack *track, gboolean segments);

/* Whether every track used has its init segment and a whole segment (or,
 * without segments, a part): what the MPD (or the playlists) need.
 * adaptive: the rungs' too. */
gboolean tg_cmaf_ready (TgCmaf *cmaf, gboolean segments, gboolean adaptive);

/* The manifests, with the lock held. */
char *tg_cmaf_mpd (TgCmaf *cmaf, gboolean adaptive);
char *tg_cmaf_hls_master (TgCmaf *cmaf);
char *tg_cmaf_hls_media (TgCmaf *cmaf, const CmafTrack *track);
/* The LL-HLS playlist's file name of a track, master when NULL. */
char *tg_cmaf_hls_name (TgCmaf *cmaf, const CmafTrack *track);
