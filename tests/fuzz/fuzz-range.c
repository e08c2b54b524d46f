/* libFuzzer target: the Range header of a request for a stream file
 * (tg_http_parse_range, tg-http-streams.h). The input is the header's
 * value (a NUL ends it: libsoup never hands one over), read against files
 * of several sizes. What is served never lies outside the file, and the
 * range served, written back as a header, reads as itself. */
#include "tg-http-streams.h"

#include "fuzz-common.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* Empty, tiny, a segment, a recording, and the largest a goffset holds. */
static const goffset sizes[]
    = { 0, 1, 2, 100, 188 * 1024, G_GINT64_CONSTANT (5000000000), G_MAXINT64 };

static void
check (const char *header, goffset size)
{
  goffset start = -1, end = -1;
  TgRange verdict = tg_http_parse_range (header, size, &start, &end);

  if (verdict != TG_RANGE_NONE)
    /* Only byte ranges are answered, and only one. */
    g_assert_true (g_ascii_strncasecmp (header, "bytes", 5) == 0
                   && strchr (header, ',') == NULL);
  if (verdict != TG_RANGE_OK)
    {
      g_assert_cmpint (start, ==, -1);
      g_assert_cmpint (end, ==, -1);
      return;
    }
  g_assert_cmpint (verdict, ==, TG_RANGE_OK);
  g_assert_cmpint (start, >=, 0);
  g_assert_cmpint (start, <=, end);
  g_assert_cmpint (end, <, size);
  {
    g_autofree char *again = g_strdup_printf (
        "bytes=%" G_GINT64_FORMAT "-%" G_GINT64_FORMAT, start, end);
    goffset start2 = -1, end2 = -1;

    g_assert_cmpint (tg_http_parse_range (again, size, &start2, &end2), ==,
                     TG_RANGE_OK);
    g_assert_cmpint (start2, ==, start);
    g_assert_cmpint (end2, ==, end);
  }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *header = g_strndup ((const char *) data, size);

  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    check (header, sizes[i]);
  return 0;
}
