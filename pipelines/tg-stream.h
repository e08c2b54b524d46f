/* One published stream: ingest -> tokencheck(publish) -> demux and parse ->
 * outputs (HLS: mpegtsmux ! hlssink; MP4: mp4mux ! filesink). The caller
 * feeds FLV (an FLV header, then FLV tags, as RTMP delivers them) and hears
 * back on its main context. */
#pragma once

#include <gst/gst.h>

#include "tollgate.h"

typedef enum
{
  TG_STREAM_FLV,    /* an FLV header, then FLV tags (RTMP) */
  TG_STREAM_MPEGTS, /* MPEG-TS packets (SRT) */
} TgStreamInput;

typedef struct
{
  TgStreamInput input;
  const char *app;
  const char *stream_id;
  const char *token; /* the publish token; NULL: no token required */
  TgStore *store;    /* where tokencheck spends it */
  const char *dir;   /* the app's streams folder */
  gboolean hls;
  double hls_time;     /* seconds per segment */
  guint hls_list_size; /* segments in the playlist */
  gboolean hls_delete; /* remove the playlist and segments at the end */
  gboolean mp4;
} TgStreamSpec;

typedef struct _TgStream TgStream;

/* Called once on the main context when the stream has ended: the publisher
 * stopped (error NULL) or the pipeline failed. Files are final by then. */
typedef void (*TgStreamEnded) (TgStream *stream, const GError *error,
                               gpointer user_data);

/* Builds the pipeline and takes it to READY, which is where the publish
 * token is spent; touches no main context (callable from any thread). On a
 * refused token: NULL and a TG_ERROR_FORBIDDEN error whose message says why
 * (for logs; clients are only told "no"). */
TgStream *tg_stream_new (const TgStreamSpec *spec, TgStreamEnded ended,
                         gpointer user_data, GError **error);

/* Starts the flow, and from then on reports to the main context. */
gboolean tg_stream_start (TgStream *stream, GError **error);

/* Feeds FLV bytes, taking the reference given, through demuxing and parsing
 * on the caller's thread; blocks while a muxer is full. Push and finish from
 * one thread. FALSE when the stream no longer takes data (it has failed, or
 * was stopped): the publisher should be cut off. */
gboolean tg_stream_push (TgStream *stream, GBytes *flv);

/* The publisher is gone: drain, finalise the files, then call ended (on the
 * main context). A stream that has not drained within a few seconds is
 * stopped where it is, and ends with an error. */
void tg_stream_finish (TgStream *stream);

/* Frees a stream that has ended, or was never started. */
void tg_stream_free (TgStream *stream);

/* The recording's final path, once ended (NULL without MP4). */
const char *tg_stream_get_recording (TgStream *stream);
