/* The server side of RTMP publishing: real ffmpeg and rtmp2sink sessions
 * replayed (shared/testdata/rtmp), our replies against nginx-rtmp's,
 * refusal, answering later, data messages, other commands,
 * acknowledgements and FLV framing. Bad input is in
 * test-rtmp-session-bad.c. */
#include "rtmp-session-test.h"
#include "tg-flv.h"

#include <string.h>

#define REFUSED "You are not allowed to publish the stream."

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
