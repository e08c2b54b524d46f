#include "tg-rtmp-session.h"

#include "tg-amf0.h"
#include "tg-rtmp-chunk.h"
#include "tg-rtmp-name.h"
#include "tollgate.h"

#include <stdarg.h>
#include <string.h>

#define HANDSHAKE_SIZE 1536
#define RTMP_VERSION 3
#define WINDOW_ACK_SIZE 5000000
#define PEER_BANDWIDTH_DYNAMIC 2
#define OUR_CHUNK_SIZE 4096
#define PUBLISH_STREAM_ID 1
/* Chunk streams of our messages, as nginx-rtmp uses them. */
#define CSID_CONTROL 2
#define CSID_COMMAND 3
#define CSID_STATUS 5
#define CSID_AUDIO 6
#define CSID_VIDEO 7
/* User Control events. */
#define STREAM_BEGIN 0
#define STREAM_EOF 1

#define REFUSED_DESCRIPTION "You are not allowed to publish the stream."
/* Ant Media's, for a play refused by its token check (StreamService.java,
 * which sends it with the code of a refused publish). */
#define PLAY_REFUSED_DESCRIPTION                                               \
  "You are not allowed to play the stream due to security."

typedef enum
{
  PHASE_C0_C1, /* reading C0 and C1 */
  PHASE_C2,    /* S0 S1 S2 sent, skipping C2 */
  PHASE_CHUNKS,
} Phase;

typedef enum
{
  PUBLISH_NONE,
  PUBLISH_PENDING, /* the owner was asked */
  PUBLISH_ACTIVE,
  PUBLISH_REFUSED,
} PublishState;

struct _TgRtmpSession
{
  TgRtmpCallbacks callbacks;
  gpointer user_data;
  Phase phase;
  guint8 c0_c1[1 + HANDSHAKE_SIZE];
  gsize handshake_have; /* bytes of C0 C1, or of C2, so far */
  TgRtmpChunkReader *reader;
  guint32 chunk_size; /* of our messages */
  guint64 received;   /* bytes, all told */
  guint64 acknowledged;
  guint32 ack_window; /* the peer's; 0 until it sends one */
  gboolean connected;
  char *app;
  char *tc_url;
  PublishState publish;
  PublishState play; /* the same states, for play */
  gboolean failed;
};

static gboolean on_message (const TgRtmpMessage *message, gpointer user_data,
                            GError **error);

TgRtmpSession *
tg_rtmp_session_new (const TgRtmpCallbacks *callbacks, gpointer user_data)
{
  TgRtmpSession *session;

  g_return_val_if_fail (callbacks != NULL, NULL);
  g_return_val_if_fail (callbacks->send && callbacks->publish, NULL);

  session = g_new0 (TgRtmpSession, 1);
  session->callbacks = *callbacks;
  session->user_data = user_data;
  session->reader = tg_rtmp_chunk_reader_new (on_message, session);
  session->chunk_size = TG_RTMP_DEFAULT_CHUNK_SIZE;
  return session;
}

void
tg_rtmp_session_free (TgRtmpSession *session)
{
  if (session == NULL)
    return;
  tg_rtmp_chunk_reader_free (session->reader);
  g_free (session->app);
  g_free (session->tc_url);
  g_free (session);
}

/* --- sending --- */

static void
send_message (TgRtmpSession *session, guint32 csid, guint8 type,
              guint32 stream_id, const GByteArray *payload)
{
  g_autoptr (GByteArray) out = g_byte_array_new ();
  TgRtmpMessage message
      = { csid, type, 0, stream_id, payload->data, payload->len };

  tg_rtmp_chunk_write (out, session->chunk_size, &message);
  session->callbacks.send (session->user_data, out->data, out->len);
}

static void
send_control (TgRtmpSession *session, guint8 type, guint32 value,
              int extra_byte)
{
  g_autoptr (GByteArray) payload = g_byte_array_new ();
  guint8 bytes[5] = { value >> 24, (value >> 16) & 0xff, (value >> 8) & 0xff,
                      value & 0xff, extra_byte };

  g_byte_array_append (payload, bytes, extra_byte >= 0 ? 5 : 4);
  send_message (session, CSID_CONTROL, type, 0, payload);
}

/* A command: name, transaction id, then count values (taken), of which a
 * NULL is sent as AMF0 null. */
static void
send_command (TgRtmpSession *session, guint32 csid, guint32 stream_id,
              const char *name, double transaction, guint count, ...)
{
  g_autoptr (GByteArray) payload = g_byte_array_new ();
  va_list args;

  tg_amf0_write_string (payload, name);
  tg_amf0_write_number (payload, transaction);
  va_start (args, count);
  for (guint i = 0; i < count; i++)
    {
      g_autoptr (TgAmf0Value) value = va_arg (args, TgAmf0Value *);

      if (value)
        tg_amf0_encode (payload, value);
      else
        tg_amf0_write_null (payload);
    }
  va_end (args);
  send_message (session, csid, TG_RTMP_COMMAND_AMF0, stream_id, payload);
}

static TgAmf0Value *
status_info (const char *level, const char *code, const char *description)
{
  TgAmf0Value *info = tg_amf0_object_new ();

  tg_amf0_object_set (info, "level", tg_amf0_string_new (level));
  tg_amf0_object_set (info, "code", tg_amf0_string_new (code));
  tg_amf0_object_set (info, "description", tg_amf0_string_new (description));
  return info;
}

static void
send_status (TgRtmpSession *session, const char *level, const char *code,
             const char *description)
{
  send_command (session, CSID_STATUS, PUBLISH_STREAM_ID, "onStatus", 0, 2, NULL,
                status_info (level, code, description));
}

static void
send_handshake (TgRtmpSession *session)
{
  guint8 reply[1 + 2 * HANDSHAKE_SIZE] = { RTMP_VERSION };
  guint8 *s1 = reply + 1;

  /* S1: time 0, zero 0, then random bytes; S2 echoes C1. */
  for (gsize i = 8; i < HANDSHAKE_SIZE; i++)
    s1[i] = g_random_int () & 0xff;
  memcpy (reply + 1 + HANDSHAKE_SIZE, session->c0_c1 + 1, HANDSHAKE_SIZE);
  session->callbacks.send (session->user_data, reply, sizeof reply);
}

/* --- publishing --- */

void
tg_rtmp_session_accept (TgRtmpSession *session)
{
  g_return_if_fail (session != NULL);
  if (session->publish != PUBLISH_PENDING)
    {
      g_debug ("RTMP: accept without a pending publish, ignored");
      return;
    }
  session->publish = PUBLISH_ACTIVE;
  send_status (session, "status", "NetStream.Publish.Start",
               "Start publishing");
}

void
tg_rtmp_session_refuse (TgRtmpSession *session)
{
  g_return_if_fail (session != NULL);
  if (session->publish != PUBLISH_PENDING)
    {
      g_debug ("RTMP: refuse without a pending publish, ignored");
      return;
    }
  session->publish = PUBLISH_REFUSED;
  send_status (session, "error", "NetStream.Publish.BadName",
               REFUSED_DESCRIPTION);
}

/* --- playing --- */

static void
send_user_control (TgRtmpSession *session, guint16 event)
{
  g_autoptr (GByteArray) payload = g_byte_array_new ();
  guint8 bytes[6] = { event >> 8, event & 0xff, 0, 0, 0, PUBLISH_STREAM_ID };

  g_byte_array_append (payload, bytes, sizeof bytes);
  send_message (session, CSID_CONTROL, TG_RTMP_USER_CONTROL, 0, payload);
}

void
tg_rtmp_session_accept_play (TgRtmpSession *session)
{
  g_return_if_fail (session != NULL);
  if (session->play != PUBLISH_PENDING)
    {
      g_debug ("RTMP: accept without a pending play, ignored");
      return;
    }
  session->play = PUBLISH_ACTIVE;
  send_user_control (session, STREAM_BEGIN);
  send_status (session, "status", "NetStream.Play.Reset",
               "Playing and resetting");
  send_status (session, "status", "NetStream.Play.Start", "Started playing");
}

void
tg_rtmp_session_refuse_play (TgRtmpSession *session, gboolean not_found)
{
  g_return_if_fail (session != NULL);
  if (session->play != PUBLISH_PENDING)
    {
      g_debug ("RTMP: refuse without a pending play, ignored");
      return;
    }
  session->play = PUBLISH_REFUSED;
  if (not_found)
    send_status (session, "error", "NetStream.Play.StreamNotFound",
                 "No such stream.");
  else
    send_status (session, "error", "NetStream.Publish.BadName",
                 PLAY_REFUSED_DESCRIPTION);
}

gboolean
tg_rtmp_session_is_playing (TgRtmpSession *session)
{
  return session->play == PUBLISH_ACTIVE;
}

void
tg_rtmp_session_write_media (TgRtmpSession *session, GByteArray *out,
                             guint8 type, guint32 timestamp, const guint8 *data,
                             gsize size)
{
  TgRtmpMessage message = { type == TG_RTMP_AUDIO   ? CSID_AUDIO
                            : type == TG_RTMP_VIDEO ? CSID_VIDEO
                                                    : CSID_STATUS,
                            type,
                            timestamp,
                            PUBLISH_STREAM_ID,
                            data,
                            size };

  g_return_if_fail (session != NULL && out != NULL && size < (1 << 24));
  tg_rtmp_chunk_write (out, session->chunk_size, &message);
}

void
tg_rtmp_session_end_play (TgRtmpSession *session)
{
  g_return_if_fail (session != NULL);
  if (session->play != PUBLISH_ACTIVE)
    return;
  session->play = PUBLISH_NONE;
  send_user_control (session, STREAM_EOF);
  send_status (session, "status", "NetStream.Play.UnpublishNotify",
               "The stream ended.");
}

static gboolean
on_play (TgRtmpSession *session, const char *name, GError **error)
{
  g_autofree char *app = NULL, *stream_id = NULL, *token = NULL;
  g_autoptr (GError) local_error = NULL;

  if (session->publish != PUBLISH_NONE || session->play != PUBLISH_NONE)
    {
      g_set_error (error, TG_ERROR, TG_ERROR_INVALID,
                   "RTMP: play while publishing, playing or refused");
      return FALSE;
    }
  session->play = PUBLISH_PENDING;
  if (name == NULL || session->callbacks.play == NULL
      || !tg_rtmp_name_parse (session->app, session->tc_url, name, &app,
                              &stream_id, &token, &local_error))
    {
      tg_rtmp_session_refuse_play (session, FALSE);
      g_set_error (error, TG_ERROR, TG_ERROR_INVALID, "RTMP: bad play name: %s",
                   local_error ? local_error->message : "none");
      return FALSE;
    }
  session->callbacks.play (session->user_data, app, stream_id, token);
  return TRUE;
}

static void
end_publish (TgRtmpSession *session)
{
  PublishState was = session->publish;

  if (session->play == PUBLISH_ACTIVE)
    session->play = PUBLISH_NONE; /* the peer stopped playing */
  if (was != PUBLISH_PENDING && was != PUBLISH_ACTIVE)
    return;
  session->publish = PUBLISH_NONE;
  if (was == PUBLISH_ACTIVE)
    send_status (session, "status", "NetStream.Unpublish.Success",
                 "Stop publishing");
  if (session->callbacks.unpublish)
    session->callbacks.unpublish (session->user_data);
}

/* --- commands --- */

static void
on_connect (TgRtmpSession *session, double transaction,
            const TgAmf0Value *object)
{
  TgAmf0Value *properties = tg_amf0_object_new ();
  TgAmf0Value *info = status_info ("status", "NetConnection.Connect.Success",
                                   "Connection succeeded.");
  const char *app = tg_amf0_object_get_string (object, "app");
  const char *tc_url = tg_amf0_object_get_string (object, "tcUrl");

  session->connected = TRUE;
  session->app = g_strdup (app);
  session->tc_url = g_strdup (tc_url);

  send_control (session, TG_RTMP_WINDOW_ACK_SIZE, WINDOW_ACK_SIZE, -1);
  send_control (session, TG_RTMP_SET_PEER_BANDWIDTH, WINDOW_ACK_SIZE,
                PEER_BANDWIDTH_DYNAMIC);
  send_control (session, TG_RTMP_SET_CHUNK_SIZE, OUR_CHUNK_SIZE, -1);
  session->chunk_size = OUR_CHUNK_SIZE;

  tg_amf0_object_set (properties, "fmsVer",
                      tg_amf0_string_new ("FMS/3,0,1,123"));
  tg_amf0_object_set (properties, "capabilities", tg_amf0_number_new (31));
  tg_amf0_object_set (info, "objectEncoding", tg_amf0_number_new (0));
  send_command (session, CSID_COMMAND, 0, "_result", transaction, 2, properties,
                info);
}

static gboolean
on_publish (TgRtmpSession *session, const char *name, GError **error)
{
  g_autofree char *app = NULL, *stream_id = NULL, *token = NULL;
  g_autoptr (GError) local_error = NULL;

  if (session->publish != PUBLISH_NONE || session->play != PUBLISH_NONE)
    {
      g_set_error (error, TG_ERROR, TG_ERROR_INVALID,
                   "RTMP: publish while already publishing, playing or "
                   "refused");
      return FALSE;
    }
  if (name == NULL
      || !tg_rtmp_name_parse (session->app, session->tc_url, name, &app,
                              &stream_id, &token, &local_error))
    {
      session->publish = PUBLISH_REFUSED;
      send_status (session, "error", "NetStream.Publish.BadName",
                   REFUSED_DESCRIPTION);
      g_set_error (error, TG_ERROR, TG_ERROR_INVALID,
                   "RTMP: bad publish name: %s",
                   local_error ? local_error->message : "none");
      return FALSE;
    }
  session->publish = PUBLISH_PENDING;
  session->callbacks.publish (session->user_data, app, stream_id, token);
  return TRUE;
}

static gboolean
on_command (TgRtmpSession *session, const guint8 *data, gsize size,
            GError **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autoptr (GPtrArray) values = tg_amf0_decode_all (data, size, &local_error);
  const TgAmf0Value *transaction_value, *object;
  const char *name, *arg;
  double transaction = 0;

  if (values == NULL)
    {
      g_set_error (error, TG_ERROR, TG_ERROR_INVALID, "RTMP: command: %s",
                   local_error->message);
      return FALSE;
    }
  name = values->len > 0 ? tg_amf0_value_get_string (values->pdata[0]) : NULL;
  if (name == NULL)
    {
      g_set_error (error, TG_ERROR, TG_ERROR_INVALID,
                   "RTMP: command without a name");
      return FALSE;
    }
  transaction_value = values->len > 1 ? values->pdata[1] : NULL;
  if (transaction_value && transaction_value->type == TG_AMF0_NUMBER)
    transaction = transaction_value->number;
  object = values->len > 2 ? values->pdata[2] : NULL;
  arg = values->len > 3 ? tg_amf0_value_get_string (values->pdata[3]) : NULL;

  if (g_str_equal (name, "connect"))
    {
      if (session->connected)
        {
          g_set_error (error, TG_ERROR, TG_ERROR_INVALID,
                       "RTMP: connect on a connected session");
          return FALSE;
        }
      on_connect (session, transaction, object);
      return TRUE;
    }
  if (!session->connected)
    {
      g_set_error (error, TG_ERROR, TG_ERROR_INVALID,
                   "RTMP: command %.32s before connect", name);
      return FALSE;
    }
  if (g_str_equal (name, "createStream"))
    send_command (session, CSID_COMMAND, 0, "_result", transaction, 2, NULL,
                  tg_amf0_number_new (PUBLISH_STREAM_ID));
  else if (g_str_equal (name, "FCPublish"))
    {
      TgAmf0Value *info = tg_amf0_object_new ();

      tg_amf0_object_set (info, "code",
                          tg_amf0_string_new ("NetStream.Publish.Start"));
      /* Not the name: it may hold the token. */
      tg_amf0_object_set (info, "description",
                          tg_amf0_string_new ("Start publishing"));
      send_command (session, CSID_COMMAND, 0, "onFCPublish", 0, 2, NULL, info);
    }
  else if (g_str_equal (name, "publish"))
    return on_publish (session, arg, error);
  else if (g_str_equal (name, "play"))
    return on_play (session, arg, error);
  else if (g_str_equal (name, "FCUnpublish")
           || g_str_equal (name, "deleteStream")
           || g_str_equal (name, "closeStream"))
    end_publish (session);
  else if (!g_str_equal (name, "releaseStream"))
    g_debug ("RTMP: command %.32s ignored", name);
  return TRUE;
}

/* --- media --- */

/* Passes onMetaData on, without a leading "@setDataFrame". */
static gboolean
on_data (TgRtmpSession *session, const TgRtmpMessage *message,
         const guint8 *data, gsize size, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autoptr (TgAmf0Value) first = NULL;
  const char *name;
  gsize used = 0;

  first = tg_amf0_decode (data, size, &used, &local_error);
  name = tg_amf0_value_get_string (first);
  if (name && g_str_equal (name, "@setDataFrame"))
    {
      data += used;
      size -= used;
      g_clear_pointer (&first, tg_amf0_value_free);
      first = tg_amf0_decode (data, size, NULL, &local_error);
      name = tg_amf0_value_get_string (first);
    }
  if (first == NULL)
    {
      g_set_error (error, TG_ERROR, TG_ERROR_INVALID, "RTMP: data message: %s",
                   local_error->message);
      return FALSE;
    }
  if (name == NULL || !g_str_equal (name, "onMetaData"))
    {
      g_debug ("RTMP: data message %.32s ignored", name ? name : "(no name)");
      return TRUE;
    }
  if (session->callbacks.media)
    session->callbacks.media (session->user_data, TG_RTMP_DATA_AMF0,
                              message->timestamp, data, size);
  return TRUE;
}

static gboolean
on_message (const TgRtmpMessage *message, gpointer user_data, GError **error)
{
  TgRtmpSession *session = user_data;
  const guint8 *data = message->data;
  gsize size = message->size;

  /* AMF3 commands and data are AMF0 after a format byte. */
  if (message->type == TG_RTMP_COMMAND_AMF3
      || message->type == TG_RTMP_DATA_AMF3)
    {
      if (size < 1)
        {
          g_set_error (error, TG_ERROR, TG_ERROR_INVALID,
                       "RTMP: empty message of type %u", message->type);
          return FALSE;
        }
      data++;
      size--;
    }

  switch (message->type)
    {
    case TG_RTMP_COMMAND_AMF0:
    case TG_RTMP_COMMAND_AMF3:
      return on_command (session, data, size, error);
    case TG_RTMP_WINDOW_ACK_SIZE:
      if (size < 4)
        {
          g_set_error (error, TG_ERROR, TG_ERROR_INVALID,
                       "RTMP: window acknowledgement size of %" G_GSIZE_FORMAT
                       " bytes",
                       size);
          return FALSE;
        }
      session->ack_window
          = (guint32) data[0] << 24 | data[1] << 16 | data[2] << 8 | data[3];
      return TRUE;
    case TG_RTMP_AUDIO:
    case TG_RTMP_VIDEO:
    case TG_RTMP_DATA_AMF0:
    case TG_RTMP_DATA_AMF3:
      /* Until the owner accepts, media goes nowhere. */
      if (session->publish != PUBLISH_ACTIVE)
        return TRUE;
      if (message->type == TG_RTMP_AUDIO || message->type == TG_RTMP_VIDEO)
        {
          if (session->callbacks.media)
            session->callbacks.media (session->user_data, message->type,
                                      message->timestamp, data, size);
          return TRUE;
        }
      return on_data (session, message, data, size, error);
    case TG_RTMP_SET_CHUNK_SIZE: /* the chunk reader applied these */
    case TG_RTMP_ABORT:
    case TG_RTMP_ACKNOWLEDGEMENT:
    case TG_RTMP_USER_CONTROL:
    case TG_RTMP_SET_PEER_BANDWIDTH:
      return TRUE;
    default:
      g_debug ("RTMP: message of type %u ignored", message->type);
      return TRUE;
    }
}

/* --- input --- */

/* Takes handshake bytes from *data; sends S0 S1 S2 once C1 is in. */
static gboolean
handshake (TgRtmpSession *session, const guint8 **data, gsize *size,
           GError **error)
{
  if (session->phase == PHASE_C0_C1)
    {
      gsize count
          = MIN (*size, sizeof session->c0_c1 - session->handshake_have);

      memcpy (session->c0_c1 + session->handshake_have, *data, count);
      session->handshake_have += count;
      *data += count;
      *size -= count;
      if (session->handshake_have > 0 && session->c0_c1[0] != RTMP_VERSION)
        {
          g_set_error (error, TG_ERROR, TG_ERROR_INVALID,
                       "RTMP: unsupported version %u in C0", session->c0_c1[0]);
          return FALSE;
        }
      if (session->handshake_have < sizeof session->c0_c1)
        return TRUE;
      send_handshake (session);
      session->phase = PHASE_C2;
      session->handshake_have = 0;
    }
  if (session->phase == PHASE_C2)
    {
      /* C2 echoes S1; the plain handshake does not check it. */
      gsize count = MIN (*size, HANDSHAKE_SIZE - session->handshake_have);

      session->handshake_have += count;
      *data += count;
      *size -= count;
      if (session->handshake_have == HANDSHAKE_SIZE)
        session->phase = PHASE_CHUNKS;
    }
  return TRUE;
}

static gboolean
feed (TgRtmpSession *session, const guint8 *data, gsize size, GError **error)
{
  session->received += size;
  if (session->phase != PHASE_CHUNKS
      && !handshake (session, &data, &size, error))
    return FALSE;
  if (size > 0
      && !tg_rtmp_chunk_reader_feed (session->reader, data, size, error))
    return FALSE;
  if (session->ack_window > 0
      && session->received - session->acknowledged >= session->ack_window)
    {
      session->acknowledged = session->received;
      send_control (session, TG_RTMP_ACKNOWLEDGEMENT,
                    session->received & 0xffffffff, -1);
    }
  return TRUE;
}

gboolean
tg_rtmp_session_feed (TgRtmpSession *session, const guint8 *data, gsize size,
                      GError **error)
{
  g_return_val_if_fail (session != NULL, FALSE);
  g_return_val_if_fail (data != NULL || size == 0, FALSE);

  if (session->failed)
    {
      g_set_error (error, TG_ERROR, TG_ERROR_INVALID,
                   "RTMP: the session failed earlier");
      return FALSE;
    }
  if (!feed (session, data, size, error))
    {
      session->failed = TRUE;
      return FALSE;
    }
  return TRUE;
}
