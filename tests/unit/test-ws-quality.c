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

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ws-quality/pick", test_pick);
  g_test_add_func ("/ws-quality/no-ladder", test_no_ladder);
  g_test_add_func ("/ws-quality/json", test_json);
  return g_test_run ();
}
