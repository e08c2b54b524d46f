/* Shared by the fuzzers that feed JSON to Tollgate's parsers. */
#pragma once

#include <glib.h>

/* json-glib 1.6 leaks the first value of a text holding more than one
 * top-level value ("{}{}", "1{}"): GNOME/json-glib#74, fixed in 1.10 by
 * "Support multiple roots in non-strict mode". Tollgate cannot prevent it,
 * and it would stop every fuzzing run within seconds, hiding Tollgate's own
 * leaks; so the fuzzers skip such texts. This is TRUE only for a text that
 * is certainly not one: an object or array, JSON whitespace around it, and no
 * single quote or comment outside a double-quoted string (json-glib accepts
 * both, and the bracket count here does not follow them). */
static inline gboolean
fuzz_json_space (char c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static inline gboolean
fuzz_json_one_value (const char *data, size_t size)
{
  size_t i = 0;
  int depth = 0;
  gboolean in_string = FALSE;

  while (i < size && fuzz_json_space (data[i]))
    i++;
  if (i == size || (data[i] != '{' && data[i] != '['))
    return FALSE;
  for (; i < size; i++)
    {
      char c = data[i];

      if (in_string)
        {
          if (c == '\\')
            i++;
          else if (c == '"')
            in_string = FALSE;
          continue;
        }
      if (c == '"')
        in_string = TRUE;
      else if (c == '\'' || c == '/')
        return FALSE;
      else if (c == '{' || c == '[')
        depth++;
      else if ((c == '}' || c == ']') && --depth == 0)
        break;
    }
  /* Unclosed: json-glib fails on the first value. */
  if (i >= size)
    return TRUE;
  for (i++; i < size; i++)
    if (!fuzz_json_space (data[i]))
      return FALSE;
  return TRUE;
}
