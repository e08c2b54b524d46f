/* What a thumbnail request does (tg_thumbnail_plan), with the clock in the
 * test's hands: the cache window, sharing a decode, the server-wide cap. */
#include "tg-thumbnails.h"

#define MS G_TIME_SPAN_MILLISECOND
#define KEEP (TG_THUMBNAILS_KEEP_MS * MS)
#define T0 (1000 * G_USEC_PER_SEC)

static void
test_served_again_within_the_window (void)
{
  g_assert_cmpint (tg_thumbnail_plan (T0, T0, FALSE, 0), ==,
                   TG_THUMBNAIL_SERVE);
  g_assert_cmpint (tg_thumbnail_plan (T0 + KEEP - 1, T0, FALSE, 0), ==,
                   TG_THUMBNAIL_SERVE);
  /* even with every decode busy, and one of it under way */
  g_assert_cmpint (
      tg_thumbnail_plan (T0 + KEEP - 1, T0, TRUE, TG_THUMBNAILS_MAX_DECODES),
      ==, TG_THUMBNAIL_SERVE);
}

static void
test_made_again_after_the_window (void)
{
  g_assert_cmpint (tg_thumbnail_plan (T0 + KEEP, T0, FALSE, 0), ==,
                   TG_THUMBNAIL_START);
  g_assert_cmpint (tg_thumbnail_plan (T0 + 60 * G_USEC_PER_SEC, T0, FALSE,
                                      TG_THUMBNAILS_MAX_DECODES - 1),
                   ==, TG_THUMBNAIL_START);
  /* none yet */
  g_assert_cmpint (tg_thumbnail_plan (T0, 0, FALSE, 0), ==, TG_THUMBNAIL_START);
}

static void
test_one_decode_per_stream (void)
{
  g_assert_cmpint (tg_thumbnail_plan (T0, 0, TRUE, 1), ==, TG_THUMBNAIL_JOIN);
  /* joining starts nothing: the cap does not apply */
  g_assert_cmpint (
      tg_thumbnail_plan (T0 + KEEP, T0, TRUE, TG_THUMBNAILS_MAX_DECODES), ==,
      TG_THUMBNAIL_JOIN);
}

static void
test_decodes_are_capped (void)
{
  g_assert_cmpint (tg_thumbnail_plan (T0, 0, FALSE, TG_THUMBNAILS_MAX_DECODES),
                   ==, TG_THUMBNAIL_REFUSE);
  g_assert_cmpint (
      tg_thumbnail_plan (T0 + KEEP, T0, FALSE, TG_THUMBNAILS_MAX_DECODES), ==,
      TG_THUMBNAIL_REFUSE);
}

static void
nothing (TgThumbnailResult result, GBytes *jpeg, gpointer data)
{
  g_assert_not_reached ();
}

static void
test_not_live (void)
{
  g_autoptr (TgLive) live = tg_live_new ();
  g_autoptr (TgThumbnails) thumbnails = tg_thumbnails_new (live);
  g_autoptr (GBytes) jpeg = NULL;

  g_assert_cmpint (tg_thumbnails_get (thumbnails, "LiveApp", "s1", &jpeg,
                                      nothing, NULL, NULL),
                   ==, TG_THUMBNAIL_NOT_LIVE);
  g_assert_null (jpeg);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/thumbnails/served-again-within-the-window",
                   test_served_again_within_the_window);
  g_test_add_func ("/thumbnails/made-again-after-the-window",
                   test_made_again_after_the_window);
  g_test_add_func ("/thumbnails/one-decode-per-stream",
                   test_one_decode_per_stream);
  g_test_add_func ("/thumbnails/decodes-are-capped", test_decodes_are_capped);
  g_test_add_func ("/thumbnails/not-live", test_not_live);
  return g_test_run ();
}
