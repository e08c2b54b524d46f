#include "tg-reply.h"

#include "tollgate.h"

guint
tg_error_http_status (const GError *error)
{
  if (error == NULL || error->domain != TG_ERROR)
    return SOUP_STATUS_INTERNAL_SERVER_ERROR;
  switch ((TgError) error->code)
    {
    case TG_ERROR_INVALID:
    case TG_ERROR_EXISTS:
      return SOUP_STATUS_BAD_REQUEST;
    case TG_ERROR_NOT_FOUND:
      return SOUP_STATUS_NOT_FOUND;
    case TG_ERROR_FORBIDDEN:
      return SOUP_STATUS_FORBIDDEN;
    case TG_ERROR_STORE:
      /* The store is out of reach (Redis down): the request may succeed
       * later, and nothing was done. */
      return SOUP_STATUS_SERVICE_UNAVAILABLE;
    case TG_ERROR_FAILED:
      return SOUP_STATUS_INTERNAL_SERVER_ERROR;
    }
  return SOUP_STATUS_INTERNAL_SERVER_ERROR;
}

void
tg_reply_json (SoupServerMessage *msg, guint status, JsonNode *node)
{
  gsize length = 0;
  char *text = json_to_string (node, FALSE);

  length = strlen (text);
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE,
                                    text, length);
}

void
tg_reply_result_with_id (SoupServerMessage *msg, guint status, gboolean success,
                         const char *message, const char *data_id)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) node = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "success");
  json_builder_add_boolean_value (builder, success);
  json_builder_set_member_name (builder, "message");
  if (message)
    json_builder_add_string_value (builder, message);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "dataId");
  if (data_id)
    json_builder_add_string_value (builder, data_id);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "errorId");
  json_builder_add_int_value (builder, 0);
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);
  tg_reply_json (msg, status, node);
}

void
tg_reply_result (SoupServerMessage *msg, guint status, gboolean success,
                 const char *message)
{
  tg_reply_result_with_id (msg, status, success, message, NULL);
}

void
tg_reply_error (SoupServerMessage *msg, const GError *error)
{
  guint status = tg_error_http_status (error);

  if (status >= 500)
    g_message ("Request failed: %s", error ? error->message : "(unknown)");
  /* A store out of reach is said as such: the client may try again. */
  tg_reply_result (msg, status, FALSE,
                   status == SOUP_STATUS_SERVICE_UNAVAILABLE
                       ? "The store is out of reach"
                   : status >= 500 ? "Internal server error"
                                   : error->message);
}

void
tg_reply_refusal (SoupServerMessage *msg, const GError *error)
{
  if (tg_error_http_status (error) >= 500)
    tg_reply_error (msg, error);
  else
    tg_reply_result (msg, SOUP_STATUS_OK, FALSE, error->message);
}

void
tg_reply_empty (SoupServerMessage *msg, guint status)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, NULL, SOUP_MEMORY_STATIC, NULL, 0);
}

gboolean
tg_reply_only_get (SoupServerMessage *msg)
{
  const char *method = soup_server_message_get_method (msg);

  if (g_str_equal (method, "GET") || g_str_equal (method, "HEAD"))
    return TRUE;
  tg_reply_not_allowed (msg, "GET, HEAD");
  return FALSE;
}

void
tg_reply_not_allowed (SoupServerMessage *msg, const char *allow)
{
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Allow", allow);
  tg_reply_result (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, FALSE,
                   "Method not allowed");
}

void
tg_reply_built_in (SoupServerMessage *msg, GResource *resource,
                   const char *path, const char *type)
{
  g_autoptr (GBytes) body = g_resource_lookup_data (
      resource, path, G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);

  g_assert (body != NULL); /* built in */
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Cache-Control", "no-cache");
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, type, SOUP_MEMORY_COPY,
                                    g_bytes_get_data (body, NULL),
                                    g_bytes_get_size (body));
}
