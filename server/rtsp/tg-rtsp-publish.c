#include "tg-rtsp-publish.h"

#include <gst/app/gstappsink.h>

#include "tg-publish.h"
#include "tg-rtsp-cut.h"

/* On a client: its publisher (a reference). */
#define PUBLISHER "tg-rtsp-publisher"
/* On the media's bin: the publisher it feeds (a reference). */
#define FED "tg-rtsp-fed"

struct _TgRtspPublisher
{
  gint refs;
  GWeakRef client;
  char *name;                 /* "RTSP peer app/stream", for logs */
  TgPublication *publication; /* a reference, until it has ended */
  GMutex lock;
  GCond idle;
  /* The publication's stream while frames may go into it; pushing: how
   * many calls into it are on their way (the media's streaming threads,
   * finish). */
  TgStream *stream;
  guint pushing;
  gboolean finished;
  gboolean gone;     /* the publisher ended it (TEARDOWN, closed, BYE) */
  guint tracks;      /* its media's tracks, and those whose RTP sessions */
  guint byes;        /* have had its RTCP BYE, as bits */
  GstClockTime base; /* the first frame's running time (either track) */
};

static TgRtspPublisher *
publisher_ref (TgRtspPublisher *publisher)
{
  g_atomic_int_inc (&publisher->refs);
  return publisher;
}

static void
publisher_unref (TgRtspPublisher *publisher)
{
  if (!g_atomic_int_dec_and_test (&publisher->refs))
    return;
  g_weak_ref_clear (&publisher->client);
  g_free (publisher->name);
  g_mutex_clear (&publisher->lock);
  g_cond_clear (&publisher->idle);
  g_free (publisher);
}

static void
done (TgRtspPublisher *publisher)
{
  g_mutex_lock (&publisher->lock);
  if (--publisher->pushing == 0)
    g_cond_broadcast (&publisher->idle);
  g_mutex_unlock (&publisher->lock);
}

/* The publisher has gone or was stopped: the stream drains and ends
 * (frames on their way are let through). Any thread; more than once. */
static void
finish (TgRtspPublisher *publisher, const char *why)
{
  TgStream *stream;

  g_mutex_lock (&publisher->lock);
  stream = publisher->finished ? NULL : publisher->stream;
  publisher->finished = TRUE;
  if (stream)
    publisher->pushing++; /* not freed meanwhile: door_ended waits */
  g_mutex_unlock (&publisher->lock);
  if (stream == NULL)
    return;
  g_info ("%s: publish over: %s", publisher->name, why);
  tg_stream_finish (stream);
  done (publisher);
}

/* --- closing its connection --- */

static void
close_client (TgRtspPublisher *publisher)
{
  g_autoptr (GstRTSPClient) client = g_weak_ref_get (&publisher->client);

  if (client)
    tg_rtsp_client_cut (client);
}

/* --- the media's frames into the stream, on its streaming threads --- */

/* The stream to push into, counted as pushed into until done (); NULL
 * once it takes no more. *base: the first frame's time, set by this one
 * if it is the first. */
static TgStream *
begin (TgRtspPublisher *publisher, GstSample *sample, GstBuffer *buffer,
       GstClockTime *base)
{
  TgStream *stream;

  g_mutex_lock (&publisher->lock);
  stream = publisher->stream;
  if (stream)
    publisher->pushing++;
  if (stream && !GST_CLOCK_TIME_IS_VALID (publisher->base))
    publisher->base
        = tg_stream_sample_time (sample, GST_BUFFER_DTS_OR_PTS (buffer));
  *base = publisher->base;
  g_mutex_unlock (&publisher->lock);
  return stream;
}

/* A frame of a track: into the stream (tg_stream_frame_of). */
static GstFlowReturn
new_frame (GstAppSink *sink, gpointer data)
{
  TgRtspPublisher *publisher = data;
  TgStreamTrack track
      = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (sink), "track"));
  g_autoptr (GstSample) sample = gst_app_sink_pull_sample (sink);
  GstBuffer *buffer = sample ? gst_sample_get_buffer (sample) : NULL;
  GstCaps *caps = sample ? gst_sample_get_caps (sample) : NULL;
  GstClockTime base;
  TgStream *stream;
  gboolean pushed = TRUE;

  if (buffer == NULL || caps == NULL)
    return GST_FLOW_OK;
  stream = begin (publisher, sample, buffer, &base);
  if (stream == NULL)
    return GST_FLOW_EOS;
  buffer = tg_stream_frame_of (sample, track, base);
  if (buffer)
    pushed = tg_stream_push_frame (stream, track, caps, buffer);
  done (publisher);
  if (pushed)
    return GST_FLOW_OK;
  finish (publisher, "the stream takes no more data");
  close_client (publisher);
  return GST_FLOW_EOS;
}

static GstFlowReturn
new_preroll (GstAppSink *sink, gpointer data)
{
  (void) sink;
  (void) data;
  return GST_FLOW_OK;
}

/* The publisher has ended its publication itself: its connection is left
 * to it (a client that sent TEARDOWN may still be closing it). */
static void
set_gone (TgRtspPublisher *publisher)
{
  g_mutex_lock (&publisher->lock);
  publisher->gone = TRUE;
  g_mutex_unlock (&publisher->lock);
}

/* The media is gone (torn down, its client closed). */
static void
media_gone (gpointer data)
{
  TgRtspPublisher *publisher = data;

  set_gone (publisher);
  finish (publisher, "its media ended");
  publisher_unref (publisher);
}

static void
feed_track (TgRtspPublisher *publisher, GstElement *sink, TgStreamTrack track)
{
  GstAppSinkCallbacks callbacks
      = { .new_sample = new_frame, .new_preroll = new_preroll };

  if (sink == NULL)
    return;
  g_object_set_data (G_OBJECT (sink), "track", GUINT_TO_POINTER (track));
  gst_app_sink_set_callbacks (GST_APP_SINK (sink), &callbacks,
                              publisher_ref (publisher),
                              (GDestroyNotify) publisher_unref);
  g_mutex_lock (&publisher->lock);
  if (publisher->stream)
    tg_stream_expect_track (publisher->stream, track, NULL);
  g_mutex_unlock (&publisher->lock);
}

void
tg_rtsp_publisher_feed (TgRtspPublisher *publisher, GstElement *bin,
                        GstElement *video, GstElement *audio)
{
  g_mutex_lock (&publisher->lock);
  publisher->tracks = !!video + !!audio;
  g_mutex_unlock (&publisher->lock);
  feed_track (publisher, video, TG_STREAM_VIDEO);
  feed_track (publisher, audio, TG_STREAM_AUDIO);
  g_object_set_data_full (G_OBJECT (bin), FED, publisher_ref (publisher),
                          media_gone);
}

/* --- its RTCP BYE, on the media's RTCP threads --- */

/* A source of one of the media's RTP sessions (one per track) said BYE:
 * once the publisher has on every track, it has ended. */
static void
on_bye_ssrc (GstElement *rtpbin, guint session, guint ssrc, gpointer data)
{
  TgRtspPublisher *publisher = data;
  guint mask;
  gboolean all;

  (void) rtpbin;
  (void) ssrc;
  g_mutex_lock (&publisher->lock);
  if (session < 32)
    publisher->byes |= 1u << session;
  mask = (1u << publisher->tracks) - 1;
  all = mask != 0 && (publisher->byes & mask) == mask;
  g_mutex_unlock (&publisher->lock);
  if (!all)
    return;
  set_gone (publisher);
  finish (publisher, "it said goodbye (an RTCP BYE on each track)");
}

static void
unref_closure (gpointer data, GClosure *closure)
{
  (void) closure;
  publisher_unref (data);
}

static void
rtpbin_added (GstBin *pipeline, GstBin *bin, GstElement *element, gpointer data)
{
  GstElementFactory *factory = gst_element_get_factory (element);

  (void) pipeline;
  (void) bin;
  if (factory && g_str_equal (GST_OBJECT_NAME (factory), "rtpbin"))
    g_signal_connect_data (element, "on-bye-ssrc", G_CALLBACK (on_bye_ssrc),
                           publisher_ref (data), unref_closure, 0);
}

void
tg_rtsp_publisher_watch_bye (GstElement *bin, GstElement *pipeline)
{
  TgRtspPublisher *publisher = g_object_get_data (G_OBJECT (bin), FED);

  if (publisher)
    g_signal_connect_data (pipeline, "deep-element-added",
                           G_CALLBACK (rtpbin_added), publisher_ref (publisher),
                           unref_closure, 0);
}

TgRtspPublisher *
tg_rtsp_publisher_of (GstRTSPClient *client)
{
  return client ? g_object_get_data (G_OBJECT (client), PUBLISHER) : NULL;
}

/* --- the publication, on the main context --- */

static void
door_stop (TgPublication *publication, gpointer data)
{
  (void) publication;
  finish (data, "stopped");
  close_client (data);
}

/* The stream has ended: no frame goes into it any more (those on their
 * way are let through by its end), and it may be freed. The connection
 * is closed unless the publisher ended it itself. */
static void
door_ended (TgPublication *publication, gpointer data)
{
  TgRtspPublisher *publisher = data;
  gboolean gone;

  g_mutex_lock (&publisher->lock);
  publisher->stream = NULL;
  while (publisher->pushing > 0)
    g_cond_wait (&publisher->idle, &publisher->lock);
  gone = publisher->gone;
  g_mutex_unlock (&publisher->lock);
  if (!gone)
    close_client (publisher);
  g_clear_pointer (&publisher->publication, tg_publication_unref);
  publisher_unref (publisher); /* the publication's */
}

static const TgDoor rtsp_door = { "RTSP", door_stop, door_ended };

/* --- the admission, in the RTSP server's context --- */

/* The client has closed: its publisher stops. */
static void
client_closed (GstRTSPClient *client, gpointer data)
{
  (void) client;
  set_gone (data);
  finish (data, "its connection closed");
}

/* The admission's refusal as an RTSP status. */
static GstRTSPStatusCode
status_of (TgAdmit outcome, const char **reason)
{
  *reason = NULL;
  switch (outcome)
    {
    case TG_ADMIT_OK:
      return GST_RTSP_STS_OK;
    case TG_ADMIT_INVALID_STREAM_ID:
      return GST_RTSP_STS_BAD_REQUEST;
    case TG_ADMIT_UNKNOWN_APP:
      return GST_RTSP_STS_NOT_FOUND;
    case TG_ADMIT_UNREGISTERED:
      return GST_RTSP_STS_FORBIDDEN;
    case TG_ADMIT_IN_USE:
      /* Not one of RTSP's; its class (4xx) says enough to any client. */
      *reason = "Conflict";
      return 409;
    case TG_ADMIT_STORE_ERROR:
      return GST_RTSP_STS_SERVICE_UNAVAILABLE;
    case TG_ADMIT_NO_TOKEN:
    case TG_ADMIT_REFUSED:
      break;
    }
  return GST_RTSP_STS_UNAUTHORIZED;
}

static GstRTSPStatusCode
admit (const TgRtspAnnounce *announce, const TgSettings *settings,
       const char *name, const char **reason)
{
  TgLiveWanted wanted
      = { announce->server->live, announce->app, announce->stream_id };
  TgAdmission admission = { .app = announce->app,
                            .stream_id = announce->stream_id,
                            .type = TG_TOKEN_TYPE_PUBLISH,
                            .credential = announce->token,
                            .door = "RTSP",
                            .peer = announce->peer,
                            .claim = tg_live_is_free,
                            .claim_data = &wanted };
  TgAdmit outcome
      = tg_admit (announce->server->store, settings ? settings->policy : NULL,
                  &admission, NULL, NULL);

  if (outcome != TG_ADMIT_OK)
    g_info ("%s: publish refused: %s", name, tg_admit_to_string (outcome));
  return status_of (outcome, reason);
}

GstRTSPStatusCode
tg_rtsp_publish (const TgRtspAnnounce *announce, const char **reason)
{
  TgServer *server = announce->server;
  g_autoptr (TgSettings) settings
      = tg_apps_get_settings (server->apps, announce->app);
  g_autoptr (GError) error = NULL;
  g_autofree char *name = g_strdup_printf ("RTSP %s %s/%s", announce->peer,
                                           announce->app, announce->stream_id);
  GstRTSPStatusCode status = admit (announce, settings, name, reason);
  TgRtspPublisher *publisher;
  TgPublication *publication;

  if (status != GST_RTSP_STS_OK)
    return status;
  publisher = g_new0 (TgRtspPublisher, 1);
  publisher->refs = 1; /* the client's */
  g_weak_ref_init (&publisher->client, announce->client);
  publisher->name = g_steal_pointer (&name);
  g_mutex_init (&publisher->lock);
  g_cond_init (&publisher->idle);
  publisher->base = GST_CLOCK_TIME_NONE;
  publication
      = tg_live_claim (server->live, &rtsp_door, publisher, announce->app,
                       announce->stream_id, announce->peer);
  if (publication == NULL)
    {
      g_info ("%s: publish refused: streamIdInUse", publisher->name);
      publisher_unref (publisher);
      return status_of (TG_ADMIT_IN_USE, reason);
    }
  /* The token is spent here, by the stream's tokencheck. */
  if (!tg_publish_build (server, publication, settings, TG_STREAM_FRAMES,
                         announce->token, &error))
    {
      gboolean refused = g_error_matches (error, TG_ERROR, TG_ERROR_FORBIDDEN);

      g_info ("%s: publish refused: %s", publisher->name, error->message);
      tg_live_abandon (server->live, publication);
      tg_publication_unref (publication);
      publisher_unref (publisher);
      return refused ? GST_RTSP_STS_UNAUTHORIZED
                     : GST_RTSP_STS_SERVICE_UNAVAILABLE;
    }
  publisher->publication = publication;
  publisher->stream = publication->stream;
  g_object_set_data_full (G_OBJECT (announce->client), PUBLISHER, publisher,
                          (GDestroyNotify) publisher_unref);
  g_signal_connect (announce->client, "closed", G_CALLBACK (client_closed),
                    publisher);
  /* The publication's reference, until it has ended. */
  publisher_ref (publisher);
  tg_publish_start (server, publication);
  g_info ("%s: publishing", publisher->name);
  return GST_RTSP_STS_OK;
}
