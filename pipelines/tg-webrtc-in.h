/* One WebRTC publisher: a pipeline of its own with a webrtcbin that takes
 * the client's offer (H.264 or VP8, and Opus), and feeds what it receives
 * into the stream's pipeline as parsed frames, a track at a time (H.264 as
 * is, VP8 made H.264, Opus made AAC: TG_STREAM_FRAMES); the Opus also goes
 * as it is to the stream's WebRTC viewers. Callbacks come on any thread. */
#pragma once

#include <gst/gst.h>
#include <gst/sdp/sdp.h>

#include "tg-stream.h"

G_BEGIN_DECLS

typedef struct _TgWebrtcIn TgWebrtcIn;

typedef struct
{
  void (*answer) (TgWebrtcIn *in, const char *sdp, gpointer data);
  void (*candidate) (TgWebrtcIn *in, guint mline, const char *mid,
                     const char *candidate, gpointer data);
  /* Every track taken has sent its first frame into the stream. */
  void (*media_came) (TgWebrtcIn *in, gpointer data);
  /* definition: the client's error, or NULL when media stopped coming. */
  void (*failed) (TgWebrtcIn *in, const char *definition, const char *reason,
                  gpointer data);
  /* NULL, or: every candidate of ours has been given (ICE gathering is
   * complete), for a door that sends them all in its answer (WHIP). */
  void (*gathered) (TgWebrtcIn *in, gpointer data);
} TgWebrtcInCallbacks;

typedef struct
{
  const char *name; /* app/stream, for logs */
  TgStream *stream; /* built with TG_STREAM_FRAMES; outlives the ingest */
  /* The tracks the client may send (publish's "video" and "audio"); the
   * offer tells which it does. Others are dropped. */
  gboolean video, audio;
  /* The Opus is also made AAC into the stream (for HLS and MP4); it is
   * anyway when there is no video (the stream needs a track). */
  gboolean aac;
  /* The client is asked for a key frame when it has sent none for this
   * long (the stream's HLS segment length). */
  GstClockTime key_frame_every;
} TgWebrtcInSpec;

TgWebrtcIn *tg_webrtc_in_new (const TgWebrtcInSpec *spec,
                              const TgWebrtcInCallbacks *callbacks,
                              gpointer data, GError **error);
void tg_webrtc_in_take_offer (TgWebrtcIn *in, const char *sdp);

/* What tg_webrtc_in_take_offer reads of an offer: whether it sends a track
 * of this kind ("video", "audio": an m-line of that kind, its port not 0
 * unless bundle-only, neither recvonly nor inactive), and whether its
 * video can be H.264 (an rtpmap "H264/..."). */
gboolean tg_webrtc_in_offers (const GstSDPMessage *offer, const char *kind);
gboolean tg_webrtc_in_offers_h264 (const GstSDPMessage *offer);

void tg_webrtc_in_take_candidate (TgWebrtcIn *in, guint mline,
                                  const char *candidate);
/* When the last frame went into the stream (monotonic seconds), 0 before
 * the first: a door without a connection of its own (WHIP) sees that a
 * client has gone. Any thread. */
gint tg_webrtc_in_last_frame (TgWebrtcIn *in);
/* A viewer has joined: the client is asked for a key frame (at most one
 * a second). Any thread. */
void tg_webrtc_in_want_key_frame (TgWebrtcIn *in);
/* From now on no callback comes, and no frame goes into the stream, which
 * may then finish (tg_stream_finish) while a frame is on its way. Not from
 * inside a callback. */
void tg_webrtc_in_close (TgWebrtcIn *in);
/* Stops it: once this returns, no callback runs or comes. Not from inside
 * a callback. */
void tg_webrtc_in_free (TgWebrtcIn *in);

G_END_DECLS
