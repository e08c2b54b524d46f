/* libFuzzer target: DASH manifests as they are served (tg-playback.h): the
 * session written into every media, initialization and sourceURL
 * attribute and every BaseURL (tg_playback_rewrite_mpd), and the VoD
 * length read from them. The input is a manifest (a NUL ends it). The
 * rewrite only ever adds the session: taken out again, the input is back.
 * And a well-formed manifest stays well-formed (GMarkup's reading), unless
 * those names also stand where they are not attributes (in text, comments
 * or other attributes' values), which the rewrite, reading no XML, cannot
 * tell apart. */
#include "tg-playback.h"

#include "fuzz-common.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define KEY "Kq7sid.1800000090.Kq7mac"

static const char *const added[] = {
  "?" TG_PLAYBACK_PARAM "=" KEY,
  "&amp;" TG_PLAYBACK_PARAM "=" KEY,
  NULL,
};

/* What the rewrite looks for, outside of start tags. */
static const char *const names[] = {
  "media=", "initialization=", "sourceURL=", "BaseURL", NULL,
};

typedef struct
{
  gboolean names_elsewhere;
} Reading;

static void
look (Reading *reading, const char *text, gsize length)
{
  for (const char *const *n = names; *n; n++)
    if (g_strstr_len (text, (gssize) length, *n))
      reading->names_elsewhere = TRUE;
}

static void
start_element (GMarkupParseContext *context, const char *element,
               const char **attribute_names, const char **attribute_values,
               gpointer data, GError **error)
{
  for (guint i = 0; attribute_values[i]; i++)
    look (data, attribute_values[i], strlen (attribute_values[i]));
}

static void
text_met (GMarkupParseContext *context, const char *text, gsize length,
          gpointer data, GError **error)
{
  look (data, text, length);
}

/* Whether text is well-formed to GMarkup; reading says what it met. */
static gboolean
well_formed (const char *text, Reading *reading)
{
  static const GMarkupParser parser = { .start_element = start_element,
                                        .text = text_met,
                                        .passthrough = text_met };
  GMarkupParseContext *context
      = g_markup_parse_context_new (&parser, 0, reading, NULL);
  gboolean ok = g_markup_parse_context_parse (context, text, -1, NULL)
                && g_markup_parse_context_end_parse (context, NULL);

  g_markup_parse_context_free (context);
  return ok;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *in = g_strndup ((const char *) data, size);
  g_autofree char *out = tg_playback_rewrite_mpd (in, KEY);
  g_autofree char *back = NULL;
  gint64 vod = tg_playback_mpd_vod_duration (in);
  Reading reading = { FALSE }, ignored = { FALSE };

  g_assert_nonnull (out);
  g_assert_cmpint (vod, >=, 0);
  g_assert_cmpint (vod, <=, TG_PLAYBACK_MAX_VOD_S);
  /* A manifest that already held the key would hold it twice. */
  if (strstr (in, "q7sid") || strstr (in, "q7mac"))
    return 0;
  back = without (out, added);
  g_assert_cmpstr (back, ==, in);
  if (well_formed (in, &reading) && !reading.names_elsewhere)
    g_assert_true (well_formed (out, &ignored));
  return 0;
}
