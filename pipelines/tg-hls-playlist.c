#include "tg-hls-playlist.h"

#include <glib/gstdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TS_PACKET 188
#define PTS_HZ 90000.0
#define PTS_WRAP (G_GINT64_CONSTANT (1) << 33)

gint64
tg_hls_segment_number (const char *name, const char *stream_id)
{
  gsize id_length = strlen (stream_id);
  const char *rest = name + id_length;

  if (strncmp (name, stream_id, id_length) != 0
      || strspn (rest, "0123456789") != 9 || !g_str_equal (rest + 9, ".ts"))
    return -1;
  return g_ascii_strtoll (rest, NULL, 10);
}

/* The playlist's path and text if it lists segments; NULL otherwise. */
static char *
read_playlist (const char *dir, const char *stream_id, char **path)
{
  g_autofree char *base = g_strconcat (stream_id, ".m3u8", NULL);
  char *text = NULL;

  *path = g_build_filename (dir, base, NULL);
  if (g_file_get_contents (*path, &text, NULL, NULL)
      && strstr (text, "#EXTINF") != NULL)
    return text;
  g_free (text);
  return NULL;
}

/* A URI line's segment: its file name (URIs are relative, hlssink's
 * without a playlist-root), or NULL for tags and blank lines. */
static char *
segment_of (const char *line)
{
  g_autofree char *uri = g_strstrip (g_strdup (line));

  if (uri[0] == '#' || uri[0] == '\0')
    return NULL;
  return g_path_get_basename (uri);
}

gboolean
tg_hls_playlist_close (const char *dir_path, const char *stream_id)
{
  g_autofree char *path = NULL;
  g_autofree char *text = read_playlist (dir_path, stream_id, &path);
  g_autofree char *ended = NULL;
  g_auto (GStrv) lines = NULL;
  g_autoptr (GDir) dir = NULL;
  gint64 last = -1;
  const char *name;

  if (text == NULL || strstr (text, "#EXT-X-ENDLIST") != NULL)
    return FALSE;
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    {
      g_autofree char *segment = segment_of (lines[i]);

      if (segment)
        last = MAX (last, tg_hls_segment_number (segment, stream_id));
    }
  dir = g_dir_open (dir_path, 0, NULL);
  while (dir && (name = g_dir_read_name (dir)))
    if (tg_hls_segment_number (name, stream_id) > last)
      {
        g_autofree char *segment = g_build_filename (dir_path, name, NULL);

        g_remove (segment);
      }
  ended = g_strconcat (text, g_str_has_suffix (text, "\n") ? "" : "\n",
                       "#EXT-X-ENDLIST\n", NULL);
  if (!g_file_set_contents (path, ended, -1, NULL))
    {
      g_message ("%s: could not end the playlist", path);
      return FALSE;
    }
  return TRUE;
}

/* A PES header's 33-bit PTS (ISO 13818-1 2.4.3.7), or -1. */
static gint64
pes_pts (const guint8 *pes, gsize size)
{
  if (size < 14 || pes[0] != 0 || pes[1] != 0 || pes[2] != 1
      || !(pes[7] & 0x80))
    return -1;
  return ((gint64) (pes[9] >> 1) & 7) << 30 | (gint64) pes[10] << 22
         | (gint64) (pes[11] >> 1) << 15 | (gint64) pes[12] << 7 | pes[13] >> 1;
}

static int
compare_pts (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

/* The span of one track's PTS in seconds, its shortest step (*frame)
 * added (B-frames come out of order: sorted first). */
static double
span (GArray *pts, double *frame)
{
  gint64 step = 0;

  if (pts->len == 0)
    return -1;
  g_array_sort (pts, compare_pts);
  for (guint i = 1; i < pts->len; i++)
    {
      gint64 d
          = g_array_index (pts, gint64, i) - g_array_index (pts, gint64, i - 1);

      if (d > 0 && (step == 0 || d < step))
        step = d;
    }
  *frame = step / PTS_HZ;
  return (g_array_index (pts, gint64, pts->len - 1)
          - g_array_index (pts, gint64, 0) + step)
         / PTS_HZ;
}

double
tg_hls_ts_duration (const guint8 *data, gsize size, double *frame)
{
  g_autoptr (GArray) video = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr (GArray) audio = g_array_new (FALSE, FALSE, sizeof (gint64));
  gint64 first = -1;

  for (gsize at = 0; at + TS_PACKET <= size; at += TS_PACKET)
    {
      const guint8 *p = data + at;
      gsize start = 4;
      gint64 pts;
      GArray *track;

      if (p[0] != 0x47 || !(p[1] & 0x40)) /* not a PES's first packet */
        continue;
      if (p[3] & 0x20) /* an adaptation field first */
        start += 1 + p[4];
      if (!(p[3] & 0x10) || start >= TS_PACKET)
        continue;
      pts = pes_pts (p + start, TS_PACKET - start);
      if (pts < 0)
        continue;
      track = (p[start + 3] & 0xf0) == 0xe0   ? video
              : (p[start + 3] & 0xe0) == 0xc0 ? audio
                                              : NULL;
      if (track == NULL)
        continue;
      /* unwrapped from the segment's first PTS on */
      if (first < 0)
        first = pts;
      if (pts < first - PTS_WRAP / 2)
        pts += PTS_WRAP;
      g_array_append_val (track, pts);
    }
  *frame = 0;
  return span (video->len ? video : audio, frame);
}

/* A duration hlssink may have written: a number above 0 and no longer
 * than TG_HLS_LONGEST_SEGMENT_S. */
static gboolean
sane (const char *value)
{
  char *end = NULL;
  double d = g_ascii_strtod (value, &end);

  return end != value && (*end == ',' || *end == '\0') && isfinite (d) && d > 0
         && d <= TG_HLS_LONGEST_SEGMENT_S;
}

static double
measure (const char *dir, const char *segment, double *frame)
{
  g_autofree char *path = g_build_filename (dir, segment, NULL);
  g_autofree char *data = NULL;
  gsize size = 0;

  *frame = 0;
  if (segment == NULL || !g_file_get_contents (path, &data, &size, NULL))
    return -1;
  return tg_hls_ts_duration ((const guint8 *) data, size, frame);
}

/* A segment's duration; one of a single frame (as a stream whose last
 * frame is a key frame ends on) lasts a frame of the segment before. */
static double
duration_of (const char *dir, const char *segment, const char *before)
{
  double frame = 0;
  double d = measure (dir, segment, &frame);

  if (d == 0)
    measure (dir, before, &frame);
  return d == 0 ? frame : d;
}

gboolean
tg_hls_playlist_mend (const char *dir, const char *stream_id)
{
  g_autofree char *path = NULL;
  g_autofree char *text = read_playlist (dir, stream_id, &path);
  g_auto (GStrv) lines = NULL;
  g_autoptr (GString) out = NULL;
  gboolean mended = FALSE;
  double longest = 0;
  gint target_line = -1;
  g_autofree char *before = NULL;

  if (text == NULL)
    return FALSE;
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    {
      const char *value;
      g_autofree char *segment = NULL;
      double d;

      if (g_str_has_prefix (lines[i], "#EXT-X-TARGETDURATION:"))
        target_line = i;
      if (!g_str_has_prefix (lines[i], "#EXTINF:") || lines[i + 1] == NULL)
        continue;
      value = lines[i] + strlen ("#EXTINF:");
      segment = segment_of (lines[i + 1]);
      if (sane (value))
        {
          longest = MAX (longest, g_ascii_strtod (value, NULL));
          g_free (before);
          before = g_steal_pointer (&segment);
          continue;
        }
      d = duration_of (dir, segment, before);
      if (d <= 0 || d > TG_HLS_LONGEST_SEGMENT_S)
        {
          g_message ("%s: %s: its duration (%s) is wrong and cannot be "
                     "measured",
                     path, segment ? segment : "?", value);
          continue;
        }
      g_free (lines[i]);
      lines[i] = g_strdup_printf ("#EXTINF:%.3f,", d);
      longest = MAX (longest, d);
      mended = TRUE;
      g_free (before);
      before = g_steal_pointer (&segment);
    }
  if (target_line >= 0
      && (mended
          || g_ascii_strtoll (lines[target_line]
                                  + strlen ("#EXT-X-TARGETDURATION:"),
                              NULL, 10)
                 <= 0))
    {
      g_free (lines[target_line]);
      lines[target_line] = g_strdup_printf ("#EXT-X-TARGETDURATION:%d",
                                            MAX (1, (int) ceil (longest)));
      mended = TRUE;
    }
  if (!mended)
    return FALSE;
  out = g_string_new (NULL);
  for (guint i = 0; lines[i]; i++)
    g_string_append_printf (out, "%s%s", i ? "\n" : "", lines[i]);
  if (!g_file_set_contents (path, out->str, (gssize) out->len, NULL))
    {
      g_message ("%s: could not mend the playlist", path);
      return FALSE;
    }
  g_info ("%s: segment durations mended", path);
  return TRUE;
}
