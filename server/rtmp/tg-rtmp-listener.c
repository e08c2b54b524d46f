#include "tg-rtmp-listener.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>

#include "tg-accept.h"
#include "tg-flv.h"
#include "tg-live.h"
#include "tg-peer-limit.h"
#include "tg-play.h"
#include "tg-publish.h"
#include "tg-rtmp-clock.h"
#include "tg-rtmp-session.h"
#include "tg-sessions.h"
#include "tg-wait.h"

#define READ_SIZE (128 * 1024)
/* A connection that sends nothing for this long is closed: a stalled
 * publisher, or a client that never finishes its handshake. Also the
 * longest a write may wait for a peer that does not read. */
#define IDLE_TIMEOUT_S 30
/* A connection must have asked to publish this long after it came: one
 * that only shakes hands holds a thread for no more than that. */
#define PUBLISH_WITHIN_S 10
/* How long a refused or closed connection is read (and ignored) after our
 * last bytes, so that the peer gets them before the socket goes. */
#define LINGER_S 2
/* Once media flows, a read waits for READ_SIZE bytes or BATCH_MS, whichever
 * comes first: the stream's thread, and its muxers, wake a few times a
 * second for many frames rather than once for each (waking costs more than
 * the muxing). HLS players are seconds behind anyway. */
#define BATCH_MS 300
/* Most connections at once (each has a thread): past this, new ones are
 * closed at once. */
#define MAX_CONNECTIONS 1000
/* Most configuration messages held before the first frame. */
#define MAX_EARLY 32
/* A viewer's socket buffer: what the kernel holds for a peer that does not
 * read, on top of its queue (tg-mux-out.h). */
#define PLAY_SNDBUF (256 * 1024)
/* How often a viewer's thread reads what its peer sends when no media
 * comes. */
#define PLAY_POLL_MS 250

/* Each connection has a thread of its own that reads with blocking calls,
 * runs the session, and pushes the stream's media down its pipeline: the
 * demuxing and parsing of a stream happen on its publisher's thread, and a
 * publisher that sends faster than its stream is written is held back by
 * TCP. The main context accepts connections and hears from pipelines. */
struct _TgRtmpListener
{
  TgServer *server;
  GSocket *socket;
  TgAcceptor *acceptor;
  TgPeerLimit *peers; /* connections per client address */
  guint16 port;
  GMutex lock;   /* guards what follows */
  GList *conns;  /* Conn */
  guint threads; /* connection threads not yet joined */
};

typedef struct
{
  TgRtmpListener *listener;
  GSocketConnection *socket;
  int fd;
  GThread *thread;
  TgRtmpSession *session;
  char *peer;
  gint64 connected; /* monotonic */
  /* Written by the connection's thread only (live under the lock): */
  gboolean published; /* it has asked to publish or to play */
  gboolean closing;   /* stop reading after this batch */
  gboolean batching;  /* reads wait for a batch (BATCH_MS) */
  /* What this connection publishes (a reference). It outlives the
   * connection: after the publisher goes, its stream drains and the files
   * are finalised. */
  TgPublication *publication;
  gboolean sent_header;
  /* Messages before the first audio or video frame: codec configuration.
   * Held back so that the FLV header can say which streams there are. */
  GPtrArray *early; /* GBytes, FLV tags */
  gboolean has_audio, has_video;
  TgRtmpClock clocks[2]; /* audio's, video's */
  guint jumps;           /* rebased away (the first is said) */
  /* What it plays, once accepted. */
  TgMuxViewer *viewer;
  char *play_app, *play_stream_id;
  TgSession *play_session; /* from the play's acceptance to its end */
} Conn;

/* --- publications --- */

/* Cuts a connection off from another thread: its blocked read returns.
 * Called with the lock held, while the connection is listed (its thread
 * closes the socket only after leaving the list). */
static void
interrupt (Conn *conn)
{
  shutdown (conn->fd, SHUT_RDWR);
}

/* On the main context: stopped by request or at shutdown, or its stream
 * has ended (a failed pipeline ends its publisher). The connection's
 * thread then finishes the stream. */
static void
cut_off (TgPublication *publication, gpointer data)
{
  TgRtmpListener *listener = data;

  g_mutex_lock (&listener->lock);
  for (GList *l = listener->conns; l; l = l->next)
    if (((Conn *) l->data)->publication == publication)
      interrupt (l->data);
  g_mutex_unlock (&listener->lock);
}

static const TgDoor rtmp_door = { "RTMP", cut_off, cut_off };

/* --- the session's callbacks, on the connection's thread --- */

static void
on_send (gpointer data, const guint8 *bytes, gsize size)
{
  Conn *conn = data;

  while (size > 0 && !conn->closing)
    {
      gssize n = send (conn->fd, bytes, size, MSG_NOSIGNAL);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          g_debug ("RTMP %s: write failed: %s", conn->peer, g_strerror (errno));
          conn->closing = TRUE;
          return;
        }
      bytes += n;
      size -= n;
    }
}

typedef struct
{
  Conn *conn;
  const char *app, *stream_id;
  TgPublication *publication;
} Claim;

/* The admission's question whether the stream is free: if it is, it is
 * claimed. */
static gboolean
claim_stream (gpointer data)
{
  Claim *claim = data;
  TgRtmpListener *listener = claim->conn->listener;

  claim->publication
      = tg_live_claim (listener->server->live, &rtmp_door, listener, claim->app,
                       claim->stream_id, claim->conn->peer);
  return claim->publication != NULL;
}

/* Why a publish is refused, or NULL: the admission, checked without
 * spending (the stream's tokencheck spends a one-time token as the
 * pipeline starts). *publication: the stream id was claimed. */
static const char *
publish_problem (Conn *conn, TgSettings *settings, const char *app,
                 const char *stream_id, const char *token,
                 TgPublication **publication)
{
  Claim claim = { conn, app, stream_id, NULL };
  TgAdmission request = { .app = app,
                          .stream_id = stream_id,
                          .type = TG_TOKEN_TYPE_PUBLISH,
                          .credential = token,
                          .door = "RTMP",
                          .peer = conn->peer,
                          .claim = claim_stream,
                          .claim_data = &claim };
  g_autoptr (GError) error = NULL;
  TgVerdict verdict;
  TgAdmit outcome = tg_admit (conn->listener->server->store,
                              settings ? settings->policy : NULL, &request,
                              &verdict, &error);

  *publication = claim.publication;
  if (outcome == TG_ADMIT_REFUSED)
    return tg_verdict_to_string (verdict);
  return outcome == TG_ADMIT_OK ? NULL : tg_admit_to_string (outcome);
}

static void
batch_reads (Conn *conn)
{
  struct timeval tv = { .tv_usec = BATCH_MS * 1000 };
  int low = READ_SIZE;

  setsockopt (conn->fd, SOL_SOCKET, SO_RCVLOWAT, &low, sizeof low);
  setsockopt (conn->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  conn->batching = TRUE;
}

static void
on_publish (gpointer data, const char *app, const char *stream_id,
            const char *token)
{
  Conn *conn = data;
  TgRtmpListener *listener = conn->listener;
  g_autoptr (TgSettings) settings
      = tg_apps_get_settings (listener->server->apps, app);
  g_autoptr (GError) error = NULL;
  g_autofree char *key = NULL;
  TgPublication *publication = NULL;
  const char *problem;

  conn->published = TRUE;
  app = app ? app : "?";
  stream_id = stream_id ? stream_id : "?";
  key = g_strdup_printf ("%s/%s", app, stream_id);
  problem
      = publish_problem (conn, settings, app, stream_id, token, &publication);
  if (problem == NULL
      && !tg_publish_build (listener->server, publication, settings,
                            TG_STREAM_FLV, token, &error))
    problem = error->message;
  if (problem != NULL)
    {
      g_info ("RTMP %s: publish of %s refused: %s", conn->peer, key, problem);
      if (publication)
        {
          tg_live_abandon (listener->server->live, publication);
          tg_publication_unref (publication);
        }
      tg_rtmp_session_refuse (conn->session);
      conn->closing = TRUE;
      return;
    }
  g_mutex_lock (&listener->lock);
  conn->publication = publication;
  g_mutex_unlock (&listener->lock);
  tg_publish_start (listener->server, publication);
  g_info ("RTMP %s: publishing %s", conn->peer, key);
  tg_rtmp_session_accept (conn->session);
  batch_reads (conn);
}

/* --- playing --- */

/* The viewer's queue is over its bounds: a write blocked on a peer that
 * does not read returns. On a streaming thread. */
static void
wake (TgMuxViewerState state, gpointer data)
{
  Conn *conn = data;

  if (state == TG_MUX_VIEWER_DROPPED)
    shutdown (conn->fd, SHUT_RDWR);
}

/* Why a play is refused (logged), or NULL once the viewer is attached to
 * its stream, its token spent: the stream must be live before anything is
 * spent. */
static const char *
play_problem (Conn *conn, const TgSettings *settings, const char *app,
              const char *stream_id, const char *token, gboolean *not_found)
{
  TgServer *server = conn->listener->server;
  g_autofree char *name = g_strdup_printf ("RTMP %s", conn->peer);
  const char *problem;
  TgAdmit outcome;
  TgPlay play = tg_play_admit (server, settings, app, stream_id, token, "RTMP",
                               conn->peer, FALSE, &outcome, &problem);

  *not_found = play == TG_PLAY_NOT_LIVE;
  if (play != TG_PLAY_OK)
    return problem;
  conn->viewer = tg_mux_viewer_new (TG_MUX_DOOR_RTMP, name, wake, conn);
  if (!tg_play_attach (server->live, app, stream_id, TG_MUX_OUT_FLV,
                       conn->viewer))
    {
      *not_found = TRUE;
      return "the stream is not live";
    }
  play = tg_play_admit (server, settings, app, stream_id, token, "RTMP",
                        conn->peer, TRUE, &outcome, &problem);
  *not_found = play == TG_PLAY_NOT_LIVE;
  return play == TG_PLAY_OK ? NULL : problem;
}

static void
on_play (gpointer data, const char *app, const char *stream_id,
         const char *token)
{
  Conn *conn = data;
  TgRtmpListener *listener = conn->listener;
  g_autoptr (TgSettings) settings
      = tg_apps_get_settings (listener->server->apps, app);
  gboolean not_found = FALSE;
  const char *problem;
  g_autofree char *tag = NULL;

  conn->published = TRUE;
  problem = play_problem (conn, settings, app, stream_id, token, &not_found);
  if (problem != NULL)
    {
      g_info ("RTMP %s: play of %s/%s refused: %s", conn->peer, app, stream_id,
              problem);
      if (conn->viewer)
        {
          tg_mux_viewer_close (conn->viewer);
          tg_play_detach (listener->server->live, app, stream_id, conn->viewer);
          g_clear_pointer (&conn->viewer, tg_mux_viewer_unref);
        }
      tg_rtmp_session_refuse_play (conn->session, not_found);
      conn->closing = TRUE;
      return;
    }
  conn->play_app = g_strdup (app);
  conn->play_stream_id = g_strdup (stream_id);
  tag = tg_session_tag (token);
  conn->play_session
      = tg_sessions_open (listener->server->sessions, TG_SESSION_RTMP,
                          TG_TOKEN_TYPE_PLAY, app, stream_id, conn->peer, tag,
                          (TgSessionCut) tg_mux_viewer_drop, conn->viewer);
  g_info ("RTMP %s: playing %s/%s", conn->peer, app, stream_id);
  tg_rtmp_session_accept_play (conn->session);
}

/* Appends to out the FLV tags of one of the muxer's buffers (after the
 * file header, in the first) as RTMP messages. */
static void
write_tags (Conn *conn, GByteArray *out, GstBuffer *buffer)
{
  GstMapInfo map;
  const guint8 *p;
  gsize left;

  if (!gst_buffer_map (buffer, &map, GST_MAP_READ))
    return;
  p = map.data;
  left = map.size;
  if (left >= 13 && memcmp (p, "FLV", 3) == 0)
    {
      p += 13;
      left -= 13;
    }
  while (left >= 11)
    {
      gsize size = (gsize) p[1] << 16 | p[2] << 8 | p[3];
      guint32 timestamp = (guint32) p[7] << 24 | p[4] << 16 | p[5] << 8 | p[6];

      if (size + 15 > left)
        break;
      tg_rtmp_session_write_media (conn->session, out, p[0], timestamp, p + 11,
                                   size);
      p += size + 15;
      left -= size + 15;
    }
  gst_buffer_unmap (buffer, &map);
}

/* Sends a batch of the muxer's buffers in one write. */
static void
send_batch (Conn *conn, GPtrArray *batch)
{
  g_autoptr (GByteArray) out = g_byte_array_new ();

  for (guint i = 0; i < batch->len; i++)
    write_tags (conn, out, batch->pdata[i]);
  tg_session_add_bytes (conn->play_session, 0, tg_mux_batch_size (batch));
  on_send (conn, out->data, out->len);
}

/* The viewer's loop, on its connection's thread: the stream's FLV from its
 * queue out as RTMP messages, and what the peer sends read between them,
 * until the stream ends or the viewer goes. */
static void
play (Conn *conn, guint8 *buffer)
{
  TgServer *server = conn->listener->server;
  const char *why = "it left";
  int size = PLAY_SNDBUF;

  setsockopt (conn->fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  while (!conn->closing)
    {
      TgMuxViewerState state;
      g_autoptr (GPtrArray) batch = tg_mux_viewer_take (
          conn->viewer, PLAY_POLL_MS * G_TIME_SPAN_MILLISECOND, &state);
      g_autoptr (GError) error = NULL;
      gssize n;

      if (batch)
        send_batch (conn, batch);
      else if (state == TG_MUX_VIEWER_ENDED)
        {
          why = "the stream ended";
          tg_rtmp_session_end_play (conn->session);
          break;
        }
      else if (state == TG_MUX_VIEWER_DROPPED)
        {
          why = tg_session_is_cut (conn->play_session)
                    ? "its session was ended by the operator"
                    : "it does not keep up";
          break;
        }
      n = recv (conn->fd, buffer, READ_SIZE, MSG_DONTWAIT);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
        break;
      if (n > 0 && !tg_rtmp_session_feed (conn->session, buffer, n, &error))
        {
          why = error->message;
          break;
        }
      if (!tg_rtmp_session_is_playing (conn->session))
        {
          why = "it stopped";
          break;
        }
    }
  if (conn->closing)
    why = "a write failed";
  g_info ("RTMP %s: stopped playing %s/%s: %s", conn->peer, conn->play_app,
          conn->play_stream_id, why);
  tg_sessions_close (server->sessions, g_steal_pointer (&conn->play_session));
  tg_mux_viewer_close (conn->viewer);
  tg_play_detach (server->live, conn->play_app, conn->play_stream_id,
                  conn->viewer);
}

/* Whether an RTMP audio or video message is a frame, not configuration (an
 * AVC or AAC sequence header) or metadata. */
static gboolean
is_frame (guint8 type, const guint8 *bytes, gsize size)
{
  if (type == 9 && size >= 2 && (bytes[0] & 0x0f) == 7)
    return bytes[1] == 1; /* AVC NAL units */
  if (type == 8 && size >= 2 && (bytes[0] >> 4) == 10)
    return bytes[1] == 1; /* AAC raw */
  return type == 8 || type == 9;
}

/* Pushes the header and the held messages once the first frame is here. */
static gboolean
push_early (Conn *conn)
{
  gboolean ok
      = tg_stream_push (conn->publication->stream,
                        tg_flv_header (conn->has_audio, conn->has_video));

  for (guint i = 0; ok && i < conn->early->len; i++)
    ok = tg_stream_push (conn->publication->stream,
                         g_bytes_ref (conn->early->pdata[i]));
  g_ptr_array_set_size (conn->early, 0);
  conn->sent_header = TRUE;
  return ok;
}

static void
on_media (gpointer data, guint8 type, guint32 timestamp, const guint8 *bytes,
          gsize size)
{
  Conn *conn = data;
  GBytes *tag;
  gboolean ok;

  if (conn->publication == NULL || conn->closing)
    return;
  if (type == TG_FLV_TAG_AUDIO || type == TG_FLV_TAG_VIDEO)
    {
      gint64 jump;

      timestamp = tg_rtmp_clock_map (&conn->clocks[type == TG_FLV_TAG_VIDEO],
                                     timestamp, &jump);
      if (jump != 0 && conn->jumps++ == 0)
        g_message ("RTMP %s: %s: the %s timestamps jumped by %+" G_GINT64_FORMAT
                   " ms: the stream goes on from where it was",
                   conn->peer, conn->publication->key,
                   type == TG_FLV_TAG_VIDEO ? "video" : "audio", jump);
    }
  tag = tg_flv_tag (type, timestamp, bytes, size);
  if (conn->sent_header)
    ok = tg_stream_push (conn->publication->stream, tag);
  else
    {
      conn->has_audio |= type == 8;
      conn->has_video |= type == 9;
      g_ptr_array_add (conn->early, tag);
      if (!is_frame (type, bytes, size) && conn->early->len < MAX_EARLY)
        return;
      ok = push_early (conn);
    }
  if (!ok)
    {
      g_info ("RTMP %s: closing: %s takes no more data", conn->peer,
              conn->publication->key);
      conn->closing = TRUE;
    }
}

/* The publisher stopped, or went away: drain its stream. */
static void
on_unpublish (gpointer data)
{
  Conn *conn = data;
  TgPublication *publication = conn->publication;

  if (publication == NULL)
    return;
  g_mutex_lock (&conn->listener->lock);
  conn->publication = NULL;
  g_mutex_unlock (&conn->listener->lock);
  /* (unless the connection said otherwise first) */
  tg_publication_left (publication, "the publisher stopped publishing");
  tg_stream_finish (publication->stream);
  tg_publication_unref (publication);
}

/* Why the publisher, if this connection publishes, left (for the log). */
static void
left (Conn *conn, const char *because)
{
  g_mutex_lock (&conn->listener->lock);
  if (conn->publication)
    tg_publication_left (conn->publication, because);
  g_mutex_unlock (&conn->listener->lock);
}

static const TgRtmpCallbacks callbacks = {
  .send = on_send,
  .publish = on_publish,
  .media = on_media,
  .unpublish = on_unpublish,
  .play = on_play,
};

/* --- connections --- */

static void
conn_free (Conn *conn)
{
  tg_peer_limit_release (conn->listener->peers, conn->peer);
  tg_rtmp_session_free (conn->session);
  g_io_stream_close (G_IO_STREAM (conn->socket), NULL, NULL);
  g_object_unref (conn->socket);
  g_ptr_array_unref (conn->early);
  tg_sessions_close (conn->listener->server->sessions, conn->play_session);
  g_clear_pointer (&conn->viewer, tg_mux_viewer_unref);
  g_free (conn->play_app);
  g_free (conn->play_stream_id);
  g_free (conn->peer);
  g_free (conn);
}

/* Lets the peer read our last bytes: no more writes, then whatever it still
 * sends is read and dropped until it closes, or for LINGER_S at most. */
static void
linger (Conn *conn, guint8 *buffer)
{
  struct timeval tv = { .tv_sec = LINGER_S };
  gint64 deadline = g_get_monotonic_time () + LINGER_S * G_USEC_PER_SEC;
  int low = 1;

  shutdown (conn->fd, SHUT_WR);
  setsockopt (conn->fd, SOL_SOCKET, SO_RCVLOWAT, &low, sizeof low);
  setsockopt (conn->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  while (g_get_monotonic_time () < deadline
         && recv (conn->fd, buffer, READ_SIZE, 0) > 0)
    ;
}

static gboolean
join_thread (gpointer data)
{
  Conn *conn = data;
  TgRtmpListener *listener = conn->listener;

  g_thread_join (conn->thread);
  conn_free (conn);
  g_mutex_lock (&listener->lock);
  listener->threads--;
  g_mutex_unlock (&listener->lock);
  return G_SOURCE_REMOVE;
}

/* The connection's thread: read, feed the session, until either side ends
 * it; then drain its stream and go. */
static gpointer
conn_run (gpointer data)
{
  Conn *conn = data;
  TgRtmpListener *listener = conn->listener;
  g_autofree guint8 *buffer = g_malloc (READ_SIZE);
  g_autoptr (GError) error = NULL;
  gint64 last_data = g_get_monotonic_time ();

  while (!conn->closing)
    {
      gssize n = recv (conn->fd, buffer, READ_SIZE, 0);
      gboolean timed_out = n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
      gint64 now = g_get_monotonic_time ();

      if (!conn->published
          && now - conn->connected > PUBLISH_WITHIN_S * G_USEC_PER_SEC)
        {
          g_info ("RTMP %s: closing: no publish within %d s", conn->peer,
                  PUBLISH_WITHIN_S);
          break;
        }
      if ((n < 0 && errno == EINTR)
          || (timed_out && (conn->batching || !conn->published)
              && now - last_data < IDLE_TIMEOUT_S * G_USEC_PER_SEC))
        continue;
      last_data = now;
      if (n <= 0)
        {
          if (timed_out)
            g_info ("RTMP %s: closing: nothing received for %d s", conn->peer,
                    IDLE_TIMEOUT_S);
          else
            g_debug ("RTMP %s: %s", conn->peer,
                     n == 0 ? "closed" : g_strerror (errno));
          left (conn, timed_out
                          ? "the publisher sent nothing for " G_STRINGIFY (
                              IDLE_TIMEOUT_S) " s"
                      : n == 0 ? "the publisher closed its connection"
                               : "the publisher's connection broke");
          break;
        }
      if (!tg_rtmp_session_feed (conn->session, buffer, n, &error))
        {
          g_info ("RTMP %s: closing: %s", conn->peer, error->message);
          left (conn, "the publisher sent malformed RTMP");
          break;
        }
      if (conn->play_app && !conn->closing)
        {
          play (conn, buffer);
          break;
        }
    }
  on_unpublish (conn);
  linger (conn, buffer);
  g_mutex_lock (&listener->lock);
  listener->conns = g_list_remove (listener->conns, conn);
  g_mutex_unlock (&listener->lock);
  /* Joined and freed on the main context, which then counts it gone. */
  g_idle_add (join_thread, conn);
  return NULL;
}

/* Blocking reads and writes, each waiting IDLE_TIMEOUT_S at most (reads
 * wake every second until the connection publishes). */
static void
make_blocking (int fd)
{
  struct timeval tv = { .tv_sec = IDLE_TIMEOUT_S };
  struct timeval second = { .tv_sec = 1 };

  fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) & ~O_NONBLOCK);
  setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &second, sizeof second);
  setsockopt (fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

static void
incoming (GSocket *client, gpointer data)
{
  TgRtmpListener *listener = data;
  g_autoptr (GSocketAddress) remote
      = g_socket_get_remote_address (client, NULL);
  g_autofree char *peer = tg_peer_name (remote);
  Conn *conn;
  g_autoptr (GError) error = NULL;
  guint open;

  g_mutex_lock (&listener->lock);
  open = listener->threads;
  g_mutex_unlock (&listener->lock);
  if (open >= MAX_CONNECTIONS)
    {
      g_message ("RTMP %s: refused: %u connections already", peer, open);
      g_socket_close (client, NULL);
      return;
    }
  if (!tg_peer_limit_take (listener->peers, peer))
    {
      g_socket_close (client, NULL);
      return;
    }
  conn = g_new0 (Conn, 1);
  conn->listener = listener;
  conn->socket = g_socket_connection_factory_create_connection (client);
  conn->fd = g_socket_get_fd (client);
  conn->peer = g_steal_pointer (&peer);
  conn->connected = g_get_monotonic_time ();
  conn->early = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  conn->session = tg_rtmp_session_new (&callbacks, conn);
  make_blocking (conn->fd);
  g_debug ("RTMP %s: connected", conn->peer);
  g_mutex_lock (&listener->lock);
  listener->conns = g_list_prepend (listener->conns, conn);
  conn->thread = g_thread_try_new ("rtmp", conn_run, conn, &error);
  if (conn->thread == NULL)
    listener->conns = g_list_remove (listener->conns, conn);
  else
    listener->threads++;
  g_mutex_unlock (&listener->lock);
  if (conn->thread == NULL)
    {
      g_message ("RTMP %s: refused: %s", conn->peer, error->message);
      conn_free (conn);
    }
}

TgRtmpListener *
tg_rtmp_listener_new (TgServer *server, GError **error)
{
  const TgConfig *config = server->config;
  g_autoptr (GSocket) socket = tg_listen (
      config->bind_address,
      config->random_ports ? 0 : (guint16) config->rtmp_port, FALSE, error);
  TgRtmpListener *listener;

  if (socket == NULL)
    {
      g_prefix_error (error, "RTMP port %d: ", config->rtmp_port);
      return NULL;
    }
  listener = g_new0 (TgRtmpListener, 1);
  listener->server = server;
  g_mutex_init (&listener->lock);
  listener->peers = tg_peer_limit_new (
      "RTMP", (guint) config->rtmp_connections_per_address);
  listener->socket = g_steal_pointer (&socket);
  listener->port = tg_listen_port (listener->socket);
  listener->acceptor
      = tg_acceptor_new ("RTMP", listener->socket, NULL, incoming, listener);
  return listener;
}

void
tg_rtmp_listener_free (TgRtmpListener *listener)
{
  if (listener == NULL)
    return;
  g_clear_pointer (&listener->acceptor, tg_acceptor_free);
  g_socket_close (listener->socket, NULL);
  /* Whatever connections are left (publications have ended: the live
   * registry was closed) are cut off. */
  g_mutex_lock (&listener->lock);
  for (GList *l = listener->conns; l; l = l->next)
    interrupt (l->data);
  g_mutex_unlock (&listener->lock);
  tg_wait_until_none (&listener->lock, &listener->threads);
  g_object_unref (listener->socket);
  tg_peer_limit_free (listener->peers);
  g_mutex_clear (&listener->lock);
  g_free (listener);
}

guint16
tg_rtmp_listener_get_port (TgRtmpListener *listener)
{
  return listener->port;
}
