/* The RTSP play media's payloader: MPEG-TS into RTP (RFC 2250), as many
 * whole 188-byte packets as the MTU holds in each, like rtpmp2tpay; but
 * the packets made of one input buffer are pushed as one buffer list.
 *
 * The feeder gives the media a tenth of a second of the stream at a time
 * (tg-mux-out.h): a list goes through rtpbin to gst-rtsp-server, which
 * writes it to each TCP client in one call (gst_rtsp_watch_send_messages)
 * and to the UDP clients with multiudpsink's list rendering, rather than
 * a call per RTP packet per client, which was most of what an RTSP viewer
 * cost the server (bench/fanout). */
#pragma once

#include <gst/rtp/gstrtpbasepayload.h>

G_BEGIN_DECLS

#define TG_TYPE_RTSP_TS_PAY (tg_rtsp_ts_pay_get_type ())
G_DECLARE_FINAL_TYPE (TgRtspTsPay, tg_rtsp_ts_pay, TG, RTSP_TS_PAY,
                      GstRTPBasePayload)

/* Registers it as the element "tgrtsptspay" (for gst_parse_launch), once. */
void tg_rtsp_ts_pay_register (void);

G_END_DECLS
