/* The checks of publishers' codec configuration (tg-codec-check.h) on
 * every message of two real RTMP publishes (ffmpeg and rtmp2sink, in
 * ../shared/testdata/rtmp beside the repository, found through
 * TOLLGATE_SOURCE_ROOT): their AAC and AVC sequence headers and every
 * H.264 frame are accepted. */
#include "tg-codec-check.h"
#include "tg-rtmp-chunk.h"

/* --- the RTMP captures, every message --- */

typedef struct
{
  guint configs, avccs, frames, audio;
  guint nal_length_size;
} Capture;

static gboolean
on_message (const TgRtmpMessage *message, gpointer user_data, GError **error)
{
  Capture *capture = user_data;
  const guint8 *body = message->data;
  const char *reason = NULL;

  if (message->type == TG_RTMP_AUDIO && message->size >= 2
      && body[0] >> 4 == 10)
    {
      if (body[1] == 0)
        {
          if (!tg_codec_check_aac_config (body + 2, message->size - 2, &reason))
            g_error ("AAC sequence header refused: %s", reason);
          capture->configs++;
        }
      else
        capture->audio++;
    }
  if (message->type == TG_RTMP_VIDEO && message->size >= 5
      && (body[0] & 0x0f) == 7)
    {
      if (body[1] == 0)
        {
          if (!tg_codec_check_avcc (body + 5, message->size - 5, &reason))
            g_error ("AVC sequence header refused: %s", reason);
          capture->nal_length_size = (body[5 + 4] & 3) + 1;
          capture->avccs++;
        }
      else if (body[1] == 1)
        {
          g_assert_cmpuint (capture->nal_length_size, >, 0);
          if (!tg_codec_check_h264_frame (body + 5, message->size - 5,
                                          capture->nal_length_size, &reason))
            g_error ("frame %u refused: %s", capture->frames, reason);
          capture->frames++;
        }
    }
  return TRUE;
}

static void
test_captures (void)
{
  const char *root = g_getenv ("TOLLGATE_SOURCE_ROOT");
  const char *names[] = { "ffmpeg-publish.client", "rtmp2sink-publish.client" };

  if (root == NULL)
    {
      g_test_fail_printf ("TOLLGATE_SOURCE_ROOT is not set: run this test "
                          "with meson test");
      return;
    }
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *path = g_build_filename (
          root, "..", "shared", "testdata", "rtmp", names[i], NULL);
      g_autoptr (GError) error = NULL;
      g_autofree char *contents = NULL;
      g_autoptr (TgRtmpChunkReader) reader = NULL;
      Capture capture = { 0 };
      gsize length;

      if (!g_file_get_contents (path, &contents, &length, &error))
        {
          g_test_fail_printf ("the RTMP captures are missing (%s): the "
                              "shared/ directory must sit beside the "
                              "repository",
                              error->message);
          return;
        }
      reader = tg_rtmp_chunk_reader_new (on_message, &capture);
      g_assert_cmpuint (length, >, 1 + 2 * 1536);
      g_assert_true (tg_rtmp_chunk_reader_feed (
          reader, (const guint8 *) contents + 1 + 2 * 1536,
          length - 1 - 2 * 1536, &error));
      g_assert_no_error (error);
      g_test_message ("%s: %u frames", names[i], capture.frames);
      g_assert_cmpuint (capture.configs, ==, 1);
      g_assert_cmpuint (capture.avccs, ==, 1);
      g_assert_cmpuint (capture.frames, ==, 75);
      g_assert_cmpuint (capture.audio, ==, 131);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/codec-check/captures", test_captures);
  return g_test_run ();
}
