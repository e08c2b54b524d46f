/* Shared by the codec check tests (test-codec-aac.c, test-codec-h264.c):
 * records from hex, and a check's verdict on a record, whole or cut at
 * every length, each on its own allocation. Static inline: each test uses
 * what it needs. */
#pragma once

#include "tg-codec-check.h"

#include <string.h>

static inline GBytes *
unhex (const char *hex)
{
  gsize size = strlen (hex) / 2;
  guint8 *data = g_malloc (size + 1);

  g_assert_cmpuint (strlen (hex) % 2, ==, 0);
  for (gsize i = 0; i < size; i++)
    data[i] = g_ascii_xdigit_value (hex[2 * i]) << 4
              | g_ascii_xdigit_value (hex[2 * i + 1]);
  return g_bytes_new_take (data, size);
}

typedef gboolean (*Check) (const guint8 *data, gsize size, const char **reason);

/* Calls check on a copy of exactly size bytes (so that ASan and valgrind
 * see a read past them). */
static inline gboolean
check_copy (Check check, const guint8 *data, gsize size, const char **reason)
{
  g_autofree guint8 *copy = g_memdup2 (data, size);

  return check (copy, size, reason);
}

static inline void
assert_accepted (Check check, GBytes *bytes, const char *name)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (bytes, &size);
  const char *reason = "not set";

  g_test_message ("accepted: %s", name);
  if (!check_copy (check, data, size, &reason))
    g_error ("%s refused: %s", name, reason);
  g_assert_null (reason);
}

static inline void
assert_refused (Check check, GBytes *bytes, const char *name, const char *want)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (bytes, &size);
  const char *reason = NULL;

  g_test_message ("refused: %s", name);
  if (check_copy (check, data, size, &reason))
    g_error ("%s accepted, wanted a refusal with \"%s\"", name, want);
  g_assert_nonnull (reason);
  if (strstr (reason, want) == NULL)
    g_error ("%s refused with \"%s\", wanted \"%s\"", name, reason, want);
}

static inline void
assert_refused_hex (Check check, const char *hex, const char *want)
{
  g_autoptr (GBytes) bytes = unhex (hex);

  assert_refused (check, bytes, hex, want);
}

/* Every shorter prefix of a record, as its own allocation: refused or
 * accepted, never read past. Returns how many were accepted; accepted[]
 * gets their lengths if not NULL. */
static inline guint
check_prefixes (Check check, GBytes *bytes, gsize *accepted)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (bytes, &size);
  guint count = 0;

  for (gsize n = 0; n < size; n++)
    {
      const char *reason = "not set";

      if (check_copy (check, data, n, &reason))
        {
          g_assert_null (reason);
          if (accepted)
            accepted[count] = n;
          count++;
        }
      else
        g_assert_nonnull (reason);
    }
  return count;
}
