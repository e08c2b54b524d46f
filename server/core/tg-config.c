#include "tg-config.h"

#include "tollgate.h"

#define GROUP "tollgate"
#define MIN_CLUSTER_SECRET 16

TgConfig *
tg_config_new_default (void)
{
  TgConfig *config = g_new0 (TgConfig, 1);
  const char *apps[] = { "LiveApp", "WebRTCAppEE", "live", NULL };

  config->data_dir
      = g_build_filename (g_get_user_data_dir (), "tollgate", NULL);
  config->bind_address = g_strdup ("::");
  config->http_port = 5080;
  config->https_port = 5443;
  config->rtmp_port = 1935;
  config->srt_port = 4200;
  config->rtsp_port = 8554;
  config->http_request_timeout = 10;
  config->http_idle_timeout = 30;
  config->http_connections_per_address = 256;
  config->rtmp_connections_per_address = 32;
  config->srt_connections_per_address = 32;
  config->rtsp_connections_per_address = 32;
  config->audit_log_max_size = 10;
  config->audit_log_files = 5;
  config->apps = g_strdupv ((char **) apps);
  return config;
}

void
tg_config_free (TgConfig *config)
{
  if (config == NULL)
    return;
  g_free (config->data_dir);
  g_free (config->store_uri);
  g_free (config->bind_address);
  g_strfreev (config->apps);
  g_free (config->tls_certificate);
  g_free (config->tls_private_key);
  g_free (config->webrtc_public_ip);
  g_strfreev (config->webrtc_interfaces);
  g_free (config->cluster_secret);
  g_free (config->node_address);
  g_free (config->audit_log);
  g_free (config);
}

/* The settings that are whole numbers: key, where, range, help. */
typedef struct
{
  const char *key;
  gsize offset;
  int min, max;
  const char *help;
  const char *arg;
} IntSetting;

#define SLOT(field) G_STRUCT_OFFSET (TgConfig, field)

static const IntSetting int_settings[] = {
  { "http-port", SLOT (http_port), 0, 65535,
    "HTTP: REST, WebSocket, streams (default 5080; 0 disables)", "PORT" },
  { "https-port", SLOT (https_port), 0, 65535,
    "HTTPS (default 5443; 0 disables)", "PORT" },
  { "rtmp-port", SLOT (rtmp_port), 0, 65535,
    "RTMP ingest (default 1935; 0 disables)", "PORT" },
  { "srt-port", SLOT (srt_port), 0, 65535,
    "SRT ingest (default 4200; 0 disables)", "PORT" },
  { "rtsp-port", SLOT (rtsp_port), 0, 65535,
    "RTSP play (default 8554; 0 disables)", "PORT" },
  { "http-threads", SLOT (http_threads), 0, 256,
    "HTTP worker threads (default 0: one per processor)", "N" },
  { "http-request-timeout", SLOT (http_request_timeout), 1, 3600,
    "Seconds a TLS handshake or a request head may take (default 10)", "S" },
  { "http-idle-timeout", SLOT (http_idle_timeout), 1, 86400,
    "Seconds an HTTP connection may wait for a request, or make no "
    "progress (default 30)",
    "S" },
  { "http-connections-per-address", SLOT (http_connections_per_address), 1,
    1000000,
    "HTTP and WebSocket connections one address may have open "
    "(default 256)",
    "N" },
  { "rtmp-connections-per-address", SLOT (rtmp_connections_per_address), 1,
    1000000, "RTMP connections one address may have open (default 32)", "N" },
  { "srt-connections-per-address", SLOT (srt_connections_per_address), 1,
    1000000, "SRT callers one address may have connected (default 32)", "N" },
  { "rtsp-connections-per-address", SLOT (rtsp_connections_per_address), 1,
    1000000, "RTSP connections one address may have open (default 32)", "N" },
  { "audit-log-max-size", SLOT (audit_log_max_size), 1, 1024,
    "MiB the audit log may grow to before it is rotated (default 10)", "MIB" },
  { "audit-log-files", SLOT (audit_log_files), 1, 100,
    "Rotated audit logs kept, FILE.1 to FILE.N (default 5)", "N" },
};

#define N_INT_SETTINGS G_N_ELEMENTS (int_settings)

static int *
int_slot (TgConfig *config, guint i)
{
  return G_STRUCT_MEMBER_P (config, int_settings[i].offset);
}

static gboolean
set_int (TgConfig *config, guint i, int value, GError **error)
{
  const IntSetting *setting = &int_settings[i];

  if (value < setting->min || value > setting->max)
    {
      g_set_error (error, TG_ERROR, TG_ERROR_INVALID,
                   "%s must be %d to %d, not %d", setting->key, setting->min,
                   setting->max, value);
      return FALSE;
    }
  *int_slot (config, i) = value;
  return TRUE;
}

/* Command-line values; unset ones (NULL, -1) leave the file's. */
typedef struct
{
  char *config_file;
  char *data_dir;
  char *store_uri;
  char *bind_address;
  int ints[N_INT_SETTINGS];
  gboolean random_ports;
  char *webrtc_public_ip;
  char *webrtc_interfaces; /* comma-separated */
  char *webrtc_udp_ports;
  char *cluster_secret;
  char *node_address;
  char *audit_log;
} Args;

static void
replace (char **slot, char *value)
{
  if (value == NULL)
    return;
  g_free (*slot);
  *slot = value;
}

/* webrtc-udp-ports: "MIN-MAX", or one port. */
static gboolean
set_udp_ports (TgConfig *config, const char *text, GError **error)
{
  g_auto (GStrv) range = NULL;
  guint64 min, max;

  if (text == NULL)
    return TRUE;
  range = g_strsplit (text, "-", 2);
  if (range[0] == NULL
      || !g_ascii_string_to_unsigned (range[0], 10, 1, 65535, &min, NULL)
      || !g_ascii_string_to_unsigned (range[1] ? range[1] : range[0], 10, min,
                                      65535, &max, NULL))
    {
      g_set_error (error, TG_ERROR, TG_ERROR_INVALID,
                   "webrtc-udp-ports must be MIN-MAX (1 to 65535, MIN <= MAX), "
                   "not '%s'",
                   text);
      return FALSE;
    }
  config->webrtc_min_port = (guint) min;
  config->webrtc_max_port = (guint) max;
  return TRUE;
}

/* The file's keys are all known: a setting that would be ignored (a typo,
 * or one of a version that had it) is refused. */
static gboolean
check_keys (GKeyFile *file, const char *path, GError **error)
{
  static const char *const strings[]
      = { "data-dir",          "store",
          "bind-address",      "tls-certificate",
          "tls-private-key",   "webrtc-public-ip",
          "webrtc-interfaces", "webrtc-udp-ports",
          "cluster-secret",    "node-address",
          "audit-log",         "apps" };
  g_auto (GStrv) keys = g_key_file_get_keys (file, GROUP, NULL, NULL);

  for (guint k = 0; keys && keys[k]; k++)
    {
      gboolean known = FALSE;

      for (guint i = 0; i < G_N_ELEMENTS (strings) && !known; i++)
        known = g_str_equal (keys[k], strings[i]);
      for (guint i = 0; i < N_INT_SETTINGS && !known; i++)
        known = g_str_equal (keys[k], int_settings[i].key);
      if (!known)
        {
          g_set_error (error, TG_ERROR, TG_ERROR_INVALID,
                       "%s: unknown setting '%s'", path, keys[k]);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
load_file (TgConfig *config, const char *path, GError **error)
{
  g_autoptr (GKeyFile) file = g_key_file_new ();
  g_autoptr (GError) local = NULL;

  if (!g_key_file_load_from_file (file, path, G_KEY_FILE_NONE, error)
      || !check_keys (file, path, error))
    return FALSE;
  replace (&config->data_dir,
           g_key_file_get_string (file, GROUP, "data-dir", NULL));
  replace (&config->store_uri,
           g_key_file_get_string (file, GROUP, "store", NULL));
  replace (&config->bind_address,
           g_key_file_get_string (file, GROUP, "bind-address", NULL));
  replace (&config->tls_certificate,
           g_key_file_get_string (file, GROUP, "tls-certificate", NULL));
  replace (&config->tls_private_key,
           g_key_file_get_string (file, GROUP, "tls-private-key", NULL));
  replace (&config->webrtc_public_ip,
           g_key_file_get_string (file, GROUP, "webrtc-public-ip", NULL));
  replace (&config->cluster_secret,
           g_key_file_get_string (file, GROUP, "cluster-secret", NULL));
  replace (&config->node_address,
           g_key_file_get_string (file, GROUP, "node-address", NULL));
  replace (&config->audit_log,
           g_key_file_get_string (file, GROUP, "audit-log", NULL));
  if (g_key_file_has_key (file, GROUP, "webrtc-interfaces", NULL))
    {
      g_strfreev (config->webrtc_interfaces);
      config->webrtc_interfaces = g_key_file_get_string_list (
          file, GROUP, "webrtc-interfaces", NULL, NULL);
    }
  {
    g_autofree char *ports
        = g_key_file_get_string (file, GROUP, "webrtc-udp-ports", NULL);

    if (!set_udp_ports (config, ports, error))
      return FALSE;
  }
  for (guint i = 0; i < N_INT_SETTINGS; i++)
    {
      int value;

      if (!g_key_file_has_key (file, GROUP, int_settings[i].key, NULL))
        continue;
      value = g_key_file_get_integer (file, GROUP, int_settings[i].key, &local);
      if (local != NULL)
        {
          g_propagate_prefixed_error (error, g_steal_pointer (&local),
                                      "%s: ", path);
          return FALSE;
        }
      if (!set_int (config, i, value, error))
        return FALSE;
    }
  if (g_key_file_has_key (file, GROUP, "apps", NULL))
    {
      g_auto (GStrv) apps
          = g_key_file_get_string_list (file, GROUP, "apps", NULL, NULL);

      if (apps == NULL || apps[0] == NULL)
        {
          g_set_error (error, TG_ERROR, TG_ERROR_INVALID,
                       "%s: apps lists no application", path);
          return FALSE;
        }
      g_strfreev (config->apps);
      config->apps = g_steal_pointer (&apps);
    }
  return TRUE;
}

static gboolean
check_apps (char **apps, GError **error)
{
  for (guint i = 0; apps[i]; i++)
    {
      const char *app = apps[i];
      gboolean ok = *app != '\0' && strcmp (app, "rest") != 0;

      for (const char *c = app; *c && ok; c++)
        ok = g_ascii_isalnum (*c) || *c == '_' || *c == '-' || *c == '.';
      if (!ok || app[0] == '.')
        {
          g_set_error (error, TG_ERROR, TG_ERROR_INVALID,
                       "Application name '%s' is not valid: use letters, "
                       "digits, '_', '-' and '.'",
                       app);
          return FALSE;
        }
    }
  return TRUE;
}

/* A cluster setting is taken only where it takes effect: a node address
 * without a cluster secret would be ignored, and a short secret would let
 * anyone guess the links' keys. */
static gboolean
check_cluster (const TgConfig *config, GError **error)
{
  if (config->node_address && config->cluster_secret == NULL)
    g_set_error (error, TG_ERROR, TG_ERROR_INVALID,
                 "node-address needs cluster-secret: a node joins a cluster "
                 "only with the secret its nodes share");
  else if (config->node_address && *config->node_address == '\0')
    g_set_error (error, TG_ERROR, TG_ERROR_INVALID,
                 "node-address must not be empty");
  else if (config->cluster_secret
           && strlen (config->cluster_secret) < MIN_CLUSTER_SECRET)
    g_set_error (error, TG_ERROR, TG_ERROR_INVALID,
                 "cluster-secret must be at least %d characters",
                 MIN_CLUSTER_SECRET);
  else
    return TRUE;
  return FALSE;
}

TgConfig *
tg_config_from_args (int *argc, char ***argv, GError **error)
{
  Args args = { 0 };
  GOptionEntry entries[] = {
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &args.config_file,
      "Key file with a [tollgate] group", "FILE" },
    { "data-dir", 'd', 0, G_OPTION_ARG_FILENAME, &args.data_dir,
      "Where the database, certificates and streams live", "DIR" },
    { "store", 0, 0, G_OPTION_ARG_STRING, &args.store_uri,
      "Token store URI (default sqlite:///DATA-DIR/tollgate.db)", "URI" },
    { "bind-address", 0, 0, G_OPTION_ARG_STRING, &args.bind_address,
      "Address to listen on (default ::, which also takes IPv4)", "ADDR" },
    { "webrtc-public-ip", 0, 0, G_OPTION_ARG_STRING, &args.webrtc_public_ip,
      "WebRTC: the address announced to clients instead of the host's own "
      "(behind a 1:1 NAT)",
      "ADDR" },
    { "webrtc-interfaces", 0, 0, G_OPTION_ARG_STRING, &args.webrtc_interfaces,
      "WebRTC: only these interfaces or local addresses are announced "
      "(comma-separated; default all)",
      "LIST" },
    { "webrtc-udp-ports", 0, 0, G_OPTION_ARG_STRING, &args.webrtc_udp_ports,
      "WebRTC: the UDP ports ICE takes (default any)", "MIN-MAX" },
    { "cluster-secret", 0, 0, G_OPTION_ARG_STRING, &args.cluster_secret,
      "Join the nodes on the same store: the passphrase they all share (at "
      "least 16 characters); it signs their internal links and playback "
      "sessions",
      "SECRET" },
    { "node-address", 0, 0, G_OPTION_ARG_STRING, &args.node_address,
      "How the other nodes reach this one (needs --cluster-secret; default "
      "the first non-loopback address)",
      "ADDR" },
    { "audit-log", 0, 0, G_OPTION_ARG_FILENAME, &args.audit_log,
      "The audit log: a JSON line per token decision and session start "
      "and end (default DATA-DIR/audit.log; off: none; journal: to the "
      "systemd journal)",
      "FILE" },
    { "random-ports", 0, 0, G_OPTION_ARG_NONE, &args.random_ports,
      "Enabled listeners take ports the system chooses (for tests); the "
      "ready line on stdout names them",
      NULL },
    { NULL }
  };
  g_autoptr (GOptionContext) context
      = g_option_context_new ("- one-time-token media server");
  g_autoptr (TgConfig) config = tg_config_new_default ();
  GOptionEntry ints[N_INT_SETTINGS + 1] = { { NULL } };
  gboolean ok;

  for (guint i = 0; i < N_INT_SETTINGS; i++)
    {
      args.ints[i] = G_MININT;
      ints[i] = (GOptionEntry){ int_settings[i].key,
                                0,
                                0,
                                G_OPTION_ARG_INT,
                                &args.ints[i],
                                int_settings[i].help,
                                int_settings[i].arg };
    }
  g_option_context_add_main_entries (context, entries, NULL);
  g_option_context_add_main_entries (context, ints, NULL);
  ok = g_option_context_parse (context, argc, argv, error)
       && (args.config_file == NULL
           || load_file (config, args.config_file, error));
  if (ok)
    {
      replace (&config->data_dir, g_steal_pointer (&args.data_dir));
      replace (&config->store_uri, g_steal_pointer (&args.store_uri));
      replace (&config->bind_address, g_steal_pointer (&args.bind_address));
      for (guint i = 0; i < N_INT_SETTINGS && ok; i++)
        if (args.ints[i] != G_MININT)
          ok = set_int (config, i, args.ints[i], error);
      replace (&config->webrtc_public_ip,
               g_steal_pointer (&args.webrtc_public_ip));
      if (args.webrtc_interfaces)
        {
          g_strfreev (config->webrtc_interfaces);
          config->webrtc_interfaces
              = g_strsplit (args.webrtc_interfaces, ",", -1);
        }
      ok = ok && set_udp_ports (config, args.webrtc_udp_ports, error);
      replace (&config->cluster_secret, g_steal_pointer (&args.cluster_secret));
      replace (&config->node_address, g_steal_pointer (&args.node_address));
      replace (&config->audit_log, g_steal_pointer (&args.audit_log));
      config->random_ports = args.random_ports;
    }
  ok = ok && check_apps (config->apps, error) && check_cluster (config, error);
  g_free (args.config_file);
  g_free (args.data_dir);
  g_free (args.store_uri);
  g_free (args.bind_address);
  g_free (args.webrtc_public_ip);
  g_free (args.webrtc_interfaces);
  g_free (args.webrtc_udp_ports);
  g_free (args.cluster_secret);
  g_free (args.node_address);
  g_free (args.audit_log);
  return ok ? g_steal_pointer (&config) : NULL;
}

char *
tg_config_store_uri (const TgConfig *config)
{
  g_autofree char *abs = NULL;

  if (config->store_uri)
    return g_strdup (config->store_uri);
  abs = g_canonicalize_filename (config->data_dir, NULL);
  return g_strdup_printf ("sqlite://%s/tollgate.db", abs);
}

char *
tg_config_audit_log (const TgConfig *config)
{
  if (config->audit_log && g_str_equal (config->audit_log, "off"))
    return NULL;
  if (config->audit_log && *config->audit_log)
    return g_strdup (config->audit_log);
  return g_build_filename (config->data_dir, "audit.log", NULL);
}
