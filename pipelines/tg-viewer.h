/* One WebRTC viewer of a stream: a pipeline of its own with a webrtcbin
 * that sends the stream's RTP (H.264 and Opus, packetised once per stream
 * and shared: tg_viewer_push). Either the server makes the offer and opens
 * a data channel (WebSocket signalling), or it answers the client's offer
 * (WHEP: TgViewerSpec's offer). The play token is spent once ICE has connected,
 * by a tokencheck type=play that the viewer's media then passes; before that,
 * nothing is spent. Callbacks come on any thread. */
#pragma once

#include <gst/gst.h>
#include <gst/sdp/sdp.h>

#include "tollgate.h"

G_BEGIN_DECLS

typedef struct _TgViewer TgViewer;

typedef enum
{
  TG_VIEWER_VIDEO,
  TG_VIEWER_AUDIO,
  TG_VIEWER_TRACKS
} TgViewerTrack;

/* Which of the stream's videos a viewer takes: its own H.264, or the
 * constrained-baseline one made from it for browsers that refuse its
 * profile (offered beside it: TgViewerSpec's baseline). */
typedef enum
{
  TG_VIEWER_OWN,
  TG_VIEWER_BASELINE,
  TG_VIEWER_VARIANTS
} TgViewerVariant;

/* What a viewer is fed: one of the stream's videos (a TgViewerVariant)
 * or, from TG_VIEWER_RUNG on, a rung of its ABR ladder (TG_VIEWER_RUNG +
 * the rung's index), constrained baseline, which every viewer takes. Each
 * is its own RTP stream; the viewer's packets are made one (tg-rtp-splice.h).
 */
#define TG_VIEWER_RUNG TG_VIEWER_VARIANTS
#define TG_VIEWER_MAX_RUNGS 6
#define TG_VIEWER_FEEDS (TG_VIEWER_RUNG + TG_VIEWER_MAX_RUNGS)

typedef struct
{
  /* Our offer, or when answering the client's offer, our answer. */
  void (*offer) (TgViewer *viewer, const char *sdp, gpointer data);
  void (*candidate) (TgViewer *viewer, guint mline, const char *mid,
                     const char *candidate, gpointer data);
  /* Media flows (the token is spent), or the viewer failed: definition is
   * the client's error (unauthorized_access, ...), reason for the log. */
  void (*started) (TgViewer *viewer, gpointer data);
  void (*failed) (TgViewer *viewer, const char *definition, const char *reason,
                  gpointer data);
  /* The viewer's receiver's latest reports, as asked for
   * (tg_viewer_ask_report): the largest fraction of packets it says it
   * lost. May be NULL. */
  void (*report) (TgViewer *viewer, double fraction_lost, gpointer data);
  /* NULL, or: every candidate of ours has been given (ICE gathering is
   * complete), for a door that sends them all in its answer (WHEP). */
  void (*gathered) (TgViewer *viewer, gpointer data);
} TgViewerCallbacks;

typedef struct
{
  const char *app;
  const char *stream_id;
  const char *token; /* NULL: none needed */
  TgStore *store;
  const char *profile_level_id; /* the stream's H.264, e.g. "640028" */
  /* offered beside it, as a second payload: a constrained-baseline
   * profile-level-id ("42e01f"), or NULL */
  const char *baseline;
  gboolean audio; /* the stream has audio */
  /* NULL: the server offers. Else the client's offer (SDP text, checked
   * with tg_viewer_check_offer), which the viewer answers, with the payload
   * types it gives: the stream's own H.264 if it lists that profile, else
   * the constrained-baseline one (baseline, or the stream's own when that
   * is constrained baseline already); Opus if it lists it and the stream
   * has audio. */
  const char *offer;
} TgViewerSpec;

/* Whether a client's offer (spec's offer) has a video this viewer can
 * send; if not, why, in error (TG_ERROR_INVALID). */
gboolean tg_viewer_check_offer (const TgViewerSpec *spec, GError **error);

/* Builds the viewer and starts making the offer (or the answer). */
TgViewer *tg_viewer_new (const TgViewerSpec *spec,
                         const TgViewerCallbacks *callbacks, gpointer data,
                         GError **error);
TgViewer *tg_viewer_ref (TgViewer *viewer);
void tg_viewer_unref (TgViewer *viewer);

void tg_viewer_take_answer (TgViewer *viewer, const char *sdp);

/* What tg_viewer_take_answer reads of a client's answer to our offer:
 * which of our videos it takes in *variant, the stream's own H.264 when
 * its first video m-line lists that payload, else the baseline one; FALSE
 * when it refuses both (port 0, or neither payload), as a browser does
 * that takes none of the offered H.264 profiles. No video m-line: TRUE,
 * the own one. */
gboolean tg_viewer_answer_takes_video (const GstSDPMessage *answer,
                                       TgViewerVariant *variant);

void tg_viewer_take_candidate (TgViewer *viewer, guint mline,
                               const char *candidate);

/* One RTP packet of the stream (for video: of feed, the viewer's now),
 * taking a reference of its own; dropped until the viewer has started,
 * and when the viewer is behind. gop (video only; may be NULL): the
 * feed's packets since its last key frame, rtp the last of them, which the
 * viewer is given instead if rtp is its first. rtp NULL: only gop, if the
 * viewer has had no video yet. */
void tg_viewer_push (TgViewer *viewer, TgViewerTrack track, guint feed,
                     GstBuffer *rtp, GPtrArray *gop);
/* Whether the viewer wants a key frame (it has just started, or its client
 * sent a PLI or FIR), and then forgets it. Any thread. */
gboolean tg_viewer_take_key_frame (TgViewer *viewer);
/* RTP bytes given to its peer so far. Any thread. */
guint64 tg_viewer_get_bytes_sent (TgViewer *viewer);

/* Pushes a copy of buffer (sharing its memory) into an appsrc with
 * do-timestamp, without its times: it is stamped in the appsrc's own
 * pipeline's time (times of another pipeline would hold it back for as
 * long as that one has run). */
void tg_push_restamped (GstElement *appsrc, GstBuffer *buffer);

/* The stream has ended: failed is called with definition NULL (the client
 * hears play_finished). Any thread. */
void tg_viewer_end (TgViewer *viewer);

/* Stops the viewer; no callback comes after this returns. Not from inside
 * a callback. Its pipeline is taken down on another thread. */
void tg_viewer_close (TgViewer *viewer);
/* At exit: waits until every closed viewer's pipeline is down, 5 s at
 * most (then says how many did not stop). */
void tg_viewer_wait_closed (void);

/* Asks webrtcbin for the receiver's latest reports on what the viewer is
 * sent: the report callback comes (on another thread) if there are any. */
void tg_viewer_ask_report (TgViewer *viewer);

/* Which video the viewer's answer chose (TG_VIEWER_OWN until it came).
 * Any thread. */
TgViewerVariant tg_viewer_get_variant (TgViewer *viewer);

/* The feed the viewer is given now (its variant until moved), and the one
 * it is to be given: a rung (-1: its variant again), from the next key
 * frame of that rung's video (the stream moves it: tg_viewer_set_feed).
 * Any thread. */
guint tg_viewer_get_feed (TgViewer *viewer);
void tg_viewer_want_rung (TgViewer *viewer, gint rung);
guint tg_viewer_get_wanted_feed (TgViewer *viewer);
void tg_viewer_set_feed (TgViewer *viewer, guint feed);

G_END_DECLS
