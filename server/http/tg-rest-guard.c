/* Closed as /metrics is: see tg-rest-guard.h. */
#include "tg-rest-guard.h"

#include "tg-reply.h"
#include "tg-settings.h"

static gboolean
every_app_allows (TgServer *server, SoupServerMessage *msg)
{
  GSocketAddress *remote = soup_server_message_get_remote_address (msg);
  GInetAddress *address;

  if (!G_IS_INET_SOCKET_ADDRESS (remote))
    return FALSE;
  address = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (remote));
  for (guint i = 0; server->config->apps[i]; i++)
    {
      g_autoptr (TgSettings) settings
          = tg_apps_get_settings (server->apps, server->config->apps[i]);

      if (settings == NULL || !tg_settings_allows_address (settings, address))
        return FALSE;
    }
  return TRUE;
}

gboolean
tg_rest_open_to_all (TgServer *server, SoupServerMessage *msg,
                     const char *refusal)
{
  if (!tg_reply_only_get (msg))
    return FALSE;
  if (!every_app_allows (server, msg))
    {
      tg_reply_result (msg, SOUP_STATUS_FORBIDDEN, FALSE, refusal);
      return FALSE;
    }
  return TRUE;
}
