/* The per-stream pipeline, fed FLV that the real ffmpeg made: HLS and MP4
 * come out, the publish token is spent once, a refused publisher leaves no
 * file, and an unsupported codec ends the stream with a clear error. */
#include <glib/gstdio.h>

#include "ffmpeg-media.h"
#include "tg-stream.h"

#define SECONDS 4

typedef struct
{
  char *dir;
  TgStore *store;
  GMainLoop *loop;
  GError *ended_error;
  gboolean ended;
} Fixture;

/* seconds of test pattern, and of a tone unless audio_codec is NULL. */
static GBytes *
make_flv_with (const char *video_codec, const char *audio_codec, int seconds)
{
  g_autofree char *duration = g_strdup_printf ("%d", seconds);
  const char *args[]
      = { "-f",
          "lavfi",
          "-i",
          "testsrc=size=320x240:rate=25",
          "-f",
          "lavfi",
          "-i",
          "sine=frequency=440",
          "-t",
          duration,
          "-c:v",
          video_codec,
          "-g",
          "25",
          audio_codec ? "-c:a" : "-an",
          audio_codec ? audio_codec : "-sn", /* (no subtitles: a no-op) */
          "-f",
          "flv",
          NULL };

  return tg_test_ffmpeg (args);
}

static GBytes *
make_flv (const char *video_codec)
{
  return make_flv_with (video_codec, "aac", SECONDS);
}

static void
setup (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  f->dir = g_dir_make_tmp ("tg-stream-XXXXXX", &error);
  g_assert_no_error (error);
  f->store = tg_store_open ("memory://", &error);
  g_assert_no_error (error);
  f->loop = g_main_loop_new (NULL, FALSE);
}

static void
teardown (Fixture *f, gconstpointer data)
{
  g_autoptr (GDir) dir = g_dir_open (f->dir, 0, NULL);
  const char *name;

  while ((name = g_dir_read_name (dir)))
    {
      g_autofree char *path = g_build_filename (f->dir, name, NULL);

      g_remove (path);
    }
  g_rmdir (f->dir);
  g_free (f->dir);
  tg_store_unref (f->store);
  g_main_loop_unref (f->loop);
  g_clear_error (&f->ended_error);
}

static void
ended (TgStream *stream, const GError *error, gpointer data)
{
  Fixture *f = data;

  f->ended = TRUE;
  f->ended_error = error ? g_error_copy (error) : NULL;
  g_main_loop_quit (f->loop);
}

static TgStreamSpec
spec_for (Fixture *f, const char *token)
{
  TgStreamSpec spec = { .app = "LiveApp",
                        .stream_id = "s1",
                        .token = token,
                        .store = f->store,
                        .dir = f->dir,
                        .hls = TRUE,
                        .hls_time = 1,
                        .hls_list_size = 10,
                        .mp4 = TRUE };
  return spec;
}

typedef struct
{
  TgStream *stream;
  GBytes *flv;
} Publisher;

/* Feeds the FLV in pieces the size RTMP would deliver, then finishes: on a
 * thread of its own, as a publisher's connection does. */
static gpointer
feed (gpointer data)
{
  Publisher *p = data;
  gsize size = g_bytes_get_size (p->flv);

  for (gsize at = 0; at < size; at += 4096)
    if (!tg_stream_push (p->stream, g_bytes_new_from_bytes (
                                        p->flv, at, MIN (4096, size - at))))
      break;
  tg_stream_finish (p->stream);
  return NULL;
}

static void
publish (Fixture *f, TgStream *stream, GBytes *flv)
{
  Publisher p = { stream, flv };
  GThread *thread = g_thread_new ("publisher", feed, &p);

  g_main_loop_run (f->loop);
  g_thread_join (thread);
  g_assert_true (f->ended);
}

static char *
file (Fixture *f, const char *name)
{
  return g_build_filename (f->dir, name, NULL);
}

static double
probe_duration (const char *path)
{
  const char *argv[]
      = { FFPROBE,   "-v", "error", "-show_entries", "format=duration", "-of",
          "csv=p=0", path, NULL };
  g_autofree char *out = NULL;
  g_autoptr (GError) error = NULL;
  int status = 0;

  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out,
                NULL, &status, &error);
  g_assert_no_error (error);
  g_assert_cmpint (status, ==, 0);
  return g_ascii_strtod (out, NULL);
}

static void
test_hls_and_mp4 (Fixture *f, gconstpointer data)
{
  g_autoptr (GBytes) flv = make_flv ("libx264");
  g_autoptr (GError) error = NULL;
  g_autoptr (TgToken) token
      = tg_store_mint (f->store, "LiveApp", "s1", TG_TOKEN_TYPE_PUBLISH,
                       g_get_real_time () / G_USEC_PER_SEC + 60, NULL, &error);
  TgStreamSpec spec = spec_for (f, token->token_id);
  TgStream *stream = tg_stream_new (&spec, ended, f, &error);
  g_autofree char *playlist = file (f, "s1.m3u8");
  g_autofree char *first = file (f, "s1000000000.ts");
  g_autofree char *mp4 = file (f, "s1.mp4");
  g_autofree char *part = file (f, "s1.mp4.part");
  g_autofree char *text = NULL;
  g_autoptr (GPtrArray) left = NULL;

  TgStreamInfo info;

  g_assert_no_error (error);
  tg_stream_get_info (stream, &info);
  g_assert_cmpint (info.width, ==, 0);
  g_assert_null (info.video_codec);
  g_assert_true (tg_stream_start (stream, &error));
  publish (f, stream, flv);
  g_assert_no_error (f->ended_error);
  g_assert_cmpstr (tg_stream_get_recording (stream), ==, mp4);
  /* What passed, measured: ffmpeg's test pattern, its x264 stream of a
   * few hundred kb/s and its AAC of about 128 kb/s. */
  tg_stream_get_info (stream, &info);
  g_assert_cmpint (info.width, ==, 320);
  g_assert_cmpint (info.height, ==, 240);
  g_assert_cmpstr (info.video_codec, ==, "H264");
  g_assert_cmpstr (info.audio_codec, ==, "AAC");
  g_assert_cmpint (info.video_bitrate, >, 20000);
  g_assert_cmpint (info.video_bitrate, <, 5000000);
  g_assert_cmpint (info.audio_bitrate, >, 64000);
  g_assert_cmpint (info.audio_bitrate, <, 200000);
  tg_stream_free (stream);

  g_assert_true (g_file_get_contents (playlist, &text, NULL, NULL));
  g_assert_nonnull (strstr (text, "#EXT-X-ENDLIST"));
  g_assert_nonnull (strstr (text, "s1000000001.ts"));
  g_assert_true (g_file_test (first, G_FILE_TEST_EXISTS));
  g_assert_cmpfloat_with_epsilon (probe_duration (playlist), SECONDS, 1.0);
  g_assert_false (g_file_test (part, G_FILE_TEST_EXISTS));
  g_assert_cmpfloat_with_epsilon (probe_duration (mp4), SECONDS, 0.5);
  /* Spent: the store holds no token for the stream any more. */
  left = tg_store_list_tokens (f->store, "LiveApp", "s1", 0, 10, &error);
  g_assert_cmpuint (left->len, ==, 0);
}

static void
test_hls_deleted_at_end (Fixture *f, gconstpointer data)
{
  g_autoptr (GBytes) flv = make_flv ("libx264");
  g_autoptr (GError) error = NULL;
  TgStreamSpec spec = spec_for (f, NULL);
  TgStream *stream;
  g_autofree char *playlist = file (f, "s1.m3u8");
  g_autofree char *first = file (f, "s1000000000.ts");
  g_autofree char *mp4 = file (f, "s1.mp4");

  spec.hls_delete = TRUE;
  stream = tg_stream_new (&spec, ended, f, &error);
  g_assert_no_error (error);
  g_assert_true (tg_stream_start (stream, &error));
  publish (f, stream, flv);
  g_assert_no_error (f->ended_error);
  tg_stream_free (stream);
  g_assert_false (g_file_test (playlist, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (first, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (mp4, G_FILE_TEST_EXISTS)); /* kept */
}

static void
test_second_recording_name (Fixture *f, gconstpointer data)
{
  g_autoptr (GBytes) flv = make_flv ("libx264");
  g_autofree char *second = file (f, "s1_1.mp4");

  for (int i = 0; i < 2; i++)
    {
      g_autoptr (GError) error = NULL;
      TgStreamSpec spec = spec_for (f, NULL);
      TgStream *stream = tg_stream_new (&spec, ended, f, &error);

      g_assert_no_error (error);
      g_assert_true (tg_stream_start (stream, &error));
      f->ended = FALSE;
      publish (f, stream, flv);
      tg_stream_free (stream);
    }
  g_assert_true (g_file_test (second, G_FILE_TEST_EXISTS));
}

static void
test_refused_token_leaves_nothing (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TgToken) token
      = tg_store_mint (f->store, "LiveApp", "other", TG_TOKEN_TYPE_PUBLISH,
                       g_get_real_time () / G_USEC_PER_SEC + 60, NULL, &error);
  TgStreamSpec spec = spec_for (f, token->token_id);
  TgStream *stream = tg_stream_new (&spec, ended, f, &error);
  g_autoptr (GDir) dir = NULL;
  g_autoptr (GPtrArray) left = NULL;

  g_assert_null (stream);
  g_assert_error (error, TG_ERROR, TG_ERROR_FORBIDDEN);
  g_assert_nonnull (strstr (error->message, "wrong-stream"));
  dir = g_dir_open (f->dir, 0, NULL);
  g_assert_null (g_dir_read_name (dir));
  left = tg_store_list_tokens (f->store, "LiveApp", "other", 0, 10, NULL);
  g_assert_cmpuint (left->len, ==, 1);
}

/* With HLS and MP4 off a stream still ends cleanly when its publisher
 * goes (not by the drain timeout), and writes nothing. */
static void
test_no_outputs (Fixture *f, gconstpointer data)
{
  g_autoptr (GBytes) flv = make_flv ("libx264");
  g_autoptr (GError) error = NULL;
  g_autoptr (GDir) dir = NULL;
  TgStreamSpec spec = spec_for (f, NULL);
  TgStream *stream;

  spec.hls = spec.mp4 = FALSE;
  stream = tg_stream_new (&spec, ended, f, &error);
  g_assert_no_error (error);
  g_assert_true (tg_stream_start (stream, &error));
  publish (f, stream, flv);
  g_assert_no_error (f->ended_error);
  g_assert_null (tg_stream_get_recording (stream));
  tg_stream_free (stream);
  dir = g_dir_open (f->dir, 0, &error);
  g_assert_no_error (error);
  g_assert_null (g_dir_read_name (dir));
}

/* The header announces audio that never comes: the muxers wait for it, hold
 * the publisher back once their window is full, and the stream is stopped
 * rather than left hanging. The video is three windows long, so that the
 * publisher is surely held back, however loaded the machine. */
static void
test_missing_track_stops_the_stream (Fixture *f, gconstpointer data)
{
  g_autoptr (GBytes) video = make_flv_with ("libx264", NULL, 10);
  gsize size = g_bytes_get_size (video);
  guint8 *bytes = g_memdup2 (g_bytes_get_data (video, NULL), size);
  g_autoptr (GBytes) flv = NULL;
  g_autoptr (GError) error = NULL;
  TgStreamSpec spec = spec_for (f, NULL);
  TgStream *stream = tg_stream_new (&spec, ended, f, &error);

  g_assert_cmpuint (bytes[4], ==, 0x01); /* video only */
  bytes[4] = 0x05;                       /* audio and video */
  flv = g_bytes_new_take (bytes, size);
  g_assert_no_error (error);
  g_assert_true (tg_stream_start (stream, &error));
  publish (f, stream, flv);
  g_assert_nonnull (f->ended_error);
  g_assert_nonnull (strstr (f->ended_error->message, "a track stopped"));
  tg_stream_free (stream);
}

static void
test_unsupported_codec (Fixture *f, gconstpointer data)
{
  g_autoptr (GBytes) flv = make_flv ("flv1"); /* Sorenson H.263 */
  g_autoptr (GError) error = NULL;
  TgStreamSpec spec = spec_for (f, NULL);
  TgStream *stream = tg_stream_new (&spec, ended, f, &error);

  g_assert_no_error (error);
  g_assert_true (tg_stream_start (stream, &error));
  publish (f, stream, flv);
  g_assert_nonnull (f->ended_error);
  g_assert_nonnull (strstr (f->ended_error->message, "Unsupported video"));
  tg_stream_free (stream);
}

int
main (int argc, char **argv)
{
  gst_init (&argc, &argv);
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/stream/hls-and-mp4", Fixture, NULL, setup, test_hls_and_mp4,
              teardown);
  g_test_add ("/stream/hls-deleted-at-end", Fixture, NULL, setup,
              test_hls_deleted_at_end, teardown);
  g_test_add ("/stream/second-recording-name", Fixture, NULL, setup,
              test_second_recording_name, teardown);
  g_test_add ("/stream/refused-token-leaves-nothing", Fixture, NULL, setup,
              test_refused_token_leaves_nothing, teardown);
  g_test_add ("/stream/unsupported-codec", Fixture, NULL, setup,
              test_unsupported_codec, teardown);
  g_test_add ("/stream/no-outputs", Fixture, NULL, setup, test_no_outputs,
              teardown);
  g_test_add ("/stream/missing-track-stops-the-stream", Fixture, NULL, setup,
              test_missing_track_stops_the_stream, teardown);
  return g_test_run ();
}
