/* libFuzzer target: RTMP input. The bytes go, after a valid handshake, to
 * a session (chunk reader, commands, publish names, data messages) that
 * accepts its publish, or refuses it when the input's length is odd: once
 * whole and once in small pieces, which must end the same way. They also
 * go to the AMF0 decoder, whose output must encode and decode again. */
#include "tg-amf0.h"
#include "tg-rtmp-session.h"
#include "tollgate.h"

#include "fuzz-common.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

typedef struct
{
  TgRtmpSession *session;
  gboolean refuse;
  gboolean accepted;
  guint publishes, unpublishes, media;
  guint8 checksum; /* of every byte handed out, so ASan sees them read */
} Peer;

static void
touch (Peer *peer, const guint8 *data, gsize size)
{
  for (gsize i = 0; i < size; i++)
    peer->checksum ^= data[i];
}

static void
on_send (gpointer user_data, const guint8 *data, gsize size)
{
  touch (user_data, data, size);
}

static void
on_publish (gpointer user_data, const char *app, const char *stream_id,
            const char *token)
{
  Peer *peer = user_data;

  g_assert_true (*app && *stream_id && (token == NULL || *token));
  touch (peer, (const guint8 *) app, strlen (app));
  touch (peer, (const guint8 *) stream_id, strlen (stream_id));
  peer->publishes++;
  if (peer->refuse)
    tg_rtmp_session_refuse (peer->session);
  else
    {
      tg_rtmp_session_accept (peer->session);
      peer->accepted = TRUE;
    }
}

static void
on_media (gpointer user_data, guint8 type, guint32 timestamp,
          const guint8 *data, gsize size)
{
  Peer *peer = user_data;

  g_assert_true (type == 8 || type == 9 || type == 18);
  g_assert_true (peer->accepted);
  touch (peer, data, size);
  peer->media++;
}

static void
on_unpublish (gpointer user_data)
{
  Peer *peer = user_data;

  peer->unpublishes++;
  g_assert_cmpuint (peer->unpublishes, <=, peer->publishes);
  peer->accepted = FALSE;
}

static const TgRtmpCallbacks callbacks
    = { on_send, on_publish, on_media, on_unpublish };

/* Feeds the handshake, then data in pieces of up to piece bytes (0: all at
 * once); returns whether the session took it all. */
static gboolean
run_session (Peer *peer, const uint8_t *data, size_t size, gsize piece)
{
  static guint8 handshake[1 + 2 * 1536] = { 3 };
  g_autoptr (GError) error = NULL;
  gboolean ok;

  peer->session = tg_rtmp_session_new (&callbacks, peer);
  ok = tg_rtmp_session_feed (peer->session, handshake, sizeof handshake,
                             &error);
  g_assert_no_error (error);
  for (gsize pos = 0; ok && pos < size; pos += piece ? piece : size)
    {
      gsize count = piece ? MIN (piece, size - pos) : size;

      ok = tg_rtmp_session_feed (peer->session, data + pos, count, &error);
      g_assert_true (ok == (error == NULL));
    }
  if (!ok)
    g_assert_error (error, TG_ERROR, TG_ERROR_INVALID);
  tg_rtmp_session_free (peer->session);
  return ok;
}

static void
check_session (const uint8_t *data, size_t size)
{
  Peer whole = { .refuse = size % 2 == 1 };
  Peer pieces = { .refuse = size % 2 == 1 };
  gboolean whole_ok = run_session (&whole, data, size, 0);
  gboolean pieces_ok = run_session (&pieces, data, size, size % 7 + 1);

  /* The split must not matter: the same verdict and callbacks. */
  g_assert_cmpint (whole_ok, ==, pieces_ok);
  g_assert_cmpuint (whole.publishes, ==, pieces.publishes);
  g_assert_cmpuint (whole.unpublishes, ==, pieces.unpublishes);
  g_assert_cmpuint (whole.media, ==, pieces.media);
}

static GByteArray *
encode_all (GPtrArray *values)
{
  GByteArray *out = g_byte_array_new ();

  for (guint i = 0; i < values->len; i++)
    tg_amf0_encode (out, values->pdata[i]);
  return out;
}

static void
check_amf0 (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) values = tg_amf0_decode_all (data, size, &error);
  g_autoptr (GPtrArray) again = NULL;
  g_autoptr (GByteArray) first = NULL, second = NULL;

  if (values == NULL)
    {
      g_assert_error (error, TG_ERROR, TG_ERROR_INVALID);
      return;
    }
  /* Encoding normalizes (booleans, ECMA counts); once is enough. */
  first = encode_all (values);
  again = tg_amf0_decode_all (first->data, first->len, &error);
  g_assert_no_error (error);
  second = encode_all (again);
  g_assert_cmpmem (first->data, first->len, second->data, second->len);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  check_session (data, size);
  check_amf0 (data, size);
  return 0;
}
