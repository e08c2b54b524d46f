/* A WHIP or WHEP session, shared by the door's files: its resource in the
 * registry (which DELETE and the door end), and the POST that waits,
 * paused, for our answer and our candidates. */
#pragma once

#include <gst/sdp/sdp.h>
#include <libsoup/soup.h>

#include "tg-live.h"
#include "tg-server.h"
#include "tg-viewer.h"
#include "tg-webrtc-in.h"

G_BEGIN_DECLS

typedef struct _TgWhipSession TgWhipSession;

struct _TgWhipSession
{
  gint refs;
  struct _TgWhip *whip; /* its registry (tg-whip.h) */
  TgServer *server;
  gboolean play; /* WHEP */
  /* Constant: */
  char *id; /* the resource's last segment, unguessable */
  char *app, *stream_id, *peer;
  char *name; /* "WHIP app/stream" for logs */
  /* Ends what the door made (on any thread, once, never from inside a
   * callback of its webrtcbin): called by whoever takes the session out of
   * the registry (tg_whip_end). */
  void (*end) (TgWhipSession *session);
  /* The door's: WHIP */
  TgPublication *publication; /* a reference */
  TgStream *stream;           /* the publication's */
  TgWebrtcIn *in; /* set before the POST waits; cleared under lock */
  /* WHEP */
  TgViewer *viewer;
  struct _TgSession *admitted; /* tg-sessions.h: from its attach to its end */
  gint started;                /* atomic: media came, or the viewer started */
  gint over;                   /* atomic: ended */
  gint64 posted;               /* when its POST came (monotonic) */
  GSource *media_wait;         /* the main context's */
  /* The answer, under lock: */
  GMutex lock;
  SoupServerMessage *msg; /* the POST, paused, until answered */
  gulong disconnected;
  GMainContext *context; /* its worker's */
  GSource *deadline;
  char *answer;
  GPtrArray *candidates; /* "mline candidate" */
  gboolean gathered, replying;
  guint fail_status; /* the POST is refused with it, or 0 */
  char *fail_reason;
};

/* What a POST carries, checked for form (content type, size, an SDP
 * offer) but not yet admitted. */
typedef struct
{
  TgServer *server;
  SoupServerMessage *msg;
  const char *app, *stream_id, *peer;
  const char *token; /* the Bearer token, or NULL */
  const char *offer;
  const GstSDPMessage *sdp; /* the offer, parsed */
  TgSettings *settings;
} TgWhipRequest;

/* Whether an SDP (a POST's body) is a WebRTC offer webrtcbin can take:
 * 1 to 16 m-lines, each with its mid, audio or video among them, and ICE
 * and DTLS credentials. */
gboolean tg_whip_is_offer (const GstSDPMessage *sdp);
/* Whether an offer sends a track: an audio or video m-line neither
 * recvonly nor inactive (WHIP; the ingest takes H.264 or VP8, Opus). */
gboolean tg_whip_sends_media (const GstSDPMessage *sdp);

/* A session of the request, in the registry (its reference). */
TgWhipSession *tg_whip_session_new (struct _TgWhip *whip,
                                    const TgWhipRequest *request,
                                    gboolean play);
TgWhipSession *tg_whip_session_ref (TgWhipSession *session);
void tg_whip_session_unref (TgWhipSession *session);

/* Pauses the POST until our answer and every candidate have come (or a
 * few seconds have passed), then answers it 201; and ends the session if
 * nothing has started MEDIA_WAIT_S later. On the POST's worker. */
void tg_whip_session_wait (TgWhipSession *session, SoupServerMessage *msg);

/* From the door's webrtcbin, any thread, any lock held: */
void tg_whip_session_answer (TgWhipSession *session, const char *sdp);
void tg_whip_session_candidate (TgWhipSession *session, guint mline,
                                const char *candidate);
void tg_whip_session_gathered (TgWhipSession *session);
void tg_whip_session_started (TgWhipSession *session);
/* It is over: a POST still waiting is refused with status (a client's
 * error: 400; else 500), and the session ends, later, on the main
 * context. */
void tg_whip_session_failed (TgWhipSession *session, guint status,
                             const char *reason);

/* Takes the session out of the registry and ends it, if it is still there
 * (FALSE if not). Not from inside a callback of its webrtcbin. */
gboolean tg_whip_end (TgWhipSession *session);
/* The same, later, on the main context. Any thread, any lock held. */
void tg_whip_end_later (TgWhipSession *session);

/* The admission (tollgate.h) of a request, checked without spending;
 * publish: the stream must be free. On refusal the reply is set. */
gboolean tg_whip_admit (const TgWhipRequest *request, TgTokenType type);

/* A reply with a short text body. */
void tg_whip_reply (SoupServerMessage *msg, guint status, const char *text);

/* The doors: each answers the POST or waits for its answer. */
void tg_whip_publish (struct _TgWhip *whip, const TgWhipRequest *request);
void tg_whep_play (struct _TgWhip *whip, const TgWhipRequest *request);

G_END_DECLS
