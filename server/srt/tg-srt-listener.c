#include "tg-srt-listener.h"

#include <srt/access_control.h>
#include <srt/srt.h>
#include <syslog.h>

#include "tg-cluster.h"
#include "tg-live.h"
#include "tg-peer-limit.h"
#include "tg-play.h"
#include "tg-publish.h"
#include "tg-refusals.h"
#include "tg-sessions.h"
#include "tg-srt-receive.h"
#include "tg-srt-streamid.h"
#include "tg-wait.h"

/* A publisher that sends nothing for this long is cut off. */
#define IDLE_TIMEOUT_S 30
/* Past this many refusals in REFUSAL_WINDOW_S from one address, its
 * callers are refused at once for the rest of the window. */
#define REFUSAL_LIMIT 10
#define REFUSAL_WINDOW_S 10
/* How long a publisher back at once waits for its last stream to finish
 * (which takes a fraction of a second), looking every CLAIM_POLL_MS. */
#define CLAIM_WAIT_MS 3000
#define CLAIM_POLL_MS 10
/* A caller decided on but not accepted within this is forgotten. */
#define READY_TIMEOUT_S 10
/* What a viewer is sent per SRT message: 7 MPEG-TS packets, as ffmpeg and
 * srt-live-transmit send them. */
#define TS_PACKET 188
#define PLAY_MESSAGE (7 * TS_PACKET)
/* How long a viewer's send may wait for room in libsrt's buffer before
 * its queue is looked at again (tg-mux-out.h drops a viewer that does not
 * keep up). */
#define PLAY_SEND_TIMEOUT_MS 1000
/* How often a viewer's thread looks at its connection when no media
 * comes. */
#define PLAY_POLL_MS 200

struct _TgSrtListener
{
  TgServer *server;
  SRTSOCKET socket;
  guint16 port;
  GThread *acceptor;
  TgRefusals *refusals;
  TgPeerLimit *peers; /* callers per client address */
  GMutex lock;        /* guards what follows */
  GHashTable *ready;  /* SRTSOCKET -> Publish: decided, not yet accepted */
  GList *publishers;  /* Publish, while their thread receives or sends */
  guint threads;      /* receiving threads not yet joined */
  /* "app/stream" of publishers gone whose streams are finishing: a caller
   * publishing it again waits for the end rather than being refused */
  GHashTable *leaving;
};

/* One accepted caller, a publisher or a viewer (type play). Held by its
 * thread, and a publisher by its publication until that has ended. */
typedef struct
{
  gint refs;
  TgSrtListener *listener;
  SRTSOCKET socket;
  char *app;
  char *stream_id;
  char *key; /* app/stream, for logs */
  char *peer;
  TgSettings *settings;       /* the app's, when decided */
  char *token;                /* NULL once spent; never logged */
  gint64 decided;             /* monotonic time of the decision */
  TgPublication *publication; /* from start (a reference) */
  GThread *thread;
  TgTokenType type;
  TgMuxViewer *viewer; /* play: from start */
  TgSession *session;  /* play: from its admission to its end */
  gboolean ended;      /* its publication has ended (listener's lock) */
} Publish;

static Publish *
publish_ref (Publish *publish)
{
  g_atomic_int_inc (&publish->refs);
  return publish;
}

static void
publish_unref (Publish *publish)
{
  if (!g_atomic_int_dec_and_test (&publish->refs))
    return;
  tg_peer_limit_release (publish->listener->peers, publish->peer);
  g_clear_pointer (&publish->publication, tg_publication_unref);
  tg_sessions_close (publish->listener->server->sessions, publish->session);
  g_clear_pointer (&publish->viewer, tg_mux_viewer_unref);
  tg_settings_unref (publish->settings);
  g_free (publish->token);
  g_free (publish->app);
  g_free (publish->stream_id);
  g_free (publish->key);
  g_free (publish->peer);
  g_free (publish);
}

/* --- the publications, on the main context --- */

/* Stopped by request or at shutdown, or the stream has ended (a failed
 * pipeline ends its publisher): closing the socket wakes the receiving
 * thread, which finishes the stream (it is listed until it is done with
 * the socket). */
static void
cut_off (TgPublication *publication, gpointer data)
{
  Publish *publish = data;
  TgSrtListener *listener = publish->listener;

  g_mutex_lock (&listener->lock);
  if (g_list_find (listener->publishers, publish))
    srt_close (publish->socket);
  g_mutex_unlock (&listener->lock);
}

static void
ended (TgPublication *publication, gpointer data)
{
  Publish *publish = data;

  g_mutex_lock (&publish->listener->lock);
  publish->ended = TRUE;
  g_hash_table_remove (publish->listener->leaving, publish->key);
  g_mutex_unlock (&publish->listener->lock);
  cut_off (publication, data);
  publish_unref (data); /* the publication's */
}

static const TgDoor srt_door = { "SRT", cut_off, ended };

/* --- the handshake, on libsrt's thread --- */

/* The admission's outcome as an SRT rejection reason. */
static int
reject_reason (TgAdmit outcome)
{
  switch (outcome)
    {
    case TG_ADMIT_OK:
      return 0;
    case TG_ADMIT_INVALID_STREAM_ID:
      return SRT_REJX_BAD_REQUEST;
    case TG_ADMIT_UNKNOWN_APP:
      return SRT_REJX_NOTFOUND;
    case TG_ADMIT_UNREGISTERED:
      return SRT_REJX_FORBIDDEN;
    case TG_ADMIT_IN_USE:
      return SRT_REJX_CONFLICT;
    case TG_ADMIT_NO_TOKEN:
    case TG_ADMIT_REFUSED:
      return SRT_REJX_UNAUTHORIZED;
    case TG_ADMIT_STORE_ERROR:
      return SRT_REJX_ISE;
    }
  return SRT_REJX_ISE;
}

/* Whether the publisher of app/stream_id over SRT has gone (its stream
 * finishes, or its caller closed and its thread has yet to see it). */
static gboolean
publisher_gone (TgSrtListener *listener, const char *key)
{
  gboolean gone;

  g_mutex_lock (&listener->lock);
  gone = g_hash_table_contains (listener->leaving, key);
  for (GList *l = listener->publishers; l && !gone; l = l->next)
    {
      Publish *publish = l->data;

      gone = publish->type == TG_TOKEN_TYPE_PUBLISH
             && g_str_equal (publish->key, key)
             && srt_getsockstate (publish->socket) >= SRTS_BROKEN;
    }
  g_mutex_unlock (&listener->lock);
  return gone;
}

typedef struct
{
  TgLiveWanted wanted;
  TgSrtListener *listener;
} Wanted;

/* The admission's claim question: the stream is free, or its SRT publisher
 * has gone and it soon will be (build waits for it). */
static gboolean
is_free (gpointer data)
{
  Wanted *wanted = data;
  g_autofree char *key
      = g_strdup_printf ("%s/%s", wanted->wanted.app, wanted->wanted.stream_id);

  return tg_live_is_free (&wanted->wanted)
         || publisher_gone (wanted->listener, key);
}

/* Decides on a caller: NULL with *reason set to refuse it. Checks the
 * token without spending it: the caller may yet fail the handshake (a
 * wrong passphrase), so the token is spent, and the stream id claimed, only
 * once the caller is accepted (start). Touches no main context. */
static Publish *
decide (TgSrtListener *listener, SRTSOCKET caller, const char *peer,
        const char *streamid, int *reason, const char **problem, GError **error)
{
  TgServer *server = listener->server;
  g_autofree char *app = NULL, *stream_id = NULL, *token = NULL;
  g_autoptr (TgSettings) settings = NULL;
  TgAdmission request;
  Wanted wanted;
  TgVerdict verdict;
  TgAdmit outcome;
  TgTokenType type;
  Publish *publish;

  *reason = SRT_REJX_BAD_REQUEST;
  if (!tg_srt_streamid_parse (streamid, &app, &stream_id, &token, &type, error))
    return NULL;
  settings = tg_apps_get_settings (server->apps, app);
  if (type == TG_TOKEN_TYPE_PLAY)
    {
      /* Checked, not spent: spent once the caller is accepted. */
      TgPlay play = tg_play_admit (server, settings, app, stream_id, token,
                                   "SRT", peer, FALSE, &outcome, problem);

      *reason = play == TG_PLAY_NOT_LIVE ? SRT_REJX_NOTFOUND
                                         : reject_reason (outcome);
      if (play != TG_PLAY_OK)
        return NULL;
    }
  else
    {
      /* Only looked at: claimed once the caller is accepted (start). */
      wanted = (Wanted){ { server->live, app, stream_id }, listener };
      request = (TgAdmission){ .app = app,
                               .stream_id = stream_id,
                               .type = TG_TOKEN_TYPE_PUBLISH,
                               .credential = token,
                               .door = "SRT",
                               .peer = peer,
                               .claim = is_free,
                               .claim_data = &wanted };
      outcome = tg_admit (server->store, settings ? settings->policy : NULL,
                          &request, &verdict, error);
      *reason = reject_reason (outcome);
      *problem = outcome == TG_ADMIT_REFUSED ? tg_verdict_to_string (verdict)
                                             : tg_admit_to_string (outcome);
      if (outcome != TG_ADMIT_OK)
        return NULL;
    }
  /* Set now, the caller's key material is checked against it after this
   * callback: a mismatch is refused by libsrt (SRT_REJ_BADSECRET). */
  if (*settings->srt_passphrase != '\0'
      && srt_setsockflag (caller, SRTO_PASSPHRASE, settings->srt_passphrase,
                          (int) strlen (settings->srt_passphrase))
             == SRT_ERROR)
    {
      *reason = SRT_REJX_ISE;
      *problem = srt_getlasterror_str ();
      return NULL;
    }
  publish = g_new0 (Publish, 1);
  publish->refs = 1;
  publish->listener = listener;
  publish->socket = SRT_INVALID_SOCK;
  publish->settings = g_steal_pointer (&settings);
  publish->app = g_steal_pointer (&app);
  publish->stream_id = g_steal_pointer (&stream_id);
  publish->token = g_steal_pointer (&token);
  publish->type = type;
  publish->key = g_strdup_printf ("%s/%s", publish->app, publish->stream_id);
  publish->decided = g_get_monotonic_time ();
  return publish;
}

/* Callers decided on but never accepted (their handshake failed after the
 * decision) are forgotten after READY_TIMEOUT_S. Called locked. */
static void
forget_stale (TgSrtListener *listener, gint64 now)
{
  GHashTableIter iter;
  Publish *publish;

  g_hash_table_iter_init (&iter, listener->ready);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &publish))
    if (now - publish->decided > READY_TIMEOUT_S * G_TIME_SPAN_SECOND)
      {
        g_info ("SRT %s: %s: handshake never completed", publish->peer,
                publish->key);
        g_hash_table_iter_remove (&iter);
      }
}

static char *
peer_of (const struct sockaddr *address)
{
  gsize size = address->sa_family == AF_INET6 ? sizeof (struct sockaddr_in6)
                                              : sizeof (struct sockaddr_in);
  g_autoptr (GSocketAddress) peer
      = g_socket_address_new_from_native ((gpointer) address, size);

  return tg_peer_name (peer);
}

/* Whether a caller shows a cluster link key (tg-cluster.h) for the stream
 * it asks for. */
static gboolean
is_link (TgSrtListener *listener, const char *streamid)
{
  g_autofree char *app = NULL, *stream_id = NULL, *token = NULL;
  TgTokenType type;

  return tg_srt_streamid_parse (streamid, &app, &stream_id, &token, &type, NULL)
         && tg_cluster_link_admits (listener->server->cluster, app, stream_id,
                                    token);
}

static int
on_listen (void *data, SRTSOCKET caller, int hs_version,
           const struct sockaddr *address, const char *streamid)
{
  TgSrtListener *listener = data;
  g_autofree char *peer = peer_of (address);
  g_autoptr (GError) error = NULL;
  const char *problem = NULL;
  int reason = SRT_REJX_BAD_REQUEST;
  gint64 now = g_get_monotonic_time ();
  Publish *publish = NULL;

  if (tg_refusals_blocked (listener->refusals, peer, now))
    {
      g_debug ("SRT %s: refused: too many refusals", peer);
      srt_setrejectreason (caller, SRT_REJX_OVERLOAD);
      return -1;
    }
  if (!tg_peer_limit_take (listener->peers, peer))
    {
      srt_setrejectreason (caller, SRT_REJX_OVERLOAD);
      return -1;
    }
  publish
      = decide (listener, caller, peer, streamid, &reason, &problem, &error);
  if (publish == NULL)
    {
      tg_peer_limit_release (listener->peers, peer);
      g_info ("SRT %s: refused: %s", peer, error ? error->message : problem);
      /* an edge of the cluster asks again until the stream can be played */
      if (reason != SRT_REJX_NOTFOUND || !is_link (listener, streamid))
        tg_refusals_note (listener->refusals, peer, now);
      srt_setrejectreason (caller, reason);
      return -1;
    }
  publish->peer = g_steal_pointer (&peer);
  g_mutex_lock (&listener->lock);
  forget_stale (listener, now);
  g_hash_table_insert (listener->ready, GINT_TO_POINTER (caller), publish);
  g_mutex_unlock (&listener->lock);
  return 0;
}

/* --- receiving, on the publisher's thread --- */

static gboolean
join_thread (gpointer data)
{
  Publish *publish = data;
  TgSrtListener *listener = publish->listener;

  g_thread_join (publish->thread);
  g_mutex_lock (&listener->lock);
  listener->threads--;
  g_mutex_unlock (&listener->lock);
  publish_unref (publish);
  return G_SOURCE_REMOVE;
}

/* The caller's thread is done with its socket: closed, and the thread
 * joined on the main context, which then counts it gone. */
static void
leave (Publish *publish)
{
  TgSrtListener *listener = publish->listener;

  g_mutex_lock (&listener->lock);
  listener->publishers = g_list_remove (listener->publishers, publish);
  g_mutex_unlock (&listener->lock);
  srt_close (publish->socket);
  g_idle_add (join_thread, publish);
}

static gpointer
receive (gpointer data)
{
  Publish *publish = data;
  g_autofree char *who = g_strdup_printf ("%s %s", publish->peer, publish->key);
  TgSrtReceive receive;
  gint64 idle = 0;

  tg_srt_receive_init (&receive, publish->socket, publish->publication->stream,
                       who);
  while (tg_srt_receive_drain (&receive, &idle))
    {
      if (idle >= IDLE_TIMEOUT_S * G_TIME_SPAN_SECOND)
        {
          g_info ("SRT %s: closing: nothing received for %d s", publish->peer,
                  IDLE_TIMEOUT_S);
          tg_publication_left (publish->publication,
                               "the publisher sent nothing for " G_STRINGIFY (
                                   IDLE_TIMEOUT_S) " s");
          break;
        }
      g_usleep (TG_SRT_BATCH_MS * G_TIME_SPAN_MILLISECOND);
    }
  tg_publication_left (publish->publication, "the publisher left");
  tg_srt_receive_clear (&receive);
  g_mutex_lock (&publish->listener->lock);
  if (!publish->ended)
    g_hash_table_add (publish->listener->leaving, g_strdup (publish->key));
  g_mutex_unlock (&publish->listener->lock);
  tg_stream_finish (publish->publication->stream);
  leave (publish);
  return NULL;
}

/* --- playing, on the viewer's thread --- */

/* Sends one message, waiting while libsrt's buffer is full and the viewer
 * is still wanted. FALSE when the viewer is gone (said why in *why). */
static gboolean
send_message (Publish *publish, const guint8 *data, int size, const char **why)
{
  for (;;)
    {
      if (srt_sendmsg2 (publish->socket, (const char *) data, size, NULL)
          != SRT_ERROR)
        return TRUE;
      if (srt_getlasterror (NULL) != SRT_EASYNCSND)
        {
          *why = srt_getlasterror_str ();
          return FALSE;
        }
      /* Full: its queue fills meanwhile, and it is dropped when over. */
      if (tg_mux_viewer_state (publish->viewer) == TG_MUX_VIEWER_DROPPED)
        {
          *why = "it does not keep up";
          return FALSE;
        }
    }
}

/* Sends a batch of the stream's MPEG-TS, 7 packets a message (the last
 * one of the batch may be shorter). FALSE when the viewer is gone (said
 * why in *why). */
static gboolean
send_batch (Publish *publish, GPtrArray *batch, const char **why)
{
  guint8 message[PLAY_MESSAGE];
  int fill = 0;
  gboolean ok = TRUE;

  for (guint i = 0; ok && i < batch->len; i++)
    {
      GstMapInfo map;
      gsize at = 0;

      if (!gst_buffer_map (batch->pdata[i], &map, GST_MAP_READ))
        continue;
      while (ok && at < map.size)
        {
          int count = (int) MIN (map.size - at, (gsize) (PLAY_MESSAGE - fill));

          memcpy (message + fill, map.data + at, count);
          fill += count;
          at += count;
          if (fill == PLAY_MESSAGE)
            {
              ok = send_message (publish, message, fill, why);
              fill = 0;
            }
        }
      gst_buffer_unmap (batch->pdata[i], &map);
    }
  return ok && (fill == 0 || send_message (publish, message, fill, why));
}

/* Takes the stream's MPEG-TS from the viewer's queue and sends it until
 * the stream ends or the viewer goes. */
static gpointer
play (gpointer data)
{
  Publish *publish = data;
  TgSrtListener *listener = publish->listener;
  TgServer *server = listener->server;
  int timeout = PLAY_SEND_TIMEOUT_MS;
  const char *why = "the stream ended";
  gboolean yes = TRUE;

  srt_setsockflag (publish->socket, SRTO_SNDSYN, &yes, sizeof yes);
  srt_setsockflag (publish->socket, SRTO_SNDTIMEO, &timeout, sizeof timeout);
  for (;;)
    {
      TgMuxViewerState state;
      g_autoptr (GPtrArray) batch = tg_mux_viewer_take (
          publish->viewer, PLAY_POLL_MS * G_TIME_SPAN_MILLISECOND, &state);

      if (batch)
        {
          tg_session_add_bytes (publish->session, 0, tg_mux_batch_size (batch));
          if (!send_batch (publish, batch, &why))
            break;
          continue;
        }
      if (state == TG_MUX_VIEWER_DROPPED)
        why = tg_session_is_cut (publish->session)
                  ? "its session was ended by the operator"
                  : "it does not keep up";
      else if (state == TG_MUX_VIEWER_RUNNING
               && srt_getsockstate (publish->socket) == SRTS_CONNECTED)
        continue;
      else if (state == TG_MUX_VIEWER_RUNNING)
        why = "it left";
      break;
    }
  g_info ("SRT %s: stopped playing %s: %s", publish->peer, publish->key, why);
  tg_sessions_close (server->sessions, g_steal_pointer (&publish->session));
  tg_mux_viewer_close (publish->viewer);
  tg_play_detach (server->live, publish->app, publish->stream_id,
                  publish->viewer);
  leave (publish);
  return NULL;
}

/* A viewer accepted: attached to its stream, then its token spent (not
 * spent when the stream went meanwhile). FALSE (logged) when it must be
 * closed after all. */
static gboolean
attach_viewer (TgSrtListener *listener, Publish *publish)
{
  TgServer *server = listener->server;
  g_autofree char *token = g_steal_pointer (&publish->token);
  g_autofree char *name = g_strdup_printf ("SRT %s", publish->peer);
  const char *problem = "the stream is not live";
  TgAdmit outcome;

  publish->viewer = tg_mux_viewer_new (TG_MUX_DOOR_SRT, name, NULL, NULL);
  if (tg_play_attach (server->live, publish->app, publish->stream_id,
                      TG_MUX_OUT_MPEGTS, publish->viewer)
      && tg_play_admit (server, publish->settings, publish->app,
                        publish->stream_id, token, "SRT", publish->peer, TRUE,
                        &outcome, &problem)
             == TG_PLAY_OK)
    {
      g_autofree char *tag = tg_session_tag (token);

      publish->session = tg_sessions_open (
          server->sessions, TG_SESSION_SRT, TG_TOKEN_TYPE_PLAY, publish->app,
          publish->stream_id, publish->peer, tag,
          (TgSessionCut) tg_mux_viewer_drop, publish->viewer);
      return TRUE;
    }
  g_info ("SRT %s: play of %s refused: %s", publish->peer, publish->key,
          problem);
  tg_mux_viewer_close (publish->viewer);
  tg_play_detach (server->live, publish->app, publish->stream_id,
                  publish->viewer);
  return FALSE;
}

/* --- accepting, on the acceptor's thread --- */

/* Claims the stream id and builds the stream, spending the token: FALSE
 * (logged) when the caller must be closed after all, because another
 * caller won the stream id or the token since the decision. */
static gboolean
build (TgSrtListener *listener, Publish *publish)
{
  TgServer *server = listener->server;
  g_autoptr (GError) error = NULL;
  g_autofree char *token = g_steal_pointer (&publish->token);

  gint64 deadline = g_get_monotonic_time () + CLAIM_WAIT_MS * 1000;

  /* A publisher back at once waits for its last stream to finish. */
  while ((publish->publication
          = tg_live_claim (server->live, &srt_door, publish, publish->app,
                           publish->stream_id, publish->peer))
             == NULL
         && g_get_monotonic_time () < deadline
         && publisher_gone (listener, publish->key))
    g_usleep (CLAIM_POLL_MS * 1000);
  if (publish->publication == NULL)
    {
      g_info ("SRT %s: publish refused: streamIdInUse", publish->peer);
      return FALSE;
    }
  if (!tg_publish_build (server, publish->publication, publish->settings,
                         TG_STREAM_MPEGTS, token, &error))
    {
      g_info ("SRT %s: publish refused: %s", publish->peer, error->message);
      tg_live_abandon (server->live, publish->publication);
      g_clear_pointer (&publish->publication, tg_publication_unref);
      return FALSE;
    }
  return TRUE;
}

/* Gives the caller its thread, listed so that the listener's end finds
 * it. */
static void
run (TgSrtListener *listener, Publish *publish, GThreadFunc func)
{
  g_mutex_lock (&listener->lock);
  publish->thread = g_thread_new ("srt", func, publish);
  listener->threads++;
  g_mutex_unlock (&listener->lock);
}

static void
start (TgSrtListener *listener, Publish *publish, SRTSOCKET socket)
{
  gboolean viewer = publish->type == TG_TOKEN_TYPE_PLAY;

  if (!(viewer ? attach_viewer (listener, publish) : build (listener, publish)))
    {
      srt_close (socket);
      publish_unref (publish);
      return;
    }
  publish->socket = socket;
  /* Listed before it goes live, so that a stop finds it. */
  g_mutex_lock (&listener->lock);
  if (!viewer)
    publish_ref (publish); /* the publication's, until it has ended */
  listener->publishers = g_list_prepend (listener->publishers, publish);
  g_mutex_unlock (&listener->lock);
  if (viewer)
    {
      g_info ("SRT %s: playing %s", publish->peer, publish->key);
      run (listener, publish, play);
      return;
    }
  tg_publish_start (listener->server, publish->publication);
  g_info ("SRT %s: publishing %s", publish->peer, publish->key);
  run (listener, publish, receive);
}

static gpointer
accept_callers (gpointer data)
{
  TgSrtListener *listener = data;

  for (;;)
    {
      struct sockaddr_storage address;
      int size = sizeof address;
      SRTSOCKET socket
          = srt_accept (listener->socket, (struct sockaddr *) &address, &size);
      Publish *publish = NULL;

      if (socket == SRT_INVALID_SOCK)
        break; /* the listener was closed */
      g_mutex_lock (&listener->lock);
      g_hash_table_steal_extended (listener->ready, GINT_TO_POINTER (socket),
                                   NULL, (gpointer *) &publish);
      g_mutex_unlock (&listener->lock);
      if (publish == NULL)
        srt_close (socket);
      else
        start (listener, publish, socket);
    }
  return NULL;
}

/* --- the listener --- */

/* libsrt's own log lines (a rejected caller, a lost peer) go to the debug
 * log; what the server decides is logged by the server. */
static void
srt_log (void *data, int level, const char *file, int line, const char *area,
         const char *message)
{
  g_debug ("libsrt: %s", message);
}

static gboolean
bind_socket (TgSrtListener *listener, GError **error)
{
  const TgConfig *config = listener->server->config;
  g_autoptr (GInetAddress) any
      = g_inet_address_new_from_string (config->bind_address);
  g_autoptr (GSocketAddress) address = NULL;
  struct sockaddr_storage native;
  int size = sizeof native, no = 0, yes = 1;

  if (any == NULL)
    {
      g_set_error (error, TG_ERROR, TG_ERROR_INVALID,
                   "bind-address '%s' is not an IP address",
                   config->bind_address);
      return FALSE;
    }
  address = g_inet_socket_address_new (
      any, config->random_ports ? 0 : (guint16) config->srt_port);
  g_socket_address_to_native (address, &native, sizeof native, NULL);
  size = (int) g_socket_address_get_native_size (address);
  listener->socket = srt_create_socket ();
  if (g_inet_address_get_family (any) == G_SOCKET_FAMILY_IPV6)
    srt_setsockflag (listener->socket, SRTO_IPV6ONLY, &no, sizeof no);
  srt_setsockflag (listener->socket, SRTO_REUSEADDR, &yes, sizeof yes);
  /* Packets are read as they come, in order, not held back to replay the
   * sender's timing: the stream is remuxed with its own timestamps, and
   * libsrt would otherwise wake a thread per connection per packet. */
  srt_setsockflag (listener->socket, SRTO_TSBPDMODE, &no, sizeof no);
  if (srt_bind (listener->socket, (struct sockaddr *) &native, size)
          == SRT_ERROR
      || srt_listen_callback (listener->socket, on_listen, listener)
             == SRT_ERROR
      || srt_listen (listener->socket, 64) == SRT_ERROR)
    {
      g_set_error (error, TG_ERROR, TG_ERROR_FAILED, "SRT port %d: %s",
                   config->srt_port, srt_getlasterror_str ());
      return FALSE;
    }
  size = sizeof native;
  srt_getsockname (listener->socket, (struct sockaddr *) &native, &size);
  listener->port = g_ntohs (((struct sockaddr_in *) &native)->sin_port);
  return TRUE;
}

TgSrtListener *
tg_srt_listener_new (TgServer *server, GError **error)
{
  TgSrtListener *listener = g_new0 (TgSrtListener, 1);

  listener->server = server;
  listener->socket = SRT_INVALID_SOCK;
  g_mutex_init (&listener->lock);
  listener->ready = g_hash_table_new_full (NULL, NULL, NULL,
                                           (GDestroyNotify) publish_unref);
  listener->leaving
      = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  listener->refusals
      = tg_refusals_new (REFUSAL_LIMIT, REFUSAL_WINDOW_S * G_USEC_PER_SEC);
  listener->peers = tg_peer_limit_new (
      "SRT", (guint) server->config->srt_connections_per_address);
  srt_startup ();
  srt_setloglevel (LOG_WARNING);
  srt_setloghandler (NULL, srt_log);
  if (!bind_socket (listener, error))
    {
      tg_srt_listener_free (listener);
      return NULL;
    }
  listener->acceptor = g_thread_new ("srt-accept", accept_callers, listener);
  return listener;
}

void
tg_srt_listener_free (TgSrtListener *listener)
{
  if (listener == NULL)
    return;
  if (listener->socket != SRT_INVALID_SOCK)
    srt_close (listener->socket);
  if (listener->acceptor)
    g_thread_join (listener->acceptor);
  /* Whatever publishers are left (publications have ended: the live
   * registry was closed) are cut off. */
  g_mutex_lock (&listener->lock);
  for (GList *l = listener->publishers; l; l = l->next)
    srt_close (((Publish *) l->data)->socket);
  g_mutex_unlock (&listener->lock);
  tg_wait_until_none (&listener->lock, &listener->threads);
  g_hash_table_unref (listener->ready);
  g_hash_table_unref (listener->leaving);
  tg_refusals_free (listener->refusals);
  tg_peer_limit_free (listener->peers);
  g_mutex_clear (&listener->lock);
  srt_cleanup ();
  g_free (listener);
}

guint16
tg_srt_listener_get_port (TgSrtListener *listener)
{
  return listener->port;
}
