/* libFuzzer target: the request path and query parsers (tg-path.h). The
 * input is a request target: the path is what precedes the first '?', the
 * query what follows it; each parser also sees the whole input. */
#include "tg-path.h"

#include "fuzz-common.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define MAX_SEGMENTS 64

/* What tg_path_split() promises: NULL for a bad escape, an escaped '/' or
 * NUL; else one segment per '/'-separated part (a leading '/' ignored), at
 * most 64, and only the last of 64 may hold a literal '/' (the rest). */
static void
check_path (const char *path)
{
  g_auto (GStrv) segments = tg_path_split (path);
  const char *rest = path[0] == '/' ? path + 1 : path;
  guint parts = 1, n;

  if (segments == NULL)
    {
      /* Without a '%' nothing can be badly encoded. */
      g_assert_nonnull (strchr (path, '%'));
      return;
    }
  for (const char *p = rest; *p; p++)
    if (*p == '/')
      parts++;
  if (*rest == '\0')
    parts = 0;
  n = g_strv_length (segments);
  g_assert_cmpuint (n, <=, MAX_SEGMENTS);
  g_assert_cmpuint (n, ==, MIN (parts, MAX_SEGMENTS));
  for (guint i = 0; i < n; i++)
    if (i + 1 < MAX_SEGMENTS)
      g_assert_null (strchr (segments[i], '/'));
  /* Every '%' starts an escape, so these can only have decoded to NUL or
   * '/', which the parser refuses. */
  g_assert_null (strstr (path, "%00"));
  g_assert_null (strstr (path, "%2F"));
  g_assert_null (strstr (path, "%2f"));
}

static void
check_query (const char *query)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GHashTable) params = tg_query_parse (query, &error);
  GHashTableIter iter;
  gpointer key, value;

  if (params == NULL)
    {
      g_assert_nonnull (error);
      return;
    }
  g_assert_no_error (error);
  g_hash_table_iter_init (&iter, params);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      g_assert_nonnull (key);
      g_assert_nonnull (value);
      /* Reading every byte lets ASan see a short allocation. */
      g_assert_cmpuint (strlen (key) + strlen (value), <, G_MAXSIZE);
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  /* A request line holds no NUL: stop at the first, as soup would. */
  g_autofree char *input = g_strndup ((const char *) data, size);
  g_autofree char *path = NULL;
  const char *mark = strchr (input, '?');

  path = mark ? g_strndup (input, mark - input) : g_strdup (input);
  check_path (path);
  check_query (mark ? mark + 1 : NULL);
  check_path (input);
  check_query (input);
  return 0;
}
