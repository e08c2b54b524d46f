/* One viewer's video made a single RTP stream out of several: the stream's
 * own H.264, its constrained-baseline copy and each ABR rung are
 * payloaded apart, each with an SSRC, sequence numbers and times of its
 * own. A viewer moved from one to another (at a key frame) must see no
 * seam: its packets leave with the SSRC it was first given, sequence
 * numbers that go on by one, times that go on from the last packet's by
 * the time that has passed, and the payload type its answer took, as a
 * media server switches simulcast layers. Pure: the caller says when. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct
{
  gboolean started;
  guint feed;       /* where the last packet came from */
  guint8 pt;        /* the payload type sent */
  guint32 ssrc;     /* the SSRC sent: the first packet's */
  guint16 seq_step; /* added to a packet's sequence number */
  guint32 ts_step;  /* and to its time */
  guint16 last_seq; /* the last packet sent's */
  guint32 last_ts;
  gint64 last_time; /* when it was sent (monotonic microseconds) */
} TgRtpSplice;

/* A splice that sends payload type pt. */
void tg_rtp_splice_init (TgRtpSplice *splice, guint8 pt);

/* A packet of feed, sent now: a new reference to it when nothing of it
 * changes, else a copy with the header rewritten (sharing no memory with
 * it); NULL when it is not RTP. */
GstBuffer *tg_rtp_splice (TgRtpSplice *splice, guint feed, GstBuffer *packet,
                          gint64 now);

G_END_DECLS
