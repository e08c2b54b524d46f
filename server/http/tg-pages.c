#include "tg-pages.h"

#include "tg-pages-resources.h"
#include "tg-reply.h"

static const struct
{
  const char *name;     /* in the URL, under /{app}/ */
  const char *resource; /* under /tollgate/pages/ */
  const char *type;
} pages[] = {
  { "", "publish.html", "text/html; charset=utf-8" },
  { "index.html", "publish.html", "text/html; charset=utf-8" },
  { "play.html", "play.html", "text/html; charset=utf-8" },
  { "signalling.js", "signalling.js", "text/javascript; charset=utf-8" },
  { "hls.js", "hls.js", "text/javascript; charset=utf-8" },
  { "dash.js", "dash.js", "text/javascript; charset=utf-8" },
  { "pages.css", "pages.css", "text/css; charset=utf-8" },
};

void
tg_pages_serve (SoupServerMessage *msg, const char *resource, const char *type)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  g_autofree char *path = g_strconcat ("/tollgate/pages/", resource, NULL);
  g_autoptr (GBytes) body = NULL;

  if (!tg_reply_only_get (msg))
    return;
  body = g_resource_lookup_data (tg_pages_get_resource (), path,
                                 G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
  g_assert (body != NULL); /* built in */
  soup_message_headers_replace (headers, "Cache-Control", "no-cache");
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, type, SOUP_MEMORY_COPY,
                                    g_bytes_get_data (body, NULL),
                                    g_bytes_get_size (body));
}

gboolean
tg_pages_handle (SoupServerMessage *msg, const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (pages); i++)
    if (g_str_equal (pages[i].name, name))
      {
        tg_pages_serve (msg, pages[i].resource, pages[i].type);
        return TRUE;
      }
  return FALSE;
}
