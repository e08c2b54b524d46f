/* The master playlist of an ABR ladder ({id}_adaptive.m3u8, PROTOCOL.md 4),
 * and the removal of a ladder's files when its stream ends. */
#include "tg-abr-files.h"

#include <glib/gstdio.h>
#include <string.h>

#define SEGMENT_DIGITS 9

static gint
by_bandwidth (gconstpointer a, gconstpointer b)
{
  const TgAbrVariant *x = a, *y = b;

  if (x->bandwidth != y->bandwidth)
    return x->bandwidth > y->bandwidth ? -1 : 1;
  return y->height - x->height;
}

gboolean
tg_abr_write_master (const char *path, TgAbrVariant *variants, guint n_variants,
                     GError **error)
{
  g_autoptr (GString) text = g_string_new ("#EXTM3U\n#EXT-X-VERSION:3\n");

  qsort (variants, n_variants, sizeof (TgAbrVariant), by_bandwidth);
  for (guint i = 0; i < n_variants; i++)
    {
      const TgAbrVariant *v = &variants[i];

      g_string_append_printf (text,
                              "#EXT-X-STREAM-INF:BANDWIDTH=%" G_GINT64_FORMAT
                              ",RESOLUTION=%dx%d,CODECS=\"avc1.%s%s\"\n%s\n",
                              v->bandwidth, v->width, v->height, v->codec,
                              v->audio ? ",mp4a.40.2" : "", v->uri);
    }
  return g_file_set_contents_full (path, text->str, (gssize) text->len,
                                   G_FILE_SET_CONTENTS_CONSISTENT, 0644, error);
}

/* Whether file is one of name's: {name}.m3u8 or {name}%09d.ts. */
static gboolean
is_file_of (const char *file, const char *name)
{
  const char *rest;

  if (!g_str_has_prefix (file, name))
    return FALSE;
  rest = file + strlen (name);
  return g_str_equal (rest, ".m3u8")
         || (strspn (rest, "0123456789") == SEGMENT_DIGITS
             && g_str_equal (rest + SEGMENT_DIGITS, ".ts"));
}

void
tg_abr_delete_files (const char *dir, const char *const *names)
{
  g_autoptr (GDir) folder = g_dir_open (dir, 0, NULL);
  const char *file;

  while (folder && (file = g_dir_read_name (folder)))
    for (guint i = 0; names[i]; i++)
      if (is_file_of (file, names[i]))
        {
          g_autofree char *path = g_build_filename (dir, file, NULL);

          g_remove (path);
          break;
        }
}
