/* The media of an RTSP publisher (ANNOUNCE, then SETUP and RECORD): one
 * per publisher, never shared. Its pipeline is built from the ANNOUNCE's
 * SDP, a chain per media in its order (gst-rtsp-server pairs them so):
 * H.264 depayloaded and parsed, its decoding times made from its SPS
 * (h264timestamper: RTP carries presentation times only, and users'
 * encoders make B-frames); AAC (MPEG4-GENERIC or MP4A-LATM) as it is;
 * Opus made AAC. Each ends in an appsink ("video", "audio") whose frames
 * the publisher (tg-rtsp-publish.h) feeds into the stream as a WebRTC
 * publisher's. */
#pragma once

#include <gst/rtsp-server/rtsp-server.h>
#include <gst/sdp/sdp.h>

G_BEGIN_DECLS

#define TG_TYPE_RTSP_RECORD (tg_rtsp_record_get_type ())
G_DECLARE_FINAL_TYPE (TgRtspRecord, tg_rtsp_record, TG, RTSP_RECORD,
                      GstRTSPMediaFactory)

TgRtspRecord *tg_rtsp_record_new (void);

/* The SDP of an ANNOUNCE's body, or NULL when it has none that parses. */
GstSDPMessage *tg_rtsp_record_parse_sdp (const guint8 *body, guint size);

/* Why the SDP cannot be recorded (a track of another codec, more than one
 * video or audio track, none), or NULL. */
const char *tg_rtsp_record_check_sdp (const GstSDPMessage *sdp);

/* The media's pipeline description for the SDP (gst_parse_launch's, a
 * chain per media, depayloaders named depay0, depay1), or NULL when
 * tg_rtsp_record_check_sdp refuses it. */
char *tg_rtsp_record_description (const GstSDPMessage *sdp);

G_END_DECLS
