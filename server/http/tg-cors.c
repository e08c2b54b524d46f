#include "tg-cors.h"

/* Tomcat's CorsFilter default (cors.preflight.maxage), in seconds. */
#define MAX_AGE "1800"
/* Ant Media's cors.allowed.headers, and Range for players. */
#define ALLOWED_HEADERS                                                        \
  "Accept, Authorization, Content-Type, Origin, Range, X-Requested-With"
/* What a player reading media across origins needs to see, and a WHIP or
 * WHEP client (its session's Location). */
#define EXPOSED_HEADERS                                                        \
  "Accept-Ranges, Content-Length, Content-Range, Location, Link, Accept-Post"

/* Whether origin is one http(s) origin, safe to send back (as Ant Media,
 * which echoes only origins starting with "http"). */
static gboolean
origin_is_http (const char *origin)
{
  if (!g_str_has_prefix (origin, "http://")
      && !g_str_has_prefix (origin, "https://"))
    return FALSE;
  for (const char *c = origin; *c; c++)
    if (!g_ascii_isgraph (*c) || *c == ',')
      return FALSE;
  return TRUE;
}

/* Whether text is a list of header names, safe to send back. */
static gboolean
is_name_list (const char *text)
{
  for (const char *c = text; *c; c++)
    if (!g_ascii_isalnum (*c) && !strchr ("-_, \t", *c))
      return FALSE;
  return text[strspn (text, ", \t")] != '\0';
}

void
tg_cors_add_headers (SoupServerMessage *msg)
{
  SoupMessageHeaders *response = soup_server_message_get_response_headers (msg);
  const char *origin = soup_message_headers_get_one (
      soup_server_message_get_request_headers (msg), "Origin");

  if (origin && origin_is_http (origin))
    {
      soup_message_headers_replace (response, "Access-Control-Allow-Origin",
                                    origin);
      soup_message_headers_replace (response,
                                    "Access-Control-Allow-Credentials", "true");
    }
  else
    soup_message_headers_replace (response, "Access-Control-Allow-Origin", "*");
  soup_message_headers_append (response, "Vary", "Origin");
  soup_message_headers_replace (response, "Access-Control-Expose-Headers",
                                EXPOSED_HEADERS);
}

gboolean
tg_cors_is_preflight (SoupServerMessage *msg)
{
  SoupMessageHeaders *request = soup_server_message_get_request_headers (msg);

  return g_str_equal (soup_server_message_get_method (msg), SOUP_METHOD_OPTIONS)
         && soup_message_headers_get_one (request, "Origin")
         && soup_message_headers_get_one (request,
                                          "Access-Control-Request-Method");
}

static gboolean
method_listed (const char *methods, const char *method)
{
  g_auto (GStrv) listed = g_strsplit (methods, ", ", -1);

  return g_strv_contains ((const char *const *) listed, method);
}

void
tg_cors_answer_preflight (SoupServerMessage *msg, const char *methods)
{
  SoupMessageHeaders *request = soup_server_message_get_request_headers (msg);
  SoupMessageHeaders *response = soup_server_message_get_response_headers (msg);
  g_autofree char *method = g_strstrip (g_strdup (
      soup_message_headers_get_one (request, "Access-Control-Request-Method")));
  const char *asked = soup_message_headers_get_one (
      request, "Access-Control-Request-Headers");
  static const char refusal[] = "Method not allowed here";

  soup_message_headers_append (
      response, "Vary",
      "Access-Control-Request-Method, Access-Control-Request-Headers");
  if (!method_listed (methods, method))
    {
      soup_server_message_set_status (msg, SOUP_STATUS_FORBIDDEN, NULL);
      soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_STATIC,
                                        refusal, strlen (refusal));
      return;
    }
  soup_message_headers_replace (response, "Access-Control-Allow-Methods",
                                methods);
  soup_message_headers_replace (
      response, "Access-Control-Allow-Headers",
      asked && is_name_list (asked) ? asked : ALLOWED_HEADERS);
  soup_message_headers_replace (response, "Access-Control-Max-Age", MAX_AGE);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, NULL, SOUP_MEMORY_STATIC, NULL, 0);
}
