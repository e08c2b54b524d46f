/* Shared by the RTMP session tests (test-rtmp-session.c and
 * test-rtmp-session-bad.c): a peer that records what the session sends
 * and calls back, a summary of the messages a server sent, and a made-up
 * client that builds chunks. Static inline: each test uses what it needs. */
#pragma once

#include "tg-amf0.h"
#include "tg-rtmp-chunk.h"
#include "tg-rtmp-session.h"
#include "tollgate.h"

#include <string.h>

#define HANDSHAKE_SIZE 1536

typedef enum
{
  ANSWER_NONE,
  ANSWER_ACCEPT,
  ANSWER_REFUSE,
} Answer;

typedef struct
{
  guint8 type;
  guint32 timestamp;
  GBytes *data;
} Media;

typedef struct
{
  TgRtmpSession *session;
  Answer answer; /* given inside the publish callback */
  GByteArray *sent;
  char *app, *stream_id, *token;
  GPtrArray *media; /* Media */
  GString *events;  /* P(ublish), M(edia), U(npublish) */
} Peer;

static inline void
media_free (gpointer data)
{
  Media *media = data;

  g_bytes_unref (media->data);
  g_free (media);
}

static inline void
on_send (gpointer user_data, const guint8 *data, gsize size)
{
  Peer *peer = user_data;

  g_byte_array_append (peer->sent, data, size);
}

static inline void
on_publish (gpointer user_data, const char *app, const char *stream_id,
            const char *token)
{
  Peer *peer = user_data;

  g_string_append_c (peer->events, 'P');
  g_free (peer->app);
  g_free (peer->stream_id);
  g_free (peer->token);
  peer->app = g_strdup (app);
  peer->stream_id = g_strdup (stream_id);
  peer->token = g_strdup (token);
  if (peer->answer == ANSWER_ACCEPT)
    tg_rtmp_session_accept (peer->session);
  else if (peer->answer == ANSWER_REFUSE)
    tg_rtmp_session_refuse (peer->session);
}

static inline void
on_media (gpointer user_data, guint8 type, guint32 timestamp,
          const guint8 *data, gsize size)
{
  Peer *peer = user_data;
  Media *media = g_new0 (Media, 1);

  media->type = type;
  media->timestamp = timestamp;
  media->data = g_bytes_new (data, size);
  g_ptr_array_add (peer->media, media);
  if (!g_str_has_suffix (peer->events->str, "M"))
    g_string_append_c (peer->events, 'M');
}

static inline void
on_unpublish (gpointer user_data)
{
  Peer *peer = user_data;

  g_string_append_c (peer->events, 'U');
}

static const TgRtmpCallbacks callbacks
    = { on_send, on_publish, on_media, on_unpublish };

static inline Peer *
peer_new (Answer answer)
{
  Peer *peer = g_new0 (Peer, 1);

  peer->session = tg_rtmp_session_new (&callbacks, peer);
  peer->answer = answer;
  peer->sent = g_byte_array_new ();
  peer->media = g_ptr_array_new_with_free_func (media_free);
  peer->events = g_string_new ("");
  return peer;
}

static inline void
peer_free (Peer *peer)
{
  tg_rtmp_session_free (peer->session);
  g_byte_array_unref (peer->sent);
  g_ptr_array_unref (peer->media);
  g_string_free (peer->events, TRUE);
  g_free (peer->app);
  g_free (peer->stream_id);
  g_free (peer->token);
  g_free (peer);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Peer, peer_free)

/* --- what we send --- */

/* One entry per message: "type value [byte];" for control messages; for
 * commands "20 name" and, of the values after the transaction id, numbers,
 * strings, and the level, code and description of objects. */
static inline gboolean
summarize_message (const TgRtmpMessage *message, gpointer user_data,
                   GError **error)
{
  const char *keys[] = { "level", "code", "description" };
  g_autoptr (GPtrArray) values = NULL;
  GString *out = user_data;
  const guint8 *p = message->data;

  g_string_append_printf (out, "%u", message->type);
  if (message->type != TG_RTMP_COMMAND_AMF0)
    {
      g_assert_cmpuint (message->size, >=, 4);
      g_string_append_printf (
          out, " %u", (guint32) p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]);
      if (message->size > 4)
        g_string_append_printf (out, " %u", p[4]);
      g_string_append_c (out, ';');
      return TRUE;
    }
  values = tg_amf0_decode_all (message->data, message->size, error);
  g_assert_nonnull (values);
  for (guint i = 0; i < values->len; i++)
    {
      const TgAmf0Value *value = values->pdata[i];

      if (i == 1)
        continue;
      if (value->type == TG_AMF0_NUMBER)
        g_string_append_printf (out, " %g", value->number);
      else if (tg_amf0_value_get_string (value))
        g_string_append_printf (out, " %s", value->string);
      for (guint k = 0; k < G_N_ELEMENTS (keys); k++)
        if (tg_amf0_object_get_string (value, keys[k]))
          g_string_append_printf (out, " %s",
                                  tg_amf0_object_get_string (value, keys[k]));
    }
  g_string_append_c (out, ';');
  return TRUE;
}

/* The messages after the handshake in what a server sent, leaving out the
 * commands called skip. */
static inline char *
summarize (const guint8 *data, gsize size, const char *skip)
{
  GString *out = g_string_new (NULL);
  g_autoptr (TgRtmpChunkReader) reader
      = tg_rtmp_chunk_reader_new (summarize_message, out);
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) entries = NULL;
  g_autofree char *skipped = g_strdup_printf ("20 %s ", skip ? skip : "");

  g_assert_cmpuint (size, >=, 1 + 2 * HANDSHAKE_SIZE);
  g_assert_true (
      tg_rtmp_chunk_reader_feed (reader, data + 1 + 2 * HANDSHAKE_SIZE,
                                 size - 1 - 2 * HANDSHAKE_SIZE, &error));
  g_assert_no_error (error);
  entries = g_strsplit (out->str, ";", -1);
  g_string_truncate (out, 0);
  for (guint i = 0; entries[i] && *entries[i]; i++)
    if (skip == NULL || !g_str_has_prefix (entries[i], skipped))
      g_string_append_printf (out, "%s;", entries[i]);
  return g_string_free (out, FALSE);
}

/* --- a made-up client --- */

static inline void
client_handshake (GByteArray *out)
{
  guint8 c0 = 3;

  g_byte_array_append (out, &c0, 1);
  for (guint i = 0; i < 2 * HANDSHAKE_SIZE; i++)
    {
      guint8 byte = i * 13;

      g_byte_array_append (out, &byte, 1);
    }
}

static inline void
client_message (GByteArray *out, guint32 csid, guint8 type, guint32 stream_id,
                const guint8 *data, gsize size)
{
  TgRtmpMessage message = { csid, type, 40, stream_id, data, size };

  tg_rtmp_chunk_write (out, TG_RTMP_DEFAULT_CHUNK_SIZE, &message);
}

/* A command: name, transaction 0, object (taken; NULL: null), then arg
 * when not NULL. */
static inline void
client_command (GByteArray *out, guint32 stream_id, const char *name,
                TgAmf0Value *object, const char *arg)
{
  g_autoptr (GByteArray) payload = g_byte_array_new ();

  tg_amf0_write_string (payload, name);
  tg_amf0_write_number (payload, 0);
  if (object)
    {
      tg_amf0_encode (payload, object);
      tg_amf0_value_free (object);
    }
  else
    tg_amf0_write_null (payload);
  if (arg)
    tg_amf0_write_string (payload, arg);
  client_message (out, 3, TG_RTMP_COMMAND_AMF0, stream_id, payload->data,
                  payload->len);
}

static inline void
client_connect (GByteArray *out)
{
  TgAmf0Value *object = tg_amf0_object_new ();

  tg_amf0_object_set (object, "app", tg_amf0_string_new ("LiveApp"));
  tg_amf0_object_set (object, "tcUrl", tg_amf0_string_new ("rtmp://h/LiveApp"));
  client_command (out, 0, "connect", object, NULL);
}

static inline void
client_publish (GByteArray *out, const char *name)
{
  client_command (out, 0, "createStream", NULL, NULL);
  client_command (out, 1, "publish", NULL, name);
}

/* What we sent since the last call; *seen: the summary seen so far. */
static inline char *
new_replies (Peer *peer, gsize *seen)
{
  g_autofree char *all = summarize (peer->sent->data, peer->sent->len, NULL);
  char *fresh = g_strdup (all + *seen);

  *seen = strlen (all);
  return fresh;
}
