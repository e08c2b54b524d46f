/* Reading the boxes (ISO BMFF) of the fragmented MP4 that mp4mux writes
 * for one track: the init segment (ftyp, moov) and fragments (moof, mdat),
 * for the CMAF packager (tg-cmaf.c). Pure functions on bytes. */
#pragma once

#include <glib.h>

#define TG_BOX(a, b, c, d)                                                     \
  ((guint32) (a) << 24 | (guint32) (b) << 16 | (guint32) (c) << 8              \
   | (guint32) (d))

/* The whole size of the box at the start of data and its type: 0 while
 * its header is incomplete, -1 if it is not a box. */
gssize tg_box_size (const guint8 *data, gsize length, guint32 *type);
/* Big-endian numbers, as boxes hold them. */
guint32 tg_box_u32 (const guint8 *p);
guint64 tg_box_u64 (const guint8 *p);
void tg_box_put_u32 (guint8 *p, guint32 v);

/* What an init segment's moov says of its (first) track. */
typedef struct
{
  guint32 timescale;        /* mdhd */
  guint32 default_duration; /* trex */
  guint32 default_flags;    /* trex */
} TgBoxTrack;
gboolean tg_box_read_moov (const guint8 *moov, gsize length, TgBoxTrack *out);

/* What one fragment (moof) holds, in its track's timescale. */
typedef struct
{
  guint64 decode_time; /* tfdt */
  guint64 duration;    /* its samples' */
  guint samples;
  gboolean independent; /* its first sample is a sync sample */
} TgBoxFragment;
gboolean tg_box_read_moof (const guint8 *moof, gsize length,
                           const TgBoxTrack *track, TgBoxFragment *out);

/* Adds shift to the moof's decode time, in place; FALSE if it does not
 * fit the box's field. */
gboolean tg_box_shift_moof (guint8 *moof, gsize length, guint64 shift);
