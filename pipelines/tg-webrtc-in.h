/* One WebRTC publisher: a pipeline of its own with a webrtcbin that takes
 * the client's offer (H.264 and Opus), and turns what it receives into FLV
 * (H.264 as is, Opus to AAC) for the stream's pipeline, which takes it as
 * it takes RTMP's. Callbacks come on any thread. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct _TgWebrtcIn TgWebrtcIn;

typedef struct
{
  void (*answer) (TgWebrtcIn *in, const char *sdp, gpointer data);
  void (*candidate) (TgWebrtcIn *in, guint mline, const char *mid,
                     const char *candidate, gpointer data);
  /* FLV bytes, from one streaming thread; FALSE: take no more. */
  gboolean (*media) (TgWebrtcIn *in, GBytes *ts, gpointer data);
  /* definition: the client's error, or NULL when media stopped coming. */
  void (*failed) (TgWebrtcIn *in, const char *definition, const char *reason,
                  gpointer data);
} TgWebrtcInCallbacks;

/* video, audio: the tracks the client may send (publish's "video" and
 * "audio"); the offer tells which it does. Others are dropped.
 * key_frame_every: the client is asked for a key frame when it has sent
 * none for this long (the stream's HLS segment length). */
TgWebrtcIn *tg_webrtc_in_new (const char *name, gboolean video, gboolean audio,
                              GstClockTime key_frame_every,
                              const TgWebrtcInCallbacks *callbacks,
                              gpointer data, GError **error);
void tg_webrtc_in_take_offer (TgWebrtcIn *in, const char *sdp);
void tg_webrtc_in_take_candidate (TgWebrtcIn *in, guint mline,
                                  const char *candidate);
/* A viewer has joined: the client is asked for a key frame (at most one
 * a second). Any thread. */
void tg_webrtc_in_want_key_frame (TgWebrtcIn *in);
/* Stops it: once this returns, no callback runs or comes. Not from inside
 * a callback. */
void tg_webrtc_in_free (TgWebrtcIn *in);

G_END_DECLS
