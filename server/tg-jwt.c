#include "tg-jwt.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

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

  HMAC (EVP_sha256 (), secret, (int) strlen (secret),
        (const guchar *) signing_input, strlen (signing_input), mac,
        &mac_length);
  signature = base64url (mac, mac_length);
  return g_strconcat (signing_input, ".", signature, NULL);
}
