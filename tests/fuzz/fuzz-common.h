/* Included once by each fuzzer. */
#pragma once

#include <glib.h>
#include <string.h>

/* Under G_DEBUG=fatal-warnings (as in every test run) a GLib warning or
 * critical raises SIGTRAP, which libFuzzer does not catch: have ASan report
 * it, so the input is saved like any other crash. */
const char *__asan_default_options (void);

const char *
__asan_default_options (void)
{
  return "handle_sigtrap=1";
}

/* text with every occurrence of the strings of cut taken out (what a
 * rewrite added, for the rewriting fuzzers to take away again). */
static inline char *
without (const char *text, const char *const *cut)
{
  GString *out = g_string_new (NULL);

  for (const char *p = text; *p;)
    {
      const char *const *c = cut;

      while (*c && !g_str_has_prefix (p, *c))
        c++;
      if (*c)
        p += strlen (*c);
      else
        g_string_append_c (out, *p++);
    }
  return g_string_free (out, FALSE);
}
