/* The web console's files: see tg-console.h. */
#include "tg-console.h"

#include "tg-console-resources.h"
#include "tg-reply.h"
#include "tg-rest-guard.h"

/* The page loads its own files and nothing else; images are the
 * thumbnails (same origin) and data: URLs. */
#define CSP "default-src 'self'; img-src 'self' data: blob:"

static const struct
{
  const char *name; /* under /console/ */
  const char *type;
} files[] = {
  { "index.html", "text/html; charset=utf-8" },
  { "console.js", "text/javascript; charset=utf-8" },
  { "console.css", "text/css; charset=utf-8" },
  { "uplot.js", "text/javascript; charset=utf-8" },
  { "uplot.css", "text/css; charset=utf-8" },
};

static void
serve (SoupServerMessage *msg, const char *name, const char *type)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  g_autofree char *path = g_strconcat ("/tollgate/console/", name, NULL);

  soup_message_headers_replace (headers, "Content-Security-Policy", CSP);
  soup_message_headers_replace (headers, "X-Content-Type-Options", "nosniff");
  tg_reply_built_in (msg, tg_console_get_resource (), path, type);
}

void
tg_console_handle (TgServer *server, SoupServerMessage *msg, char **rest)
{
  const char *name;

  if (!tg_rest_open_to_all (
          server, msg, "Not allowed to open the console from this address"))
    return;
  if (rest[0] == NULL)
    {
      soup_message_headers_replace (
          soup_server_message_get_response_headers (msg), "Location",
          "/console/");
      tg_reply_empty (msg, SOUP_STATUS_MOVED_PERMANENTLY);
      return;
    }
  name = *rest[0] ? rest[0] : "index.html";
  if (rest[1] == NULL)
    for (guint i = 0; i < G_N_ELEMENTS (files); i++)
      if (g_str_equal (files[i].name, name))
        {
          serve (msg, files[i].name, files[i].type);
          return;
        }
  tg_reply_result (msg, SOUP_STATUS_NOT_FOUND, FALSE, "No such resource");
}
