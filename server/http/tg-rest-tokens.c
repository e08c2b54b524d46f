/* One-time tokens over REST (PROTOCOL.md 2.1, 2.2). */
#include "tg-fields.h"
#include "tg-store-watch.h"
#include "tg-playback.h"
#include "tg-reply.h"
#include "tg-rest-batch.h"
#include "tg-rest.h"

#define DEFINE_MESSAGE                                                         \
  "Define Stream ID, Token Type and Expire Date (unix time)"
#define TYPE_MESSAGE                                                           \
  "Invalid token type. Supported types are 'play' and 'publish'"
/* An expireDate past this is milliseconds, not seconds (year 5138). */
#define MAX_EXPIRE_SECONDS G_GINT64_CONSTANT (100000000000)

static JsonNode *
token_to_json (const TgToken *token)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "tokenId");
  json_builder_add_string_value (builder, token->token_id);
  json_builder_set_member_name (builder, "streamId");
  json_builder_add_string_value (builder, token->stream_id);
  json_builder_set_member_name (builder, "expireDate");
  json_builder_add_int_value (builder, token->expire_date);
  json_builder_set_member_name (builder, "type");
  json_builder_add_string_value (builder,
                                 tg_token_type_to_string (token->type));
  json_builder_set_member_name (builder, "roomId");
  if (token->room_id)
    json_builder_add_string_value (builder, token->room_id);
  else
    json_builder_add_null_value (builder);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

/* expireDate as unix seconds, or FALSE with the message to send. */
static gboolean
parse_expire (const char *text, gint64 *expire, const char **message)
{
  guint64 value = 0;

  if (text == NULL
      || !g_ascii_string_to_unsigned (text, 10, 1, G_MAXINT64, &value, NULL))
    {
      *message = DEFINE_MESSAGE;
      return FALSE;
    }
  if (value > (guint64) MAX_EXPIRE_SECONDS)
    {
      *message = "expireDate looks like milliseconds: give it in unix seconds";
      return FALSE;
    }
  if ((gint64) value <= g_get_real_time () / G_USEC_PER_SEC)
    {
      *message = "expireDate must be in the future (unix seconds)";
      return FALSE;
    }
  *expire = (gint64) value;
  return TRUE;
}

/* The parameters of a mint request, or FALSE with the 400 reply set. */
static gboolean
parse_mint (TgRequest *request, TgTokenType *type, gint64 *expire,
            const char **room_id)
{
  const char *type_text = tg_request_param (request, "type");
  const char *expire_text = tg_request_param (request, "expireDate");
  const char *message = NULL;

  *room_id = tg_request_param (request, "roomId");
  if (*room_id && **room_id == '\0')
    *room_id = NULL;
  if (type_text == NULL || expire_text == NULL)
    message = DEFINE_MESSAGE;
  else if (!tg_token_type_from_string (type_text, type))
    message = TYPE_MESSAGE;
  else if (!tg_stream_id_is_valid (request->args[0]))
    message = "Stream id is not valid.";
  else if (*room_id && !tg_stream_id_is_valid (*room_id))
    message = "roomId is not valid.";
  if (message == NULL && parse_expire (expire_text, expire, &message))
    return TRUE;
  tg_reply_result (request->msg, SOUP_STATUS_BAD_REQUEST, FALSE, message);
  return FALSE;
}

/* A mint or a consume, run with the worker's other store writes
 * (tg-rest-batch.h): what it asks, and what came of it. */
typedef struct
{
  char *app, *token_id, *stream_id, *room_id;
  TgTokenType type;
  gint64 expire;
  TgToken *token;    /* minted, or NULL and error set */
  TgVerdict verdict; /* of a consume */
  GError *error;
  TgMetrics *metrics; /* the server's: a mint is counted */
} Job;

static Job *
job_new (const char *app, const char *stream_id, const char *room_id,
         TgTokenType type)
{
  Job *job = g_new0 (Job, 1);

  job->app = g_strdup (app);
  job->stream_id = g_strdup (stream_id);
  job->room_id = g_strdup (room_id);
  job->type = type;
  return job;
}

static void
job_free (gpointer data)
{
  Job *job = data;

  g_free (job->app);
  g_free (job->token_id);
  g_free (job->stream_id);
  g_free (job->room_id);
  g_clear_pointer (&job->token, tg_token_free);
  g_clear_error (&job->error);
  g_free (job);
}

static void
mint_run (TgStore *store, gpointer data)
{
  Job *mint = data;

  mint->token = tg_store_mint (store, mint->app, mint->stream_id, mint->type,
                               mint->expire, mint->room_id, &mint->error);
}

static void
mint_reply (SoupServerMessage *msg, gpointer data, const GError *batch_error)
{
  Job *mint = data;
  g_autoptr (JsonNode) node = NULL;

  if (batch_error || mint->token == NULL)
    {
      tg_reply_error (msg, batch_error ? batch_error : mint->error);
      return;
    }
  tg_metrics_count_mint (mint->metrics, mint->app, mint->type, FALSE);
  node = token_to_json (mint->token);
  tg_reply_json (msg, SOUP_STATUS_OK, node);
}

void
tg_rest_token_mint (TgRequest *request)
{
  const char *room_id;
  TgTokenType type;
  gint64 expire = 0;
  Job *mint;

  if (!parse_mint (request, &type, &expire, &room_id))
    return;
  mint = job_new (request->app, request->args[0], room_id, type);
  mint->expire = expire;
  mint->metrics = request->server->metrics;
  tg_rest_batch_add (request->server, request->msg, mint_run, mint_reply, mint,
                     job_free);
}

/* A token whose id is a JWT signed with the app's jwtStreamSecretKey; it is
 * not stored: the signature is what makes it valid. */
void
tg_rest_token_mint_jwt (TgRequest *request)
{
  const char *secret = request->settings->jwt_stream_secret_key;
  g_autoptr (JsonBuilder) claims = json_builder_new ();
  g_autoptr (JsonNode) claims_node = NULL;
  g_autoptr (JsonNode) node = NULL;
  g_autoptr (TgToken) token = NULL;
  g_autofree char *claims_text = NULL;
  g_autofree char *jwt = NULL;
  const char *room_id;
  TgTokenType type;
  gint64 expire = 0;

  if (!parse_mint (request, &type, &expire, &room_id))
    return;
  if (secret == NULL || strlen (secret) < TG_JWT_MIN_SECRET)
    {
      tg_reply_result (request->msg, SOUP_STATUS_BAD_REQUEST, FALSE,
                       "jwtStreamSecretKey must be set to at least 32 "
                       "characters to mint JWT tokens");
      return;
    }
  json_builder_begin_object (claims);
  json_builder_set_member_name (claims, "streamId");
  json_builder_add_string_value (claims, request->args[0]);
  json_builder_set_member_name (claims, "type");
  json_builder_add_string_value (claims, tg_token_type_to_string (type));
  json_builder_set_member_name (claims, "exp");
  json_builder_add_int_value (claims, expire);
  json_builder_end_object (claims);
  claims_node = json_builder_get_root (claims);
  claims_text = json_to_string (claims_node, FALSE);
  jwt = tg_jwt_sign (claims_text, secret);
  token = tg_token_new (request->app, jwt, request->args[0], expire, type,
                        room_id);
  tg_metrics_count_mint (request->server->metrics, request->app, type, TRUE);
  node = token_to_json (token);
  tg_reply_json (request->msg, SOUP_STATUS_OK, node);
}

static const TgField token_fields[]
    = { { "tokenId", TG_FIELD_STRING, TRUE },
        { "streamId", TG_FIELD_STRING, FALSE },
        { "type", TG_FIELD_STRING, TRUE },
        { "roomId", TG_FIELD_STRING, FALSE },
        { "expireDate", TG_FIELD_INT, FALSE }, /* the client's copy; not read */
        { NULL } };

static void
consume_run (TgStore *store, gpointer data)
{
  Job *consume = data;

  consume->verdict = tg_store_consume (store, consume->app, consume->token_id,
                                       consume->stream_id, consume->type,
                                       consume->room_id, &consume->error);
}

static void
consume_reply (SoupServerMessage *msg, gpointer data, const GError *batch_error)
{
  Job *consume = data;
  g_autofree char *tag = NULL;

  if (batch_error || consume->verdict == TG_VERDICT_STORE_ERROR)
    {
      /* Not committed: the token, if it was consumed, is still there. */
      tg_reply_error (msg, batch_error ? batch_error : consume->error);
      return;
    }
  tag = tg_token_hash (consume->token_id);
  g_info ("%s token %s for %s/%s: %s", tg_token_type_to_string (consume->type),
          tag, consume->app,
          consume->stream_id ? consume->stream_id : consume->room_id,
          tg_verdict_to_string (consume->verdict));
  tg_reply_result (msg, SOUP_STATUS_OK, consume->verdict == TG_VERDICT_OK,
                   NULL);
}

void
tg_rest_token_validate (TgRequest *request)
{
  SoupMessageBody *body = soup_server_message_get_request_body (request->msg);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) object = NULL;
  const char *stream_id, *room_id;
  TgTokenType type;
  Job *consume;

  object = tg_fields_parse_object (body->data, body->length, &error);
  if (object == NULL || !tg_fields_check (object, token_fields, &error))
    {
      tg_reply_refusal (request->msg, error);
      return;
    }
  stream_id = tg_fields_string (object, "streamId");
  room_id = tg_fields_string (object, "roomId");
  if (!tg_token_type_from_string (tg_fields_string (object, "type"), &type))
    {
      tg_reply_result (request->msg, SOUP_STATUS_OK, FALSE, TYPE_MESSAGE);
      return;
    }
  if (stream_id == NULL && room_id == NULL)
    {
      tg_reply_result (request->msg, SOUP_STATUS_OK, FALSE,
                       "streamId: missing");
      return;
    }
  consume = job_new (request->app, stream_id, room_id, type);
  consume->token_id = g_strdup (tg_fields_string (object, "tokenId"));
  tg_rest_batch_add (request->server, request->msg, consume_run, consume_reply,
                     consume, job_free);
}

void
tg_rest_token_revoke (TgRequest *request)
{
  g_autoptr (GError) error = NULL;
  const char *sessions = tg_request_param (request, "sessions");
  gint64 revoked;

  if (sessions && !g_str_equal (sessions, "true")
      && !g_str_equal (sessions, "false"))
    {
      tg_reply_result (request->msg, SOUP_STATUS_BAD_REQUEST, FALSE,
                       "sessions must be true or false");
      return;
    }
  revoked = tg_store_revoke_stream (request->server->store, request->app,
                                    request->args[0], &error);
  /* Revoking a stream's tokens ends its playback sessions too. */
  if (revoked < 0
      || !tg_playback_revoke (request->server, request->app, request->args[0],
                              &error))
    {
      tg_reply_error (request->msg, error);
      return;
    }
  g_info ("Revoked %" G_GINT64_FORMAT " tokens and the playback sessions of "
          "%s/%s",
          revoked, request->app, request->args[0]);
  /* ?sessions=true: every session of the stream ends too, at every door,
   * its publisher's included. */
  if (g_strcmp0 (sessions, "true") == 0
      && tg_rest_sessions_end_all (request, -1, &error) == G_MAXUINT)
    {
      tg_reply_error (request->msg, error);
      return;
    }
  tg_reply_result (request->msg, SOUP_STATUS_OK, TRUE, NULL);
}

void
tg_rest_token_list (TgRequest *request)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) tokens = NULL;
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_ARRAY);
  JsonArray *array = json_array_new ();
  guint offset, size;

  json_node_take_array (node, array);
  if (!tg_rest_parse_page (request, request->args[1], request->args[2], &offset,
                           &size))
    return;
  tokens = tg_store_list_tokens (request->server->store, request->app,
                                 request->args[0], offset, size, &error);
  if (tokens == NULL)
    {
      tg_reply_error (request->msg, error);
      return;
    }
  for (guint i = 0; i < tokens->len; i++)
    json_array_add_element (array, token_to_json (tokens->pdata[i]));
  tg_reply_json (request->msg, SOUP_STATUS_OK, node);
}
