/* Tokens as values: names, ids, the refusal rule shared by backends. */
#include "tgstore-private.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

GQuark
tg_error_quark (void)
{
  return g_quark_from_static_string ("tg-error-quark");
}

const char *
tg_token_type_to_string (TgTokenType type)
{
  return type == TG_TOKEN_TYPE_PUBLISH ? "publish" : "play";
}

gboolean
tg_token_type_from_string (const char *str, TgTokenType *type)
{
  if (g_strcmp0 (str, "publish") == 0)
    *type = TG_TOKEN_TYPE_PUBLISH;
  else if (g_strcmp0 (str, "play") == 0)
    *type = TG_TOKEN_TYPE_PLAY;
  else
    return FALSE;
  return TRUE;
}

const char *
tg_verdict_to_string (TgVerdict verdict)
{
  switch (verdict)
    {
    case TG_VERDICT_OK:
      return "ok";
    case TG_VERDICT_UNKNOWN:
      return "unknown-or-spent";
    case TG_VERDICT_EXPIRED:
      return "expired";
    case TG_VERDICT_WRONG_TYPE:
      return "wrong-type";
    case TG_VERDICT_WRONG_STREAM:
      return "wrong-stream";
    case TG_VERDICT_WRONG_ROOM:
      return "wrong-room";
    case TG_VERDICT_STORE_ERROR:
      return "store-error";
    case TG_VERDICT_BAD_JWT:
      return "bad-jwt";
    }
  return "unknown-verdict";
}

#define TOKEN_ID_CHARS 32 /* 32 base-62 digits: 190 bits */

char *
tg_token_id_new (GError **error)
{
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                 "abcdefghijklmnopqrstuvwxyz0123456789";
  char *id = g_malloc (TOKEN_ID_CHARS + 1);
  guint n = 0;

  G_STATIC_ASSERT (TOKEN_ID_CHARS * 595 / 100 >= TG_TOKEN_ID_BITS);
  while (n < TOKEN_ID_CHARS)
    {
      guchar bytes[48];

      if (RAND_bytes (bytes, sizeof bytes) != 1)
        {
          g_free (id);
          g_set_error (error, TG_ERROR, TG_ERROR_FAILED,
                       "The random number generator failed");
          return NULL;
        }
      /* Rejection sampling keeps every character equally likely. */
      for (guint i = 0; i < sizeof bytes && n < TOKEN_ID_CHARS; i++)
        if (bytes[i] < 248)
          id[n++] = alphabet[bytes[i] % 62];
    }
  id[n] = '\0';
  return id;
}

char *
tg_token_hash (const char *token_id)
{
  guchar digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;

  if (token_id == NULL)
    return g_strdup ("(none)");
  EVP_Digest (token_id, strlen (token_id), digest, &len, EVP_sha256 (), NULL);
  return g_strdup_printf ("#%02x%02x%02x%02x", digest[0], digest[1], digest[2],
                          digest[3]);
}

TgToken *
tg_token_new (const char *app, const char *token_id, const char *stream_id,
              gint64 expire_date, TgTokenType type, const char *room_id)
{
  TgToken *token = g_new0 (TgToken, 1);

  token->app = g_strdup (app);
  token->token_id = g_strdup (token_id);
  token->stream_id = g_strdup (stream_id);
  token->expire_date = expire_date;
  token->type = type;
  token->room_id = g_strdup (room_id);
  return token;
}

TgToken *
tg_token_copy (const TgToken *token)
{
  return tg_token_new (token->app, token->token_id, token->stream_id,
                       token->expire_date, token->type, token->room_id);
}

void
tg_token_free (TgToken *token)
{
  if (token == NULL)
    return;
  g_free (token->app);
  g_free (token->token_id);
  g_free (token->stream_id);
  g_free (token->room_id);
  g_free (token);
}

TgVerdict
tg_token_judge (const TgToken *stored, const char *stream_id, TgTokenType type,
                const char *room_id, gint64 now)
{
  if (stored->type != type)
    return TG_VERDICT_WRONG_TYPE;
  if (now >= stored->expire_date)
    return TG_VERDICT_EXPIRED;
  if (room_id != NULL)
    return g_strcmp0 (stored->room_id, room_id) == 0 ? TG_VERDICT_OK
                                                     : TG_VERDICT_WRONG_ROOM;
  if (g_strcmp0 (stored->stream_id, stream_id) != 0)
    return TG_VERDICT_WRONG_STREAM;
  return TG_VERDICT_OK;
}
