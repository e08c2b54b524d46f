#include "tg-rtmp-name.h"

#include "tg-path.h"
#include "tollgate.h"

#include <string.h>

/* Splits s at its first '?': *path gets what precedes it, *query what
 * follows it (NULL without a '?'). */
static void
split_query (const char *s, char **path, char **query)
{
  const char *mark = strchr (s, '?');

  *path = mark ? g_strndup (s, mark - s) : g_strdup (s);
  *query = mark ? g_strdup (mark + 1) : NULL;
}

/* The path and query of an rtmp://host[:port]/path[?query] URL, the path
 * without its leading '/'. Both empty when it is not such a URL. */
static void
split_url (const char *url, char **path, char **query)
{
  const char *rest = url ? strstr (url, "://") : NULL;

  if (rest == NULL || (rest = strchr (rest + 3, '/')) == NULL)
    {
      *path = g_strdup ("");
      *query = NULL;
      return;
    }
  split_query (rest + 1, path, query);
}

/* The non-empty "token" parameter of query, or NULL; FALSE on a bad
 * query. */
static gboolean
query_token (const char *query, char **token, GError **error)
{
  g_autoptr (GError) local_error = NULL;
  g_autoptr (GHashTable) params = tg_query_parse (query, &local_error);
  const char *value;

  *token = NULL;
  if (params == NULL)
    {
      g_set_error (error, TG_ERROR, TG_ERROR_INVALID, "bad query: %s",
                   local_error->message);
      return FALSE;
    }
  value = g_hash_table_lookup (params, "token");
  if (value && *value)
    *token = g_strdup (value);
  return TRUE;
}

static gboolean
check_part (const char *what, const char *value, GError **error)
{
  if (value == NULL || *value == '\0')
    {
      g_set_error (error, TG_ERROR, TG_ERROR_INVALID, "no %s", what);
      return FALSE;
    }
  for (const char *p = value; *p; p++)
    if ((guchar) *p < 0x20 || *p == 0x7f)
      {
        g_set_error (error, TG_ERROR, TG_ERROR_INVALID,
                     "control character in the %s", what);
        return FALSE;
      }
  return TRUE;
}

/* Appends the '/'-separated segments of path to segments; an empty path
 * adds none. FALSE on an empty segment. */
static gboolean
add_segments (GPtrArray *segments, const char *path, GError **error)
{
  g_auto (GStrv) parts = NULL;

  if (*path == '\0')
    return TRUE;
  parts = g_strsplit (path, "/", -1);
  for (guint i = 0; parts[i]; i++)
    {
      if (*parts[i] == '\0')
        {
          g_set_error (error, TG_ERROR, TG_ERROR_INVALID,
                       "empty segment in \"%s\"", path);
          return FALSE;
        }
      g_ptr_array_add (segments, g_strdup (parts[i]));
    }
  return TRUE;
}

gboolean
tg_rtmp_name_parse (const char *app, const char *tc_url,
                    const char *publish_name, char **app_out,
                    char **stream_id_out, char **token_out, GError **error)
{
  g_autofree char *app_path = NULL, *app_query = NULL;
  g_autofree char *url_path = NULL, *url_query = NULL;
  g_autofree char *name_path = NULL, *name_query = NULL;
  g_autofree char *token = NULL;
  g_autoptr (GPtrArray) app_segments = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GPtrArray) segments = g_ptr_array_new_with_free_func (g_free);
  const char *path_token = NULL;
  const char *queries[3];

  g_return_val_if_fail (app_out && stream_id_out && token_out, FALSE);

  split_query (app ? app : "", &app_path, &app_query);
  split_url (tc_url, &url_path, &url_query);
  split_query (publish_name ? publish_name : "", &name_path, &name_query);

  /* "LiveApp/" and "/LiveApp" name LiveApp. */
  while (g_str_has_prefix (app_path, "/"))
    memmove (app_path, app_path + 1, strlen (app_path));
  while (g_str_has_suffix (app_path, "/"))
    app_path[strlen (app_path) - 1] = '\0';
  if (*app_path == '\0')
    {
      g_free (app_path);
      app_path = g_strdup (url_path);
      while (g_str_has_suffix (app_path, "/"))
        app_path[strlen (app_path) - 1] = '\0';
    }
  if (!add_segments (app_segments, app_path, error))
    return FALSE;
  if (app_segments->len == 0)
    {
      g_set_error (error, TG_ERROR, TG_ERROR_INVALID, "no application name");
      return FALSE;
    }

  /* After the app: [stream] or [stream, token], from the app's segments
   * and the name's together. */
  for (guint i = 1; i < app_segments->len; i++)
    g_ptr_array_add (segments, g_strdup (app_segments->pdata[i]));
  if (!add_segments (segments, name_path, error))
    return FALSE;
  if (app_segments->len == 2 && segments->len >= 2
      && g_str_equal (segments->pdata[0], segments->pdata[1]))
    g_ptr_array_remove_index (segments, 1);
  if (segments->len == 0)
    {
      g_set_error (error, TG_ERROR, TG_ERROR_INVALID, "no stream id");
      return FALSE;
    }
  if (segments->len > 2)
    {
      g_set_error (error, TG_ERROR, TG_ERROR_INVALID,
                   "too many path segments after the application name");
      return FALSE;
    }
  if (segments->len == 2)
    path_token = segments->pdata[1];

  queries[0] = name_query;
  queries[1] = app_query;
  queries[2] = url_query;
  for (guint i = 0; i < G_N_ELEMENTS (queries) && token == NULL; i++)
    if (!query_token (queries[i], &token, error))
      return FALSE;
  if (path_token && token)
    {
      g_set_error (error, TG_ERROR, TG_ERROR_INVALID,
                   "token given both in the path and in a query");
      return FALSE;
    }
  if (path_token)
    token = g_strdup (path_token);

  if (!check_part ("application name", app_segments->pdata[0], error)
      || !check_part ("stream id", segments->pdata[0], error)
      || (token && !check_part ("token", token, error)))
    return FALSE;
  *app_out = g_strdup (app_segments->pdata[0]);
  *stream_id_out = g_strdup (segments->pdata[0]);
  *token_out = g_steal_pointer (&token);
  return TRUE;
}
