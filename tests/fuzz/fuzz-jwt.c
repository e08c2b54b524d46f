/* libFuzzer target: JSON Web Tokens as clients present them (tg_jwt_verify,
 * tollgate.h; plugins/tgjwt.c is built into this fuzzer, with coverage).
 * An input that begins with '{' is a claims set, signed here with the
 * app's key as Ant Media's /jwt-token signs it (tg_jwt_sign), if it is
 * strict JSON; any other is a token as a client sends it (a NUL ends it),
 * the seeds signed with that key (make-key-seeds.py). Each is verified for
 * stream1, play, at NOW.
 *
 * A token the app's key signed is refused as a bad JWT only for what it
 * claims (no integer exp), and one that passes its signature check passes
 * it with no other key, with no character of its header, claims or
 * signature changed, and names HS256; then its verdict is the one its
 * claims earn (expired, wrong type, wrong stream). */
#include "tg-fields.h"
#include "tollgate.h"

#include "fuzz-common.h"

#include <json-glib/json-glib.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define SECRET "fuzz-jwt-stream-secret-key-0123456789"
#define OTHER_SECRET "fuzz-jwt-stream-secret-key-0123456780"
#define STREAM "stream1"
#define NOW G_GINT64_CONSTANT (1767225600)
#define MAX_JWT 4096 /* as tgjwt.c */

static const char base64url_chars[]
    = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static TgVerdict
verify (const char *jwt, const char *secret, const char *stream,
        TgTokenType type, gint64 now)
{
  return tg_jwt_verify (jwt, secret, stream, type, now);
}

/* jwt with its character at i changed to another base64url one, in its
 * first bit or its last: refused, even where the last bit is one base64url
 * leaves unused (the signature's last character: a token has one
 * spelling). */
static void
assert_changed_refused (const char *jwt, gsize i)
{
  const char *at = strchr (base64url_chars, jwt[i]);

  g_assert_nonnull (at);
  for (int bit = 1; bit <= 32; bit *= 32)
    {
      g_autofree char *bad = g_strdup (jwt);

      bad[i] = base64url_chars[(at - base64url_chars) ^ bit];
      g_assert_cmpint (verify (bad, SECRET, STREAM, TG_TOKEN_TYPE_PLAY, NOW),
                       ==, TG_VERDICT_BAD_JWT);
    }
}

/* The header's JSON, decoded (a part of base64url that checked out). */
static char *
header_of (const char *jwt)
{
  g_autoptr (GString) text = g_string_new_len (jwt, strcspn (jwt, "."));
  g_autofree guchar *bytes = NULL;
  gsize size = 0;

  g_strdelimit (text->str, "-", '+');
  g_strdelimit (text->str, "_", '/');
  while (text->len % 4)
    g_string_append_c (text, '=');
  bytes = g_base64_decode (text->str, &size);
  return g_strndup ((const char *) bytes, size);
}

/* What a token whose signature checks out must hold to. */
static void
check_signed (const char *jwt, TgVerdict verdict)
{
  const char *dot1 = strchr (jwt, '.');
  const char *dot2 = strrchr (jwt, '.');
  gsize length = strlen (jwt);
  gsize positions[] = { 0,
                        (gsize) (dot1 - jwt) - 1,
                        (gsize) (dot1 - jwt) + 1,
                        (gsize) (dot2 - jwt) - 1,
                        (gsize) (dot2 - jwt) + 1,
                        length - 1 };
  g_autofree char *header = NULL;

  g_assert_cmpuint (length, <=, MAX_JWT);
  g_assert_nonnull (dot1);
  g_assert_true (dot2 > dot1);
  g_assert_cmpint (verify (jwt, OTHER_SECRET, STREAM, TG_TOKEN_TYPE_PLAY, NOW),
                   ==, TG_VERDICT_BAD_JWT);
  /* A key one character shorter than TG_JWT_MIN_SECRET. */
  g_assert_cmpint (verify (jwt, "0123456789abcdef0123456789abcde", STREAM,
                           TG_TOKEN_TYPE_PLAY, NOW),
                   ==, TG_VERDICT_BAD_JWT);
  for (guint i = 0; i < G_N_ELEMENTS (positions); i++)
    if (positions[i] < length && jwt[positions[i]] != '.')
      assert_changed_refused (jwt, positions[i]);
  header = header_of (jwt);
  g_assert_nonnull (strstr (header, "HS256"));

  /* The claims alone decide the rest, in this order. */
  g_assert_cmpint (verify (jwt, SECRET, STREAM, TG_TOKEN_TYPE_PLAY, G_MAXINT64),
                   ==, TG_VERDICT_EXPIRED);
  if (verdict == TG_VERDICT_EXPIRED)
    return;
  if (verdict == TG_VERDICT_WRONG_TYPE)
    {
      TgVerdict publish
          = verify (jwt, SECRET, STREAM, TG_TOKEN_TYPE_PUBLISH, NOW);

      g_assert_true (publish != TG_VERDICT_BAD_JWT
                     && publish != TG_VERDICT_EXPIRED);
    }
  if (verdict == TG_VERDICT_OK)
    {
      g_assert_cmpint (verify (jwt, SECRET, STREAM, TG_TOKEN_TYPE_PUBLISH, NOW),
                       ==, TG_VERDICT_WRONG_TYPE);
      g_assert_cmpint (verify (jwt, SECRET, "stream2", TG_TOKEN_TYPE_PLAY, NOW),
                       ==, TG_VERDICT_WRONG_STREAM);
    }
}

/* Whether claims is a JSON object with an integer exp (what a JWT must
 * claim). */
static gboolean
has_integer_exp (JsonObject *claims)
{
  JsonNode *exp = json_object_get_member (claims, "exp");

  return exp && JSON_NODE_HOLDS_VALUE (exp)
         && json_node_get_value_type (exp) == G_TYPE_INT64;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *input = g_strndup ((const char *) data, size);
  g_autoptr (JsonObject) claims = NULL;
  g_autofree char *jwt = NULL;
  TgVerdict verdict;

  if (input[0] == '{')
    {
      /* Claims the app's key signs are strict JSON (what the server's own
       * reading, tg_fields_parse_object, takes): json-glib 1.6 leaks on
       * some of the rest, which is why tgjwt.c parses nothing unsigned. */
      claims = tg_fields_parse_object (input, strlen (input), NULL);
      if (claims == NULL)
        return 0;
      jwt = tg_jwt_sign (input, SECRET);
    }
  else
    jwt = g_strdup (input);
  verdict = verify (jwt, SECRET, STREAM, TG_TOKEN_TYPE_PLAY, NOW);
  if (claims && strlen (jwt) <= MAX_JWT)
    g_assert_true ((verdict == TG_VERDICT_BAD_JWT) != has_integer_exp (claims));
  if (verdict == TG_VERDICT_BAD_JWT)
    return 0;
  g_assert_true (verdict == TG_VERDICT_OK || verdict == TG_VERDICT_EXPIRED
                 || verdict == TG_VERDICT_WRONG_TYPE
                 || verdict == TG_VERDICT_WRONG_STREAM);
  check_signed (jwt, verdict);
  return 0;
}
