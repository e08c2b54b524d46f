/* The live registry: every publication, whatever its door (RTMP, SRT,
 * WebRTC), as one TgPublication. An app/stream is claimed when a door
 * accepts its publisher, so that a second publisher of it is refused
 * (streamIdInUse) even over another door, and released when its stream has
 * ended (tg-publish.h: going live and ending). Stopping a publication, by
 * REST or at shutdown, is the same for every door: the registry calls the
 * stop function its door registered. Thread-safe. */
#pragma once

#include <glib.h>

#include "tg-stream.h"

G_BEGIN_DECLS

typedef struct _TgLive TgLive;
struct _TgCluster;
struct _TgSessions;
struct _TgSession;
typedef struct _TgPublication TgPublication;

/* What a door does for its publications; data is what it gave at the
 * claim, and must live until the publication has ended. */
typedef struct
{
  /* publishType in broadcast records and logs: "RTMP", "SRT", "WebRTC". */
  const char *name;
  /* Cuts the publisher off: its stream then drains and ends. On the main
   * context, only between tg_publish_start and the end (tg-publish.h), and
   * possibly more than once. */
  void (*stop) (TgPublication *publication, gpointer data);
  /* The stream has ended (files final, broadcast updated, stream id freed):
   * on the main context, once. May be NULL. */
  void (*ended) (TgPublication *publication, gpointer data);
  /* A stream pulled from its origin, another node of the cluster
   * (tg-cluster.h): served here, but its token was the origin's to spend,
   * its broadcast record and recording are the origin's. */
  gboolean relay;
} TgDoor;

/* One live publication. The door reads it; the registry and tg-publish.c
 * write it. */
struct _TgPublication
{
  gint refs;
  TgLive *live;
  const TgDoor *door;
  gpointer door_data;
  /* Set when claimed, then constant. */
  char *app;
  char *stream_id;
  char *key;  /* "app/stream_id", for logs */
  char *peer; /* the publisher's address */
  /* The tag of the credential that admitted it (tg_session_tag), or NULL:
   * set by tg_publish_build. */
  char *credential_tag;
  /* Its session (tg-sessions.h), from going live to its end. */
  struct _TgSession *session;
  /* Set by tg_publish_build, before it goes live. */
  struct _TgServer *server;
  TgStream *stream;
  /* Unix time in milliseconds when it went live (tg_publish_start), else
   * 0. */
  gint64 start_time;
  /* Why the publisher left, in words for the log's "publish ended" line
   * ("it sent nothing for 30 s"): a static string the door may set
   * (tg_publication_left) before it ends the stream; NULL: not said. */
  const char *left_because;
  /* The registry's, under its lock: */
  gboolean running;  /* it went live: its stream may be watched and stopped */
  gboolean listed;   /* app/stream_id is claimed by it */
  gboolean stopping; /* a stop is on its way to the main context */
  gboolean stop_wanted; /* asked before it went live: stopped as it does */
};

/* The door says why its publisher left (a static string), before it ends
 * the stream; the first said is kept (a stop says "stopped by the
 * server"). Any thread. */
void tg_publication_left (TgPublication *publication, const char *because);

TgLive *tg_live_new (void);
/* The cluster the node is in (tg-cluster.h), before any door opens: a
 * stream live on another node is claimed there, not free here. */
void tg_live_set_cluster (TgLive *live, struct _TgCluster *cluster);
/* The sessions registry a publication is a session of, from going live to
 * its end (not a relay's), before any door opens. */
void tg_live_set_sessions (TgLive *live, struct _TgSessions *sessions);
/* Once no publication is left (tg_live_close). */
void tg_live_free (TgLive *live);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgLive, tg_live_free)

TgPublication *tg_publication_ref (TgPublication *publication);
/* The last reference frees its stream: any thread, but not from inside the
 * stream's own callbacks. */
void tg_publication_unref (TgPublication *publication);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgPublication, tg_publication_unref)

/* Claims app/stream_id for a publisher of door (from address peer): a new
 * publication (the caller's reference; the registry holds one of its own
 * until the end), or NULL when the stream is claimed already (here, or
 * live on another node of the cluster unless door is a relay) or the
 * registry is closing. */
TgPublication *tg_live_claim (TgLive *live, const TgDoor *door,
                              gpointer door_data, const char *app,
                              const char *stream_id, const char *peer);
/* Gives up a claim whose publication never went live (its stream could not
 * be built): the stream id is free again. */
void tg_live_abandon (TgLive *live, TgPublication *publication);

/* Whether the registry is closing (tg_live_close): nothing more goes
 * live. */
gboolean tg_live_is_closing (TgLive *live);

/* Whether app/stream_id is claimed now (a hint: claim to be sure). */
gboolean tg_live_is_claimed (TgLive *live, const char *app,
                             const char *stream_id);

/* A stream a door asks about, for the admission's claim question
 * (TgAdmission.claim = tg_live_is_free, claim_data = a TgLiveWanted). */
typedef struct
{
  TgLive *live;
  const char *app, *stream_id;
} TgLiveWanted;

/* Whether the wanted stream is not claimed now; claims nothing. */
gboolean tg_live_is_free (gpointer wanted);

/* Calls func with the stream of app/stream_id, once it has gone live,
 * while holding the registry's lock, so that the stream is not released
 * meanwhile; FALSE (func not called) when there is none. func must not call
 * back into the registry. */
gboolean tg_live_with_stream (TgLive *live, const char *app,
                              const char *stream_id,
                              void (*func) (TgStream *stream, gpointer data),
                              gpointer data);

/* Stops the publication of app/stream_id, whatever its door: the
 * publisher is cut off, its stream drains and its files are finalised.
 * Any thread: the door's stop function runs on the main context; one
 * still being built is stopped as it goes live. FALSE when app/stream_id is
 * not claimed. */
gboolean tg_live_stop (TgLive *live, const char *app, const char *stream_id);

/* What the running stream of app/stream_id is now (tg_stream_get_info):
 * FALSE when it is not live. Any thread. */
gboolean tg_live_get_info (TgLive *live, const char *app, const char *stream_id,
                           TgStreamInfo *info);

/* Calls func with each live publication and what its stream is now
 * (tg_stream_get_info), under the registry's lock: func must not call
 * back into the registry. Any thread. */
void tg_live_foreach_running (TgLive *live,
                              void (*func) (const TgPublication *publication,
                                            const TgStreamInfo *info,
                                            gpointer data),
                              gpointer data);

/* At shutdown, on the main context: later claims are refused, every
 * publication is stopped (one going live meanwhile too), and the main
 * context runs until each has ended and its files are final. */
void tg_live_close (TgLive *live);

/* Told when a publication's media is ready to be played (its tracks are
 * all known), on a streaming thread, with the registry's lock held: func
 * must not call back into the registry. */
typedef void (*TgLiveWatch) (TgPublication *publication, gpointer data);
void tg_live_watch (TgLive *live, TgLiveWatch func, gpointer data);
void tg_live_unwatch (TgLive *live, TgLiveWatch func, gpointer data);

/* For tg-publish.c, the go-live and end sequences: */
/* The publication has gone live: viewers may join, and it may be stopped
 * (one that went live as the registry closes is stopped at once). */
void tg_live_went_live (TgLive *live, TgPublication *publication);
/* Its media is ready: the watchers are told. */
void tg_live_media_ready (TgLive *live, TgPublication *publication);
/* Its stream has ended: app/stream_id is released, and the registry's
 * reference is dropped once out of the stream's callback (later, on the
 * main context). */
void tg_live_ended (TgLive *live, TgPublication *publication);

G_END_DECLS
