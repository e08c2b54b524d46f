/* The server's log: GStreamer 1.22.0's known rtpsession race (a GLib
 * critical from a table walked while changed, fixed upstream in 1.22.4) is
 * said for what it is and does not abort under fatal criticals; any other
 * critical still aborts. */
#include "tg-log.h"

static void
upstream_race (void)
{
  tg_log_init ();
  g_log ("GLib", G_LOG_LEVEL_CRITICAL,
         "g_hash_table_foreach: assertion 'version == hash_table->version' "
         "failed");
  g_print ("went on\n");
}

static void
other_critical (void)
{
  tg_log_init ();
  g_log ("GLib", G_LOG_LEVEL_CRITICAL,
         "g_hash_table_foreach: assertion "
         "'hash_table != NULL' failed");
  g_print ("went on\n");
}

static void
test_upstream_race (void)
{
  g_test_trap_subprocess ("/log/upstream-race/subprocess", 0,
                          G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stdout ("*went on*");
  g_test_trap_assert_stderr ("*rtpsession race*");
  g_test_trap_assert_stderr_unmatched ("*CRITICAL*");
}

static void
test_other_critical (void)
{
  g_test_trap_subprocess ("/log/other-critical/subprocess", 0,
                          G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_failed ();
  g_test_trap_assert_stdout_unmatched ("*went on*");
  g_test_trap_assert_stderr ("*CRITICAL*hash_table != NULL*");
}

int
main (int argc, char **argv)
{
  gst_init (NULL, NULL);
  g_test_init (&argc, &argv, NULL);
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL
                          | G_LOG_LEVEL_WARNING);
  g_test_add_func ("/log/upstream-race", test_upstream_race);
  g_test_add_func ("/log/upstream-race/subprocess", upstream_race);
  g_test_add_func ("/log/other-critical", test_other_critical);
  g_test_add_func ("/log/other-critical/subprocess", other_critical);
  return g_test_run ();
}
