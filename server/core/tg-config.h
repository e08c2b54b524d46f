/* The server's configuration: built-in defaults, then a key file
 * (--config, group [tollgate]), then the command line. */
#pragma once

#include <glib.h>

typedef struct
{
  char *data_dir;
  char *store_uri; /* NULL: sqlite:///{data_dir}/tollgate.db */
  char *bind_address;
  int http_port; /* 0 disables a listener */
  int https_port;
  int rtmp_port;
  int srt_port;
  int rtsp_port;
  int http_threads; /* 0: one per processor */
  /* The front door's limits (README, Limits). */
  int http_request_timeout; /* s: a TLS handshake or request head */
  int http_idle_timeout;    /* s: no request, or no progress */
  int http_connections_per_address;
  int rtmp_connections_per_address;
  int srt_connections_per_address;
  int rtsp_connections_per_address;
  gboolean random_ports;
  char **apps;
  char *tls_certificate; /* NULL: self-signed in {data_dir}/tls/ */
  char *tls_private_key;
  /* WebRTC's ICE (tg-webrtc-net.h): NULL, NULL, 0, 0 by default. */
  char *webrtc_public_ip;
  char **webrtc_interfaces;
  guint webrtc_min_port, webrtc_max_port;
  /* Several nodes on one store (tg-cluster.h): NULL, NULL by default; a
   * node address needs a cluster secret. */
  char *cluster_secret;
  char *node_address; /* NULL: the first non-loopback address */
  /* The audit log (tg-audit.h): NULL: {data_dir}/audit.log; "off": none. */
  char *audit_log;
  int audit_log_max_size; /* MiB before it is rotated */
  int audit_log_files;    /* rotated files kept */
} TgConfig;

TgConfig *tg_config_new_default (void);
void tg_config_free (TgConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgConfig, tg_config_free)

/* Reads argv (removing what it parsed) and, if given, the --config file,
 * whose values the command line overrides. */
TgConfig *tg_config_from_args (int *argc, char ***argv, GError **error);

/* The store URI in effect. */
char *tg_config_store_uri (const TgConfig *config);

/* The audit log's path in effect, or NULL when it is off. */
char *tg_config_audit_log (const TgConfig *config);
