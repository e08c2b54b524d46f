/* JSON Web Tokens, HS256 only: what Ant Media's JWT stream security hands
 * out from /{id}/jwt-token, and what every door accepts with it on. */
#include "tollgate.h"

#include <json-glib/json-glib.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

/* Longest JWT looked at: Ant Media's are about 180 characters. */
#define MAX_JWT 4096

static char *
base64url (const guchar *data, gsize length)
{
  char *text = g_base64_encode (data, length);
  char *out = text;

  for (char *c = text; *c; c++)
    {
      if (*c == '=')
        break;
      *out++ = *c == '+' ? '-' : *c == '/' ? '_' : *c;
    }
  *out = '\0';
  return text;
}

/* The bytes of an unpadded base64url part, or NULL if it is not one. */
static guchar *
base64url_decode (const char *part, gsize length, gsize *size)
{
  g_autofree char *text = g_malloc (length + 4);
  gsize n = 0;

  for (gsize i = 0; i < length; i++)
    {
      char c = part[i];

      if (!g_ascii_isalnum (c) && c != '-' && c != '_')
        return NULL;
      text[n++] = c == '-' ? '+' : c == '_' ? '/' : c;
    }
  if (n % 4 == 1)
    return NULL;
  while (n % 4)
    text[n++] = '=';
  text[n] = '\0';
  return g_base64_decode (text, size);
}

static void
hs256 (const char *secret, const char *input, gsize length,
       guchar mac[EVP_MAX_MD_SIZE], unsigned int *mac_length)
{
  HMAC (EVP_sha256 (), secret, (int) strlen (secret), (const guchar *) input,
        length, mac, mac_length);
}

char *
tg_jwt_sign (const char *claims_json, const char *secret)
{
  static const char header[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
  g_autofree char *head = base64url ((const guchar *) header, strlen (header));
  g_autofree char *body
      = base64url ((const guchar *) claims_json, strlen (claims_json));
  g_autofree char *signing_input = g_strconcat (head, ".", body, NULL);
  guchar mac[EVP_MAX_MD_SIZE];
  unsigned int mac_length = 0;
  g_autofree char *signature = NULL;

  hs256 (secret, signing_input, strlen (signing_input), mac, &mac_length);
  signature = base64url (mac, mac_length);
  return g_strconcat (signing_input, ".", signature, NULL);
}

/* A base64url part holding a JSON object, or NULL. */
static JsonObject *
json_part (const char *part, gsize length)
{
  gsize size = 0;
  g_autofree guchar *bytes = base64url_decode (part, length, &size);
  g_autoptr (JsonParser) parser = NULL;
  JsonNode *root;

  if (bytes == NULL || size == 0 || memchr (bytes, '\0', size))
    return NULL;
  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, (const char *) bytes, (gssize) size,
                                   NULL))
    return NULL;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  return json_object_ref (json_node_get_object (root));
}

static const char *
string_member (JsonObject *object, const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

/* Whether the header names HS256; any other algorithm, "none" included,
 * is refused whatever the signature. */
static gboolean
header_is_hs256 (const char *part, gsize length)
{
  g_autoptr (JsonObject) header = json_part (part, length);

  return header && g_strcmp0 (string_member (header, "alg"), "HS256") == 0;
}

/* The signature part is compared as text with the MAC's one spelling in
 * unpadded base64url: its last character's unused bits are not ignored,
 * so a token has one spelling only. */
static gboolean
signature_matches (const char *jwt, gsize signed_length, const char *part,
                   const char *secret)
{
  guchar mac[EVP_MAX_MD_SIZE];
  unsigned int mac_length = 0;
  g_autofree char *expected = NULL;
  gsize length = strlen (part);

  hs256 (secret, jwt, signed_length, mac, &mac_length);
  expected = base64url (mac, mac_length);
  return length == strlen (expected)
         && CRYPTO_memcmp (part, expected, length) == 0;
}

TgVerdict
tg_jwt_verify (const char *jwt, const char *secret, const char *stream_id,
               TgTokenType type, gint64 now)
{
  const char *dot1, *dot2;
  g_autoptr (JsonObject) claims = NULL;
  JsonNode *exp;

  if (jwt == NULL || secret == NULL || strlen (secret) < TG_JWT_MIN_SECRET
      || strnlen (jwt, MAX_JWT + 1) > MAX_JWT)
    return TG_VERDICT_BAD_JWT;
  dot1 = strchr (jwt, '.');
  dot2 = dot1 ? strchr (dot1 + 1, '.') : NULL;
  /* The signature first: no JSON is parsed that the app's key did not
   * sign (json-glib 1.6 leaks on some, tg-fields.c says which). */
  if (dot2 == NULL || strchr (dot2 + 1, '.')
      || !signature_matches (jwt, (gsize) (dot2 - jwt), dot2 + 1, secret)
      || !header_is_hs256 (jwt, (gsize) (dot1 - jwt)))
    return TG_VERDICT_BAD_JWT;
  /* Signed with the app's key: the claims are the app's own words. */
  claims = json_part (dot1 + 1, (gsize) (dot2 - dot1 - 1));
  if (claims == NULL)
    return TG_VERDICT_BAD_JWT;
  exp = json_object_get_member (claims, "exp");
  if (exp == NULL || !JSON_NODE_HOLDS_VALUE (exp)
      || json_node_get_value_type (exp) != G_TYPE_INT64)
    return TG_VERDICT_BAD_JWT;
  if (now >= json_node_get_int (exp))
    return TG_VERDICT_EXPIRED;
  if (g_strcmp0 (string_member (claims, "type"), tg_token_type_to_string (type))
      != 0)
    return TG_VERDICT_WRONG_TYPE;
  if (g_strcmp0 (string_member (claims, "streamId"), stream_id) != 0)
    return TG_VERDICT_WRONG_STREAM;
  return TG_VERDICT_OK;
}
