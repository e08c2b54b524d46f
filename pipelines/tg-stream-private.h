/* What tg-stream.c (ingest, outputs) and tg-stream-rtp.c (WebRTC viewers)
 * share of a stream. */
#pragma once

#include "tg-cmaf.h"
#include "tg-ingest-check.h"
#include "tg-stream.h"

enum
{
  VIDEO = TG_STREAM_VIDEO,
  AUDIO = TG_STREAM_AUDIO,
  TRACKS
};

enum
{
  OUT_HLS,
  OUT_MP4,
  OUTPUTS
};

/* What passes into a track (tg-stream-info.c). */
typedef struct
{
  GMutex lock; /* for the rest */
  guint64 bytes, buffers;
  GstClockTime first, last; /* earliest and latest time of its buffers */
  gint width, height;
} TgStreamMeter;

/* Counts what enters the track through pad (its tee's sink). */
void tg_stream_meter_watch (TgStream *stream, guint track, GstPad *pad);

/* The publisher's thread pushes the FLV or MPEG-TS and does the demuxing
 * and parsing (a WebRTC publisher's tracks come parsed, each on a thread of
 * its own); each muxer has a thread of its own (GstAggregator's). No
 * queues: the muxers' windows absorb the interleaving of audio and video,
 * and a muxer that is full holds the publisher back (TCP does the rest). */
struct _TgStream
{
  char *name; /* app/stream, for logs */
  GstElement *pipeline;
  GstPad *src; /* ours, not an element's: pushed from the caller's thread */
  /* Frames (TG_STREAM_FRAMES, tg-stream-frames.c): a pad of ours per
   * track, and where it is linked from (the gate's for video, if any). */
  GstPad *track_src[TRACKS], *track_out[TRACKS];
  GMutex frames_lock;          /* for the two below */
  gboolean frames_closed;      /* finishing: no more frames */
  GstCaps *track_caps[TRACKS]; /* the caps each was last given */
  /* What an expected track will be, if known: a track that never comes
   * is ended with them (an empty track, rather than none announced). */
  GstCaps *expected_caps[TRACKS];
  gboolean started;         /* the caller's thread only */
  gint finished;            /* atomic: tg_stream_finish was called */
  gint refused;             /* atomic: what the publisher sent broke a rule */
  guint64 bytes_in;         /* atomic: what the publisher sent, in all */
  GstElement *mux[OUTPUTS]; /* mpegtsmux before hlssink, mp4mux; or NULL */
  TgCmaf *cmaf;             /* DASH and LL-HLS, or NULL */
  gboolean dash_delete;
  char *dir; /* the app's streams folder */
  char *stream_id;
  gboolean hls_delete;
  char *mp4_part;       /* the recording while it is written */
  char *mp4_final;      /* its name once complete */
  gboolean mp4_dropped; /* it lacks a track (release_unfed) */
  TgStreamEnded ended;
  gpointer user_data;
  guint bus_watch;
  /* Atomic, per track (bytes: [0]): monotonic seconds, 0 when not pushing. */
  gint pushing_since[TRACKS];
  GMutex lock;         /* for the three below */
  guint drain_timeout; /* on the main context */
  guint watchdog;      /* on the main context: finds stuck pushes */
  gboolean done;
  TgStreamInput input;
  TgIngestCheck *ingest; /* what the publisher sends, before the demuxer */
  gboolean announced;    /* the FLV header was seen */
  /* Muxer pads for the tracks the FLV header announced, requested before
   * any data flows: a muxer then waits for every track before it starts. */
  GstPad *pads[TRACKS][OUTPUTS];
  /* Each track goes through a tee, where the RTP for WebRTC viewers
   * branches off once the first of them comes (tg-viewer.h). */
  GMutex viewers_lock;      /* for what follows */
  GstElement *tees[TRACKS]; /* once the track is found */
  char *profile_level_id;   /* the H.264's, for viewers' offers */
  gboolean rtp_built;       /* the RTP branches are there */
  gboolean reencoded; /* for WebRTC: B-frames, or a profile browsers refuse */
  /* its profile is offered with a constrained-baseline one beside it */
  gboolean baseline_offered;
  gboolean baseline_built; /* that branch is there */
  guint rungs_asked; /* 1 << rung: its RTP branch was asked of the ladder */
  /* Per video (TG_VIEWER_FEEDS): one was last made by our encoder; its
   * RTP packets since the last key frame, which a new viewer is given
   * first (NULL when over GOP_CACHE_MAX). */
  gint64 last_key_frame[TG_VIEWER_FEEDS];
  GPtrArray *gop[TG_VIEWER_FEEDS];
  gsize gop_bytes[TG_VIEWER_FEEDS];
  /* A WebRTC publisher's stream: its viewers' audio is the publisher's
   * own Opus (tg_stream_push_opus), into opus_src once they come. */
  gboolean opus_input;
  GstElement *opus_src;
  gboolean opus_ended; /* the stream is finishing: EOS into opus_src */
  TgStreamKeyFrameWanted key_frame_wanted;
  gpointer key_frame_wanted_data;
  guint announced_tracks; /* atomic: 1 << track, announced or found */
  gint tracks_known;      /* atomic: every track is found */
  gint has_video;         /* atomic: one of them is video */
  gint video_judged;      /* atomic: seen enough to know of B-frames */
  guint video_frames;     /* the video's streaming thread's, until then */
  gint media_ready;       /* atomic: all of the above: it can be played */
  char *app;
  TgStreamMediaReady on_media_ready;
  gpointer media_ready_data;
  GPtrArray *viewers; /* TgViewer */
  TgStreamMeter meters[TRACKS];
  struct _TgStreamAbr *abr; /* the ABR ladder, or NULL (tg-stream-abr.c) */
  /* Muxed once for the SRT and RTMP viewers, from the first of each
   * (tg-mux-out.c); under viewers_lock. */
  struct _TgMuxOut *mux_outs[TG_MUX_OUT_FORMATS];
};

/* How much of one track a muxer holds while it waits for the other (audio
 * and video arrive interleaved, not in lockstep). */
#define MUX_WINDOW (3 * GST_SECOND)

/* How a queue in front of viewers leaks: it drops what comes in while it
 * is full. GStreamer 1.22's downstream leak stores the sticky events it
 * drops on the queue's source pad from the upstream thread while its own
 * thread may be pushing the first of them: a branch linked to a running
 * tee, whose queue counts the stream's whole running time as queued until
 * its first segment leaves it, then stores the caps before the
 * stream-start (a GLib warning). Full, either kind holds the same time. */
#define TG_LEAKY_QUEUE "leaky=upstream"

/* An element, or an error naming the plugin to install. */
GstElement *tg_stream_make (const char *factory, GError **error);
/* Links two elements already in the pipeline, or says why not. */
gboolean tg_stream_link (GstElement *from, GstElement *to, GError **error);
/* The file outputs (tg-stream-files.c): added before the pipeline goes to
 * READY; at the end, the recording given its final name (complete: the
 * stream ended cleanly), and what is to be deleted deleted. */
gboolean tg_stream_add_files (TgStream *stream, const TgStreamSpec *spec,
                              GError **error);
void tg_stream_end_files (TgStream *stream, gboolean complete);

/* Requests the muxer pads of a track, before its data flows. */
void tg_stream_reserve_pads (TgStream *stream, guint track);
/* A track is found (pad: where it comes from, with these caps): it goes to
 * every output, through a tee. On its streaming thread, before its first
 * buffer. */
void tg_stream_add_track (TgStream *stream, GstPad *pad, guint track,
                          GstCaps *caps);
/* The publish gate (tokencheck), added to the pipeline; NULL if missing. */
GstElement *tg_stream_add_gate (TgStream *stream, const TgStreamSpec *spec,
                                GError **error);
/* For the pads of ours that feed the pipeline: no latency (the publisher
 * sets the pace, not a clock). */
gboolean tg_stream_src_query (GstPad *pad, GstObject *parent, GstQuery *query);
/* Pushes on one of our pads, watched for a push stuck in a full muxer. */
gboolean tg_stream_push_buffer (TgStream *stream, GstPad *pad, guint track,
                                GstBuffer *buffer);
/* The stream fails for what the publisher sent, with a line that says why
 * (bus_message); it takes nothing more. Any thread. */
void tg_stream_refuse (TgStream *stream, const char *format, ...)
    G_GNUC_PRINTF (2, 3);
/* Frames input (tg-stream-frames.c): its pads (and the gate); closed to
 * more frames, an expected track that never came started empty; the end
 * pushed on each track; its leftovers freed. */
gboolean tg_stream_build_frames (TgStream *stream, const TgStreamSpec *spec,
                                 GError **error);
void tg_stream_close_frames (TgStream *stream);
void tg_stream_end_frames (TgStream *stream);
void tg_stream_free_frames (TgStream *stream);

/* The profile-level-id of an SDP for this H.264 (its avcC's). */
char *tg_stream_profile_level_id (const GstStructure *caps);
/* The stream is finishing: the publisher's Opus ends too. */
void tg_stream_end_opus (TgStream *stream);
/* Builds the track's RTP branch for WebRTC viewers (tg-stream-rtp.c).
 * Called with viewers_lock held. */
void tg_stream_add_rtp_branch (TgStream *stream, guint track);
/* A branch that payloads a feed of the track for the viewers fed by it
 * (a bin, its sink pad "sink", for any pipeline: an ABR rung's is in the
 * ladder's), or NULL (said why). */
GstElement *tg_stream_rtp_branch_new (TgStream *stream, guint track,
                                      guint feed);
/* Watches the video's first frames for B-frames, on the tee's sink pad;
 * the stream is ready to play once it knows. */
void tg_stream_judge_video (TgStream *stream, GstPad *pad);
/* Every track is found (tracks_known), or the video has been judged: the
 * caller hears media_ready once both are true. */
void tg_stream_check_ready (TgStream *stream);

/* The SRT, RTMP and RTSP viewers (tg-mux-out.c): how many a door has now
 * (viewers_lock held); at the stream's end, each is let drain and told;
 * their branches freed. */
guint tg_stream_count_mux_viewers (TgStream *stream, TgMuxDoor door);
void tg_stream_end_mux_outs (TgStream *stream);
void tg_stream_free_mux_outs (TgStream *stream);
