/* The server side of RTMP publishing: real ffmpeg and rtmp2sink sessions
 * replayed (shared/testdata/rtmp), our replies against nginx-rtmp's,
 * refusal, and bad input. */
#include "tg-amf0.h"
#include "tg-flv.h"
#include "tg-rtmp-chunk.h"
#include "tg-rtmp-session.h"
#include "tollgate.h"

#include <string.h>

#define HANDSHAKE_SIZE 1536
#define REFUSED "You are not allowed to publish the stream."

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

static void
media_free (gpointer data)
{
  Media *media = data;

  g_bytes_unref (media->data);
  g_free (media);
}

static void
on_send (gpointer user_data, const guint8 *data, gsize size)
{
  Peer *peer = user_data;

  g_byte_array_append (peer->sent, data, size);
}

static void
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

static void
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

static void
on_unpublish (gpointer user_data)
{
  Peer *peer = user_data;

  g_string_append_c (peer->events, 'U');
}

static const TgRtmpCallbacks callbacks
    = { on_send, on_publish, on_media, on_unpublish };

static Peer *
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

static void
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

/* The first media message of a type, or NULL. */
static Media *
first_media (Peer *peer, guint8 type, guint *count)
{
  Media *first = NULL;

  *count = 0;
  for (guint i = 0; i < peer->media->len; i++)
    {
      Media *media = peer->media->pdata[i];

      if (media->type != type)
        continue;
      if (first == NULL)
        first = media;
      (*count)++;
    }
  return first;
}

/* --- captures --- */

static GBytes *
load_capture (const char *name)
{
  const char *root = g_getenv ("TOLLGATE_SOURCE_ROOT");
  g_autofree char *path = NULL;
  g_autoptr (GError) error = NULL;
  char *contents;
  gsize length;

  if (root == NULL)
    {
      g_test_fail_printf ("TOLLGATE_SOURCE_ROOT is not set: run this test "
                          "with meson test");
      return NULL;
    }
  path
      = g_build_filename (root, "..", "shared", "testdata", "rtmp", name, NULL);
  if (!g_file_get_contents (path, &contents, &length, &error))
    {
      g_test_fail_printf ("the RTMP captures are missing (%s): the shared/ "
                          "directory must sit beside the repository",
                          error->message);
      return NULL;
    }
  return g_bytes_new_take (contents, length);
}

/* Feeds data in pieces: all at once (piece 0), or 1 byte at a time for the
 * first 4 KB and pieces of random sizes up to max_piece after. */
static void
feed_pieces (Peer *peer, GBytes *bytes, guint max_piece, guint32 seed)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  gsize size;
  const guint8 *data = g_bytes_get_data (bytes, &size);
  gsize pos = 0;

  while (pos < size)
    {
      g_autoptr (GError) error = NULL;
      gsize piece = size - pos;

      if (max_piece > 0)
        piece = pos < 4096 ? 1 : g_rand_int_range (rand, 1, max_piece + 1);
      piece = MIN (piece, size - pos);
      g_assert_true (
          tg_rtmp_session_feed (peer->session, data + pos, piece, &error));
      g_assert_no_error (error);
      pos += piece;
    }
}

static const struct
{
  const char *name;
  const char *stream_id;
  guint videos, audios, datas;
} captures[] = {
  { "ffmpeg-publish", "s1", 77, 132, 1 },
  { "rtmp2sink-publish", "s2", 77, 132, 30 },
};

static void
test_replay (void)
{
  const guint max_pieces[] = { 0, 3000, 200 };

  for (guint c = 0; c < G_N_ELEMENTS (captures); c++)
    {
      g_autofree char *file = g_strconcat (captures[c].name, ".client", NULL);
      g_autoptr (GBytes) client = load_capture (file);

      if (client == NULL)
        return;
      for (guint p = 0; p < G_N_ELEMENTS (max_pieces); p++)
        {
          g_autoptr (Peer) peer = peer_new (ANSWER_ACCEPT);
          static const guint8 onmetadata[]
              = { 0x02, 0x00, 0x0a, 'o', 'n', 'M', 'e',
                  't',  'a',  'D',  'a', 't', 'a' };
          Media *video, *audio, *data;
          guint videos, audios, datas;
          const guint8 *bytes;

          g_test_message ("%s, pieces up to %u", captures[c].name,
                          max_pieces[p]);
          feed_pieces (peer, client, max_pieces[p], c * 10 + p);
          g_assert_cmpstr (peer->app, ==, "LiveApp");
          g_assert_cmpstr (peer->stream_id, ==, captures[c].stream_id);
          g_assert_cmpstr (peer->token, ==, "T0k3nExample");
          g_assert_cmpstr (peer->events->str, ==, "PMU");

          video = first_media (peer, TG_RTMP_VIDEO, &videos);
          audio = first_media (peer, TG_RTMP_AUDIO, &audios);
          data = first_media (peer, TG_RTMP_DATA_AMF0, &datas);
          g_assert_cmpuint (videos, ==, captures[c].videos);
          g_assert_cmpuint (audios, ==, captures[c].audios);
          g_assert_cmpuint (datas, ==, captures[c].datas);
          bytes = g_bytes_get_data (video->data, NULL);
          g_assert_cmpuint (bytes[0], ==, 0x17); /* AVC keyframe */
          g_assert_cmpuint (bytes[1], ==, 0x00); /* sequence header */
          bytes = g_bytes_get_data (audio->data, NULL);
          g_assert_cmpuint (bytes[0], ==, 0xaf); /* AAC */
          g_assert_cmpuint (bytes[1], ==, 0x00); /* sequence header */
          /* "@setDataFrame" stripped: flvdemux wants onMetaData first. */
          g_assert_cmpuint (g_bytes_get_size (data->data), >,
                            sizeof onmetadata);
          g_assert_cmpmem (g_bytes_get_data (data->data, NULL),
                           sizeof onmetadata, onmetadata, sizeof onmetadata);
          /* About 3 s of it. */
          g_assert_cmpuint (
              ((Media *) peer->media->pdata[peer->media->len - 1])->timestamp,
              >, 2800);
        }
    }
}

/* --- what we send --- */

#define CONNECTED                                                              \
  "5 5000000;6 5000000 2;1 4096;20 _result status "                            \
  "NetConnection.Connect.Success Connection succeeded.;"

/* One entry per message: "type value [byte];" for control messages; for
 * commands "20 name" and, of the values after the transaction id, numbers,
 * strings, and the level, code and description of objects. */
static gboolean
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
static char *
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

static void
test_replies_like_nginx (void)
{
  for (guint c = 0; c < G_N_ELEMENTS (captures); c++)
    {
      g_autofree char *client_file
          = g_strconcat (captures[c].name, ".client", NULL);
      g_autofree char *server_file
          = g_strconcat (captures[c].name, ".server", NULL);
      g_autoptr (GBytes) client = load_capture (client_file);
      g_autoptr (GBytes) server = load_capture (server_file);
      g_autoptr (Peer) peer = peer_new (ANSWER_ACCEPT);
      g_autofree char *ours = NULL, *all = NULL, *nginx = NULL;
      const guint8 *c1;

      if (client == NULL || server == NULL)
        return;
      feed_pieces (peer, client, 0, 0);

      /* S0 is version 3; S2 echoes C1. */
      c1 = (const guint8 *) g_bytes_get_data (client, NULL) + 1;
      g_assert_cmpuint (peer->sent->data[0], ==, 3);
      g_assert_cmpmem (peer->sent->data + 1 + HANDSHAKE_SIZE, HANDSHAKE_SIZE,
                       c1, HANDSHAKE_SIZE);

      /* The same messages as nginx-rtmp's, in the same order, and the
       * onFCPublish it leaves out (ffmpeg and OBS look for it). */
      nginx = summarize (g_bytes_get_data (server, NULL),
                         g_bytes_get_size (server), NULL);
      ours = summarize (peer->sent->data, peer->sent->len, "onFCPublish");
      all = summarize (peer->sent->data, peer->sent->len, NULL);
      g_test_message ("nginx-rtmp: %s", nginx);
      g_assert_cmpstr (ours, ==,
                       CONNECTED "20 _result 1;"
                                 "20 onStatus status NetStream.Publish.Start "
                                 "Start publishing;"
                                 "20 onStatus status "
                                 "NetStream.Unpublish.Success Stop "
                                 "publishing;");
      g_assert_cmpstr (ours, ==, nginx);
      g_assert_nonnull (strstr (
          all, "20 onFCPublish NetStream.Publish.Start Start publishing;"));
    }
}

static void
test_refused (void)
{
  g_autoptr (GBytes) client = load_capture ("ffmpeg-publish.client");
  g_autoptr (Peer) peer = peer_new (ANSWER_REFUSE);
  g_autofree char *ours = NULL;

  if (client == NULL)
    return;
  feed_pieces (peer, client, 0, 0);
  g_assert_cmpstr (peer->events->str, ==, "P");
  g_assert_cmpuint (peer->media->len, ==, 0);
  ours = summarize (peer->sent->data, peer->sent->len, "onFCPublish");
  g_assert_cmpstr (ours, ==,
                   CONNECTED "20 _result 1;"
                             "20 onStatus error NetStream.Publish.BadName "
                             "You are not allowed to publish the stream.;");
}

/* --- a made-up client --- */

static void
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

static void
client_message (GByteArray *out, guint32 csid, guint8 type, guint32 stream_id,
                const guint8 *data, gsize size)
{
  TgRtmpMessage message = { csid, type, 40, stream_id, data, size };

  tg_rtmp_chunk_write (out, TG_RTMP_DEFAULT_CHUNK_SIZE, &message);
}

/* A command: name, transaction 0, object (taken; NULL: null), then arg
 * when not NULL. */
static void
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

static void
client_connect (GByteArray *out)
{
  TgAmf0Value *object = tg_amf0_object_new ();

  tg_amf0_object_set (object, "app", tg_amf0_string_new ("LiveApp"));
  tg_amf0_object_set (object, "tcUrl", tg_amf0_string_new ("rtmp://h/LiveApp"));
  client_command (out, 0, "connect", object, NULL);
}

static void
client_publish (GByteArray *out, const char *name)
{
  client_command (out, 0, "createStream", NULL, NULL);
  client_command (out, 1, "publish", NULL, name);
}

static void
client_video (GByteArray *out, guint8 first_byte)
{
  guint8 video[300] = { first_byte, 0x01 };

  client_message (out, 6, TG_RTMP_VIDEO, 1, video, sizeof video);
}

static void
feed_ok (Peer *peer, GByteArray *in)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (
      tg_rtmp_session_feed (peer->session, in->data, in->len, &error));
  g_assert_no_error (error);
  g_byte_array_set_size (in, 0);
}

/* What we sent since the last call; *seen: the summary seen so far. */
static char *
new_replies (Peer *peer, gsize *seen)
{
  g_autofree char *all = summarize (peer->sent->data, peer->sent->len, NULL);
  char *fresh = g_strdup (all + *seen);

  *seen = strlen (all);
  return fresh;
}

static void
test_answer_later (void)
{
  g_autoptr (Peer) peer = peer_new (ANSWER_NONE);
  g_autoptr (GByteArray) in = g_byte_array_new ();
  g_autofree char *replies = NULL;
  gsize seen = 0;

  client_handshake (in);
  client_connect (in);
  client_command (in, 0, "releaseStream", NULL, "s9");
  client_command (in, 0, "FCPublish", NULL, "s9");
  client_publish (in, "s9/X");
  client_video (in, 0x17); /* before the answer: dropped */
  feed_ok (peer, in);
  g_assert_cmpstr (peer->events->str, ==, "P");
  g_assert_cmpstr (peer->stream_id, ==, "s9");
  g_assert_cmpstr (peer->token, ==, "X");
  replies = new_replies (peer, &seen);
  g_assert_cmpstr (replies, ==,
                   CONNECTED
                   "20 onFCPublish NetStream.Publish.Start Start publishing;"
                   "20 _result 1;");
  g_clear_pointer (&replies, g_free);

  tg_rtmp_session_accept (peer->session);
  tg_rtmp_session_accept (peer->session); /* ignored */
  tg_rtmp_session_refuse (peer->session); /* ignored */
  client_video (in, 0x27);
  feed_ok (peer, in);
  g_assert_cmpstr (peer->events->str, ==, "PM");
  g_assert_cmpuint (peer->media->len, ==, 1);
  g_assert_cmpuint (((Media *) peer->media->pdata[0])->timestamp, ==, 40);
  replies = new_replies (peer, &seen);
  g_assert_cmpstr (replies, ==,
                   "20 onStatus status NetStream.Publish.Start Start "
                   "publishing;");
  g_clear_pointer (&replies, g_free);

  /* Unpublished once, however many ways the peer says it. */
  client_command (in, 0, "FCUnpublish", NULL, "s9");
  client_command (in, 0, "deleteStream", NULL, "s9");
  client_command (in, 1, "closeStream", NULL, NULL);
  feed_ok (peer, in);
  g_assert_cmpstr (peer->events->str, ==, "PMU");
  replies = new_replies (peer, &seen);
  g_assert_cmpstr (replies, ==,
                   "20 onStatus status NetStream.Unpublish.Success Stop "
                   "publishing;");
  g_clear_pointer (&replies, g_free);

  /* Again on the same connection; withdrawn before the answer. */
  client_publish (in, "s10");
  client_command (in, 0, "deleteStream", NULL, NULL);
  feed_ok (peer, in);
  g_assert_cmpstr (peer->events->str, ==, "PMUPU");
  g_assert_null (peer->token);
  tg_rtmp_session_accept (peer->session); /* too late: ignored */
  replies = new_replies (peer, &seen);
  g_assert_cmpstr (replies, ==, "20 _result 1;");
}

static void
test_data_messages (void)
{
  g_autoptr (Peer) peer = peer_new (ANSWER_ACCEPT);
  g_autoptr (GByteArray) in = g_byte_array_new ();
  const char *names[]
      = { "@setDataFrame", "onMetaData", "onCuePoint", "@clearDataFrame" };
  const guint sets[][3] = { { 0, 1 }, { 1 }, { 2 }, { 3 }, { 0, 2 } };
  guint8 amf3 = 0;

  client_handshake (in);
  client_connect (in);
  client_publish (in, "s1");
  for (guint i = 0; i < G_N_ELEMENTS (sets); i++)
    {
      g_autoptr (GByteArray) payload = g_byte_array_new ();
      g_autoptr (TgAmf0Value) meta = tg_amf0_ecma_array_new ();

      if (i == 1)
        g_byte_array_append (payload, &amf3, 1);
      tg_amf0_write_string (payload, names[sets[i][0]]);
      if (sets[i][1])
        tg_amf0_write_string (payload, names[sets[i][1]]);
      tg_amf0_object_set (meta, "width", tg_amf0_number_new (320));
      tg_amf0_encode (payload, meta);
      client_message (in, 4, i == 1 ? TG_RTMP_DATA_AMF3 : TG_RTMP_DATA_AMF0, 1,
                      payload->data, payload->len);
    }
  feed_ok (peer, in);
  /* Only the two onMetaData pass, as type 18 and without @setDataFrame. */
  g_assert_cmpuint (peer->media->len, ==, 2);
  for (guint i = 0; i < 2; i++)
    {
      Media *media = peer->media->pdata[i];
      g_autoptr (GPtrArray) values = NULL;
      g_autoptr (GError) error = NULL;
      gsize size;
      const guint8 *data = g_bytes_get_data (media->data, &size);

      g_assert_cmpuint (media->type, ==, TG_RTMP_DATA_AMF0);
      values = tg_amf0_decode_all (data, size, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (values->len, ==, 2);
      g_assert_cmpstr (tg_amf0_value_get_string (values->pdata[0]), ==,
                       "onMetaData");
    }
}

static void
test_other_commands (void)
{
  g_autoptr (Peer) peer = peer_new (ANSWER_ACCEPT);
  g_autoptr (GByteArray) in = g_byte_array_new ();
  g_autofree char *replies = NULL;
  gsize seen = 0;
  static const guint8 user_control[] = { 0, 3, 0, 0, 0, 1, 0, 0, 0, 100 };

  client_handshake (in);
  client_connect (in);
  client_command (in, 0, "getStreamLength", NULL, "s1");
  client_command (in, 0, "noSuchCommand", NULL, NULL);
  client_message (in, 2, TG_RTMP_USER_CONTROL, 0, user_control,
                  sizeof user_control);
  client_message (in, 2, TG_RTMP_ACKNOWLEDGEMENT, 0, user_control, 4);
  client_message (in, 2, TG_RTMP_AGGREGATE, 0, user_control, 4);
  feed_ok (peer, in);
  replies = new_replies (peer, &seen);
  g_assert_cmpstr (replies, ==, CONNECTED);
  g_assert_cmpstr (peer->events->str, ==, "");
}

/* Acknowledgements once the peer's window is reached, with the count of
 * bytes received. */
static void
test_acknowledgements (void)
{
  g_autoptr (Peer) peer = peer_new (ANSWER_ACCEPT);
  g_autoptr (GByteArray) in = g_byte_array_new ();
  g_autoptr (GString) want = g_string_new (NULL);
  g_autofree char *replies = NULL;
  g_auto (GStrv) entries = NULL;
  static const guint8 window[] = { 0, 0, 0x03, 0xe8 }; /* 1000 */
  guint32 fed = 0, acknowledged = 0;
  g_autoptr (GString) acks = g_string_new (NULL);
  guint count = 0;

  client_handshake (in);
  client_message (in, 2, TG_RTMP_WINDOW_ACK_SIZE, 0, window, sizeof window);
  client_connect (in);
  for (guint i = 0; i <= 10; i++)
    {
      if (i > 0)
        client_video (in, 0x27);
      fed += in->len;
      feed_ok (peer, in);
      if (fed - acknowledged >= 1000)
        {
          acknowledged = fed;
          g_string_append_printf (want, "3 %u;", fed);
        }
    }
  replies = summarize (peer->sent->data, peer->sent->len, NULL);
  entries = g_strsplit (replies, ";", -1);
  for (guint i = 0; entries[i]; i++)
    if (g_str_has_prefix (entries[i], "3 "))
      g_string_append_printf (acks, "%s;", entries[i]);
  /* One after the handshake, then one every 4 videos of 314 bytes. */
  g_assert_cmpstr (acks->str, ==, want->str);
  for (const char *p = want->str; *p; p++)
    count += *p == ';';
  g_assert_cmpuint (count, ==, 3);
}

/* --- bad input --- */

typedef enum
{
  BAD_BYTES,      /* just the bytes after the handshake */
  BAD_BOMB,       /* connect with objects nested 1000 deep */
  BAD_TRUNCATED,  /* connect cut short, then more commands */
  BAD_NO_CONNECT, /* createStream and publish first */
  BAD_CONNECT_2,  /* connect twice */
  BAD_PUBLISH_2,  /* publish twice */
  BAD_NAME,       /* publish "?token=T": no stream id */
  BAD_NAMELESS,   /* a command that starts with a number */
  BAD_DATA,       /* a broken onMetaData after the publish */
} BadKind;

static void
build_bad (GByteArray *in, BadKind kind)
{
  g_autoptr (GByteArray) payload = g_byte_array_new ();
  static const guint8 property[] = { TG_AMF0_OBJECT, 0x00, 0x01, 'a' };

  if (kind == BAD_BOMB || kind == BAD_NAMELESS)
    {
      tg_amf0_write_string (payload, "connect");
      if (kind == BAD_NAMELESS)
        g_byte_array_set_size (payload, 0);
      tg_amf0_write_number (payload, 1);
      for (guint i = 0; kind == BAD_BOMB && i < 1000; i++)
        g_byte_array_append (payload, property, sizeof property);
      client_message (in, 3, TG_RTMP_COMMAND_AMF0, 0, payload->data,
                      payload->len);
      return;
    }
  if (kind == BAD_TRUNCATED)
    {
      client_connect (payload);
      g_byte_array_append (in, payload->data, 40);
    }
  if (kind != BAD_NO_CONNECT && kind != BAD_TRUNCATED)
    client_connect (in);
  if (kind == BAD_CONNECT_2)
    client_connect (in);
  client_publish (in, kind == BAD_NAME ? "?token=T" : "s1");
  if (kind == BAD_PUBLISH_2 || kind == BAD_TRUNCATED)
    client_publish (in, "s1");
  if (kind == BAD_DATA)
    client_message (in, 4, TG_RTMP_DATA_AMF0, 1,
                    (const guint8 *) "\x02\x00\x10onMeta", 9);
}

static void
test_bad_input (void)
{
#define BYTES(b) b, sizeof (b) - 1
  static const struct
  {
    BadKind kind;
    const char *bytes; /* of BAD_BYTES */
    gsize size;
    const char *error; /* NULL: any */
  } cases[] = {
    { BAD_BYTES, BYTES ("\x02\0\0\0\0\0\x04\x01\0\0\0\0\0\0\0\0"),
      "chunk size 0 " },
    { BAD_BYTES, BYTES ("\x02\0\0\0\0\0\x04\x01\0\0\0\0\x80\0\0\0"),
      "chunk size 2147483648" },
    /* 100 MB does not fit 24 bits: the largest length that does. */
    { BAD_BYTES, BYTES ("\x04\0\0\0\xff\xff\xff\x09\x01\0\0\0"),
      "message of 16777215 bytes" },
    { BAD_BYTES, BYTES ("\xc7\x00"), "type 3 on unknown chunk stream 7" },
    { BAD_BYTES, BYTES ("\x42\0\0\0\0\0\x04\x05"), "type 1 on unknown" },
    /* Chunk size 1, then a 2-byte message at an extended timestamp whose
     * second chunk's extended field is off by one. */
    { BAD_BYTES,
      BYTES ("\x02\0\0\0\0\0\x04\x01\0\0\0\0\0\0\0\x01"
             "\x06\xff\xff\xff\0\0\x02\x09\x01\0\0\0\x01\0\0\0\x17"
             "\xc6\x01\0\0\x01\x00"),
      "extended timestamp 16777217" },
    { BAD_BYTES, BYTES ("\x02\0\0\0\0\0\x01\x05\0\0\0\0\0"),
      "window acknowledgement size of 1 bytes" },
    { BAD_BOMB, NULL, 0, "nested deeper than 16" },
    { BAD_TRUNCATED, NULL, 0, NULL },
    { BAD_NO_CONNECT, NULL, 0, "createStream before connect" },
    { BAD_CONNECT_2, NULL, 0, "connect on a connected session" },
    { BAD_PUBLISH_2, NULL, 0, "already publishing" },
    { BAD_NAME, NULL, 0, "bad publish name: no stream id" },
    { BAD_NAMELESS, NULL, 0, "command without a name" },
    { BAD_DATA, NULL, 0, "data message" },
  };
#undef BYTES

  for (guint i = 0; i < G_N_ELEMENTS (cases) * 2 + 2; i++)
    {
      g_autoptr (Peer) peer = peer_new (ANSWER_ACCEPT);
      g_autoptr (GByteArray) in = g_byte_array_new ();
      g_autoptr (GError) error = NULL;
      gboolean whole = i % 2;
      const char *want = "unsupported version 6";
      gsize pos = 0;

      /* The last two: a bad version in C0. */
      if (i / 2 < G_N_ELEMENTS (cases))
        {
          client_handshake (in);
          if (cases[i / 2].kind == BAD_BYTES)
            g_byte_array_append (in, (const guint8 *) cases[i / 2].bytes,
                                 cases[i / 2].size);
          else
            build_bad (in, cases[i / 2].kind);
          want = cases[i / 2].error;
        }
      else
        g_byte_array_append (in, (const guint8 *) "\x06", 1);
      while (pos < in->len
             && tg_rtmp_session_feed (peer->session, in->data + pos,
                                      whole ? in->len : 1, &error))
        pos += whole ? in->len : 1;
      g_test_message ("case %u: %s", i / 2, error ? error->message : "none");
      g_assert_error (error, TG_ERROR, TG_ERROR_INVALID);
      if (want && !strstr (error->message, want))
        g_error ("case %u: \"%s\" is not about \"%s\"", i / 2, error->message,
                 want);
      g_clear_error (&error);
      /* Dead for good. */
      g_assert_false (
          tg_rtmp_session_feed (peer->session, in->data, 1, &error));
      g_assert_cmpstr (error->message, ==, "RTMP: the session failed earlier");
      g_assert_null (strchr (peer->events->str, 'M'));
      if (want && strstr (want, "bad publish name"))
        {
          gsize seen = 0;
          g_autofree char *replies = new_replies (peer, &seen);

          g_assert_nonnull (
              strstr (replies, "onStatus error NetStream.Publish.BadName"));
        }
    }
}

/* Random bytes, from the start or after a handshake: never a crash or a
 * callback, and nearly always an error within 64 KB (a random header may
 * announce a long message that the bytes do not finish). */
static void
test_random_input (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (3);
  guint failures = 0;

  for (guint round = 0; round < 200; round++)
    {
      g_autoptr (Peer) peer = peer_new (ANSWER_ACCEPT);
      g_autoptr (GByteArray) in = g_byte_array_new ();
      g_autoptr (GError) error = NULL;
      gboolean ok;

      if (round % 2)
        client_handshake (in);
      else
        g_byte_array_append (in, (const guint8 *) "\xf3", 1);
      while (in->len < 65536)
        {
          guint8 byte = g_rand_int_range (rand, 0, 256);

          g_byte_array_append (in, &byte, 1);
        }
      ok = tg_rtmp_session_feed (peer->session, in->data, in->len, &error);
      g_assert_true (ok == (error == NULL));
      g_assert_cmpstr (peer->events->str, ==, "");
      if (!ok)
        failures++;
      else
        g_assert_true (round % 2);
    }
  g_assert_cmpuint (failures, >=, 180);
}

/* FLV framing for flvdemux: header, and a tag with the high 8 bits of the
 * timestamp in its own byte. */
static void
test_flv (void)
{
  static const guint8 header[]
      = { 'F', 'L', 'V', 1, 0x05, 0, 0, 0, 9, 0, 0, 0, 0 };
  static const guint8 tag[] = { 9, 0, 0,    2,    0x02, 0x03, 0x04, 0x01, 0,
                                0, 0, 0x17, 0x00, 0,    0,    0,    0x0d };
  g_autoptr (GBytes) flv_header = tg_flv_header (TRUE, TRUE);
  g_autoptr (GBytes) video_only = tg_flv_header (FALSE, TRUE);
  g_autoptr (GBytes) flv_tag
      = tg_flv_tag (TG_FLV_TAG_VIDEO, 0x01020304, tag + 11, 2);

  g_assert_cmpmem (g_bytes_get_data (flv_header, NULL),
                   g_bytes_get_size (flv_header), header, sizeof header);
  g_assert_cmpuint (((const guint8 *) g_bytes_get_data (video_only, NULL))[4],
                    ==, 0x01);
  g_assert_cmpmem (g_bytes_get_data (flv_tag, NULL), g_bytes_get_size (flv_tag),
                   tag, sizeof tag);
}

static void
add_input_tests (void)
{
  g_test_add_func ("/rtmp-session/flv", test_flv);
  g_test_add_func ("/rtmp-session/answer-later", test_answer_later);
  g_test_add_func ("/rtmp-session/data-messages", test_data_messages);
  g_test_add_func ("/rtmp-session/other-commands", test_other_commands);
  g_test_add_func ("/rtmp-session/acknowledgements", test_acknowledgements);
  g_test_add_func ("/rtmp-session/bad-input", test_bad_input);
  g_test_add_func ("/rtmp-session/random-input", test_random_input);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/rtmp-session/replay", test_replay);
  g_test_add_func ("/rtmp-session/replies-like-nginx", test_replies_like_nginx);
  g_test_add_func ("/rtmp-session/refused", test_refused);
  add_input_tests ();
  return g_test_run ();
}
