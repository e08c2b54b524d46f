#include "tg-rtsp-auth.h"

#include "tg-path.h"
#include "tg-play.h"
#include "tg-rtsp-factory.h"
#include "tg-rtsp-publish.h"
#include "tg-rtsp-cut.h"
#include "tg-rtsp-record.h"
#include "tg-sessions.h"

/* On a client: the keys ("app/stream_id") it was admitted to. */
#define ADMITTED "tg-rtsp-admitted"
/* On a client, while its DESCRIBE is checked: the GstRTSPToken holding
 * the credential (a GstRTSPContext holds no reference to its token). */
#define CREDENTIAL "tg-rtsp-credential"
#define CREDENTIAL_FIELD "tollgate.credential"

struct _TgRtspAuth
{
  GstRTSPAuth parent;
  TgServer *server;
  GstRTSPMountPoints *mounts;
  GstRTSPMediaFactory *factory; /* play */
  GstRTSPMediaFactory *record;
  TgPeerLimit *peers;
};

/* The clients' admitted keys are also read when a stream ends
 * (tg_rtsp_auth_admitted); locked, so that clients may be given threads
 * of their own (GstRTSPThreadPool) without a race. */
static GMutex admitted_lock;
/* On a client: its address, counted in peers. */
#define PEER "tg-rtsp-peer"

G_DEFINE_TYPE (TgRtspAuth, tg_rtsp_auth, GST_TYPE_RTSP_AUTH)

gboolean
tg_rtsp_auth_admitted (GstRTSPClient *client, const char *key)
{
  GHashTable *admitted;
  gboolean yes;

  g_mutex_lock (&admitted_lock);
  admitted = g_object_get_data (G_OBJECT (client), ADMITTED);
  yes = admitted && key && g_hash_table_contains (admitted, key);
  g_mutex_unlock (&admitted_lock);
  return yes;
}

static void
admit (GstRTSPClient *client, const char *key)
{
  GHashTable *admitted;

  g_mutex_lock (&admitted_lock);
  admitted = g_object_get_data (G_OBJECT (client), ADMITTED);
  if (admitted == NULL)
    {
      admitted = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      g_object_set_data_full (G_OBJECT (client), ADMITTED, admitted,
                              (GDestroyNotify) g_hash_table_unref);
    }
  g_hash_table_add (admitted, g_strdup (key));
  g_mutex_unlock (&admitted_lock);
}

/* The connection's address, as tg-peer-limit names it: from the address
 * the connection noted when it was made (its socket may be closed by
 * now, at the server's end). */
static char *
peer_name (GstRTSPConnection *conn)
{
  const char *ip = conn ? gst_rtsp_connection_get_ip (conn) : NULL;
  g_autoptr (GInetAddress) inet
      = ip ? g_inet_address_new_from_string (ip) : NULL;
  g_autoptr (GSocketAddress) address
      = inet ? g_inet_socket_address_new (inet, 0) : NULL;

  return address ? tg_peer_name (address) : NULL;
}

/* A new connection: refused when its address has the cap open. */
static gboolean
check_connect (TgRtspAuth *auth, GstRTSPContext *ctx)
{
  g_autofree char *peer = peer_name (ctx->conn);

  return peer && tg_peer_limit_take (auth->peers, peer);
}

static void
closed (GstRTSPClient *client, gpointer data)
{
  TgRtspAuth *auth = data;
  g_autofree char *peer = g_object_steal_data (G_OBJECT (client), PEER);

  if (peer)
    tg_peer_limit_release (auth->peers, peer);
}

void
tg_rtsp_auth_count (TgRtspAuth *auth, GstRTSPClient *client)
{
  char *peer = peer_name (gst_rtsp_client_get_connection (client));

  if (peer == NULL)
    return;
  g_object_set_data_full (G_OBJECT (client), PEER, peer, g_free);
  g_signal_connect_object (client, "closed", G_CALLBACK (closed), auth, 0);
}

typedef struct
{
  TgRtspFactory *factory; /* a reference */
  char *key;
  GstRTSPClient *client; /* alive while its "closed" handler is connected */
  TgSessions *sessions;
  TgSession *session; /* until its connection closes */
} Viewer;

static void
viewer_free (gpointer data, GClosure *closure)
{
  Viewer *viewer = data;

  (void) closure;
  tg_sessions_close (viewer->sessions, viewer->session);
  g_object_unref (viewer->factory);
  g_free (viewer->key);
  g_free (viewer);
}

static void
viewer_left (GstRTSPClient *client, gpointer data)
{
  Viewer *viewer = data;

  (void) client;
  tg_sessions_close (viewer->sessions, g_steal_pointer (&viewer->session));
  tg_rtsp_factory_count_viewer (viewer->factory, viewer->key, FALSE);
}

/* Its session's cut (tg-sessions.h). */
static void
cut_viewer (gpointer data)
{
  Viewer *viewer = data;

  tg_rtsp_client_cut (viewer->client);
}

/* The client counts as a viewer of key, and is a session, until its
 * connection closes. */
static void
count_viewer (TgRtspAuth *auth, GstRTSPClient *client, const char *key,
              const char *app, const char *stream_id, const char *peer,
              const char *tag)
{
  Viewer *viewer = g_new0 (Viewer, 1);

  viewer->factory = g_object_ref (TG_RTSP_FACTORY (auth->factory));
  viewer->key = g_strdup (key);
  viewer->client = client;
  viewer->sessions = auth->server->sessions;
  viewer->session
      = tg_sessions_open (viewer->sessions, TG_SESSION_RTSP, TG_TOKEN_TYPE_PLAY,
                          app, stream_id, peer, tag, cut_viewer, viewer);
  tg_rtsp_factory_count_viewer (viewer->factory, key, TRUE);
  g_signal_connect_data (client, "closed", G_CALLBACK (viewer_left), viewer,
                         viewer_free, 0);
}

static const char *
peer_of (GstRTSPContext *ctx)
{
  const char *ip = ctx->conn ? gst_rtsp_connection_get_ip (ctx->conn) : NULL;

  return ip ? ip : "?";
}

/* The credential: the query's token, if any; a badly encoded query has
 * none. */
static gboolean
authenticate (GstRTSPAuth *auth, GstRTSPContext *ctx)
{
  g_autoptr (GHashTable) query = NULL;
  const char *token = NULL;
  GstRTSPToken *credential;

  (void) auth;
  if (ctx->uri && ctx->uri->query)
    query = tg_query_parse (ctx->uri->query, NULL);
  if (query)
    token = g_hash_table_lookup (query, "token");
  credential
      = gst_rtsp_token_new (CREDENTIAL_FIELD, G_TYPE_STRING, token, NULL);
  g_object_set_data_full (G_OBJECT (ctx->client), CREDENTIAL, credential,
                          (GDestroyNotify) gst_rtsp_token_unref);
  ctx->token = credential;
  return TRUE;
}

static gboolean
refuse_with (GstRTSPContext *ctx, GstRTSPStatusCode code, const char *reason)
{
  gst_rtsp_message_init_response (
      ctx->response, code, reason ? reason : gst_rtsp_status_as_text (code),
      ctx->request);
  gst_rtsp_client_send_message (ctx->client, ctx->session, ctx->response);
  return FALSE;
}

static gboolean
refuse (GstRTSPContext *ctx, GstRTSPStatusCode code)
{
  return refuse_with (ctx, code, NULL);
}

/* The stream's media comes from factory for this client's requests
 * (gst-rtsp-server finds it by the path, then keeps it for the client):
 * in this context, before the request's own handling. */
static void
mount (TgRtspAuth *auth, const char *key, GstRTSPMediaFactory *factory)
{
  g_autofree char *mount = g_strdup_printf ("/%s", key);

  gst_rtsp_mount_points_add_factory (auth->mounts, mount,
                                     g_object_ref (factory));
}

/* A DESCRIBE: the admission, once per client and stream. */
static gboolean
check_describe (TgRtspAuth *auth, GstRTSPContext *ctx)
{
  g_autofree char *app = NULL, *stream_id = NULL, *key = NULL;
  g_autoptr (TgSettings) settings = NULL;
  const char *problem = NULL, *token;
  g_autofree char *tag = NULL;
  TgAdmit outcome;
  TgPlay play;

  key = tg_rtsp_key_of_path (ctx->uri ? ctx->uri->abspath : NULL, &app,
                             &stream_id);
  if (key == NULL)
    {
      g_info ("RTSP %s: refused: no /app/stream in the URL", peer_of (ctx));
      return refuse (ctx, GST_RTSP_STS_NOT_FOUND);
    }
  if (tg_rtsp_auth_admitted (ctx->client, key))
    return TRUE;
  if (!authenticate (GST_RTSP_AUTH (auth), ctx))
    return refuse (ctx, GST_RTSP_STS_UNAUTHORIZED);
  token = gst_rtsp_token_get_string (ctx->token, CREDENTIAL_FIELD);
  settings = tg_apps_get_settings (auth->server->apps, app);
  play = tg_play_admit (auth->server, settings, app, stream_id, token, "RTSP",
                        peer_of (ctx), TRUE, &outcome, &problem);
  tag = tg_session_tag (token);
  /* Not kept past its turn. */
  ctx->token = NULL;
  g_object_set_data (G_OBJECT (ctx->client), CREDENTIAL, NULL);
  if (play != TG_PLAY_OK)
    {
      g_info ("RTSP %s: play of %s refused: %s", peer_of (ctx), key, problem);
      return refuse (ctx, play == TG_PLAY_NOT_LIVE ? GST_RTSP_STS_NOT_FOUND
                                                   : GST_RTSP_STS_UNAUTHORIZED);
    }
  admit (ctx->client, key);
  mount (auth, key, auth->factory);
  count_viewer (auth, ctx->client, key, app, stream_id, peer_of (ctx), tag);
  g_info ("RTSP %s: plays %s", peer_of (ctx), key);
  return TRUE;
}

/* An ANNOUNCE: its SDP checked (nothing is spent for a refused one), then
 * the admission (tg-rtsp-publish.h). */
static gboolean
check_announce (TgRtspAuth *auth, GstRTSPContext *ctx)
{
  g_autofree char *app = NULL, *stream_id = NULL, *key = NULL;
  g_autoptr (GstSDPMessage) sdp = NULL;
  const char *problem = NULL, *token, *reason;
  GstRTSPStatusCode status;
  guint8 *body = NULL;
  guint size = 0;

  key = tg_rtsp_key_of_path (ctx->uri ? ctx->uri->abspath : NULL, &app,
                             &stream_id);
  if (key == NULL)
    {
      g_info ("RTSP %s: refused: no /app/stream in the URL", peer_of (ctx));
      return refuse (ctx, GST_RTSP_STS_NOT_FOUND);
    }
  if (tg_rtsp_auth_admitted (ctx->client, key)
      || tg_rtsp_publisher_of (ctx->client))
    {
      g_info ("RTSP %s: ANNOUNCE of %s refused: it has one", peer_of (ctx),
              key);
      return refuse (ctx, GST_RTSP_STS_METHOD_NOT_VALID_IN_THIS_STATE);
    }
  gst_rtsp_message_get_body (ctx->request, &body, &size);
  sdp = tg_rtsp_record_parse_sdp (body, size);
  if (sdp == NULL)
    problem = "no SDP";
  else
    problem = tg_rtsp_record_check_sdp (sdp);
  if (problem)
    {
      g_info ("RTSP %s: publish of %s refused: %s", peer_of (ctx), key,
              problem);
      return refuse (ctx, GST_RTSP_STS_UNSUPPORTED_MEDIA_TYPE);
    }
  authenticate (GST_RTSP_AUTH (auth), ctx);
  token = gst_rtsp_token_get_string (ctx->token, CREDENTIAL_FIELD);
  status = tg_rtsp_publish (&(TgRtspAnnounce){ .server = auth->server,
                                               .client = ctx->client,
                                               .app = app,
                                               .stream_id = stream_id,
                                               .token = token,
                                               .peer = peer_of (ctx) },
                            &reason);
  ctx->token = NULL;
  g_object_set_data (G_OBJECT (ctx->client), CREDENTIAL, NULL);
  if (status != GST_RTSP_STS_OK)
    return refuse_with (ctx, status, reason);
  admit (ctx->client, key);
  mount (auth, key, auth->record);
  return TRUE;
}

/* The query of a request other than DESCRIBE or ANNOUNCE is dropped (a
 * token is read there): gst-rtsp-server finds the media and stream of a
 * SETUP, RECORD or TEARDOWN by a path that would keep it, and ffmpeg appends a
 * stream's control after the query it published with
 * (".../s1?token=T/streamid=0"), which is put back in the path. */
static void
mend_uri (GstRTSPContext *ctx)
{
  GstRTSPUrl *uri = ctx->uri;
  const char *control;
  char *path;

  if (uri == NULL || uri->query == NULL)
    return;
  control = strchr (uri->query, '/');
  if (control)
    {
      path = g_strconcat (uri->abspath, control, NULL);
      g_free (uri->abspath);
      uri->abspath = path;
    }
  g_clear_pointer (&uri->query, g_free);
}

/* Any request: DESCRIBE and ANNOUNCE decide; OPTIONS and TEARDOWN pass;
 * the rest only for a stream the client was admitted to. */
static gboolean
check_url (TgRtspAuth *auth, GstRTSPContext *ctx)
{
  g_autofree char *key = NULL;

  switch (ctx->method)
    {
    case GST_RTSP_DESCRIBE:
      return check_describe (auth, ctx);
    case GST_RTSP_ANNOUNCE:
      return check_announce (auth, ctx);
    case GST_RTSP_OPTIONS:
    case GST_RTSP_TEARDOWN:
      mend_uri (ctx);
      return TRUE;
    default:
      break;
    }
  mend_uri (ctx);
  key = tg_rtsp_key_of_path (ctx->uri ? ctx->uri->abspath : NULL, NULL, NULL);
  if (tg_rtsp_auth_admitted (ctx->client, key))
    return TRUE;
  g_info ("RTSP %s: %s refused: not admitted", peer_of (ctx),
          gst_rtsp_method_as_text (ctx->method));
  return refuse (ctx, GST_RTSP_STS_UNAUTHORIZED);
}

static gboolean
check (GstRTSPAuth *base, GstRTSPContext *ctx, const char *check)
{
  TgRtspAuth *auth = TG_RTSP_AUTH (base);
  g_autofree char *key = NULL;

  if (g_str_equal (check, GST_RTSP_AUTH_CHECK_CONNECT))
    return check_connect (auth, ctx);
  if (g_str_equal (check, GST_RTSP_AUTH_CHECK_URL))
    return check_url (auth, ctx);
  if (g_str_has_prefix (check, "auth.check.media.factory."))
    {
      /* The URL's check has admitted it, or refused. */
      key = tg_rtsp_key_of_path (ctx->uri ? ctx->uri->abspath : NULL, NULL,
                                 NULL);
      return tg_rtsp_auth_admitted (ctx->client, key)
                 ? TRUE
                 : refuse (ctx, GST_RTSP_STS_UNAUTHORIZED);
    }
  /* The client's own transport settings (multicast...): not taken. */
  return FALSE;
}

static void
finalize (GObject *object)
{
  TgRtspAuth *auth = TG_RTSP_AUTH (object);

  g_object_unref (auth->mounts);
  g_object_unref (auth->factory);
  g_object_unref (auth->record);
  tg_peer_limit_free (auth->peers);
  G_OBJECT_CLASS (tg_rtsp_auth_parent_class)->finalize (object);
}

static void
tg_rtsp_auth_class_init (TgRtspAuthClass *klass)
{
  GstRTSPAuthClass *auth_class = GST_RTSP_AUTH_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = finalize;
  auth_class->authenticate = authenticate;
  auth_class->check = check;
}

static void
tg_rtsp_auth_init (TgRtspAuth *auth)
{
  (void) auth;
}

TgRtspAuth *
tg_rtsp_auth_new (TgServer *server, GstRTSPMountPoints *mounts,
                  GstRTSPMediaFactory *factory, GstRTSPMediaFactory *record,
                  TgPeerLimit *peers)
{
  TgRtspAuth *auth = g_object_new (TG_TYPE_RTSP_AUTH, NULL);

  auth->server = server;
  auth->mounts = g_object_ref (mounts);
  auth->factory = g_object_ref (factory);
  auth->record = g_object_ref (record);
  auth->peers = peers;
  return auth;
}
