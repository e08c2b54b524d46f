/* A publisher's timestamps made continuous (tg-rtmp-clock.h). */
#include "tg-rtmp-clock.h"

static guint32
map (TgRtmpClock *clock, guint32 in, gint64 expected_jump)
{
  gint64 jump = -1;
  guint32 out = tg_rtmp_clock_map (clock, in, &jump);

  g_assert_cmpint (jump, ==, expected_jump);
  return out;
}

static void
test_steps_pass (void)
{
  TgRtmpClock clock = { 0 };

  g_assert_cmpuint (map (&clock, 1000, 0), ==, 1000);
  g_assert_cmpuint (map (&clock, 1040, 0), ==, 1040);
  /* B-frames and interleaving: a little back is not a jump */
  g_assert_cmpuint (map (&clock, 1000, 0), ==, 1000);
  g_assert_cmpuint (map (&clock, 1000 + TG_RTMP_CLOCK_MAX_JUMP_MS, 0), ==,
                    1000 + TG_RTMP_CLOCK_MAX_JUMP_MS);
}

static void
test_jumps_are_rebased (void)
{
  TgRtmpClock clock = { 0 };

  map (&clock, 0, 0);
  g_assert_cmpuint (map (&clock, 2000, 0), ==, 2000);
  /* a day ahead: goes on from 2000 */
  g_assert_cmpuint (map (&clock, 2000 + 86400000, 86400000), ==, 2000);
  g_assert_cmpuint (map (&clock, 2040 + 86400000, 0), ==, 2040);
  /* 2^31 ms on purpose (ahead or back, the same step) */
  g_assert_cmpuint (
      map (&clock, 2080 + 86400000 + 0x80000000u, (gint32) (0x80000000u + 40u)),
      ==, 2040);
  g_assert_cmpuint (map (&clock, 2120 + 86400000 + 0x80000000u, 0), ==, 2080);
  /* far back: the same */
  g_assert_cmpuint (
      map (&clock, 5, (gint32) (5u - (2120u + 86400000u + 0x80000000u))), ==,
      2080);
  g_assert_cmpuint (map (&clock, 45, 0), ==, 2120);
}

static void
test_wrap_passes (void)
{
  TgRtmpClock clock = { 0 };

  map (&clock, 0xffffff00u, 0);
  /* 32-bit milliseconds wrap after 49 days: a step of 0x200 */
  g_assert_cmpuint (map (&clock, 0x100, 0), ==, 0x100);
}

static void
test_never_below_zero (void)
{
  TgRtmpClock clock = { 0 };

  map (&clock, 100, 0);
  g_assert_cmpuint (map (&clock, 0xfffffff0u, 0), ==, 0); /* -116 */
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/rtmp-clock/steps-pass", test_steps_pass);
  g_test_add_func ("/rtmp-clock/jumps-are-rebased", test_jumps_are_rebased);
  g_test_add_func ("/rtmp-clock/wrap-passes", test_wrap_passes);
  g_test_add_func ("/rtmp-clock/never-below-zero", test_never_below_zero);
  return g_test_run ();
}
