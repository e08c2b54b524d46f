/* The files of an ABR ladder that no muxer writes (tg-abr-files.h): the
 * master lists its variants highest bandwidth first, written whole; a
 * ladder's end takes its rungs' playlists and segments, nothing else. */
#include <glib/gstdio.h>
#include <string.h>

#include "tg-abr-files.h"

static void
touch (const char *dir, const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);

  g_assert_true (g_file_set_contents (path, "x", 1, NULL));
}

static gint
by_name (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* The names in dir, sorted. */
static GStrv
files_of (const char *dir)
{
  g_autoptr (GDir) folder = g_dir_open (dir, 0, NULL);
  g_autoptr (GPtrArray) names = g_ptr_array_new ();
  const char *name;

  while ((name = g_dir_read_name (folder)))
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, by_name);
  g_ptr_array_add (names, NULL);
  return (GStrv) g_ptr_array_steal (names, NULL);
}

/* A folder of its own for a test. */
static char *
make_dir (void)
{
  g_autoptr (GError) error = NULL;
  char *dir = g_dir_make_tmp ("tg-abr-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static void
test_master (void)
{
  g_autofree char *dir = make_dir ();
  g_autofree char *path = g_build_filename (dir, "s1_adaptive.m3u8", NULL);
  g_autofree char *text = NULL;
  g_auto (GStrv) files = NULL;
  TgAbrVariant variants[] = {
    { 364000, 426, 240, "640015", TRUE, "s1_240p300kbps.m3u8" },
    { 2500000, 1280, 720, "64001f", TRUE, "s1.m3u8" },
    { 1096000, 854, 480, "64001e", FALSE, "s1_480p1000kbps.m3u8" },
  };

  g_assert_true (tg_abr_write_master (path, variants, 3, NULL));
  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  g_assert_cmpstr (text, ==,
                   "#EXTM3U\n#EXT-X-VERSION:3\n"
                   "#EXT-X-STREAM-INF:BANDWIDTH=2500000,RESOLUTION=1280x720,"
                   "CODECS=\"avc1.64001f,mp4a.40.2\"\ns1.m3u8\n"
                   "#EXT-X-STREAM-INF:BANDWIDTH=1096000,RESOLUTION=854x480,"
                   "CODECS=\"avc1.64001e\"\ns1_480p1000kbps.m3u8\n"
                   "#EXT-X-STREAM-INF:BANDWIDTH=364000,RESOLUTION=426x240,"
                   "CODECS=\"avc1.640015,mp4a.40.2\"\ns1_240p300kbps.m3u8\n");
  /* no temporary file left beside it */
  files = files_of (dir);
  g_assert_cmpstrv (files, ((const char *const[]){ "s1_adaptive.m3u8", NULL }));
  g_remove (path);
  g_rmdir (dir);
}

static void
test_delete (void)
{
  g_autofree char *dir = make_dir ();
  const char *const names[] = { "s1_240p300kbps", NULL };
  const char *const kept[] = {
    "s1.m3u8",
    "s1000000001.ts",
    "s1_240p300kbps0000000001.ts",
    "s1_240p300kbps_1.mp4",
    "s1_480p1000kbps.m3u8",
    NULL,
  };
  g_auto (GStrv) files = NULL;

  touch (dir, "s1_240p300kbps.m3u8");
  touch (dir, "s1_240p300kbps000000000.ts");
  touch (dir, "s1_240p300kbps000000017.ts");
  for (guint i = 0; kept[i]; i++)
    touch (dir, kept[i]);
  tg_abr_delete_files (dir, names);
  files = files_of (dir);
  g_assert_cmpstrv (
      files, ((const char *const[]){
                 "s1.m3u8", "s1000000001.ts", "s1_240p300kbps0000000001.ts",
                 "s1_240p300kbps_1.mp4", "s1_480p1000kbps.m3u8", NULL }));
  for (guint i = 0; kept[i]; i++)
    {
      g_autofree char *path = g_build_filename (dir, kept[i], NULL);

      g_remove (path);
    }
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/abr-files/master", test_master);
  g_test_add_func ("/abr-files/delete", test_delete);
  return g_test_run ();
}
