/* A viewer's video moved between feeds (the stream's own H.264, its
 * baseline copy, ABR rungs) stays one RTP stream: one SSRC, sequence
 * numbers one after another, times going on by the time that passed,
 * the viewer's payload type; packets that need no change are not
 * copied. */
#include <gst/rtp/gstrtpbuffer.h>

#include "tg-rtp-splice.h"

typedef struct
{
  guint32 ssrc, ts;
  guint16 seq;
  guint8 pt;
} Header;

static GstBuffer *
packet (guint8 pt, guint32 ssrc, guint16 seq, guint32 ts)
{
  GstBuffer *buffer = gst_rtp_buffer_new_allocate (4, 0, 0);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;

  g_assert_true (gst_rtp_buffer_map (buffer, GST_MAP_WRITE, &rtp));
  gst_rtp_buffer_set_payload_type (&rtp, pt);
  gst_rtp_buffer_set_ssrc (&rtp, ssrc);
  gst_rtp_buffer_set_seq (&rtp, seq);
  gst_rtp_buffer_set_timestamp (&rtp, ts);
  gst_rtp_buffer_unmap (&rtp);
  return buffer;
}

/* The packet spliced, its header read; *same: it is the packet itself. */
static Header
splice (TgRtpSplice *splice, guint feed, GstBuffer *in, gint64 now,
        gboolean *same)
{
  g_autoptr (GstBuffer) out = tg_rtp_splice (splice, feed, in, now);
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  Header header;

  g_assert_nonnull (out);
  *same = out == in;
  g_assert_true (gst_rtp_buffer_map (out, GST_MAP_READ, &rtp));
  header = (Header){
    .ssrc = gst_rtp_buffer_get_ssrc (&rtp),
    .ts = gst_rtp_buffer_get_timestamp (&rtp),
    .seq = gst_rtp_buffer_get_seq (&rtp),
    .pt = gst_rtp_buffer_get_payload_type (&rtp),
  };
  gst_rtp_buffer_unmap (&rtp);
  gst_buffer_unref (in);
  return header;
}

static void
test_one_feed_passes_untouched (void)
{
  TgRtpSplice s;
  gboolean same;
  Header h;

  tg_rtp_splice_init (&s, 96);
  for (guint i = 0; i < 3; i++)
    {
      h = splice (&s, 0, packet (96, 1111, 65534 + i, 3000 * i), i * 1000,
                  &same);
      g_assert_true (same);
      g_assert_cmpuint (h.seq, ==, (guint16) (65534 + i));
    }
}

static void
test_switch_keeps_one_stream (void)
{
  TgRtpSplice s;
  gboolean same;
  Header h;

  tg_rtp_splice_init (&s, 96);
  h = splice (&s, 0, packet (96, 1111, 100, 5000), 0, &same);
  h = splice (&s, 0, packet (96, 1111, 101, 8000), 33000, &same);
  g_assert_true (same);
  /* Another feed, 40 ms later: 3600 ticks on, the next number. */
  h = splice (&s, 2, packet (97, 2222, 60000, 4000000000u), 73000, &same);
  g_assert_false (same);
  g_assert_cmpuint (h.ssrc, ==, 1111);
  g_assert_cmpuint (h.pt, ==, 96);
  g_assert_cmpuint (h.seq, ==, 102);
  g_assert_cmpuint (h.ts, ==, 8000 + 3600);
  /* Its next packets keep its own spacing, its sequence wrapping. */
  for (guint i = 1; i < 4; i++)
    {
      h = splice (&s, 2,
                  packet (97, 2222, (guint16) (60000 + i * 2000),
                          4000000000u + 3000 * i),
                  73000 + i * 33000, &same);
      g_assert_cmpuint (h.seq, ==, (guint16) (102 + i * 2000));
      g_assert_cmpuint (h.ts, ==, 8000 + 3600 + 3000 * i);
      g_assert_cmpuint (h.ssrc, ==, 1111);
    }
}

static void
test_switch_back_goes_on (void)
{
  TgRtpSplice s;
  gboolean same;
  Header h;

  tg_rtp_splice_init (&s, 96);
  splice (&s, 0, packet (96, 1111, 10, 1000), 0, &same);
  splice (&s, 2, packet (97, 2222, 500, 77), 1000000, &same);
  /* Back on the first feed, at once (no time passed): still a new
   * frame, one tick on. */
  h = splice (&s, 0, packet (96, 1111, 40, 91000), 1000000, &same);
  g_assert_cmpuint (h.seq, ==, 12);
  g_assert_cmpuint (h.ts, ==, 1000 + 90000 + 1);
  g_assert_false (same);
}

static void
test_not_rtp (void)
{
  TgRtpSplice s;
  g_autoptr (GstBuffer) junk = gst_buffer_new_allocate (NULL, 3, NULL);

  tg_rtp_splice_init (&s, 96);
  g_assert_null (tg_rtp_splice (&s, 0, junk, 0));
}

int
main (int argc, char **argv)
{
  gst_init (NULL, NULL);
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/rtp-splice/one-feed", test_one_feed_passes_untouched);
  g_test_add_func ("/rtp-splice/switch", test_switch_keeps_one_stream);
  g_test_add_func ("/rtp-splice/switch-back", test_switch_back_goes_on);
  g_test_add_func ("/rtp-splice/not-rtp", test_not_rtp);
  return g_test_run ();
}
