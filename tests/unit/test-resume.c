/* A spent one-time token resumes its session for its own client only
 * (tg-resume.h). */
#include "tg-resume.h"

static void
test_same_client_resumes (void)
{
  g_autofree char *id = NULL;

  tg_resume_remember ("tok-1", "10.0.0.1", "LiveApp", "s1", 3, "sess-1", 100);
  id = tg_resume_find ("tok-1", "10.0.0.1", "LiveApp", "s1", 3, 50, 160);
  g_assert_cmpstr (id, ==, "sess-1");
  g_clear_pointer (&id, g_free);
  /* Its life was extended to 160. */
  id = tg_resume_find ("tok-1", "10.0.0.1", "LiveApp", "s1", 3, 150, 150);
  g_assert_cmpstr (id, ==, "sess-1");
}

static void
test_anything_else_is_refused (void)
{
  const char *asks[][4] = {
    /* token, client, app, stream */
    { "tok-2", "10.0.0.9", "LiveApp", "s2" }, /* another client */
    { "tok-2", "10.0.0.2", "WebRTCAppEE", "s2" },
    { "tok-2", "10.0.0.2", "LiveApp", "s3" },
    { "tok-x", "10.0.0.2", "LiveApp", "s2" }, /* another token */
  };

  tg_resume_remember ("tok-2", "10.0.0.2", "LiveApp", "s2", 1, "sess-2", 100);
  for (guint i = 0; i < G_N_ELEMENTS (asks); i++)
    {
      g_autofree char *id = tg_resume_find (asks[i][0], asks[i][1], asks[i][2],
                                            asks[i][3], 1, 50, 150);

      g_assert_null (id);
    }
}

static void
test_revoked_or_lapsed_is_refused (void)
{
  g_autofree char *revoked = NULL, *lapsed = NULL, *after = NULL;

  tg_resume_remember ("tok-3", "10.0.0.3", "LiveApp", "s3", 1, "sess-3", 100);
  /* The tokens' epoch moved on (tokens revoked). */
  revoked = tg_resume_find ("tok-3", "10.0.0.3", "LiveApp", "s3", 2, 50, 150);
  g_assert_null (revoked);
  lapsed = tg_resume_find ("tok-3", "10.0.0.3", "LiveApp", "s3", 1, 100, 200);
  g_assert_null (lapsed);
  /* and forgotten */
  after = tg_resume_find ("tok-3", "10.0.0.3", "LiveApp", "s3", 1, 50, 150);
  g_assert_null (after);
}

static void
test_bounded (void)
{
  g_autofree char *oldest = NULL, *newest = NULL;
  g_autofree char *last = g_strdup_printf ("many-%u", TG_RESUME_MAX);

  for (guint i = 0; i <= TG_RESUME_MAX; i++)
    {
      g_autofree char *token = g_strdup_printf ("many-%u", i);

      tg_resume_remember (token, "10.0.0.4", "LiveApp", "s4", 1, "sess-4",
                          1000 + i);
    }
  oldest = tg_resume_find ("many-0", "10.0.0.4", "LiveApp", "s4", 1, 500, 500);
  newest = tg_resume_find (last, "10.0.0.4", "LiveApp", "s4", 1, 500, 500);
  g_assert_null (oldest);
  g_assert_cmpstr (newest, ==, "sess-4");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/resume/same-client", test_same_client_resumes);
  g_test_add_func ("/resume/anything-else", test_anything_else_is_refused);
  g_test_add_func ("/resume/revoked-or-lapsed",
                   test_revoked_or_lapsed_is_refused);
  g_test_add_func ("/resume/bounded", test_bounded);
  return g_test_run ();
}
