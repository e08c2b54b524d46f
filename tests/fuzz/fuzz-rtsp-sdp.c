/* libFuzzer target: an RTSP publisher's ANNOUNCE body as the door reads it
 * (tg-rtsp-record.h): GStreamer's SDP parser, then the check of its tracks
 * and the media's pipeline description made of them. */
#include "tg-rtsp-record.h"

#include "fuzz-common.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr (GstSDPMessage) sdp = NULL;
  g_autofree char *description = NULL;
  const char *problem;
  guint n;

  sdp = tg_rtsp_record_parse_sdp (data, (guint) MIN (size, G_MAXUINT));
  if (sdp == NULL)
    return 0;
  problem = tg_rtsp_record_check_sdp (sdp);
  description = tg_rtsp_record_description (sdp);
  g_assert_true ((problem == NULL) == (description != NULL));
  if (description == NULL)
    return 0;
  /* A track or two, at most one of each kind, named in order. */
  n = gst_sdp_message_medias_len (sdp);
  g_assert_cmpuint (n, >=, 1);
  g_assert_cmpuint (n, <=, 2);
  g_assert_nonnull (strstr (description, "name=depay0 "));
  g_assert_true ((n == 2) == (strstr (description, "name=depay1 ") != NULL));
  g_assert_true (strstr (description, "appsink name=video")
                 || strstr (description, "appsink name=audio"));
  return 0;
}
