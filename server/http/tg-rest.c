#include "tg-rest.h"

#include "tg-console.h"
#include "tg-http-streams.h"
#include "tg-pages.h"
#include "tg-path.h"
#include "tg-reply.h"

typedef struct
{
  const char *method;
  const char *pattern; /* segments after the prefix; '*' matches one */
  TgRouteFunc func;
} TgRoute;

/* Under /{app}/rest/v2/broadcasts/; literal segments before '*'. */
static const TgRoute broadcast_routes[]
    = { { "POST", "create", tg_rest_broadcast_create },
        { "GET", "list/*/*", tg_rest_broadcast_list },
        { "GET", "count", tg_rest_broadcast_count },
        { "GET", "active-live-stream-count", tg_rest_broadcast_active_count },
        { "POST", "validate-token", tg_rest_token_validate },
        { "GET", "*/token", tg_rest_token_mint },
        { "GET", "*/jwt-token", tg_rest_token_mint_jwt },
        { "DELETE", "*/tokens", tg_rest_token_revoke },
        { "GET", "*/tokens/list/*/*", tg_rest_token_list },
        { "POST", "*/stop", tg_rest_broadcast_stop },
        { "GET", "*/sessions", tg_rest_sessions_list },
        { "DELETE", "*/sessions", tg_rest_sessions_end_every },
        { "DELETE", "*/sessions/*", tg_rest_sessions_end },
        { "GET", "*/thumbnail", tg_rest_broadcast_thumbnail },
        { "GET", "*", tg_rest_broadcast_get },
        { "PUT", "*", tg_rest_broadcast_update },
        { "DELETE", "*", tg_rest_broadcast_delete },
        { NULL } };

/* Under /rest/v2/applications/settings/; the '*' is the app. */
static const TgRoute settings_routes[]
    = { { "GET", "*", tg_rest_settings_get },
        { "POST", "*", tg_rest_settings_set },
        { NULL } };

gboolean
tg_rest_parse_page (TgRequest *request, const char *offset_text,
                    const char *size_text, guint *offset, guint *size)
{
  guint64 o = 0, s = 0;

  if (!g_ascii_string_to_unsigned (offset_text, 10, 0, G_MAXINT32, &o, NULL)
      || !g_ascii_string_to_unsigned (size_text, 10, 0, G_MAXINT32, &s, NULL))
    {
      tg_reply_result (request->msg, SOUP_STATUS_BAD_REQUEST, FALSE,
                       "offset and size must be whole numbers");
      return FALSE;
    }
  *offset = o;
  *size = MIN (s, TG_REST_LIST_MAX);
  return TRUE;
}

const char *
tg_request_param (TgRequest *request, const char *name)
{
  return request->query ? g_hash_table_lookup (request->query, name) : NULL;
}

/* Matches segments against a route pattern; fills args with the '*'s. */
static gboolean
route_matches (const char *pattern, char **segments, GPtrArray *args)
{
  g_auto (GStrv) parts = g_strsplit (pattern, "/", -1);
  guint i;

  g_ptr_array_set_size (args, 0);
  for (i = 0; parts[i]; i++)
    {
      if (segments[i] == NULL || *segments[i] == '\0')
        return FALSE;
      if (g_str_equal (parts[i], "*"))
        g_ptr_array_add (args, segments[i]);
      else if (!g_str_equal (parts[i], segments[i]))
        return FALSE;
    }
  return segments[i] == NULL;
}

static void
dispatch (TgRequest *request, const TgRoute *routes, char **segments)
{
  const char *method = soup_server_message_get_method (request->msg);
  g_autoptr (GPtrArray) args = g_ptr_array_new ();
  g_autoptr (GString) allow = g_string_new (NULL);
  gboolean path_known = FALSE;

  for (const TgRoute *route = routes; route->method; route++)
    {
      if (!route_matches (route->pattern, segments, args))
        continue;
      path_known = TRUE;
      /* once each (no method's name is in another's) */
      if (!strstr (allow->str, route->method))
        g_string_append_printf (allow, "%s%s", allow->len ? ", " : "",
                                route->method);
      if (!g_str_equal (route->method, method))
        continue;
      g_ptr_array_add (args, NULL);
      request->args = (char **) args->pdata;
      route->func (request);
      return;
    }
  if (path_known)
    tg_reply_not_allowed (request->msg, allow->str);
  else
    tg_reply_result (request->msg, SOUP_STATUS_NOT_FOUND, FALSE,
                     "No such resource");
}

static gboolean
client_allowed (SoupServerMessage *msg, TgSettings *settings)
{
  GSocketAddress *remote = soup_server_message_get_remote_address (msg);

  if (!G_IS_INET_SOCKET_ADDRESS (remote))
    return FALSE;
  return tg_settings_allows_address (
      settings,
      g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (remote)));
}

/* Everything under one app's REST API: the app must exist, the client must
 * be allowed, then the route decides. */
static void
handle_app (TgServer *server, SoupServerMessage *msg, const char *app,
            GHashTable *query, const TgRoute *routes, char **segments)
{
  TgRequest request = { server, msg, app, NULL, NULL, query };

  request.settings = tg_apps_get_settings (server->apps, app);
  if (request.settings == NULL)
    {
      tg_reply_result (msg, SOUP_STATUS_NOT_FOUND, FALSE,
                       "Application not found");
      return;
    }
  if (!client_allowed (msg, request.settings))
    {
      GSocketAddress *remote = soup_server_message_get_remote_address (msg);
      g_autofree char *who
          = G_IS_INET_SOCKET_ADDRESS (remote)
                ? g_inet_address_to_string (g_inet_socket_address_get_address (
                    G_INET_SOCKET_ADDRESS (remote)))
                : g_strdup ("?");

      g_info ("REST call to %s from %s refused: not in remoteAllowedCIDR", app,
              who);
      tg_reply_result (msg, SOUP_STATUS_FORBIDDEN, FALSE,
                       "Not allowed to call the REST API from this address");
    }
  else
    dispatch (&request, routes, segments);
  tg_settings_unref (request.settings);
}

static void
handle_health (TgServer *server, SoupServerMessage *msg)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) node = NULL;
  gboolean ready = g_atomic_int_get (&server->ready);
  if (!tg_reply_only_get (msg))
    return;
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "status");
  json_builder_add_string_value (builder, ready ? "ok" : "starting");
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);
  tg_reply_json (msg, ready ? SOUP_STATUS_OK : SOUP_STATUS_SERVICE_UNAVAILABLE,
                 node);
}

/* /rest/v2/{name} */
static gboolean
is_rest_v2 (char **segments, guint n, const char *name)
{
  return n == 3 && g_str_equal (segments[0], "rest")
         && g_str_equal (segments[1], "v2") && g_str_equal (segments[2], name);
}

void
tg_rest_handle (SoupServer *soup, SoupServerMessage *msg, const char *path,
                GHashTable *unused, gpointer user_data)
{
  TgServer *server = user_data;
  g_auto (GStrv) segments = tg_path_split (path);
  g_autoptr (GHashTable) query = NULL;
  g_autoptr (GError) error = NULL;
  guint n;

  if (segments == NULL)
    {
      tg_reply_result (msg, SOUP_STATUS_BAD_REQUEST, FALSE,
                       "Path is not validly percent-encoded");
      return;
    }
  query = tg_query_parse (g_uri_get_query (soup_server_message_get_uri (msg)),
                          &error);
  if (query == NULL)
    {
      tg_reply_result (msg, SOUP_STATUS_BAD_REQUEST, FALSE,
                       "Query is not validly percent-encoded");
      return;
    }
  n = g_strv_length (segments);
  if (n < 2 || !g_str_equal (segments[1], "streams"))
    {
      /* Only files answer Range. libsoup 3.2.3 would apply it to any
       * response body and, past the end, hit a critical. */
      soup_message_headers_remove (
          soup_server_message_get_request_headers (msg), "Range");
    }
  if (n == 1 && g_str_equal (segments[0], "healthz"))
    handle_health (server, msg);
  else if (n == 1 && g_str_equal (segments[0], "metrics"))
    tg_rest_metrics (server, msg);
  else if (n >= 1 && g_str_equal (segments[0], "console"))
    tg_console_handle (server, msg, segments + 1);
  else if (is_rest_v2 (segments, n, "applications"))
    tg_rest_applications (server, msg);
  else if (is_rest_v2 (segments, n, "server"))
    tg_rest_server_info (server, msg);
  else if (is_rest_v2 (segments, n, "token-decisions"))
    tg_rest_token_decisions (server, msg);
  else if (n == 2 && g_str_equal (segments[0], "rest")
           && g_str_equal (segments[1], "openapi.json"))
    tg_pages_serve (msg, "openapi.json", "application/json");
  else if (n == 5 && g_str_equal (segments[0], "rest")
           && g_str_equal (segments[1], "v2")
           && g_str_equal (segments[2], "applications")
           && g_str_equal (segments[3], "settings"))
    handle_app (server, msg, segments[4], query, settings_routes, segments + 4);
  else if (n >= 4 && g_str_equal (segments[1], "rest")
           && g_str_equal (segments[2], "v2")
           && g_str_equal (segments[3], "broadcasts"))
    handle_app (server, msg, segments[0], query, broadcast_routes,
                segments + 4);
  else if (n >= 1 && !tg_apps_has (server->apps, segments[0]))
    tg_reply_result (msg, SOUP_STATUS_NOT_FOUND, FALSE,
                     "Application not found");
  else if (n >= 2 && g_str_equal (segments[1], "streams"))
    tg_http_streams_handle (server, msg, segments[0], segments + 2, query);
  else if (n == 2 && g_str_equal (segments[1], "websocket"))
    return; /* no status: libsoup takes it as a WebSocket handshake */
  else if (n == 2 && tg_pages_handle (msg, segments[1]))
    return;
  else
    tg_reply_result (msg, SOUP_STATUS_NOT_FOUND, FALSE, "No such resource");
}
