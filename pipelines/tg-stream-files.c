/* A stream's file outputs, chosen when it starts from the app's settings:
 * HLS (mpegtsmux ! hlssink: {id}.m3u8, {id}%09d.ts), the MP4 recording
 * (mp4mux ! filesink: {id}.mp4.part, renamed {id}.mp4 when complete) and
 * CMAF for DASH and LL-HLS (tg-cmaf.h); and what becomes of them at the
 * end. */
#include "tg-stream-private.h"

#include "tg-hls-playlist.h"
#include "tg-mp4-compact.h"
#include "tg-ts-mux.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>

/* Recording length whose index room is reserved up front. */
#define RESERVED_HOURS 3

/* A free recording name: {id}.mp4, then {id}_1.mp4, {id}_2.mp4... */
static char *
recording_name (const char *dir, const char *stream_id)
{
  for (guint n = 0;; n++)
    {
      g_autofree char *base = n ? g_strdup_printf ("%s_%u.mp4", stream_id, n)
                                : g_strdup_printf ("%s.mp4", stream_id);
      char *path = g_build_filename (dir, base, NULL);
      g_autofree char *part = g_strconcat (path, ".part", NULL);

      if (!g_file_test (path, G_FILE_TEST_EXISTS)
          && !g_file_test (part, G_FILE_TEST_EXISTS))
        return path;
      g_free (path);
    }
}

/* Whether a file exists and holds nothing. */
static gboolean
is_empty_file (const char *path)
{
  GStatBuf st;

  return g_stat (path, &st) == 0 && S_ISREG (st.st_mode) && st.st_size == 0;
}

/* The index's reserve goes (tg-mp4-compact.h); a recording that cannot be
 * compacted stays as it is, and plays. */
static void
compact (const char *name, const char *path)
{
  g_autoptr (GError) error = NULL;
  guint64 saved = 0;

  if (tg_mp4_compact (path, &saved, &error))
    g_info ("%s: recording compacted: %" G_GUINT64_FORMAT " bytes of its "
            "index's reserve cut",
            name, saved);
  else
    g_message ("%s: recording not compacted: %s", name, error->message);
}

/* The recording is complete: compact it, give it its final name. */
static void
finalise_recording (TgStream *stream)
{
  if (stream->mp4_part == NULL
      || !g_file_test (stream->mp4_part, G_FILE_TEST_EXISTS))
    return;
  if (stream->mp4_dropped)
    {
      g_message ("%s: recording dropped: a track it announced never came",
                 stream->name);
      g_remove (stream->mp4_part);
      return;
    }
  compact (stream->name, stream->mp4_part);
  if (g_rename (stream->mp4_part, stream->mp4_final) != 0)
    g_message ("%s: could not rename the recording: %s", stream->name,
               g_strerror (errno));
}

/* A stream's playlist and segments in dir: {id}.m3u8, {id}%09d.ts. */
static void
delete_hls_of (const char *dir_path, const char *stream_id)
{
  g_autoptr (GDir) dir = g_dir_open (dir_path, 0, NULL);
  g_autofree char *playlist = g_strconcat (stream_id, ".m3u8", NULL);
  const char *name;

  while (dir && (name = g_dir_read_name (dir)))
    if (g_str_equal (name, playlist)
        || tg_hls_segment_number (name, stream_id) >= 0)
      {
        g_autofree char *path = g_build_filename (dir_path, name, NULL);

        g_remove (path);
      }
}

static void
delete_hls (TgStream *stream)
{
  delete_hls_of (stream->dir, stream->stream_id);
}

/* --- what a crash left (tg_stream_repair_files) --- */

/* A recording left under its .part name: its final name (a free one), or
 * nothing if it is empty. */
static gboolean
repair_recording (const char *dir, const char *name)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *stream_id
      = g_strndup (name, strlen (name) - strlen (".mp4.part"));
  g_autofree char *final = NULL;

  if (is_empty_file (path))
    return g_remove (path) == 0;
  compact (path, path);
  final = g_build_filename (dir, name, NULL);
  final[strlen (final) - strlen (".part")] = '\0';
  if (g_file_test (final, G_FILE_TEST_EXISTS))
    {
      g_free (final);
      final = recording_name (dir, stream_id);
    }
  if (g_rename (path, final) != 0)
    {
      g_message ("%s: could not rename: %s", path, g_strerror (errno));
      return FALSE;
    }
  return TRUE;
}

/* A media playlist without its end tag: closed (tg_hls_playlist_close) and
 * its durations mended, or deleted with its segments; an ended one, its
 * durations mended. */
static gboolean
repair_playlist (const char *dir, const char *name, gboolean delete_hls)
{
  g_autofree char *stream_id
      = g_strndup (name, strlen (name) - strlen (".m3u8"));
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL)
      || strstr (text, "#EXTINF") == NULL)
    return FALSE;
  /* ended: its durations may still want mending */
  if (strstr (text, "#EXT-X-ENDLIST") != NULL)
    return tg_hls_playlist_mend (dir, stream_id);
  if (delete_hls)
    {
      delete_hls_of (dir, stream_id);
      return TRUE;
    }
  if (!tg_hls_playlist_close (dir, stream_id))
    return FALSE;
  tg_hls_playlist_mend (dir, stream_id);
  return TRUE;
}

guint
tg_stream_repair_files (const char *dir_path, gboolean delete_hls)
{
  g_autoptr (GDir) dir = g_dir_open (dir_path, 0, NULL);
  g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;
  guint repaired = 0;

  /* read first: the repairs rename and delete in the folder */
  while (dir && (name = g_dir_read_name (dir)))
    if (g_str_has_suffix (name, ".mp4.part")
        || g_str_has_suffix (name, ".m3u8"))
      g_ptr_array_add (names, g_strdup (name));
  for (guint i = 0; i < names->len; i++)
    repaired += g_str_has_suffix (names->pdata[i], ".part")
                    ? repair_recording (dir_path, names->pdata[i])
                    : repair_playlist (dir_path, names->pdata[i], delete_hls);
  return repaired;
}

/* tg-ts-mux ! hlssink: hlssink asks upstream for a key unit every
 * target-duration; the muxer starts one at the next video key frame, which
 * starts a new segment. */
static gboolean
add_hls (TgStream *stream, const TgStreamSpec *spec, GError **error)
{
  GstElement *mux = tg_ts_mux_new ();
  GstElement *sink = tg_stream_make ("hlssink", error);
  g_autofree char *segments = NULL;
  g_autofree char *playlist = NULL;
  g_autofree char *pattern = NULL;

  if (sink == NULL)
    {
      if (mux)
        gst_object_unref (mux);
      return FALSE;
    }
  pattern = g_strdup_printf ("%s%%09d.ts", spec->stream_id);
  segments = g_build_filename (spec->dir, pattern, NULL);
  playlist = g_strdup_printf ("%s/%s.m3u8", spec->dir, spec->stream_id);
  g_object_set (mux, "latency", (guint64) MUX_WINDOW, NULL);
  g_object_set (sink, "location", segments, "playlist-location", playlist,
                "target-duration", (guint) MAX (1, spec->hls_time + 0.5),
                "playlist-length", spec->hls_list_size,
                /* old segments go once they have left the playlist */
                "max-files", spec->hls_list_size + 2, NULL);
  gst_bin_add_many (GST_BIN (stream->pipeline), mux, sink, NULL);
  if (!tg_stream_link (mux, sink, error))
    return FALSE;
  stream->mux[OUT_HLS] = mux;
  return TRUE;
}

static gboolean
add_mp4 (TgStream *stream, const TgStreamSpec *spec, GError **error)
{
  GstElement *mux = tg_stream_make ("mp4mux", error);
  GstElement *sink = mux ? tg_stream_make ("filesink", error) : NULL;

  if (sink == NULL)
    {
      if (mux)
        gst_object_unref (mux);
      return FALSE;
    }
  stream->mp4_final = recording_name (spec->dir, spec->stream_id);
  stream->mp4_part = g_strconcat (stream->mp4_final, ".part", NULL);
  /* Room for the index is reserved at the start and the index rewritten
   * there every second, so a recording cut short by a crash still plays
   * (up to the reserved length; past it the index is written at the end). */
  g_object_set (mux, "reserved-max-duration",
                (guint64) RESERVED_HOURS * 3600 * GST_SECOND,
                "reserved-moov-update-period", (guint64) GST_SECOND, "latency",
                (guint64) MUX_WINDOW, NULL);
  g_object_set (sink, "location", stream->mp4_part, NULL);
  gst_bin_add_many (GST_BIN (stream->pipeline), mux, sink, NULL);
  if (!tg_stream_link (mux, sink, error))
    return FALSE;
  stream->mux[OUT_MP4] = mux;
  return TRUE;
}

gboolean
tg_stream_add_files (TgStream *stream, const TgStreamSpec *spec, GError **error)
{
  if (spec->hls && !add_hls (stream, spec, error))
    return FALSE;
  if (spec->mp4 && !add_mp4 (stream, spec, error))
    return FALSE;
  if (spec->dash)
    {
      TgCmafSpec cmaf = { .dir = spec->dir,
                          .stream_id = spec->stream_id,
                          .segment_time = spec->hls_time,
                          .list_size = spec->hls_list_size };

      stream->cmaf = tg_cmaf_new (&cmaf);
    }
  return TRUE;
}

void
tg_stream_end_files (TgStream *stream, gboolean complete)
{
  /* ended before any media (the publisher left, or its media was refused):
   * no recording */
  if (stream->mp4_part && is_empty_file (stream->mp4_part))
    {
      g_info ("%s: no recording: no media came", stream->name);
      g_remove (stream->mp4_part);
    }
  /* A stream cut short (a full disk, media refused part-way) keeps what it
   * wrote, as after a crash: the recording's index, rewritten every second,
   * covers all but its last second; the playlist is closed. */
  finalise_recording (stream);
  if (stream->mux[OUT_HLS] && stream->hls_delete)
    delete_hls (stream);
  else if (stream->mux[OUT_HLS])
    {
      if (!complete)
        tg_hls_playlist_close (stream->dir, stream->stream_id);
      tg_hls_playlist_mend (stream->dir, stream->stream_id);
    }
  if (stream->cmaf)
    tg_cmaf_end (stream->cmaf, stream->dash_delete);
}
