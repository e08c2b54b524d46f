/* Ant Media's names that Tollgate accepts and ignores: sorted for the
 * lookup, none of them one Tollgate implements, and each named in the
 * README. */
#include "tg-ant-fields.h"
#include "tg-settings.h"

static void
check_list (gboolean settings)
{
  gsize count = 0;
  const char *const *names = tg_ant_ignored_names (settings, &count);

  g_assert_cmpuint (count, >, 40);
  for (gsize i = 0; i < count; i++)
    {
      if (i > 0)
        g_assert_cmpint (strcmp (names[i - 1], names[i]), <, 0);
      g_assert_true (settings ? tg_ant_ignored_setting (names[i])
                              : tg_ant_ignored_broadcast_field (names[i]));
    }
}

static void
test_sorted (void)
{
  check_list (FALSE);
  check_list (TRUE);
  g_assert_false (tg_ant_ignored_setting ("noSuchField"));
  g_assert_false (tg_ant_ignored_broadcast_field ("noSuchField"));
}

/* A setting Tollgate honours is never dropped as ignored. */
static void
test_implemented_not_ignored (void)
{
  g_autoptr (TgSettings) settings = tg_settings_new_default ();
  g_autoptr (JsonNode) node = tg_settings_to_json (settings);
  g_autoptr (GList) names
      = json_object_get_members (json_node_get_object (node));

  for (GList *l = names; l; l = l->next)
    g_assert_false (tg_ant_ignored_setting (l->data));
  g_assert_false (tg_ant_ignored_broadcast_field ("streamId"));
  g_assert_false (tg_ant_ignored_broadcast_field ("name"));
}

static void
test_drop (void)
{
  g_autoptr (JsonNode) node = json_from_string (
      "{\"name\":\"n\",\"username\":\"u\",\"listenerHookURL\":null}", NULL);
  JsonObject *object = json_node_get_object (node);

  tg_ant_drop_ignored (object, tg_ant_ignored_broadcast_field);
  g_assert_cmpuint (json_object_get_size (object), ==, 1);
  g_assert_true (json_object_has_member (object, "name"));
}

static void
test_readme_lists_them (void)
{
  const char *root = g_getenv ("TOLLGATE_SOURCE_ROOT");
  g_autofree char *path = NULL;
  g_autofree char *readme = NULL;
  g_autoptr (GError) error = NULL;

  g_assert_nonnull (root);
  path = g_build_filename (root, "README.md", NULL);
  g_assert_true (g_file_get_contents (path, &readme, NULL, &error));
  g_assert_no_error (error);
  for (int settings = 0; settings < 2; settings++)
    {
      gsize count = 0;
      const char *const *names = tg_ant_ignored_names (settings, &count);

      for (gsize i = 0; i < count; i++)
        {
          g_autofree char *quoted = g_strdup_printf ("`%s`", names[i]);

          if (strstr (readme, quoted) == NULL)
            g_error ("README.md does not name %s", quoted);
        }
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ant-fields/sorted", test_sorted);
  g_test_add_func ("/ant-fields/implemented-not-ignored",
                   test_implemented_not_ignored);
  g_test_add_func ("/ant-fields/drop", test_drop);
  g_test_add_func ("/ant-fields/readme-lists-them", test_readme_lists_them);
  return g_test_run ();
}
