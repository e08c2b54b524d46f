/* The server side of RTMP publishing against bad input: broken chunks,
 * commands out of order or malformed, and random bytes. Always an error,
 * never a crash or media, and the session dead for good after it. */
#include "rtmp-session-test.h"

#include <string.h>

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

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/rtmp-session/bad-input", test_bad_input);
  g_test_add_func ("/rtmp-session/random-input", test_random_input);
  return g_test_run ();
}
