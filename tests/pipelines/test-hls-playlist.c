/* An ended stream's HLS playlist put right (tg-hls-playlist.h), on
 * hand-made MPEG-TS segments and playlists as hlssink writes them: the
 * duration hlssink 1.22 gave a last segment (#EXTINF:18446743552 with
 * #EXT-X-TARGETDURATION:0) measured again from the segment's timestamps,
 * and a playlist cut short closed without its half-written segment. */
#include <glib/gstdio.h>
#include <string.h>

#include "tg-hls-playlist.h"

/* One TS packet starting a PES of stream_id (0xe0 video, 0xc0 audio) with
 * pts, padded by an adaptation field when adapt. */
static void
put_pes (GByteArray *ts, guint pid, guint8 stream_id, gint64 pts,
         gboolean adapt)
{
  guint8 p[188];
  gsize at = 4;

  memset (p, 0xff, sizeof p);
  p[0] = 0x47;
  p[1] = 0x40 | (pid >> 8);
  p[2] = pid & 0xff;
  p[3] = adapt ? 0x30 : 0x10;
  if (adapt)
    {
      p[4] = 7; /* adaptation field length */
      p[5] = 0;
      at = 4 + 1 + 7;
    }
  memcpy (p + at, "\x00\x00\x01", 3);
  p[at + 3] = stream_id;
  p[at + 4] = p[at + 5] = 0;
  p[at + 6] = 0x80;
  p[at + 7] = 0x80; /* PTS only */
  p[at + 8] = 5;
  p[at + 9] = 0x21 | ((pts >> 29) & 0x0e);
  p[at + 10] = pts >> 22;
  p[at + 11] = 0x01 | ((pts >> 14) & 0xfe);
  p[at + 12] = pts >> 7;
  p[at + 13] = 0x01 | ((pts << 1) & 0xfe);
  g_byte_array_append (ts, p, sizeof p);
}

/* frames of 25 fps video from pts, in decode order with B-frames (I P B B;
 * a last group short of four in order), and audio PES every 1024 samples
 * at 48 kHz beside them. */
static GByteArray *
segment (gint64 pts, guint frames)
{
  GByteArray *ts = g_byte_array_new ();
  static const int order[] = { 0, 3, 1, 2 };

  for (guint i = 0; i < frames; i++)
    {
      guint group = i - i % 4;
      guint f = group + 4 <= frames ? group + order[i % 4] : i;

      put_pes (ts, 0x100, 0xe0, pts + (gint64) f * 3600, i % 2);
      put_pes (ts, 0x101, 0xc0, pts + (gint64) i * 1920, FALSE);
    }
  return ts;
}

static void
test_ts_duration (void)
{
  g_autoptr (GByteArray) two_s = segment (900000, 50);
  g_autoptr (GByteArray) wraps
      = segment ((G_GINT64_CONSTANT (1) << 33) - 9000, 25);
  g_autoptr (GByteArray) audio = g_byte_array_new ();
  g_autoptr (GByteArray) one = g_byte_array_new ();
  double frame = -1;

  /* video: 50 frames of 40 ms, whatever their order */
  g_assert_cmpfloat_with_epsilon (
      tg_hls_ts_duration (two_s->data, two_s->len, &frame), 2.0, 1e-6);
  g_assert_cmpfloat_with_epsilon (frame, 0.04, 1e-6);
  /* across the 33-bit wrap */
  g_assert_cmpfloat_with_epsilon (
      tg_hls_ts_duration (wraps->data, wraps->len, &frame), 1.0, 1e-6);
  /* audio alone */
  for (guint i = 0; i < 10; i++)
    put_pes (audio, 0x101, 0xc0, (gint64) i * 1920, FALSE);
  g_assert_cmpfloat_with_epsilon (
      tg_hls_ts_duration (audio->data, audio->len, &frame), 10 * 1920 / 90000.0,
      1e-6);
  /* one frame: its length is not in it */
  put_pes (one, 0x100, 0xe0, 900000, TRUE);
  g_assert_cmpfloat (tg_hls_ts_duration (one->data, one->len, &frame), ==, 0);
  g_assert_cmpfloat (frame, ==, 0);
  /* nothing: no timestamps */
  g_assert_cmpfloat (tg_hls_ts_duration ((const guint8 *) "", 0, &frame), <, 0);
  g_assert_cmpfloat (tg_hls_ts_duration (two_s->data, 187, &frame), <, 0);
}

static void
test_segment_number (void)
{
  g_assert_cmpint (tg_hls_segment_number ("s1000000012.ts", "s1"), ==, 12);
  g_assert_cmpint (tg_hls_segment_number ("s10000000012.ts", "s1"), ==, -1);
  g_assert_cmpint (tg_hls_segment_number ("s1000000012.ts", "s10"), ==, -1);
  g_assert_cmpint (tg_hls_segment_number ("s1.m3u8", "s1"), ==, -1);
  g_assert_cmpint (tg_hls_segment_number ("s100000001a.ts", "s1"), ==, -1);
}

typedef struct
{
  char *dir;
} Dir;

static void
dir_setup (Dir *d, gconstpointer data)
{
  d->dir = g_dir_make_tmp ("tollgate-hls-XXXXXX", NULL);
  g_assert_nonnull (d->dir);
}

static void
dir_teardown (Dir *d, gconstpointer data)
{
  g_autoptr (GDir) dir = g_dir_open (d->dir, 0, NULL);
  const char *name;

  while ((name = g_dir_read_name (dir)))
    {
      g_autofree char *path = g_build_filename (d->dir, name, NULL);

      g_remove (path);
    }
  g_rmdir (d->dir);
  g_free (d->dir);
}

static void
put_file (Dir *d, const char *name, const void *data, gssize size)
{
  g_autofree char *path = g_build_filename (d->dir, name, NULL);

  g_assert_true (g_file_set_contents (path, data, size, NULL));
}

static char *
get_file (Dir *d, const char *name)
{
  g_autofree char *path = g_build_filename (d->dir, name, NULL);
  char *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return NULL;
  return text;
}

/* What hlssink 1.22 wrote for a stream whose last segment lasted 1.2 s. */
static const char broken[] = "#EXTM3U\n"
                             "#EXT-X-VERSION:3\n"
                             "#EXT-X-ALLOW-CACHE:NO\n"
                             "#EXT-X-MEDIA-SEQUENCE:0\n"
                             "#EXT-X-TARGETDURATION:0\n"
                             "\n"
                             "#EXTINF:2.0000000000000000,\n"
                             "s1000000000.ts\n"
                             "#EXTINF:18446743552,\n"
                             "s1000000001.ts\n"
                             "#EXT-X-ENDLIST\n";

/* The broken playlist, its first segment of 2 s and its last of frames,
 * mended: the playlist then. */
static char *
mended (Dir *d, guint frames)
{
  g_autoptr (GByteArray) first = segment (0, 50);
  g_autoptr (GByteArray) last = segment (180000, frames);

  put_file (d, "s1000000000.ts", first->data, first->len);
  put_file (d, "s1000000001.ts", last->data, last->len);
  put_file (d, "s1.m3u8", broken, -1);
  g_assert_true (tg_hls_playlist_mend (d->dir, "s1"));
  return get_file (d, "s1.m3u8");
}

static void
test_mend (Dir *d, gconstpointer data)
{
  g_autofree char *text = mended (d, 30);

  g_assert_nonnull (strstr (text, "#EXT-X-TARGETDURATION:2\n"));
  g_assert_nonnull (strstr (text, "#EXTINF:2.0000000000000000,\n"
                                  "s1000000000.ts\n"));
  g_assert_nonnull (strstr (text, "#EXTINF:1.200,\ns1000000001.ts\n"));
  g_assert_true (g_str_has_suffix (text, "#EXT-X-ENDLIST\n"));
  g_assert_null (strstr (text, "18446743552"));
  /* sound now: left as it is */
  g_assert_false (tg_hls_playlist_mend (d->dir, "s1"));
}

/* A stream whose last frame is a key frame: its last segment holds that
 * frame alone, and lasts as long as a frame of the one before. */
static void
test_mend_one_frame (Dir *d, gconstpointer data)
{
  g_autofree char *text = mended (d, 1);
  g_assert_nonnull (strstr (text, "#EXTINF:0.040,\ns1000000001.ts\n"));
  g_assert_nonnull (strstr (text, "#EXT-X-TARGETDURATION:2\n"));
}

static void
test_mend_unmeasurable (Dir *d, gconstpointer data)
{
  g_autofree char *text = NULL;

  /* the segment is gone: its duration stays, the target is made right */
  put_file (d, "s1.m3u8", broken, -1);
  g_assert_true (tg_hls_playlist_mend (d->dir, "s1"));
  text = get_file (d, "s1.m3u8");
  g_assert_nonnull (strstr (text, "#EXT-X-TARGETDURATION:2\n"));
  g_assert_nonnull (strstr (text, "#EXTINF:18446743552,\n"));
}

static void
test_close (Dir *d, gconstpointer data)
{
  g_autoptr (GByteArray) ts = segment (0, 50);
  g_autofree char *text = NULL;
  g_autofree char *ended = NULL;
  g_autofree char *half = NULL;
  g_autofree char *other = NULL;
  g_autofree char *listed = NULL;
  const char *live = "#EXTM3U\n#EXT-X-TARGETDURATION:2\n"
                     "#EXTINF:2.0,\ns1000000004.ts\n"
                     "#EXTINF:2.0,\ns1000000005.ts\n";

  put_file (d, "s1000000004.ts", ts->data, ts->len);
  put_file (d, "s1000000005.ts", ts->data, ts->len);
  put_file (d, "s1000000006.ts", ts->data, 188 * 3);  /* being written */
  put_file (d, "s10000000007.ts", ts->data, ts->len); /* stream s10's */
  put_file (d, "s1.m3u8", live, -1);
  g_assert_true (tg_hls_playlist_close (d->dir, "s1"));
  text = get_file (d, "s1.m3u8");
  ended = g_strconcat (live, "#EXT-X-ENDLIST\n", NULL);
  g_assert_cmpstr (text, ==, ended);
  half = get_file (d, "s1000000006.ts");
  g_assert_null (half);
  other = get_file (d, "s10000000007.ts");
  g_assert_nonnull (other);
  listed = get_file (d, "s1000000005.ts");
  g_assert_nonnull (listed);
  /* ended already: nothing more */
  g_assert_false (tg_hls_playlist_close (d->dir, "s1"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/hls-playlist/ts-duration", test_ts_duration);
  g_test_add_func ("/hls-playlist/segment-number", test_segment_number);
  g_test_add ("/hls-playlist/mend", Dir, NULL, dir_setup, test_mend,
              dir_teardown);
  g_test_add ("/hls-playlist/mend-one-frame", Dir, NULL, dir_setup,
              test_mend_one_frame, dir_teardown);
  g_test_add ("/hls-playlist/mend-unmeasurable", Dir, NULL, dir_setup,
              test_mend_unmeasurable, dir_teardown);
  g_test_add ("/hls-playlist/close", Dir, NULL, dir_setup, test_close,
              dir_teardown);
  return g_test_run ();
}
