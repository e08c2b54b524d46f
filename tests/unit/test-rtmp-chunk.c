/* RTMP chunk streams: the writer against the reader, hand-built headers of
 * every type, and the reader's limits. */
#include "tg-rtmp-chunk.h"
#include "tollgate.h"

#include <string.h>

typedef struct
{
  guint32 chunk_stream;
  guint8 type;
  guint32 timestamp;
  guint32 stream_id;
  GBytes *data;
} Received;

static void
received_free (gpointer data)
{
  Received *received = data;

  g_bytes_unref (received->data);
  g_free (received);
}

/* Keeps every message but Set Chunk Size and Abort (count_control sees
 * those). */
static gboolean
collect (const TgRtmpMessage *message, gpointer user_data, GError **error)
{
  GPtrArray *messages = user_data;
  Received *received;

  if (message->type == TG_RTMP_SET_CHUNK_SIZE || message->type == TG_RTMP_ABORT)
    return TRUE;
  received = g_new0 (Received, 1);

  received->chunk_stream = message->chunk_stream;
  received->type = message->type;
  received->timestamp = message->timestamp;
  received->stream_id = message->stream_id;
  received->data = g_bytes_new (message->data, message->size);
  g_ptr_array_add (messages, received);
  return TRUE;
}

static GPtrArray *
messages_new (void)
{
  return g_ptr_array_new_with_free_func (received_free);
}

static Received *
nth (GPtrArray *messages, guint i)
{
  g_assert_cmpuint (i, <, messages->len);
  return messages->pdata[i];
}

/* --- building chunks by hand --- */

static void
put (GByteArray *out, guint32 number, guint count)
{
  for (guint i = count; i > 0; i--)
    {
      guint8 byte = (number >> (8 * (i - 1))) & 0xff;

      g_byte_array_append (out, &byte, 1);
    }
}

/* A chunk header of type fmt on chunk stream csid (< 64): the fields its
 * type carries, the extended timestamp when ext is set. */
static void
header (GByteArray *out, guint fmt, guint csid, guint32 timestamp,
        guint32 length, guint8 type, guint32 stream_id, gboolean ext)
{
  put (out, fmt << 6 | csid, 1);
  if (fmt <= 2)
    put (out, ext ? 0xffffff : timestamp, 3);
  if (fmt <= 1)
    {
      put (out, length, 3);
      put (out, type, 1);
    }
  if (fmt == 0)
    for (guint i = 0; i < 4; i++)
      put (out, (stream_id >> (8 * i)) & 0xff, 1);
  if (ext)
    put (out, timestamp, 4);
}

static void
bytes (GByteArray *out, guint8 value, gsize count)
{
  for (gsize i = 0; i < count; i++)
    g_byte_array_append (out, &value, 1);
}

static void
set_chunk_size (GByteArray *out, guint32 size)
{
  header (out, 0, 2, 0, 4, TG_RTMP_SET_CHUNK_SIZE, 0, FALSE);
  put (out, size, 4);
}

static GPtrArray *
read_all (const GByteArray *in, gsize piece, GError **error)
{
  g_autoptr (GPtrArray) messages = messages_new ();
  g_autoptr (TgRtmpChunkReader) reader
      = tg_rtmp_chunk_reader_new (collect, messages);

  for (gsize pos = 0; pos < in->len; pos += piece)
    if (!tg_rtmp_chunk_reader_feed (reader, in->data + pos,
                                    MIN (piece, in->len - pos), error))
      return NULL;
  return g_steal_pointer (&messages);
}

static void
read_fails (const GByteArray *in, const char *message_part)
{
  /* Small pieces too, unless that takes long. */
  const gsize pieces[] = { G_MAXSIZE, 65537, 1, 7 };
  guint n = in->len < 100000 ? G_N_ELEMENTS (pieces) : 2;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GPtrArray) messages = read_all (in, pieces[i], &error);

      g_assert_null (messages);
      g_assert_error (error, TG_ERROR, TG_ERROR_INVALID);
      if (strstr (error->message, message_part) == NULL)
        g_error ("\"%s\" is not about \"%s\"", error->message, message_part);
    }
}

/* --- tests --- */

static void
test_round_trip (void)
{
  const gsize sizes[] = { 0, 1, 127, 128, 129, 4096, 5000, 70000 };
  const guint32 chunk_sizes[] = { 1, 128, 4096, 65536 };
  const guint32 csids[] = { 2, 3, 63, 64, 319, 320, 65599 };
  const guint32 timestamps[]
      = { 0, 40, 0xfffffe, 0xffffff, 0x1000000, 0xffffffff };
  g_autofree guint8 *data = g_malloc (70000);

  for (gsize i = 0; i < 70000; i++)
    data[i] = i * 7;
  for (guint c = 0; c < G_N_ELEMENTS (chunk_sizes); c++)
    {
      g_autoptr (GByteArray) in = g_byte_array_new ();
      g_autoptr (GArray) sent
          = g_array_new (FALSE, FALSE, sizeof (TgRtmpMessage));

      set_chunk_size (in, chunk_sizes[c]);
      for (guint i = 0; i < 40; i++)
        {
          TgRtmpMessage message = {
            csids[i % G_N_ELEMENTS (csids)],
            (i % 2) ? TG_RTMP_VIDEO : TG_RTMP_AUDIO,
            timestamps[i % G_N_ELEMENTS (timestamps)],
            i % 3 == 0 ? 0x01020304 : 1,
            data,
            sizes[i % G_N_ELEMENTS (sizes)],
          };

          if (chunk_sizes[c] == 1 && message.size > 5000)
            message.size = 300;
          tg_rtmp_chunk_write (in, chunk_sizes[c], &message);
          g_array_append_val (sent, message);
        }
      for (gsize piece = 1; piece <= 65536; piece *= 16)
        {
          g_autoptr (GError) error = NULL;
          g_autoptr (GPtrArray) got = read_all (in, piece, &error);

          g_assert_no_error (error);
          g_assert_cmpuint (got->len, ==, sent->len);
          for (guint i = 0; i < sent->len; i++)
            {
              TgRtmpMessage *want = &g_array_index (sent, TgRtmpMessage, i);
              Received *r = nth (got, i);

              g_assert_cmpuint (r->chunk_stream, ==, want->chunk_stream);
              g_assert_cmpuint (r->type, ==, want->type);
              g_assert_cmpuint (r->timestamp, ==, want->timestamp);
              g_assert_cmpuint (r->stream_id, ==, want->stream_id);
              g_assert_cmpmem (g_bytes_get_data (r->data, NULL),
                               g_bytes_get_size (r->data), want->data,
                               want->size);
            }
        }
    }
}

/* Known bytes of the writer: types 0 and 3, an extended timestamp on
 * every chunk, a 3-byte basic header. */
static void
test_writer_bytes (void)
{
  static const guint8 expected[]
      = { 0x01, 0x00, 0x01, 0xff, 0xff, 0xff, 0x00, 0x00, 0x03, 0x09,
          0x01, 0x00, 0x00, 0x00, 0x01, 0x02, 0x03, 0x04, 0xaa, 0xbb,
          0xc1, 0x00, 0x01, 0x01, 0x02, 0x03, 0x04, 0xcc };
  static const guint8 payload[] = { 0xaa, 0xbb, 0xcc };
  g_autoptr (GByteArray) out = g_byte_array_new ();
  TgRtmpMessage message
      = { 320, TG_RTMP_VIDEO, 0x01020304, 1, payload, sizeof payload };

  tg_rtmp_chunk_write (out, 2, &message);
  g_assert_cmpmem (out->data, out->len, expected, sizeof expected);
}

static void
test_header_types (void)
{
  g_autoptr (GByteArray) in = g_byte_array_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) got = NULL;
  const guint32 want[] = { 1000, 1040, 1060, 1080, 1080, 1080, 0, 0 };

  header (in, 0, 4, 1000, 3, TG_RTMP_VIDEO, 1, FALSE);
  bytes (in, 1, 3);
  header (in, 1, 4, 40, 2, TG_RTMP_AUDIO, 0, FALSE);
  bytes (in, 2, 2);
  header (in, 2, 4, 20, 0, 0, 0, FALSE);
  bytes (in, 3, 2);
  header (in, 3, 4, 0, 0, 0, 0, FALSE); /* delta 20 again */
  bytes (in, 4, 2);
  header (in, 0, 4, 1080, 1, TG_RTMP_DATA_AMF0, 1, FALSE);
  bytes (in, 5, 1);
  header (in, 3, 4, 0, 0, 0, 0, FALSE); /* after type 0: delta 0 */
  bytes (in, 6, 1);
  header (in, 0, 4, 0, 0, TG_RTMP_AUDIO, 1, FALSE); /* empty message */
  header (in, 3, 4, 0, 0, 0, 0, FALSE);
  got = read_all (in, 1, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (got->len, ==, 8);
  for (guint i = 0; i < G_N_ELEMENTS (want); i++)
    g_assert_cmpuint (nth (got, i)->timestamp, ==, want[i]);
  g_assert_cmpuint (nth (got, 1)->type, ==, TG_RTMP_AUDIO);
  g_assert_cmpuint (nth (got, 1)->stream_id, ==, 1);
  g_assert_cmpuint (nth (got, 3)->type, ==, TG_RTMP_AUDIO);
  g_assert_cmpuint (nth (got, 4)->type, ==, TG_RTMP_DATA_AMF0);
  g_assert_cmpuint (nth (got, 5)->type, ==, TG_RTMP_DATA_AMF0);
  g_assert_cmpuint (g_bytes_get_size (nth (got, 6)->data), ==, 0);
  g_assert_cmpuint (g_bytes_get_size (nth (got, 7)->data), ==, 0);
}

static void
test_extended_timestamps (void)
{
  g_autoptr (GByteArray) in = g_byte_array_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) got = NULL;

  /* Type 0 at exactly 0xffffff: extended, and on the continuation. */
  header (in, 0, 6, 0xffffff, 200, TG_RTMP_VIDEO, 1, TRUE);
  bytes (in, 1, 128);
  header (in, 3, 6, 0xffffff, 0, 0, 0, TRUE);
  bytes (in, 1, 72);
  /* Type 1 with an extended delta; a type 3 message repeats it. */
  header (in, 1, 6, 0x1000000, 10, TG_RTMP_VIDEO, 0, TRUE);
  bytes (in, 2, 10);
  header (in, 3, 6, 0x1000000, 0, 0, 0, TRUE);
  bytes (in, 3, 10);
  /* A small delta ends it: no more extended fields. */
  header (in, 2, 6, 5, 0, 0, 0, FALSE);
  bytes (in, 4, 10);
  header (in, 3, 6, 0, 0, 0, 0, FALSE);
  bytes (in, 5, 10);
  /* Wrapping past 2^32. */
  header (in, 0, 7, 0xfffffff0, 1, TG_RTMP_AUDIO, 1, TRUE);
  bytes (in, 6, 1);
  header (in, 2, 7, 0x20, 0, 0, 0, FALSE);
  bytes (in, 7, 1);
  got = read_all (in, 3, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (got->len, ==, 7);
  g_assert_cmpuint (nth (got, 0)->timestamp, ==, 0xffffff);
  g_assert_cmpuint (g_bytes_get_size (nth (got, 0)->data), ==, 200);
  g_assert_cmpuint (nth (got, 1)->timestamp, ==, 0x1ffffff);
  g_assert_cmpuint (nth (got, 2)->timestamp, ==, 0x2ffffff);
  g_assert_cmpuint (nth (got, 3)->timestamp, ==, 0x3000004);
  g_assert_cmpuint (nth (got, 4)->timestamp, ==, 0x3000009);
  g_assert_cmpuint (nth (got, 5)->timestamp, ==, 0xfffffff0);
  g_assert_cmpuint (nth (got, 6)->timestamp, ==, 0x10);
}

static void
test_interleaved_and_abort (void)
{
  g_autoptr (GByteArray) in = g_byte_array_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) got = NULL;

  header (in, 0, 4, 0, 200, TG_RTMP_VIDEO, 1, FALSE);
  bytes (in, 'v', 128);
  header (in, 0, 5, 0, 150, TG_RTMP_AUDIO, 1, FALSE);
  bytes (in, 'a', 128);
  header (in, 3, 4, 0, 0, 0, 0, FALSE);
  bytes (in, 'v', 72);
  /* Abort the audio; chunk stream 5 starts afresh. */
  header (in, 0, 2, 0, 4, TG_RTMP_ABORT, 0, FALSE);
  put (in, 5, 4);
  header (in, 0, 5, 0, 3, TG_RTMP_AUDIO, 1, FALSE);
  bytes (in, 'b', 3);
  /* Aborting a chunk stream with nothing unfinished does nothing. */
  header (in, 0, 2, 0, 4, TG_RTMP_ABORT, 0, FALSE);
  put (in, 60, 4);
  got = read_all (in, 5, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (got->len, ==, 2);
  g_assert_cmpuint (nth (got, 0)->type, ==, TG_RTMP_VIDEO);
  g_assert_cmpuint (g_bytes_get_size (nth (got, 0)->data), ==, 200);
  g_assert_cmpuint (nth (got, 1)->type, ==, TG_RTMP_AUDIO);
  g_assert_cmpuint (g_bytes_get_size (nth (got, 1)->data), ==, 3);
}

static gboolean
count_control (const TgRtmpMessage *message, gpointer user_data, GError **error)
{
  guint *count = user_data;

  g_assert_cmpuint (message->type, ==, TG_RTMP_SET_CHUNK_SIZE);
  g_assert_cmpuint (message->size, ==, 4);
  (*count)++;
  return TRUE;
}

static void
test_chunk_size_limits (void)
{
  const guint32 bad[] = { 0, 0x80000000, 0xffffffff, 65537 };
  const guint32 good[] = { 1, 65536 };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr (GByteArray) in = g_byte_array_new ();

      set_chunk_size (in, bad[i]);
      read_fails (in, "chunk size");
    }
  for (guint i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr (GByteArray) in = g_byte_array_new ();
      g_autoptr (GError) error = NULL;
      guint count = 0;
      g_autoptr (TgRtmpChunkReader) reader
          = tg_rtmp_chunk_reader_new (count_control, &count);

      set_chunk_size (in, good[i]);
      g_assert_true (
          tg_rtmp_chunk_reader_feed (reader, in->data, in->len, &error));
      g_assert_no_error (error);
      g_assert_cmpuint (tg_rtmp_chunk_reader_get_chunk_size (reader), ==,
                        good[i]);
      g_assert_cmpuint (count, ==, 1);
    }
  {
    g_autoptr (GByteArray) in = g_byte_array_new ();

    header (in, 0, 2, 0, 2, TG_RTMP_SET_CHUNK_SIZE, 0, FALSE);
    put (in, 0x1000, 2);
    read_fails (in, "control message");
  }
}

static void
test_limits (void)
{
  g_autoptr (GByteArray) big = g_byte_array_new ();
  g_autoptr (GByteArray) at_limit = g_byte_array_new ();
  g_autoptr (GByteArray) many = g_byte_array_new ();
  g_autoptr (GByteArray) buffered = g_byte_array_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) got = NULL;

  /* 100 MB does not fit 24 bits: the largest length that does, and
   * 4 MiB + 1. */
  header (big, 0, 4, 0, 0xffffff, TG_RTMP_VIDEO, 1, FALSE);
  read_fails (big, "message of 16777215 bytes");
  g_byte_array_set_size (big, 0);
  header (big, 0, 4, 0, TG_RTMP_MAX_MESSAGE_SIZE + 1, TG_RTMP_VIDEO, 1, FALSE);
  read_fails (big, "at most");

  set_chunk_size (at_limit, 65536);
  header (at_limit, 0, 4, 0, TG_RTMP_MAX_MESSAGE_SIZE, TG_RTMP_VIDEO, 1, FALSE);
  for (guint i = 0; i < TG_RTMP_MAX_MESSAGE_SIZE / 65536; i++)
    {
      if (i > 0)
        header (at_limit, 3, 4, 0, 0, 0, 0, FALSE);
      bytes (at_limit, i, 65536);
    }
  got = read_all (at_limit, 100000, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (got->len, ==, 1);
  g_assert_cmpuint (g_bytes_get_size (nth (got, 0)->data), ==,
                    TG_RTMP_MAX_MESSAGE_SIZE);

  /* 64 chunk streams (2 to 65) are fine, a 65th is not. */
  for (guint csid = 2; csid <= 66; csid++)
    {
      if (csid < 64)
        header (many, 0, csid, 0, 1, TG_RTMP_AUDIO, 1, FALSE);
      else
        {
          put (many, 0, 1);
          put (many, csid - 64, 1);
          put (many, 0, 3);
          put (many, 1, 3);
          put (many, TG_RTMP_AUDIO, 1);
          put (many, 0x01000000, 4);
        }
      bytes (many, 0, 1);
    }
  read_fails (many, "more than 64 chunk streams");

  /* Messages of 4 MiB that lack their last 64 KiB: four fit, a fifth
   * does not. */
  set_chunk_size (buffered, 65536);
  for (guint csid = 3; csid <= 7; csid++)
    {
      header (buffered, 0, csid, 0, TG_RTMP_MAX_MESSAGE_SIZE, TG_RTMP_VIDEO, 1,
              FALSE);
      bytes (buffered, 0, 65536);
      for (guint i = 1; i < TG_RTMP_MAX_MESSAGE_SIZE / 65536 - 1; i++)
        {
          header (buffered, 3, csid, 0, 0, 0, 0, FALSE);
          bytes (buffered, 0, 65536);
        }
    }
  read_fails (buffered, "unfinished messages");
}

static void
test_bad_headers (void)
{
  static const struct
  {
    guint fmt;
    const char *error;
  } unknown[] = { { 1, "type 1 on unknown" },
                  { 2, "type 2 on unknown" },
                  { 3, "type 3 on unknown" } };

  for (guint i = 0; i < G_N_ELEMENTS (unknown); i++)
    {
      g_autoptr (GByteArray) in = g_byte_array_new ();

      header (in, unknown[i].fmt, 9, 0, 1, TG_RTMP_AUDIO, 0, FALSE);
      bytes (in, 0, 1);
      read_fails (in, unknown[i].error);
    }
  {
    g_autoptr (GByteArray) in = g_byte_array_new ();

    /* A two-byte basic header naming chunk stream 64, type 3. */
    put (in, 0xc0, 1);
    put (in, 0, 1);
    read_fails (in, "type 3 on unknown chunk stream 64");
  }
  {
    g_autoptr (GByteArray) in = g_byte_array_new ();

    header (in, 0, 4, 0, 200, TG_RTMP_VIDEO, 1, FALSE);
    bytes (in, 0, 128);
    header (in, 1, 4, 0, 10, TG_RTMP_VIDEO, 0, FALSE);
    bytes (in, 0, 10);
    read_fails (in, "in the middle of a message");
  }
  {
    g_autoptr (GByteArray) in = g_byte_array_new ();

    /* The continuation's extended timestamp must repeat the header's. */
    header (in, 0, 4, 0x2000000, 200, TG_RTMP_VIDEO, 1, TRUE);
    bytes (in, 0, 128);
    header (in, 3, 4, 0x2000001, 0, 0, 0, TRUE);
    bytes (in, 0, 72);
    read_fails (in, "extended timestamp");
  }
  {
    g_autoptr (GByteArray) in = g_byte_array_new ();

    /* A sender that leaves the extended timestamp out of continuations:
     * its payload is read as the field. */
    header (in, 0, 4, 0x2000000, 200, TG_RTMP_VIDEO, 1, TRUE);
    bytes (in, 0, 128);
    header (in, 3, 4, 0, 0, 0, 0, FALSE);
    bytes (in, 0x17, 72);
    read_fails (in, "extended timestamp");
  }
  {
    g_autoptr (GByteArray) in = g_byte_array_new ();

    /* A chunk cut short, then the next message: its header is taken as
     * payload and what follows is garbage. */
    header (in, 0, 4, 0, 100, TG_RTMP_VIDEO, 1, FALSE);
    bytes (in, 0, 10);
    header (in, 0, 4, 0, 78, TG_RTMP_VIDEO, 1, FALSE);
    bytes (in, 0, 78);
    header (in, 3, 9, 0, 0, 0, 0, FALSE);
    bytes (in, 0, 10);
    read_fails (in, "unknown chunk stream 9");
  }
}

static gboolean
refuse (const TgRtmpMessage *message, gpointer user_data, GError **error)
{
  g_set_error (error, TG_ERROR, TG_ERROR_INVALID, "no thanks");
  return FALSE;
}

/* The callback's error stops the reader, for good. */
static void
test_callback_error (void)
{
  g_autoptr (GByteArray) in = g_byte_array_new ();
  g_autoptr (TgRtmpChunkReader) reader
      = tg_rtmp_chunk_reader_new (refuse, NULL);
  g_autoptr (GError) error = NULL;

  header (in, 0, 4, 0, 1, TG_RTMP_VIDEO, 1, FALSE);
  bytes (in, 0, 1);
  g_assert_false (
      tg_rtmp_chunk_reader_feed (reader, in->data, in->len, &error));
  g_assert_error (error, TG_ERROR, TG_ERROR_INVALID);
  g_assert_cmpstr (error->message, ==, "no thanks");
  g_clear_error (&error);
  g_assert_false (tg_rtmp_chunk_reader_feed (reader, in->data, 1, &error));
  g_assert_error (error, TG_ERROR, TG_ERROR_INVALID);
}

static void
test_random (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (2);
  guint8 data[1024];

  for (guint round = 0; round < 5000; round++)
    {
      g_autoptr (GPtrArray) messages = messages_new ();
      g_autoptr (TgRtmpChunkReader) reader
          = tg_rtmp_chunk_reader_new (collect, messages);
      g_autoptr (GError) error = NULL;
      gsize size = g_rand_int_range (rand, 0, sizeof data);
      gboolean ok;

      for (gsize i = 0; i < size; i++)
        data[i] = g_rand_int_range (rand, 0, 256);
      ok = tg_rtmp_chunk_reader_feed (reader, data, size, &error);
      g_assert_true (ok == (error == NULL));
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/rtmp-chunk/round-trip", test_round_trip);
  g_test_add_func ("/rtmp-chunk/writer-bytes", test_writer_bytes);
  g_test_add_func ("/rtmp-chunk/header-types", test_header_types);
  g_test_add_func ("/rtmp-chunk/extended-timestamps", test_extended_timestamps);
  g_test_add_func ("/rtmp-chunk/interleaved-and-abort",
                   test_interleaved_and_abort);
  g_test_add_func ("/rtmp-chunk/chunk-size-limits", test_chunk_size_limits);
  g_test_add_func ("/rtmp-chunk/limits", test_limits);
  g_test_add_func ("/rtmp-chunk/bad-headers", test_bad_headers);
  g_test_add_func ("/rtmp-chunk/callback-error", test_callback_error);
  g_test_add_func ("/rtmp-chunk/random", test_random);
  return g_test_run ();
}
