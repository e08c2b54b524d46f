/* Which video a WebRTC viewer is given for the height it asks for
 * (forceStreamQuality, play's streamHeight), and getStreamInfo's list. */
#include "tg-ws-quality.h"

/* A 720p source with rungs made in the app's order: 480, 240, 360. */
static const TgWsLadder ladder = {
  .source = { .width = 1280,
              .height = 720,
              .video_bitrate = 2500000,
              .audio_bitrate = 128000,
              .video_codec = "H264",
              .audio_codec = "AAC" },
  .rungs = { { 854, 480, 1000000, 96000 },
             { 426, 240, 300000, 64000 },
             { 640, 360, 600000, 64000 } },
  .n_rungs = 3,
};

static void
test_pick (void)
{
  const struct
  {
    gint asked, rung, height;
  } cases[] = {
    { 0, -1, 720 },    /* auto: the source */
    { 720, -1, 720 },  /* the source's own height */
    { 1080, -1, 720 }, /* taller than the source */
    { 480, 0, 480 },   { 360, 2, 360 },
    { 240, 1, 240 },   { 400, 2, 360 }, /* the tallest at or below */
    { 700, 0, 480 },   { 144, 1, 240 }, /* below them all: the lowest */
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      gint height = -1;

      g_assert_cmpint (tg_ws_pick_rung (&ladder, cases[i].asked, &height), ==,
                       cases[i].rung);
      g_assert_cmpint (height, ==, cases[i].height);
    }
}

static void
test_no_ladder (void)
{
  TgWsLadder bare = ladder;
  gint height;

  bare.n_rungs = 0;
  g_assert_cmpint (tg_ws_pick_rung (&bare, 240, &height), ==, -1);
  g_assert_cmpint (height, ==, 720);
}

static void
test_json (void)
{
  g_autoptr (JsonArray) infos = tg_ws_ladder_to_json (&ladder);
  JsonObject *source, *rung;

  g_assert_cmpuint (json_array_get_length (infos), ==, 4);
  source = json_array_get_object_element (infos, 0);
  rung = json_array_get_object_element (infos, 2);
  g_assert_cmpint (json_object_get_int_member (source, "streamHeight"), ==,
                   720);
  g_assert_cmpint (json_object_get_int_member (source, "videoBitrate"), ==,
                   2500000);
  g_assert_cmpint (json_object_get_int_member (rung, "streamWidth"), ==, 426);
  g_assert_cmpint (json_object_get_int_member (rung, "streamHeight"), ==, 240);
  g_assert_cmpint (json_object_get_int_member (rung, "videoBitrate"), ==,
                   300000);
  g_assert_cmpint (json_object_get_int_member (rung, "audioBitrate"), ==,
                   64000);
  g_assert_cmpstr (json_object_get_string_member (rung, "videoCodec"), ==,
                   "H264");
  g_assert_cmpstr (json_object_get_string_member (rung, "audioCodec"), ==,
                   "AAC");
}

/* Levels go by bitrate: 240 (300k), 360 (600k), 480 (1M), then the
 * source. */
static void
test_levels (void)
{
  gint height;

  g_assert_cmpint (tg_ws_rung_at_level (&ladder, 0, &height), ==, 1);
  g_assert_cmpint (height, ==, 240);
  g_assert_cmpint (tg_ws_rung_at_level (&ladder, 1, &height), ==, 2);
  g_assert_cmpint (height, ==, 360);
  g_assert_cmpint (tg_ws_rung_at_level (&ladder, 2, &height), ==, 0);
  g_assert_cmpint (height, ==, 480);
  g_assert_cmpint (tg_ws_rung_at_level (&ladder, 3, &height), ==, -1);
  g_assert_cmpint (height, ==, 720);
  g_assert_cmpuint (tg_ws_level_of_rung (&ladder, -1), ==, 3);
  g_assert_cmpuint (tg_ws_level_of_rung (&ladder, 1), ==, 0);
  g_assert_cmpuint (tg_ws_level_of_rung (&ladder, 0), ==, 2);
}

/* Reports of one loss, one after another, from level; the level after
 * the last. */
static guint
reports (TgWsAuto *a, guint n, double lost, guint level)
{
  for (guint i = 0; i < n; i++)
    level = tg_ws_auto_report (a, lost, level, 3);
  return level;
}

static void
test_auto (void)
{
  TgWsAuto a;
  guint level;

  tg_ws_auto_init (&a);
  /* From the source, a loss of a quarter: a level down at once, then the
   * reports of the move are not counted, then another. */
  level = tg_ws_auto_report (&a, 0.25, 3, 3);
  g_assert_cmpuint (level, ==, 2);
  g_assert_cmpuint (reports (&a, 3, 0.25, level), ==, 2);
  level = tg_ws_auto_report (&a, 0.25, level, 3);
  g_assert_cmpuint (level, ==, 1);
  /* Some loss, under a tenth: it stays, and it is not clean. */
  level = reports (&a, 3 + 20, 0.05, level);
  g_assert_cmpuint (level, ==, 1);
  /* Eight clean reports: a try a level up. */
  g_assert_cmpuint (reports (&a, 7, 0.0, level), ==, 1);
  level = tg_ws_auto_report (&a, 0.01, level, 3);
  g_assert_cmpuint (level, ==, 2);
  /* It loses: back down, and the next try waits twice as long. */
  level = reports (&a, 3 + 1, 0.5, level);
  g_assert_cmpuint (level, ==, 1);
  g_assert_cmpuint (reports (&a, 3 + 15, 0.0, level), ==, 1);
  level = tg_ws_auto_report (&a, 0.0, level, 3);
  g_assert_cmpuint (level, ==, 2);
  /* This one holds: after eight clean reports the wait is eight again. */
  level = reports (&a, 3 + 8, 0.0, level);
  g_assert_cmpuint (level, ==, 3);
  /* At the top it stays; at the bottom too. */
  g_assert_cmpuint (reports (&a, 50, 0.0, level), ==, 3);
  g_assert_cmpuint (reports (&a, 40, 0.9, 0), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ws-quality/pick", test_pick);
  g_test_add_func ("/ws-quality/no-ladder", test_no_ladder);
  g_test_add_func ("/ws-quality/json", test_json);
  g_test_add_func ("/ws-quality/levels", test_levels);
  g_test_add_func ("/ws-quality/auto", test_auto);
  return g_test_run ();
}
