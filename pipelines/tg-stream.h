/* One published stream: ingest -> tokencheck(publish) -> demux and parse ->
 * outputs (HLS: mpegtsmux ! hlssink; MP4: mp4mux ! filesink). The caller
 * feeds FLV (an FLV header, then FLV tags, as RTMP delivers them), MPEG-TS
 * (SRT), or frames already parsed (WebRTC), and hears back on its main
 * context. */
#pragma once

#include <gst/gst.h>

#include "tg-mux-out.h"
#include "tg-viewer.h"
#include "tollgate.h"

typedef enum
{
  TG_STREAM_FLV,    /* an FLV header, then FLV tags (RTMP) */
  TG_STREAM_MPEGTS, /* MPEG-TS packets (SRT) */
  /* Parsed frames per track (WebRTC): H.264 as avc in whole access units,
   * AAC raw, each with its caps (tg_stream_push_frame) */
  TG_STREAM_FRAMES,
} TgStreamInput;

typedef enum
{
  TG_STREAM_VIDEO,
  TG_STREAM_AUDIO,
} TgStreamTrack;

typedef struct _TgStream TgStream;

/* A rung of the ABR ladder (the app's encoderSettings). */
typedef struct
{
  gint height;
  gint video_bitrate; /* bits per second */
  gint audio_bitrate; /* bits per second; 0: the default (64000) */
} TgStreamRung;

/* The stream's tracks are all known (its media can be played): called
 * once, from a streaming thread. */
typedef void (*TgStreamMediaReady) (TgStream *stream, const char *app,
                                    const char *stream_id, gpointer data);

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
  /* CMAF: DASH in {dir}/{id}/, LL-HLS in {dir}/ll-hls/{id}/ (tg-cmaf.h),
   * segments of hls_time, hls_list_size of them listed */
  gboolean dash;
  gboolean dash_delete;      /* remove the CMAF files at the end */
  const TgStreamRung *rungs; /* the ABR ladder, with hls (copied) */
  guint n_rungs;
  TgStreamMediaReady media_ready; /* may be NULL */
  gpointer media_ready_data;
} TgStreamSpec;

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

/* Frames input: a track the publisher will send, before its first frame
 * (as an FLV header announces them): the muxers wait for it and the
 * stream can be played once every expected track has come. caps: what
 * its frames' will be, if known (NULL): a track that never comes then
 * ends as an empty track, and the recording keeps the other. */
void tg_stream_expect_track (TgStream *stream, TgStreamTrack track,
                             GstCaps *caps);
/* Frames input: one frame of a track with its caps (the caller's), taking
 * the buffer, on that track's own thread (one thread per track); times
 * from 0. Blocks while a muxer is full. FALSE as tg_stream_push, and once
 * the stream is finishing: tg_stream_finish may come from another thread
 * while frames are pushed, and lets one that waits in a muxer through. */
gboolean tg_stream_push_frame (TgStream *stream, TgStreamTrack track,
                               GstCaps *caps, GstBuffer *frame);

/* Frames input: the running time of t in sample's segment (the tracks'
 * common clock); t itself when it cannot be told. */
GstClockTime tg_stream_sample_time (GstSample *sample, GstClockTime t);
/* Frames input: a copy of the sample's frame with the stream's times, from
 * base (the running time of the first frame of either track): a video
 * frame from before it is given 0 (the first is a key frame); an audio
 * frame from before it, or without a time: NULL (dropped). */
GstBuffer *tg_stream_frame_of (GstSample *sample, TgStreamTrack track,
                               GstClockTime base);

/* The publisher is gone: drain, finalise the files, then call ended (on the
 * main context). A stream that has not drained within a few seconds is
 * stopped where it is, and ends with an error. */
void tg_stream_finish (TgStream *stream);

/* At start, when nothing is live: what a crash left in a streams folder
 * is made final. Recordings still under their .part name take their final
 * name (an empty one is deleted); HLS media playlists without an end tag
 * get one, or are deleted with their segments when delete_hls (the app's
 * deleteHLSFilesOnEnded). How many files were repaired. */
guint tg_stream_repair_files (const char *dir, gboolean delete_hls);

/* Frees a stream that has ended, or was never started. */
void tg_stream_free (TgStream *stream);

/* The recording's final path, once ended (NULL without MP4). */
const char *tg_stream_get_recording (TgStream *stream);

/* Adds a WebRTC viewer, which is then fed the stream's RTP (packetised
 * once for all viewers, from the first). FALSE when the stream has ended.
 * When it ends, its viewers are ended (tg_viewer_end). Any thread. */
gboolean tg_stream_add_viewer (TgStream *stream, TgViewer *viewer);
void tg_stream_remove_viewer (TgStream *stream, TgViewer *viewer);
/* Adds a viewer of the stream muxed as format (tg-mux-out.h), muxed once
 * for all such viewers from the first. FALSE when the stream has ended or
 * cannot be played yet (its tracks are not all known). When it ends, its
 * viewers are told (tg_mux_viewer_take). Any thread. */
gboolean tg_stream_add_mux_viewer (TgStream *stream, TgMuxOutFormat format,
                                   TgMuxViewer *viewer);
void tg_stream_remove_mux_viewer (TgStream *stream, TgMuxViewer *viewer);
/* For a WebRTC publisher's stream (before it starts): its viewers' audio
 * is the publisher's own Opus, handed over with tg_stream_push_opus (any
 * thread), rather than its AAC made Opus. */
void tg_stream_take_opus (TgStream *stream);
void tg_stream_push_opus (TgStream *stream, GstSample *frame);
/* The viewer has started: it is given the stream's current GOP now, if it
 * has had no video yet (rather than with the next packet: RTMP's come in
 * batches). Not with the viewer's lock held. */
void tg_stream_feed_viewer (TgStream *stream, TgViewer *viewer);

/* What the stream is, as measured so far (getStreamInfo): the video's size
 * (0 before its caps), average bitrates in bits per second (0 in its first
 * second), codec names as Ant Media gives them (NULL: no such track). */
typedef struct
{
  gint width, height;
  gint64 video_bitrate, audio_bitrate;
  const char *video_codec, *audio_codec;
  guint webrtc_viewers;            /* WebRTC viewers attached now */
  guint mux_viewers[TG_MUX_DOORS]; /* RTMP, SRT, RTSP viewers */
} TgStreamInfo;
/* What the publisher has sent, in all: bytes of its FLV or MPEG-TS, or of
 * its frames. Any thread. */
guint64 tg_stream_get_bytes_in (TgStream *stream);
void tg_stream_get_info (TgStream *stream, TgStreamInfo *info);

/* A rung of the stream's ABR ladder, as made: its size, and its bitrates
 * as set (bits per second). */
typedef struct
{
  gint width, height;
  gint64 video_bitrate, audio_bitrate;
} TgStreamRungInfo;
/* The rungs made so far, at most max, in order: a WebRTC viewer is moved
 * to one by its index (tg_viewer_want_rung). Their number. */
guint tg_stream_get_rungs (TgStream *stream, TgStreamRungInfo *rungs,
                           guint max);

/* What a viewer's offer needs: the H.264 profile-level-id (NULL before
 * video was seen), whether there is audio, and whether a
 * constrained-baseline H.264 is to be offered beside it (a profile some
 * browsers refuse: made when a viewer takes it); NULL with *ready FALSE
 * until the stream's tracks are all known (media_ready). */
char *tg_stream_describe (TgStream *stream, gboolean *audio, gboolean *ready,
                          gboolean *baseline);
/* For a publisher that can be asked for key frames (WebRTC): called when a
 * viewer wants one (it has just started, or its client asked), on a
 * streaming thread of the stream, with its viewer lock held: setting it
 * again (NULL: none) waits for a call under way. */
typedef void (*TgStreamKeyFrameWanted) (TgStream *stream, gpointer data);
void tg_stream_on_key_frame_wanted (TgStream *stream,
                                    TgStreamKeyFrameWanted wanted,
                                    gpointer data);
