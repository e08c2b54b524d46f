/* The real gst-launch-1.0, run twice with one token against a sqlite file:
 * the first run plays, the second is refused and says why, and the token
 * appears in no output, log or DOT dump. */
#include <glib/gstdio.h>

#include "element-test.h"

typedef struct
{
  gboolean ok;
  char *out; /* stdout and stderr */
} Run;

static Run
run_launch (const char *store_uri, const char *token, const char *dot_dir)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *store_arg = g_strconcat ("store=", store_uri, NULL);
  g_autofree char *token_arg = g_strconcat ("token=", token, NULL);
  const char *launch = TOLLGATE_GST_LAUNCH;
  const char *argv[] = {
    launch,          "-v",          "fakesrc",
    "num-buffers=3", "!",           "tokencheck",
    store_arg,       "app=LiveApp", "stream-id=s1",
    "type=play",     token_arg,     "!",
    "fakesink",      NULL,
  };
  g_auto (GStrv) envp = g_get_environ ();
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  gint status;
  Run run;

  /* Our own categories at their most verbose: they must not log it. */
  envp = g_environ_setenv (envp, "GST_DEBUG", "tokencheck:9,tgauthorize:9",
                           TRUE);
  envp = g_environ_setenv (envp, "GST_DEBUG_NO_COLOR", "1", TRUE);
  envp = g_environ_setenv (envp, "GST_DEBUG_DUMP_DOT_DIR", dot_dir, TRUE);
#ifdef TG_TEST_SANITIZER_PRELOAD
  /* gst-launch-1.0 is not instrumented; the plugin needs the sanitizer
   * runtime loaded first. Its leaks are not ours to judge. */
  envp = g_environ_setenv (envp, "LD_PRELOAD", TG_TEST_SANITIZER_PRELOAD, TRUE);
  envp = g_environ_setenv (envp, "ASAN_OPTIONS", "detect_leaks=0", TRUE);
#endif
  g_spawn_sync (NULL, (char **) argv, envp, G_SPAWN_DEFAULT, NULL, NULL, &out,
                &err, &status, &error);
  g_assert_no_error (error);
  run.ok = g_spawn_check_wait_status (status, NULL);
  run.out = g_strconcat (out, err, NULL);
  g_test_message ("gst-launch-1.0 %s:\n%s", run.ok ? "ok" : "failed", run.out);
  return run;
}

/* No file in dir mentions the token. */
static void
assert_not_in_dot_files (const char *dir, const char *token)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  guint dumps = 0;

  g_assert_nonnull (d);
  while ((name = g_dir_read_name (d)))
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autofree char *contents = NULL;

      if (!g_str_has_suffix (name, ".dot"))
        continue;
      g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
      g_assert_nonnull (strstr (contents, "tokencheck"));
      g_assert_null (strstr (contents, token));
      dumps++;
    }
  g_assert_cmpuint (dumps, >, 0);
}

static void
test_launch_twice (void)
{
  g_autoptr (TgTestStore) ts = tg_test_store_new ();
  g_autofree char *token
      = tg_test_mint (ts->store, "LiveApp", "s1", TG_TOKEN_TYPE_PLAY);
  g_autofree char *dot_dir = g_build_filename (ts->dir, "dot", NULL);
  Run first, second;

  g_assert_cmpint (g_mkdir (dot_dir, 0700), ==, 0);
  first = run_launch (ts->uri, token, dot_dir);
  second = run_launch (ts->uri, token, dot_dir);

  g_assert_true (first.ok);
  g_assert_nonnull (strstr (first.out, "Got EOS from element"));
  g_assert_false (second.ok);
  g_assert_nonnull (
      strstr (second.out, "Token refused for stream s1: unknown-or-spent"));
  g_assert_null (strstr (first.out, token));
  g_assert_null (strstr (second.out, token));
  assert_not_in_dot_files (dot_dir, token);
  g_assert_false (tg_test_has_token (ts->store, "LiveApp", "s1", token));

  g_free (first.out);
  g_free (second.out);
  /* Leave only files tg_test_store_free removes. */
  {
    g_autoptr (GDir) d = g_dir_open (dot_dir, 0, NULL);
    const char *name;

    while ((name = g_dir_read_name (d)))
      {
        g_autofree char *path = g_build_filename (dot_dir, name, NULL);
        g_unlink (path);
      }
    g_rmdir (dot_dir);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  gst_init (&argc, &argv);

  g_test_add_func ("/gst-launch/same-token-twice", test_launch_twice);
  return g_test_run ();
}
