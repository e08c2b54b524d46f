#include "tg-rtp-splice.h"

#include <gst/rtp/gstrtpbuffer.h>

/* H.264's RTP clock: ticks per millisecond. */
#define TICKS_PER_MS 90

void
tg_rtp_splice_init (TgRtpSplice *splice, guint8 pt)
{
  *splice = (TgRtpSplice){ .pt = pt };
}

/* The packet's feed differs from the last one's: its sequence numbers go
 * on from the last sent, and its times from the last sent's, by the time
 * since (at least a tick: a new frame). */
static void
join (TgRtpSplice *splice, guint feed, guint16 seq, guint32 ts, gint64 now)
{
  gint64 elapsed_ms = MAX (0, now - splice->last_time) / 1000;
  guint32 ticks = (guint32) MAX (1, elapsed_ms * TICKS_PER_MS);

  splice->feed = feed;
  splice->seq_step = (guint16) (splice->last_seq + 1 - seq);
  splice->ts_step = splice->last_ts + ticks - ts;
}

GstBuffer *
tg_rtp_splice (TgRtpSplice *splice, guint feed, GstBuffer *packet, gint64 now)
{
  GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
  guint32 ssrc, ts;
  guint16 seq;
  guint8 pt;
  GstBuffer *out;

  if (!gst_rtp_buffer_map (packet, GST_MAP_READ, &rtp))
    return NULL;
  ssrc = gst_rtp_buffer_get_ssrc (&rtp);
  seq = gst_rtp_buffer_get_seq (&rtp);
  ts = gst_rtp_buffer_get_timestamp (&rtp);
  pt = gst_rtp_buffer_get_payload_type (&rtp);
  gst_rtp_buffer_unmap (&rtp);
  if (!splice->started)
    {
      splice->started = TRUE;
      splice->feed = feed;
      splice->ssrc = ssrc;
    }
  else if (feed != splice->feed)
    join (splice, feed, seq, ts, now);
  splice->last_seq = (guint16) (seq + splice->seq_step);
  splice->last_ts = ts + splice->ts_step;
  splice->last_time = now;
  if (ssrc == splice->ssrc && pt == splice->pt && splice->seq_step == 0
      && splice->ts_step == 0)
    return gst_buffer_ref (packet);
  out = gst_buffer_copy_deep (packet);
  if (!gst_rtp_buffer_map (out, GST_MAP_WRITE, &rtp))
    {
      gst_buffer_unref (out);
      return NULL;
    }
  gst_rtp_buffer_set_ssrc (&rtp, splice->ssrc);
  gst_rtp_buffer_set_seq (&rtp, splice->last_seq);
  gst_rtp_buffer_set_timestamp (&rtp, splice->last_ts);
  gst_rtp_buffer_set_payload_type (&rtp, splice->pt);
  gst_rtp_buffer_unmap (&rtp);
  return out;
}
