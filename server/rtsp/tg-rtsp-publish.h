/* An RTSP publisher: its ANNOUNCE admitted (the admission's one decision,
 * then the stream id claimed and the stream built, which spends the
 * token), its media's frames (tg-rtsp-record.h) fed into the stream on the
 * media's streaming threads, a track each; the stream is finished when the
 * publisher has gone (its connection closed, its media torn down) or was
 * stopped (REST stop, shutdown: its connection is then closed).
 * publishType "RTSP". */
#pragma once

#include <gst/rtsp-server/rtsp-server.h>
#include <gst/sdp/sdp.h>

#include "tg-server.h"

G_BEGIN_DECLS

typedef struct _TgRtspPublisher TgRtspPublisher;

typedef struct
{
  TgServer *server;
  GstRTSPClient *client;
  const char *app, *stream_id;
  const char *token; /* the query's, or NULL */
  const char *peer;  /* for logs */
} TgRtspAnnounce;

/* Admits the ANNOUNCE and starts the publication: GST_RTSP_STS_OK, and
 * the publisher belongs to the client (tg_rtsp_publisher_of) until it
 * closes; else the status to refuse it with (*reason: its text), having
 * spent nothing unless the token itself was refused. In the RTSP
 * server's context. */
GstRTSPStatusCode tg_rtsp_publish (const TgRtspAnnounce *announce,
                                   const char **reason);

/* The client's publisher, or NULL. */
TgRtspPublisher *tg_rtsp_publisher_of (GstRTSPClient *client);

/* The publisher's media was made (bin), whose appsinks video and audio
 * (either may be NULL) give its frames: fed into the stream from now on;
 * the publisher has gone when bin goes. */
void tg_rtsp_publisher_feed (TgRtspPublisher *publisher, GstElement *bin,
                             GstElement *video, GstElement *audio);

/* The pipeline of the media made of bin (fed as above) is watched for the
 * publisher's RTCP BYE: once it has come on each track, the publisher has
 * ended, as at a TEARDOWN, its connection left to it. (GStreamer 1.22's
 * rtspclientsink now and then sends its BYE and then never its TEARDOWN:
 * its rtpbin races the end of stream with the BYE.) */
void tg_rtsp_publisher_watch_bye (GstElement *bin, GstElement *pipeline);

G_END_DECLS
