/* Parsing the untrusted parts of a request line: path and query. */
#pragma once

#include <glib.h>

/* The percent-decoded segments of a raw path, or NULL if a segment is badly
 * encoded or decodes to '/' or NUL. "/a/b%20c" -> { "a", "b c" }. At most
 * 64 segments; the last holds the rest. */
char **tg_path_split (const char *path);

/* The decoded parameters of a raw query (NULL: none), or NULL with an
 * error if it is badly encoded. */
GHashTable *tg_query_parse (const char *query, GError **error);
