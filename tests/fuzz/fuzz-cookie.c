/* libFuzzer target: the Cookie header of a request for a stream file
 * (tg_playback_cookie_session, tg-playback.h), and in it the session keys
 * (tg_playback_key_verify). The input is the header's value (a NUL ends
 * it), read for stream s1 of LiveApp at epoch 3, at NOW, under a secret of
 * 32 bytes 0x07. The seeds hold keys issued under that secret
 * (make-key-seeds.py), so that the fuzzer starts from accepted sessions.
 * A session found is one the header names, and no key is ever accepted for
 * another secret, app, stream or epoch, nor once expired. */
#include "tg-playback.h"
#include "tg-secret.h"

#include "fuzz-common.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define APP "LiveApp"
#define STREAM "s1"
#define EPOCH 3
#define NOW G_GINT64_CONSTANT (1800000000)

static GBytes *
secret_of (guint8 fill)
{
  guint8 bytes[TG_SECRET_SIZE];

  memset (bytes, fill, sizeof bytes);
  return tg_secret_new (bytes, sizeof bytes, NULL);
}

static void
assert_refused (GBytes *secret, const char *header, const char *app,
                const char *stream, gint64 now, gint64 epoch)
{
  g_autofree char *session
      = tg_playback_cookie_session (secret, header, app, stream, now, epoch);

  g_assert_null (session);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static GBytes *secret, *other;
  g_autofree char *header = g_strndup ((const char *) data, size);
  g_autofree char *session = NULL, *named = NULL;

  if (secret == NULL)
    {
      secret = secret_of (7);
      other = secret_of (8);
    }
  session
      = tg_playback_cookie_session (secret, header, APP, STREAM, NOW, EPOCH);
  /* Only a MAC of the server's own makes a key: whatever the header holds,
   * it is no key of another secret, app, stream or epoch. */
  assert_refused (other, header, APP, STREAM, NOW, EPOCH);
  assert_refused (secret, header, "WebRTCAppEE", STREAM, NOW, EPOCH);
  assert_refused (secret, header, APP, "s2", NOW, EPOCH);
  assert_refused (secret, header, APP, STREAM, NOW, EPOCH + 1);
  assert_refused (secret, header, APP, STREAM, G_MAXINT64, EPOCH);
  if (session == NULL)
    return 0;
  /* A session id of base64url, from a cookie of that stream's name. */
  g_assert_cmpuint (strlen (session), >=, 1);
  g_assert_cmpuint (strlen (session), <=, 64);
  for (const char *c = session; *c; c++)
    g_assert_true (g_ascii_isalnum (*c) || *c == '-' || *c == '_');
  named
      = g_strconcat (TG_PLAYBACK_COOKIE_PREFIX STREAM "=", session, ".", NULL);
  g_assert_nonnull (strstr (header, named));
  return 0;
}
