/* The audit log's file (tg-audit.h): whole JSON lines, rotation by size,
 * lines dropped (and said once) while they cannot be written; or the
 * journal's entries. */
#include "tg-audit.h"

#include <glib/gstdio.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static JsonObject *
event (const char *name)
{
  JsonObject *object = json_object_new ();

  json_object_set_string_member (object, "event", name);
  json_object_set_string_member (object, "client", NULL);
  return object;
}

static char *
read_text (const char *path)
{
  char *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return NULL;
  return text;
}

static void
test_lines (void)
{
  g_autofree char *dir = g_dir_make_tmp ("tg-audit-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "audit.log", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (TgAudit) audit = tg_audit_open (path, 1 << 20, 2, &error);
  g_autoptr (JsonObject) one = event ("decision");
  g_autofree char *text = NULL;
  g_auto (GStrv) lines = NULL;

  g_assert_no_error (error);
  tg_audit_write (audit, one);
  tg_audit_write (audit, one);
  text = read_text (path);
  lines = g_strsplit (text, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 3); /* two, and "" */
  g_assert_cmpstr (lines[2], ==, "");
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr (JsonParser) parser = json_parser_new ();
      JsonObject *line;
      const char *time;

      g_assert_true (json_parser_load_from_data (parser, lines[i], -1, NULL));
      line = json_node_get_object (json_parser_get_root (parser));
      /* time first, UTC to the millisecond, then the event's members */
      g_assert_true (g_str_has_prefix (lines[i], "{\"time\":\""));
      time = json_object_get_string_member (line, "time");
      g_assert_cmpuint (strlen (time), ==, strlen ("2026-12-07T22:31:51.705Z"));
      g_assert_true (g_str_has_suffix (time, "Z"));
      g_assert_cmpstr (json_object_get_string_member (line, "event"), ==,
                       "decision");
      g_assert_true (json_object_get_null_member (line, "client"));
    }
  g_remove (path);
  g_rmdir (dir);
}

static void
test_rotation (void)
{
  g_autofree char *dir = g_dir_make_tmp ("tg-audit-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "audit.log", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) one = event ("decision");
  TgAudit *audit;
  gsize line, size;
  g_autofree char *first = NULL;

  /* One line's size, to size the file by lines. */
  audit = tg_audit_open (path, 1 << 20, 2, &error);
  g_assert_no_error (error);
  tg_audit_write (audit, one);
  tg_audit_free (audit);
  first = read_text (path);
  line = strlen (first);
  g_remove (path);
  /* Three lines a file: ten lines leave 1 + 3 + 3, the oldest 3 gone. */
  audit = tg_audit_open (path, 3 * line + line / 2, 2, &error);
  g_assert_no_error (error);
  for (int i = 0; i < 10; i++)
    tg_audit_write (audit, one);
  tg_audit_free (audit);
  for (guint i = 0; i < 4; i++)
    {
      g_autofree char *name
          = i == 0 ? g_strdup (path) : g_strdup_printf ("%s.%u", path, i);
      g_autofree char *text = read_text (name);

      if (i == 3)
        {
          g_assert_null (text);
          continue;
        }
      g_assert_nonnull (text);
      size = strlen (text);
      g_assert_cmpuint (size, ==, (i == 0 ? 1 : 3) * line);
      g_remove (name);
    }
  g_rmdir (dir);
}

static void
test_unwritable (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TgAudit) audit = tg_audit_open ("/dev/full", 1 << 20, 2, &error);
  g_autoptr (JsonObject) one = event ("decision");

  g_assert_no_error (error);
  /* Said once, however many lines are dropped. */
  g_test_expect_message (
      "tollgate", G_LOG_LEVEL_MESSAGE,
      "Audit log /dev/full: *: lines are dropped until it can be written "
      "again");
  for (int i = 0; i < 3; i++)
    tg_audit_write (audit, one);
  g_test_assert_expected_messages ();
  /* A file that cannot be made is an error at the start. */
  g_assert_null (tg_audit_open ("/nonexistent/dir/audit.log", 1, 1, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
}

/* A socket standing for the journal's: each line one datagram of its
 * native protocol. */
static void
test_journal (void)
{
  g_autofree char *dir = g_dir_make_tmp ("tg-audit-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "socket", NULL);
  g_autofree char *target = g_strconcat ("journal:", path, NULL);
  struct sockaddr_un address = { .sun_family = AF_UNIX };
  int journal = socket (AF_UNIX, SOCK_DGRAM, 0);
  g_autoptr (GError) error = NULL;
  g_autoptr (TgAudit) audit = NULL;
  g_autoptr (JsonObject) one = event ("session-start");
  char datagram[4096];
  ssize_t n;

  g_assert_cmpint (journal, >=, 0);
  g_strlcpy (address.sun_path, path, sizeof address.sun_path);
  g_assert_cmpint (bind (journal, (struct sockaddr *) &address, sizeof address),
                   ==, 0);
  audit = tg_audit_open (target, 1 << 20, 2, &error);
  g_assert_no_error (error);
  tg_audit_write (audit, one);
  n = recv (journal, datagram, sizeof datagram - 1, 0);
  g_assert_cmpint (n, >, 0);
  datagram[n] = '\0';
  g_assert_true (g_str_has_prefix (datagram, "MESSAGE={\"time\":\""));
  g_assert_nonnull (strstr (datagram, "\"event\":\"session-start\""));
  g_assert_true (g_str_has_suffix (datagram, "}\nSYSLOG_IDENTIFIER=tollgate\n"
                                             "TOLLGATE_AUDIT=1\nPRIORITY=6\n"));
  /* Gone: lines are dropped, said once; no journal at the start is an
   * error. */
  close (journal);
  g_remove (path);
  g_test_expect_message ("tollgate", G_LOG_LEVEL_MESSAGE,
                         "Audit log to the journal at *: lines are dropped*");
  tg_audit_write (audit, one);
  tg_audit_write (audit, one);
  g_test_assert_expected_messages ();
  g_assert_null (tg_audit_open (target, 1, 1, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOENT);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/audit/lines", test_lines);
  g_test_add_func ("/audit/rotation", test_rotation);
  g_test_add_func ("/audit/unwritable", test_unwritable);
  g_test_add_func ("/audit/journal", test_journal);
  return g_test_run ();
}
