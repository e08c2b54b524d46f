/* tollgate: options, signals, the main loop. */
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <sys/resource.h>

#include "tg-apps.h"
#include "tg-broadcast.h"
#include "tg-cluster.h"
#include "tg-config.h"
#include "tg-decisions.h"
#include "tg-front.h"
#include "tg-http.h"
#include "tg-http-streams.h"
#include "tg-viewer.h"
#include "tg-hls-viewers.h"
#include "tg-live.h"
#include "tg-sessions.h"
#include "tg-log.h"
#include "tg-rtmp-listener.h"
#include "tg-rtsp-server.h"
#include "tg-secret.h"
#include "tg-srt-listener.h"
#include "tg-srt-pull.h"
#include "tg-stream.h"
#include "tg-store-watch.h"
#include "tg-server.h"
#include "tg-thumbnails.h"
#include "tg-tls.h"
#include "tg-whip.h"
#include "tg-webrtc-net.h"
#include "tg-ws.h"

/* How often expired tokens are swept from the store. */
#define PURGE_INTERVAL_S 60

static gboolean
quit (gpointer loop)
{
  g_message ("Signal received; shutting down");
  g_main_loop_quit (loop);
  return G_SOURCE_CONTINUE;
}

static gboolean
purge (gpointer store)
{
  g_autoptr (GError) error = NULL;
  gint64 purged = tg_store_purge_expired (
      store, g_get_real_time () / G_USEC_PER_SEC, &error);

  if (purged < 0)
    g_message ("Purging expired tokens failed: %s", error->message);
  else if (purged > 0)
    g_debug ("Purged %" G_GINT64_FORMAT " expired tokens", purged);
  return G_SOURCE_CONTINUE;
}

/* Playback sessions no longer seen end (tg-hls-viewers.h). */
static gboolean
sweep_hls (gpointer unused)
{
  tg_hls_viewers_sweep ();
  return G_SOURCE_CONTINUE;
}

/* Whether this is the build tree's server, not an installed one: only that
 * one looks for the plugin in the folder it was built in. */
static gboolean
in_build_tree (void)
{
  g_autofree char *exe = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *dir = exe ? g_path_get_dirname (exe) : NULL;
  GStatBuf here, build;

  return dir && g_stat (dir, &here) == 0
         && g_stat (TG_BUILD_SERVER_DIR, &build) == 0
         && here.st_dev == build.st_dev && here.st_ino == build.st_ino;
}

/* The tokencheck element, from the system's plugin path or, for a server
 * run from its build tree, the plugin built beside it. */
static gboolean
load_plugin (GError **error)
{
  const char *dirs[] = { in_build_tree () ? TG_BUILD_PLUGIN_DIR : NULL,
                         TG_INSTALL_PLUGIN_DIR };
  g_autoptr (GstPluginFeature) feature = NULL;

  feature = gst_registry_lookup_feature (gst_registry_get (), "tokencheck");
  for (guint i = 0; feature == NULL && i < G_N_ELEMENTS (dirs); i++)
    {
      g_autofree char *path
          = dirs[i] ? g_build_filename (dirs[i], "libgsttollgate.so", NULL)
                    : NULL;
      g_autoptr (GstPlugin) plugin = NULL;

      if (path && g_file_test (path, G_FILE_TEST_EXISTS))
        plugin = gst_plugin_load_file (path, NULL);
      if (plugin)
        feature
            = gst_registry_lookup_feature (gst_registry_get (), "tokencheck");
    }
  if (feature == NULL)
    g_set_error (error, TG_ERROR, TG_ERROR_FAILED,
                 "The GStreamer plugin 'tollgate' (tokencheck) is not "
                 "installed");
  return feature != NULL;
}

/* What a crash left in an app's streams folder is made final (nothing is
 * live yet). */
static void
repair_files (const TgConfig *config, TgApps *apps, const char *app)
{
  g_autoptr (TgSettings) settings = tg_apps_get_settings (apps, app);
  g_autofree char *dir
      = g_build_filename (config->data_dir, "streams", app, NULL);
  guint repaired = tg_stream_repair_files (
      dir, settings ? settings->delete_hls_on_end : FALSE);

  if (repaired > 0)
    g_message ("%s: %u files left unfinished by the last run made final", app,
               repaired);
}

static gboolean
live_elsewhere (gpointer cluster, const char *app, const char *stream_id)
{
  return tg_cluster_is_live_elsewhere (cluster, app, stream_id);
}

/* What every HTTP worker's requests reach: the WHIP and WHEP resources
 * first, then the rest (tg-front). */
typedef struct
{
  TgServer *server;
  TgWhip *whip;
} Doors;

static void
handle_http (SoupServer *soup, SoupServerMessage *msg, const char *path,
             GHashTable *query, gpointer data)
{
  Doors *doors = data;

  if (!tg_whip_handle (doors->whip, msg, path))
    tg_front_handle (soup, msg, path, query, doors->server);
}

static int
run (TgConfig *config)
{
  /* Freed last: the listeners use it until they are freed. */
  g_autoptr (TgLive) live = tg_live_new ();
  /* Closed once the streams have ended, while the HTTP workers that wait
   * for its thumbnails still run; freed after them. */
  g_autoptr (TgThumbnails) thumbnails = tg_thumbnails_new (live);
  /* Freed after the store, which tells them each decision. */
  g_autoptr (TgMetrics) metrics = tg_metrics_new ();
  g_autoptr (TgDecisions) decisions = tg_decisions_new (metrics);
  g_autoptr (TgAudit) audit = NULL;
  g_autoptr (TgStoreWatcher) watcher = NULL;
  /* Freed after the doors, whose clients they are; before the audit. */
  g_autoptr (TgSessions) sessions = NULL;
  g_autofree char *audit_path = tg_config_audit_log (config);
  g_autoptr (GError) error = NULL;
  g_autofree char *store_uri = tg_config_store_uri (config);
  g_autoptr (TgStore) store = NULL;
  g_autoptr (TgCluster) cluster = NULL; /* freed before the store */
  g_autoptr (GBytes) secret = NULL;
  g_autoptr (TgApps) apps = NULL;
  g_autoptr (GTlsCertificate) certificate = NULL;
  g_autoptr (TgWs) ws = NULL;     /* freed after http (declared before it) */
  g_autoptr (TgWhip) whip = NULL; /* the same */
  g_autoptr (TgHttp) http = NULL;
  g_autoptr (TgRtmpListener) rtmp = NULL;
  g_autoptr (TgSrtListener) srt = NULL;
  g_autoptr (TgRtspServer) rtsp = NULL;
  g_autoptr (GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  TgServer server = { 0 };
  Doors doors = { &server, NULL };
  guint signals[2], purge_source, sweep_source;

  if (g_mkdir_with_parents (config->data_dir, 0750) != 0)
    {
      g_printerr ("tollgate: cannot create %s: %s\n", config->data_dir,
                  g_strerror (errno));
      return 1;
    }
  if (audit_path)
    audit = tg_audit_open (audit_path,
                           (gsize) config->audit_log_max_size * 1024 * 1024,
                           (guint) config->audit_log_files, &error);
  if (error == NULL && load_plugin (&error))
    store = tg_store_open (store_uri, &error);
  if (store)
    watcher = tg_store_watcher_new (store, metrics, audit);
  if (store && config->cluster_secret)
    cluster = tg_cluster_new (store, config->cluster_secret,
                              config->node_address, &error);
  if (cluster)
    secret = g_bytes_ref (tg_cluster_get_secret (cluster));
  else if (store && error == NULL)
    secret = tg_secret_load_or_create (config->data_dir, &error);
  if (secret)
    apps = tg_apps_new (store, config->apps, &error);
  for (guint i = 0; apps && error == NULL && config->apps[i]; i++)
    {
      gint repaired = tg_broadcast_repair (store, config->apps[i],
                                           cluster ? live_elsewhere : NULL,
                                           cluster, &error);

      if (repaired > 0)
        g_message ("%s: %d broadcasts left live by the last run ended",
                   config->apps[i], repaired);
      repair_files (config, apps, config->apps[i]);
    }
  if (apps && config->https_port != 0)
    certificate
        = tg_tls_load_or_create (config->data_dir, config->tls_certificate,
                                 config->tls_private_key, &error);
  server.config = config;
  server.live = live;
  server.store = store;
  server.apps = apps;
  server.secret = secret;
  server.cluster = cluster;
  server.metrics = metrics;
  server.sessions = sessions = tg_sessions_new (audit);
  tg_live_set_sessions (live, sessions);
  server.decisions = decisions;
  server.thumbnails = thumbnails;
  tg_live_set_cluster (live, cluster);
  if (error == NULL)
    tg_http_streams_prepare (&server, &error);
  ws = tg_ws_new (&server);
  whip = doors.whip = tg_whip_new (&server);
  if (error == NULL)
    http = tg_http_new (config, metrics, certificate, handle_http, &doors,
                        tg_ws_handle, ws, &error);
  if (http != NULL && config->rtmp_port != 0)
    rtmp = tg_rtmp_listener_new (&server, &error);
  if (http != NULL && error == NULL && config->srt_port != 0)
    srt = tg_srt_listener_new (&server, &error);
  if (http != NULL && error == NULL && config->rtsp_port != 0)
    rtsp = tg_rtsp_server_new (&server, &error);
  if (http == NULL || error != NULL)
    {
      g_printerr ("tollgate: %s\n", error->message);
      tg_live_close (live);
      return 1;
    }
  tg_cluster_join (cluster, &server, srt ? tg_srt_listener_get_port (srt) : 0);
  tg_cluster_set_puller (cluster, tg_srt_pull, NULL);
  signals[0] = g_unix_signal_add (SIGINT, quit, loop);
  signals[1] = g_unix_signal_add (SIGTERM, quit, loop);
  server.ports.http = tg_http_get_port (http, FALSE);
  server.ports.https = tg_http_get_port (http, TRUE);
  server.ports.rtmp = rtmp ? tg_rtmp_listener_get_port (rtmp) : 0;
  server.ports.srt = srt ? tg_srt_listener_get_port (srt) : 0;
  server.ports.rtsp = rtsp ? tg_rtsp_server_get_port (rtsp) : 0;
  tg_decisions_start (decisions);
  g_atomic_int_set (&server.ready, TRUE);
  g_print ("tollgate: ready http=%u https=%u rtmp=%u srt=%u rtsp=%u\n",
           server.ports.http, server.ports.https, server.ports.rtmp,
           server.ports.srt, server.ports.rtsp);
  fflush (stdout);
  g_message ("Serving %s on HTTP %u, HTTPS %u", tg_store_get_uri (store),
             tg_http_get_port (http, FALSE), tg_http_get_port (http, TRUE));

  purge_source = g_timeout_add_seconds (PURGE_INTERVAL_S, purge, store);
  sweep_source = g_timeout_add_seconds (TG_HLS_VIEWER_S / 4, sweep_hls, NULL);
  g_main_loop_run (loop);
  g_source_remove (signals[0]);
  g_source_remove (signals[1]);
  g_source_remove (purge_source);
  g_source_remove (sweep_source);
  /* Every publication, whatever its door, is stopped and its stream
   * finalised; then the doors close. */
  tg_live_close (live);
  tg_hls_viewers_end_all ();
  tg_thumbnails_close (thumbnails);
  tg_srt_pull_wait ();
  g_clear_pointer (&rtmp, tg_rtmp_listener_free);
  g_clear_pointer (&srt, tg_srt_listener_free);
  g_clear_pointer (&rtsp, tg_rtsp_server_free);
  /* WebSocket clients go while the HTTP workers still run their contexts. */
  tg_ws_close (ws);
  tg_whip_close (whip);
  g_clear_pointer (&http, tg_http_free);
  tg_viewer_wait_closed ();
  return 0;
}

/* Every connection, file and pipeline takes descriptors: the soft limit
 * (1024 under systemd) is raised to the hard one. */
static void
raise_file_limit (void)
{
  struct rlimit limit;

  if (getrlimit (RLIMIT_NOFILE, &limit) != 0
      || limit.rlim_cur == limit.rlim_max)
    return;
  limit.rlim_cur = limit.rlim_max;
  if (setrlimit (RLIMIT_NOFILE, &limit) != 0)
    g_message ("Cannot raise the file descriptor limit: %s",
               g_strerror (errno));
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (TgConfig) config = tg_config_from_args (&argc, &argv, &error);
  int status;

  if (config == NULL)
    {
      g_printerr ("tollgate: %s\n", error->message);
      return 2;
    }
  raise_file_limit ();
  gst_init (NULL, NULL);
  tg_log_init ();
  if (!tg_webrtc_set_network (
          &(TgWebrtcNetwork){ .public_ip = config->webrtc_public_ip,
                              .interfaces = config->webrtc_interfaces,
                              .min_port = config->webrtc_min_port,
                              .max_port = config->webrtc_max_port },
          &error))
    {
      g_printerr ("tollgate: %s\n", error->message);
      return 2;
    }
  status = run (config);
  tg_webrtc_clear_network ();
  g_clear_pointer (&config, tg_config_free);
  gst_deinit ();
  return status;
}
