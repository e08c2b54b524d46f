#include "tg-front.h"

#include "tg-cors.h"
#include "tg-path.h"
#include "tg-rest.h"

/* Streams and pages; REST. */
#define READ_METHODS "GET, HEAD, OPTIONS"
#define REST_METHODS "GET, POST, PUT, DELETE, OPTIONS"

/* /{app}, for a known app, goes to /{app}/ with the query as it came: 302
 * with a relative Location, as Tomcat redirects a context root. */
static gboolean
redirect_app_root (TgServer *server, SoupServerMessage *msg, const char *path)
{
  g_auto (GStrv) segments = NULL;
  const char *query;
  g_autofree char *location = NULL;

  if (path[0] != '/' || strchr (path + 1, '/') != NULL)
    return FALSE;
  segments = tg_path_split (path);
  if (segments == NULL || segments[0] == NULL
      || !tg_apps_has (server->apps, segments[0]))
    return FALSE;
  /* App names need no escaping (tg-config.c); the query stays raw. */
  query = g_uri_get_query (soup_server_message_get_uri (msg));
  location = g_strconcat ("/", segments[0], "/", query ? "?" : "",
                          query ? query : "", NULL);
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Location", location);
  soup_server_message_set_status (msg, SOUP_STATUS_FOUND, NULL);
  soup_server_message_set_response (msg, NULL, SOUP_MEMORY_STATIC, NULL, 0);
  return TRUE;
}

/* Whether the client may call app's REST API (tg-rest.c refuses it
 * otherwise, and so is a preflight refused). */
static gboolean
rest_open_to (TgServer *server, SoupServerMessage *msg, const char *app)
{
  g_autoptr (TgSettings) settings = tg_apps_get_settings (server->apps, app);
  GSocketAddress *remote = soup_server_message_get_remote_address (msg);

  return settings && G_IS_INET_SOCKET_ADDRESS (remote)
         && tg_settings_allows_address (settings,
                                        g_inet_socket_address_get_address (
                                            G_INET_SOCKET_ADDRESS (remote)));
}

/* The methods of the route a preflight asks about, or NULL to let the
 * routes answer it as any OPTIONS: 404 for an unknown app, 403 for REST
 * from an address it is closed to. */
static const char *
preflight_methods (TgServer *server, SoupServerMessage *msg, const char *path)
{
  g_auto (GStrv) s = tg_path_split (path);
  guint n = s ? g_strv_length (s) : 0;

  if (n == 5 && g_str_equal (s[0], "rest") && g_str_equal (s[1], "v2")
      && g_str_equal (s[2], "applications") && g_str_equal (s[3], "settings"))
    return rest_open_to (server, msg, s[4]) ? REST_METHODS : NULL;
  if (n == 0 || !tg_apps_has (server->apps, s[0]))
    return NULL;
  if (n >= 2 && g_str_equal (s[1], "rest"))
    return rest_open_to (server, msg, s[0]) ? REST_METHODS : NULL;
  return READ_METHODS;
}

void
tg_front_handle (SoupServer *soup, SoupServerMessage *msg, const char *path,
                 GHashTable *query, gpointer user_data)
{
  TgServer *server = user_data;
  const char *methods;

  if (redirect_app_root (server, msg, path))
    return;
  if (tg_cors_is_preflight (msg)
      && (methods = preflight_methods (server, msg, path)) != NULL)
    {
      tg_cors_answer_preflight (msg, methods);
      return;
    }
  tg_rest_handle (soup, msg, path, query, user_data);
}
