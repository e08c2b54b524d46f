#include "tg-path.h"

#define MAX_SEGMENTS 64

char **
tg_path_split (const char *path)
{
  g_auto (GStrv) raw
      = g_strsplit (path[0] == '/' ? path + 1 : path, "/", MAX_SEGMENTS);
  guint n = g_strv_length (raw);
  g_auto (GStrv) segments = g_new0 (char *, n + 1);

  for (guint i = 0; i < n; i++)
    {
      segments[i] = g_uri_unescape_string (raw[i], "/");
      if (segments[i] == NULL)
        return NULL;
    }
  return g_steal_pointer (&segments);
}

GHashTable *
tg_query_parse (const char *query, GError **error)
{
  if (query == NULL)
    return g_hash_table_new (g_str_hash, g_str_equal);
  return g_uri_parse_params (query, -1, "&", G_URI_PARAMS_WWW_FORM, error);
}
