/* GET /metrics: the server's metrics in Prometheus' text format
 * (tg-metrics.h), closed as the REST API is: a client is served only from
 * an address every app's settings allow to call the REST API (by default,
 * loopback alone), since the metrics speak of every app. */
#include "tg-live.h"
#include "tg-metrics.h"
#include "tg-rest.h"
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
      TgSettings *settings
          = tg_apps_get_settings (server->apps, server->config->apps[i]);
      gboolean allowed
          = settings && tg_settings_allows_address (settings, address);

      if (settings)
        tg_settings_unref (settings);
      if (!allowed)
        return FALSE;
    }
  return TRUE;
}

/* Gauges are read as the metrics are asked for. */
static void
count_publications (const char *door, guint count, gpointer data)
{
  g_autofree char *label = g_ascii_strdown (door, -1);

  tg_metrics_set (data, "tollgate_live_publications",
                  "Streams being published now, by door.", count, "door", label,
                  NULL);
}

void
tg_rest_metrics (TgServer *server, SoupServerMessage *msg)
{
  const char *method = soup_server_message_get_method (msg);
  char *text;

  if (!g_str_equal (method, "GET") && !g_str_equal (method, "HEAD"))
    {
      soup_message_headers_replace (
          soup_server_message_get_response_headers (msg), "Allow", "GET, HEAD");
      tg_reply_result (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, FALSE,
                       "Method not allowed");
      return;
    }
  if (!every_app_allows (server, msg))
    {
      tg_reply_result (msg, SOUP_STATUS_FORBIDDEN, FALSE,
                       "Not allowed to read the metrics from this address");
      return;
    }
  tg_metrics_zero (server->metrics, "tollgate_live_publications");
  tg_live_count_by_door (server->live, count_publications, server->metrics);
  text = tg_metrics_render (server->metrics);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "text/plain; version=0.0.4",
                                    SOUP_MEMORY_TAKE, text, strlen (text));
}
