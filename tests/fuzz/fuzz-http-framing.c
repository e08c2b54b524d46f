/* libFuzzer target: the framing of a connection's bytes (tg-http-framing.h)
 * fed in pieces, as reads would bring them, and taken in pieces, as
 * libsoup would. What is taken is always a prefix of what was added; a
 * refusal is final; after a head that asks for an upgrade, the answer is a
 * 101 or a 400 (the input's first byte says which). */
#include "tg-http-framing.h"

#include "fuzz-common.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static const char upgraded[] = "HTTP/1.1 101 Switching Protocols\r\n";
  static const char refused[] = "HTTP/1.1 400 Bad Request\r\n";
  TgHttpFraming framing;
  GByteArray *taken;
  guint8 seed, buffer[4096];
  gsize added = 0;

  if (size < 1)
    return 0;
  taken = g_byte_array_new ();
  seed = data[0];
  data++, size--;
  tg_http_framing_init (&framing, 1);
  while (added < size)
    {
      /* Pieces of 1 to 64 bytes, from the seed and what is added. */
      gsize piece = MIN (size - added, 1 + (seed ^ data[added]) % 64);

      tg_http_framing_add (&framing, data + added, piece);
      added += piece;
      while (tg_http_framing_advance (&framing, 2) || framing.ready)
        {
          gsize n = tg_http_framing_take (&framing, buffer,
                                          1 + (seed + added) % sizeof buffer);

          g_byte_array_append (taken, buffer, n);
          if (framing.phase == TG_HTTP_UPGRADING)
            {
              const char *answer = seed & 1 ? upgraded : refused;

              tg_http_framing_answer (&framing, (const guint8 *) answer,
                                      strlen (answer));
              g_assert_true (framing.phase
                             == (seed & 1 ? TG_HTTP_UPGRADED : TG_HTTP_HEAD));
            }
        }
      g_assert_cmpuint (framing.ready, <=, framing.in->len);
      if (framing.status)
        {
          g_assert_nonnull (framing.reason);
          g_assert_true (framing.status >= 400 && framing.status < 600);
          /* Final: nothing more comes ready. */
          tg_http_framing_add (&framing, (const guint8 *) "x", 1);
          g_assert_false (tg_http_framing_advance (&framing, 3));
          g_assert_cmpuint (framing.ready, ==, 0);
          break;
        }
    }
  /* What was taken is what came, in order. */
  g_assert_cmpuint (taken->len, <=, size);
  g_assert_true (taken->len == 0
                 || memcmp (taken->data, data, taken->len) == 0);
  if (framing.phase == TG_HTTP_UPGRADED)
    g_assert_cmpuint (taken->len + framing.in->len, ==, size);
  g_byte_array_unref (taken);
  tg_http_framing_clear (&framing);
  return 0;
}
