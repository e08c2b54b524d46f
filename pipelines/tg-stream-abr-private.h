/* What tg-stream-abr.c (the ladder's life, its inputs, the decoded
 * tracks) and tg-stream-abr-rungs.c (the rungs, the master playlist)
 * share. */
#pragma once

#include "tg-stream-abr.h"
#include "tg-stream-private.h"

typedef struct
{
  TgStreamAbr *abr;
  TgStreamRung spec;
  char *name;         /* {id}_{h}p{kbps}kbps */
  gint width, height; /* as encoded */
  char *codec;        /* its H.264 profile-level-id, once encoded */
  GstElement *tee;    /* its H.264, parsed */
  GstElement *mux;    /* mpegtsmux */
  GstPad *audio_pad;  /* the muxer's, while no audio is linked to it */
  gboolean audio;     /* it has an audio track */
} TgAbrRung;

struct _TgStreamAbr
{
  TgStream *stream;
  char *master; /* {dir}/{id}_adaptive.m3u8 */
  gboolean hls; /* off: the rungs are made for DASH alone */
  double hls_time;
  guint hls_list_size;
  GstElement *pipeline;
  GMutex lock;             /* for what follows, up to the atomics */
  GPtrArray *ladder;       /* TgAbrRung, as asked */
  GPtrArray *rungs;        /* the rungs made (from ladder) */
  GstElement *src[TRACKS]; /* appsrc, once the track has come */
  GstElement *tee[TRACKS]; /* the track decoded */
  gboolean playing;
  gboolean decided;          /* the source's size is known: rungs made */
  gint width, height;        /* the source's */
  char *codec;               /* the source's profile-level-id */
  GArray *keys;              /* times of source key frames not yet decoded */
  guint fed, ended;          /* tracks (1 << track) fed, and ended */
  gboolean skipping[TRACKS]; /* each track's own thread */
  gint failed;               /* atomic: an error stopped the ladder */
  gint idle;                 /* atomic: no rung to make */
  gint made;                 /* atomic: rungs made, audio goes to them */
  gint lagging;              /* atomic: it fell behind (said once) */
  gint master_written;       /* atomic */
  GMutex wait_lock;          /* for the two below */
  GCond drained_cond;
  gboolean drained; /* ended (EOS or error), or stopped */
};

/* Elements made (NULL where one could not be), added to the ladder's
 * pipeline and linked in order; FALSE if one is missing (then none is
 * added), or does not link. */
gboolean tg_abr_add_chain (TgStreamAbr *abr, GstElement **chain, guint n);
/* Started with their pipeline, sinks first. */
void tg_abr_start_chain (GstElement **chain, guint n);
GstElement *tg_abr_make (const char *factory);
GstElement *tg_abr_make_caps (const char *description);
/* Links a new branch of tee to the sink pad of first. */
gboolean tg_abr_link_tee (GstElement *tee, GstElement *first);
/* The H.264 profile-level-id of a caps event's codec_data, into *codec
 * (the lock taken). */
void tg_abr_note_codec (TgStreamAbr *abr, GstEvent *caps_event, char **codec);
/* The decoded video's first caps: the source's size, hence the rungs.
 * On the decoder's thread, before its first frame. */
void tg_abr_decide (TgStreamAbr *abr, GstCaps *caps);
/* The rung's audio, from the decoded audio's tee. Locked. */
void tg_abr_link_audio (TgStreamAbr *abr, TgAbrRung *rung);
