/* The server side of one RTMP connection that publishes or plays a stream:
 * pure protocol, no sockets or threads. The owner feeds it the bytes it
 * receives and writes out the bytes it is given through callbacks.
 *
 * What it does: the plain handshake (S2 echoes C1); on connect it sends
 * Window Acknowledgement Size and Set Peer Bandwidth (5000000) and Set
 * Chunk Size (4096), then NetConnection.Connect.Success; it answers
 * FCPublish (onFCPublish), createStream (stream id 1) and publish (after
 * asking the owner); it acknowledges received bytes when the peer's window
 * is reached; it passes audio, video and onMetaData on once the publish is
 * accepted (media that comes before is dropped), with "@setDataFrame"
 * stripped as nginx-rtmp does. It answers play (after asking the owner)
 * with Stream Begin, NetStream.Play.Reset and NetStream.Play.Start, then
 * sends the media the owner gives it. Unknown commands are ignored.
 *
 * Callbacks run inside tg_rtmp_session_feed() (and send also inside
 * accept/refuse); they may call tg_rtmp_session_accept/refuse, not
 * tg_rtmp_session_free. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _TgRtmpSession TgRtmpSession;

typedef struct
{
  /* bytes to write to the peer, in order */
  void (*send) (gpointer user_data, const guint8 *data, gsize size);
  /* the peer asks to publish; answer later with tg_rtmp_session_accept or
   * tg_rtmp_session_refuse. token is NULL when the peer gave none. */
  void (*publish) (gpointer user_data, const char *app, const char *stream_id,
                   const char *token /* nullable */);
  /* an audio (8), video (9) or data (18) message of the published stream;
   * data is valid during the call only. May be NULL. */
  void (*media) (gpointer user_data, guint8 type, guint32 timestamp,
                 const guint8 *data, gsize size);
  /* the peer stopped publishing (FCUnpublish/deleteStream/closeStream):
   * called once after each publish that was not refused, accepted or still
   * waiting for an answer. May be NULL. */
  void (*unpublish) (gpointer user_data);
  /* the peer asks to play; answer later with tg_rtmp_session_accept_play
   * or tg_rtmp_session_refuse_play. NULL: play is refused. */
  void (*play) (gpointer user_data, const char *app, const char *stream_id,
                const char *token /* nullable */);
} TgRtmpCallbacks;

/* send and publish are required. */
TgRtmpSession *tg_rtmp_session_new (const TgRtmpCallbacks *callbacks,
                                    gpointer user_data);
void tg_rtmp_session_free (TgRtmpSession *session);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgRtmpSession, tg_rtmp_session_free)

/* Feeds received bytes, in any split. FALSE with a TG_ERROR_INVALID error
 * saying what was wrong on a protocol violation or a limit: the owner logs
 * it, writes out what send was given, and closes the connection. The
 * session is dead after that: later calls fail. */
gboolean tg_rtmp_session_feed (TgRtmpSession *session, const guint8 *data,
                               gsize size, GError **error);

/* Answers the pending publish: NetStream.Publish.Start, and media flows.
 * Ignored (g_debug) when no publish waits for an answer, e.g. when the peer
 * withdrew it meanwhile. */
void tg_rtmp_session_accept (TgRtmpSession *session);
/* Sends onStatus NetStream.Publish.BadName; the owner closes the
 * connection after flushing it. Ignored when no publish waits. */
void tg_rtmp_session_refuse (TgRtmpSession *session);

/* Answers the pending play: Stream Begin, NetStream.Play.Reset and
 * NetStream.Play.Start; media may follow (tg_rtmp_session_write_media).
 * Ignored when no play waits for an answer. */
void tg_rtmp_session_accept_play (TgRtmpSession *session);
/* Refuses the pending play with onStatus level error: as Ant Media,
 * NetStream.Publish.BadName "You are not allowed to play the stream due to
 * security." for a refused credential; NetStream.Play.StreamNotFound for a
 * stream that is not live (not_found). The owner closes the connection
 * after flushing it. Ignored when no play waits. */
void tg_rtmp_session_refuse_play (TgRtmpSession *session, gboolean not_found);
/* Whether a play was accepted and the peer has not withdrawn it
 * (deleteStream, closeStream). */
gboolean tg_rtmp_session_is_playing (TgRtmpSession *session);
/* Appends to out, for the owner to send, an audio (8), video (9) or data
 * (18) message of the played stream: an FLV tag's body, with its time in
 * milliseconds (many messages go out in one write). */
void tg_rtmp_session_write_media (TgRtmpSession *session, GByteArray *out,
                                  guint8 type, guint32 timestamp,
                                  const guint8 *data, gsize size);
/* The played stream has ended: Stream EOF and
 * NetStream.Play.UnpublishNotify. */
void tg_rtmp_session_end_play (TgRtmpSession *session);

G_END_DECLS
