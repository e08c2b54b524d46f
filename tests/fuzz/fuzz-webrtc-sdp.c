/* libFuzzer target: what the server reads of a WebRTC client's SDP. The
 * input is the SDP text (a NUL ends it, as it ends the body a WHIP POST
 * is copied into and the string a WebSocket message holds), parsed as the
 * server parses it (tg_webrtc_parse_sdp, tg-webrtc-peer.h), then read as
 * - a WHIP or WHEP POST's offer (tg_whip_is_offer, tg_whip_sends_media,
 *   tg-whip-session.h) and a WHEP offer's video (tg_viewer_check_offer);
 * - a WebSocket or WHIP publisher's offer (tg_webrtc_in_offers,
 *   tg_webrtc_in_offers_h264, tg-webrtc-in.h);
 * - a WebSocket viewer's answer to our offer (tg_viewer_answer_takes_video).
 * pipelines/tg-viewer.c and tg-webrtc-in.c are built into this fuzzer,
 * with coverage. What is asserted: the WHIP door lets through every offer
 * whose tracks the ingest would take; a WHEP offer taken for a stream is
 * also taken when a baseline video is offered beside it, whatever the
 * stream's audio; an offer or answer read as taking video has a video
 * m-line. */
#include "tg-viewer.h"
#include "tg-webrtc-in.h"
#include "tg-webrtc-peer.h"
#include "tg-whip-session.h"

#include "fuzz-common.h"

#include <sanitizer/lsan_interface.h>
#include <stdint.h>

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  /* Caps are made (from the offer's rtpmap lines), but no element: no
   * plugin is looked for, no registry read or written. */
  g_setenv ("GST_REGISTRY_1_0", "/nonexistent/tollgate-fuzz-registry.bin",
            TRUE);
  g_setenv ("GST_REGISTRY_UPDATE", "no", TRUE);
  __lsan_disable ();
  gst_init (NULL, NULL);
  __lsan_enable ();
  return 0;
}

static gboolean
has_media (const GstSDPMessage *sdp, const char *kind)
{
  for (guint i = 0; i < gst_sdp_message_medias_len (sdp); i++)
    if (g_strcmp0 (gst_sdp_media_get_media (gst_sdp_message_get_media (sdp, i)),
                   kind)
        == 0)
      return TRUE;
  return FALSE;
}

/* Whether a viewer of a stream of this H.264 profile (and baseline
 * beside it, or NULL) takes the offer. */
static gboolean
viewer_takes (const char *offer, const char *profile, const char *baseline,
              gboolean audio)
{
  g_autoptr (GError) error = NULL;
  TgViewerSpec spec = { .app = "LiveApp",
                        .stream_id = "stream1",
                        .profile_level_id = profile,
                        .baseline = baseline,
                        .audio = audio,
                        .offer = offer };
  gboolean ok = tg_viewer_check_offer (&spec, &error);

  if (ok)
    g_assert_no_error (error);
  else
    g_assert_error (error, TG_ERROR, TG_ERROR_INVALID);
  return ok;
}

static void
check_offer (const char *text, const GstSDPMessage *sdp)
{
  gboolean taken;

  if (tg_whip_is_offer (sdp))
    {
      g_assert_cmpuint (gst_sdp_message_medias_len (sdp), >=, 1);
      g_assert_cmpuint (gst_sdp_message_medias_len (sdp), <=, 16);
      g_assert_true (has_media (sdp, "audio") || has_media (sdp, "video"));
      for (guint i = 0; i < gst_sdp_message_medias_len (sdp); i++)
        g_assert_nonnull (gst_sdp_media_get_attribute_val (
            gst_sdp_message_get_media (sdp, i), "mid"));
    }
  if (tg_webrtc_in_offers (sdp, "video") || tg_webrtc_in_offers (sdp, "audio"))
    g_assert_true (tg_whip_sends_media (sdp));
  /* Which video codec the ingest will prefer: only read. */
  (void) tg_webrtc_in_offers_h264 (sdp);
  /* A stream in High, as OBS and ffmpeg publish it. */
  taken = viewer_takes (text, "640028", NULL, TRUE);
  g_assert_cmpint (viewer_takes (text, "640028", NULL, FALSE), ==, taken);
  if (taken)
    {
      g_assert_true (has_media (sdp, "video"));
      g_assert_true (viewer_takes (text, "640028", "42e01f", TRUE));
    }
}

static void
check_answer (const GstSDPMessage *sdp)
{
  TgViewerVariant variant = TG_VIEWER_VARIANTS;
  gboolean taken = tg_viewer_answer_takes_video (sdp, &variant);

  if (!has_media (sdp, "video"))
    {
      g_assert_true (taken);
      g_assert_cmpint (variant, ==, TG_VIEWER_OWN);
      return;
    }
  /* Refused (port 0, neither payload): no variant is read. */
  if (taken)
    g_assert_true (variant == TG_VIEWER_OWN || variant == TG_VIEWER_BASELINE);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);
  GstSDPMessage *sdp = tg_webrtc_parse_sdp (text);

  if (sdp == NULL)
    {
      /* As the server would: tg_viewer_check_offer refuses it too. */
      g_assert_false (viewer_takes (text, "640028", "42e01f", TRUE));
      return 0;
    }
  check_offer (text, sdp);
  check_answer (sdp);
  gst_sdp_message_free (sdp);
  return 0;
}
