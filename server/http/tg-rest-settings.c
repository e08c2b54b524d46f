/* Application settings over REST (PROTOCOL.md 2.4). */
#include "tg-fields.h"
#include "tg-reply.h"
#include "tg-rest.h"

void
tg_rest_settings_get (TgRequest *request)
{
  g_autoptr (JsonNode) node = tg_settings_to_json (request->settings);

  tg_reply_json (request->msg, SOUP_STATUS_OK, node);
}

void
tg_rest_settings_set (TgRequest *request)
{
  SoupMessageBody *body = soup_server_message_get_request_body (request->msg);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) object
      = tg_fields_parse_object (body->data, body->length, &error);

  if (object == NULL
      || !tg_apps_update_settings (request->server->apps, request->app, object,
                                   &error))
    {
      tg_reply_refusal (request->msg, error);
      return;
    }
  g_info ("Settings of %s changed", request->app);
  tg_reply_result (request->msg, SOUP_STATUS_OK, TRUE, NULL);
}
