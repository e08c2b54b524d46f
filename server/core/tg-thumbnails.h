/* Thumbnails of live streams (tg-thumbnail.h makes one): a JPEG of the
 * stream's latest key frame, kept per stream for TG_THUMBNAILS_KEEP_MS and
 * served again meanwhile; the requests for a stream whose thumbnail is
 * being made wait for that one; at most TG_THUMBNAILS_MAX_DECODES are made
 * at once in the whole server, each on a thread of its own, each given up
 * after TG_THUMBNAILS_WAIT_S. Thread-safe. */
#pragma once

#include "tg-live.h"

G_BEGIN_DECLS

#define TG_THUMBNAILS_MAX_WIDTH 320
#define TG_THUMBNAILS_KEEP_MS 2000
#define TG_THUMBNAILS_MAX_DECODES 2
#define TG_THUMBNAILS_WAIT_S 5

typedef struct _TgThumbnails TgThumbnails;

typedef enum
{
  TG_THUMBNAIL_OK,
  TG_THUMBNAIL_NOT_LIVE,
  TG_THUMBNAIL_NO_VIDEO, /* live, without a video track */
  /* live, but no picture: its tracks are not known yet, no key frame came
   * in time, or the decoder failed */
  TG_THUMBNAIL_NOT_YET,
  TG_THUMBNAIL_BUSY,    /* TG_THUMBNAILS_MAX_DECODES are being made */
  TG_THUMBNAIL_PENDING, /* being made: done will say */
} TgThumbnailResult;

/* On the main context of the caller of tg_thumbnails_get; jpeg with
 * TG_THUMBNAIL_OK only. */
typedef void (*TgThumbnailDone) (TgThumbnailResult result, GBytes *jpeg,
                                 gpointer data);

TgThumbnails *tg_thumbnails_new (TgLive *live);
/* At shutdown, once the streams have ended (so at once): no more
 * thumbnails are made, and those being made are waited for (their waiters
 * are told on their contexts, which must still run). Requests may still
 * come until it is freed. */
void tg_thumbnails_close (TgThumbnails *thumbnails);
/* Closes it, then frees it. */
void tg_thumbnails_free (TgThumbnails *thumbnails);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgThumbnails, tg_thumbnails_free)

/* The thumbnail of app/stream_id: a result now (*jpeg, the caller's, with
 * TG_THUMBNAIL_OK), or TG_THUMBNAIL_PENDING and done is called later, once,
 * on the caller's thread-default main context (then data is freed with
 * free_data; also when that context goes first). */
TgThumbnailResult tg_thumbnails_get (TgThumbnails *thumbnails, const char *app,
                                     const char *stream_id, GBytes **jpeg,
                                     TgThumbnailDone done, gpointer data,
                                     GDestroyNotify free_data);

/* What a request does (pure): serve the thumbnail made at made (monotonic
 * µs; 0: none) while younger than TG_THUMBNAILS_KEEP_MS, else wait for the
 * one being made (decoding), else make one unless running decodes are
 * already TG_THUMBNAILS_MAX_DECODES. */
typedef enum
{
  TG_THUMBNAIL_SERVE,
  TG_THUMBNAIL_JOIN,
  TG_THUMBNAIL_START,
  TG_THUMBNAIL_REFUSE,
} TgThumbnailPlan;
TgThumbnailPlan tg_thumbnail_plan (gint64 now, gint64 made, gboolean decoding,
                                   guint running);

G_END_DECLS
