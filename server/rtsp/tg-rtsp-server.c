#include "tg-rtsp-server.h"

#include <gst/rtsp-server/rtsp-server.h>

#include "tg-rtsp-auth.h"
#include "tg-rtsp-cut.h"
#include "tg-rtsp-factory.h"
#include "tg-rtsp-record.h"

/* Clients get threads of their own, up to this many (more share them):
 * a request that waits (a DESCRIBE whose media prerolls on the stream's
 * data) stops neither the others nor a publisher's RTP over TCP. */
#define CLIENT_THREADS 16
/* At the server's end, how often it looks whether its clients have
 * closed, and how long it waits for them. */
#define CLOSE_POLL_MS 20
#define CLOSE_WAIT_S 5

struct _TgRtspServer
{
  GMainContext *context;
  GMainLoop *loop;
  GThread *thread;
  GstRTSPServer *rtsp;
  TgRtspFactory *factory; /* the play medias' */
  GSource *source;        /* the listening socket */
  guint16 port;
  gint64 close_by; /* monotonic: the clients must have closed by then */
};

static gpointer
run (gpointer data)
{
  TgRtspServer *server = data;

  g_main_context_push_thread_default (server->context);
  g_main_loop_run (server->loop);
  g_main_context_pop_thread_default (server->context);
  return NULL;
}

static GstRTSPFilterResult
cut_admitted (GstRTSPServer *rtsp, GstRTSPClient *client, gpointer key)
{
  (void) rtsp;
  if (tg_rtsp_auth_admitted (client, key))
    tg_rtsp_client_cut (client);
  return GST_RTSP_FILTER_KEEP;
}

/* A stream's media has ended: its clients are closed, its mount goes. In
 * the server's context. */
static void
stream_ended (const char *key, gpointer data)
{
  TgRtspServer *server = data;
  g_autoptr (GstRTSPMountPoints) mounts
      = gst_rtsp_server_get_mount_points (server->rtsp);
  g_autofree char *mount = g_strdup_printf ("/%s", key);

  gst_rtsp_mount_points_remove_factory (mounts, mount);
  gst_rtsp_server_client_filter (server->rtsp, cut_admitted, (gpointer) key);
  g_info ("RTSP: %s ended: its clients are closed", key);
}

/* rtpbin gives each session an ULPFEC decoder (gst-rtsp-server asks for
 * one), which GStreamer 1.22 aborts the process in (a g_assert) when a
 * lost packet is told of before caps with an SSRC came: a publisher's
 * first packets, lost or made up, would stop the server. No FEC is
 * offered: the decoders pass everything through. */
static void
element_added (GstBin *pipeline, GstBin *bin, GstElement *element,
               gpointer data)
{
  GstElementFactory *factory = gst_element_get_factory (element);

  (void) pipeline;
  (void) bin;
  (void) data;
  if (factory && g_str_equal (GST_OBJECT_NAME (factory), "rtpulpfecdec"))
    g_object_set (element, "passthrough", TRUE, NULL);
}

static void
media_configure (GstRTSPMediaFactory *factory, GstRTSPMedia *media,
                 gpointer data)
{
  g_autoptr (GstElement) element = gst_rtsp_media_get_element (media);
  g_autoptr (GstObject) pipeline
      = element ? gst_object_get_parent (GST_OBJECT (element)) : NULL;

  (void) factory;
  (void) data;
  if (pipeline)
    g_signal_connect (pipeline, "deep-element-added",
                      G_CALLBACK (element_added), NULL);
}

static void
client_connected (GstRTSPServer *rtsp, GstRTSPClient *client, gpointer auth)
{
  (void) rtsp;
  tg_rtsp_auth_count (auth, client);
}

/* gst-rtsp-server's client category prints each request's URL, query
 * and token included, at INFO (and the whole message at LOG): tokens never
 * go into a log, so it is held at WARNING whatever GST_DEBUG asks. */
static void
cap_client_log (void)
{
  GstDebugCategory *category = NULL;

  g_type_class_unref (g_type_class_ref (GST_TYPE_RTSP_CLIENT));
  GST_DEBUG_CATEGORY_GET (category, "rtspclient");
  if (category
      && gst_debug_category_get_threshold (category) > GST_LEVEL_WARNING)
    {
      gst_debug_category_set_threshold (category, GST_LEVEL_WARNING);
      g_message ("RTSP: GStreamer's debug category rtspclient is held at the "
                 "warning level: its lines above carry tokens");
    }
}

TgRtspServer *
tg_rtsp_server_new (TgServer *server, GError **error)
{
  const TgConfig *config = server->config;
  g_autoptr (TgRtspServer) rtsp = g_new0 (TgRtspServer, 1);
  g_autoptr (GstRTSPMountPoints) mounts = NULL;
  g_autoptr (GstRTSPThreadPool) pool = NULL;
  g_autoptr (TgRtspFactory) factory = NULL;
  g_autoptr (TgRtspRecord) record = tg_rtsp_record_new ();
  g_autoptr (TgRtspAuth) auth = NULL;
  g_autofree char *service
      = g_strdup_printf ("%d", config->random_ports ? 0 : config->rtsp_port);

  cap_client_log ();
  rtsp->context = g_main_context_new ();
  rtsp->loop = g_main_loop_new (rtsp->context, FALSE);
  rtsp->rtsp = gst_rtsp_server_new ();
  gst_rtsp_server_set_address (rtsp->rtsp, config->bind_address);
  gst_rtsp_server_set_service (rtsp->rtsp, service);
  pool = gst_rtsp_thread_pool_new ();
  gst_rtsp_thread_pool_set_max_threads (pool, CLIENT_THREADS);
  gst_rtsp_server_set_thread_pool (rtsp->rtsp, pool);
  mounts = gst_rtsp_server_get_mount_points (rtsp->rtsp);
  factory
      = tg_rtsp_factory_new (server->live, rtsp->context, stream_ended, rtsp);
  rtsp->factory = g_object_ref (factory);
  g_signal_connect (factory, "media-configure", G_CALLBACK (media_configure),
                    NULL);
  g_signal_connect (record, "media-configure", G_CALLBACK (media_configure),
                    NULL);
  auth = tg_rtsp_auth_new (
      server, mounts, GST_RTSP_MEDIA_FACTORY (factory),
      GST_RTSP_MEDIA_FACTORY (record),
      tg_peer_limit_new ("RTSP", (guint) config->rtsp_connections_per_address));
  gst_rtsp_server_set_auth (rtsp->rtsp, GST_RTSP_AUTH (auth));
  g_signal_connect_object (rtsp->rtsp, "client-connected",
                           G_CALLBACK (client_connected), auth, 0);
  rtsp->source = gst_rtsp_server_create_source (rtsp->rtsp, NULL, error);
  if (rtsp->source == NULL)
    return NULL;
  g_source_attach (rtsp->source, rtsp->context);
  rtsp->port = (guint16) gst_rtsp_server_get_bound_port (rtsp->rtsp);
  rtsp->thread = g_thread_new ("tg-rtsp", run, rtsp);
  return g_steal_pointer (&rtsp);
}

guint16
tg_rtsp_server_get_port (TgRtspServer *rtsp)
{
  return rtsp->port;
}

static GstRTSPFilterResult
cut (GstRTSPServer *rtsp, GstRTSPClient *client, gpointer data)
{
  (void) rtsp;
  (void) data;
  tg_rtsp_client_cut (client);
  return GST_RTSP_FILTER_KEEP;
}

static GstRTSPFilterResult
every (GstRTSPServer *rtsp, GstRTSPClient *client, gpointer data)
{
  (void) rtsp;
  (void) client;
  (void) data;
  return GST_RTSP_FILTER_REMOVE;
}

static gboolean
stop_loop (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

/* In the server's context, every CLOSE_POLL_MS once the clients are cut:
 * when they have all closed (or after CLOSE_WAIT_S, when the rest are
 * closed from here), the loop stops once what their closing queued has
 * run. */
static gboolean
wait_clients (gpointer data)
{
  TgRtspServer *server = data;
  GList *left = gst_rtsp_server_client_filter (server->rtsp, NULL, NULL);
  guint count = g_list_length (left);
  g_autoptr (GSource) quit = NULL;

  g_list_free_full (left, g_object_unref);
  if (count > 0 && g_get_monotonic_time () < server->close_by)
    return G_SOURCE_CONTINUE;
  if (count > 0)
    {
      g_info ("RTSP: %u clients still open at the end: closed", count);
      tg_rtsp_factory_fail (server->factory, TRUE, "the server stops");
      gst_rtsp_server_client_filter (server->rtsp, every, NULL);
    }
  quit = g_idle_source_new ();
  g_source_set_priority (quit, G_PRIORITY_LOW);
  g_source_set_callback (quit, stop_loop, server->loop, NULL);
  g_source_attach (quit, server->context);
  return G_SOURCE_REMOVE;
}

/* In the server's context: no more clients. Each client's connection is
 * cut, and the client closes itself on its own thread (closing it from
 * here races with its reads); a DESCRIBE that waits, in its client's
 * thread, for its media to start is let go by failing that media. */
static gboolean
close_all (gpointer data)
{
  TgRtspServer *server = data;
  g_autoptr (GSource) wait = g_timeout_source_new (CLOSE_POLL_MS);

  g_source_destroy (server->source);
  tg_rtsp_factory_fail (server->factory, FALSE, "the server stops");
  gst_rtsp_server_client_filter (server->rtsp, cut, NULL);
  server->close_by = g_get_monotonic_time () + CLOSE_WAIT_S * G_USEC_PER_SEC;
  g_source_set_callback (wait, wait_clients, server, NULL);
  g_source_attach (wait, server->context);
  return G_SOURCE_REMOVE;
}

void
tg_rtsp_server_free (TgRtspServer *rtsp)
{
  if (rtsp == NULL)
    return;
  if (rtsp->thread)
    {
      g_autoptr (GSource) idle = g_idle_source_new ();

      g_source_set_callback (idle, close_all, rtsp, NULL);
      g_source_attach (idle, rtsp->context);
      g_thread_join (rtsp->thread);
    }
  if (rtsp->source)
    {
      g_source_destroy (rtsp->source);
      g_source_unref (rtsp->source);
    }
  g_clear_object (&rtsp->rtsp);
  g_clear_object (&rtsp->factory);
  /* The clients' threads, once their clients are gone. */
  gst_rtsp_thread_pool_cleanup ();
  g_main_loop_unref (rtsp->loop);
  g_main_context_unref (rtsp->context);
  g_free (rtsp);
}
