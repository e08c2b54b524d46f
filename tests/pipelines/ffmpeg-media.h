/* Media made by the real ffmpeg for the pipeline tests: FFMPEG (its path,
 * from tests/pipelines/meson.build) writes into a temporary file, read back
 * and removed. */
#pragma once

#include <glib.h>
#include <glib/gstdio.h>

#ifndef FFMPEG
#error "FFMPEG (the path of ffmpeg) must be defined by meson"
#endif

/* Runs `ffmpeg -loglevel error -y ARGS... OUT`, ARGS NULL-terminated and
 * naming the output format (-f FORMAT: OUT has no extension), and returns
 * what it wrote to OUT. Asserts that it ran and exited with 0. */
static inline GBytes *
tg_test_ffmpeg (const char *const *args)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("tg-ffmpeg-XXXXXX", &error);
  g_autofree char *path = NULL;
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  char *data = NULL;
  gsize length = 0;
  int status = 0;

  g_assert_no_error (error);
  path = g_build_filename (dir, "out", NULL);
  g_ptr_array_add (argv, (gpointer) FFMPEG);
  g_ptr_array_add (argv, (gpointer) "-loglevel");
  g_ptr_array_add (argv, (gpointer) "error");
  g_ptr_array_add (argv, (gpointer) "-y");
  for (; *args; args++)
    g_ptr_array_add (argv, (gpointer) *args);
  g_ptr_array_add (argv, path);
  g_ptr_array_add (argv, NULL);
  g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                NULL, NULL, &status, &error);
  g_assert_no_error (error);
  g_assert_cmpint (status, ==, 0);
  g_file_get_contents (path, &data, &length, &error);
  g_assert_no_error (error);
  g_remove (path);
  g_rmdir (dir);
  return g_bytes_new_take (data, length);
}
