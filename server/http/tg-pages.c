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
  g_autofree char *path = g_strconcat ("/tollgate/pages/", resource, NULL);

  if (tg_reply_only_get (msg))
    tg_reply_built_in (msg, tg_pages_get_resource (), path, type);
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
