/* libFuzzer target: HLS playlists as they are served (tg-playback.h): the
 * session written into every URI (tg_playback_rewrite_m3u8), the VoD
 * length read from them, and what a blocking LL-HLS reload looks for in
 * them (tg_llhls_has, tg-llhls.h). The input is a playlist (a NUL ends
 * it). The rewrite only ever adds the session: taken out again, the input
 * is back; no line but a URI or a tag with a URI attribute changes, nested
 * playlists get their own key and absolute URIs none. */
#include "tg-llhls.h"
#include "tg-playback.h"

#include "fuzz-common.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* Keys of the shape of tg_playback_key_issue's: session, expiry, MAC. */
#define KEY "Kq7sid.1800000090.Kq7mac"
#define NESTED "Nq7sid.1800021600.Nq7mac"

static const char *const added[] = {
  "?" TG_PLAYBACK_PARAM "=" KEY,
  "&" TG_PLAYBACK_PARAM "=" KEY,
  "?" TG_PLAYBACK_PARAM "=" NESTED,
  "&" TG_PLAYBACK_PARAM "=" NESTED,
  NULL,
};

static gboolean
is_absolute (const char *uri)
{
  return g_str_has_prefix (uri, "http://") || g_str_has_prefix (uri, "https://")
         || g_str_has_prefix (uri, "//");
}

static void
check_lines (const char *in, const char *out)
{
  g_auto (GStrv) before = g_strsplit (in, "\n", -1);
  g_auto (GStrv) after = g_strsplit (out, "\n", -1);

  g_assert_cmpuint (g_strv_length (before), ==, g_strv_length (after));
  for (guint i = 0; before[i]; i++)
    {
      gsize length = strlen (before[i]);
      gsize blanks = strspn (before[i], " \t");
      const char *start = before[i] + blanks;
      g_autofree char *lower = g_ascii_strdown (after[i], -1);

      /* A line's end may be "\r\n". */
      if (length > 0 && before[i][length - 1] == '\r')
        length--;
      if (*start == '#' ? strstr (start, "URI=\"") == NULL
                        : blanks >= length || is_absolute (start))
        g_assert_cmpstr (after[i], ==, before[i]);
      /* The nested key only goes to playlists. */
      if (strstr (after[i], NESTED) && !strstr (before[i], NESTED))
        g_assert_nonnull (strstr (lower, ".m3u8"));
    }
}

/* What a blocking reload waits for comes in order: a segment once there,
 * so is every segment before it, and every part of it. */
static void
check_llhls (const char *text)
{
  static const gint64 msns[] = { 0, 1, 5, G_MAXINT32 };

  for (guint i = 0; i < G_N_ELEMENTS (msns); i++)
    {
      gint64 msn = msns[i];

      if (tg_llhls_has (text, msn, -1))
        {
          g_assert_true (msn == 0 || tg_llhls_has (text, msn - 1, -1));
          g_assert_true (tg_llhls_has (text, msn, 0));
          g_assert_true (tg_llhls_has (text, msn, 5));
        }
      for (gint64 part = 1; part < 3; part++)
        if (tg_llhls_has (text, msn, part))
          g_assert_true (tg_llhls_has (text, msn, part - 1));
    }
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *in = g_strndup ((const char *) data, size);
  g_autofree char *out = tg_playback_rewrite_m3u8 (in, KEY, NESTED);
  gint64 vod = tg_playback_m3u8_vod_duration (in);

  g_assert_nonnull (out);
  g_assert_cmpint (vod, >=, 0);
  g_assert_cmpint (vod, <=, TG_PLAYBACK_MAX_VOD_S);
  check_llhls (in);
  /* A playlist that already held a key would hold it twice. */
  if (strstr (in, "q7sid") || strstr (in, "q7mac"))
    return 0;
  {
    g_autofree char *back = without (out, added);

    g_assert_cmpstr (back, ==, in);
  }
  check_lines (in, out);
  return 0;
}
