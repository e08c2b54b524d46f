/* WHIP and WHEP resources: the routes, the checks every POST passes
 * before the admission, the registry of sessions, and the POST that waits
 * for our answer. */
#include "tg-whip.h"

#include <openssl/rand.h>

#include "tg-cors.h"
#include "tg-path.h"
#include "tg-webrtc-peer.h"
#include "tg-whip-session.h"

/* Largest SDP offer taken (browsers' are a few KiB). */
#define MAX_OFFER (64 * 1024)
/* How long a POST waits for our candidates once it has our answer, at
 * most (host candidates come within milliseconds). */
#define ANSWER_WAIT_MS 3000
/* A session whose media has not come (WHIP) or whose viewer has not
 * started (WHEP) this long after the POST is ended, and so is a WHIP
 * session whose media has stopped coming for this long (the client went
 * without DELETE); checked every MEDIA_CHECK_S. */
#define MEDIA_WAIT_S 10
#define MEDIA_CHECK_S 2

#define ENDPOINT_METHODS "POST, OPTIONS"
#define SESSION_METHODS "DELETE, OPTIONS"

struct _TgWhip
{
  TgServer *server;
  GMutex lock;
  GHashTable *sessions; /* id -> TgWhipSession (a reference) */
};

/* --- sessions --- */

TgWhipSession *
tg_whip_session_ref (TgWhipSession *session)
{
  g_atomic_int_inc (&session->refs);
  return session;
}

void
tg_whip_session_unref (TgWhipSession *session)
{
  if (session == NULL || !g_atomic_int_dec_and_test (&session->refs))
    return;
  g_clear_pointer (&session->publication, tg_publication_unref);
  g_clear_pointer (&session->viewer, tg_viewer_unref);
  if (session->msg)
    g_object_unref (session->msg);
  if (session->context)
    g_main_context_unref (session->context);
  if (session->deadline)
    g_source_unref (session->deadline);
  if (session->media_wait)
    g_source_unref (session->media_wait);
  g_ptr_array_unref (session->candidates);
  g_mutex_clear (&session->lock);
  g_free (session->answer);
  g_free (session->fail_reason);
  g_free (session->id);
  g_free (session->app);
  g_free (session->stream_id);
  g_free (session->peer);
  g_free (session->name);
  g_free (session);
}

static char *
new_id (void)
{
  guint8 bytes[16];

  if (RAND_bytes (bytes, sizeof bytes) != 1)
    return NULL;
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, bytes, sizeof bytes);
}

TgWhipSession *
tg_whip_session_new (TgWhip *whip, const TgWhipRequest *request, gboolean play)
{
  TgWhipSession *session = g_new0 (TgWhipSession, 1);

  session->refs = 1;
  session->whip = whip;
  session->server = whip->server;
  session->play = play;
  session->id = new_id ();
  session->app = g_strdup (request->app);
  session->stream_id = g_strdup (request->stream_id);
  session->peer = g_strdup (request->peer);
  session->name
      = g_strdup_printf ("%s %s %s/%s", play ? "WHEP" : "WHIP", request->peer,
                         request->app, request->stream_id);
  session->candidates = g_ptr_array_new_with_free_func (g_free);
  g_mutex_init (&session->lock);
  g_mutex_lock (&whip->lock);
  g_hash_table_insert (whip->sessions, session->id,
                       tg_whip_session_ref (session));
  g_mutex_unlock (&whip->lock);
  return session;
}

gboolean
tg_whip_end (TgWhipSession *session)
{
  TgWhip *whip = session->whip;
  gboolean listed;

  g_mutex_lock (&whip->lock);
  listed = g_hash_table_lookup (whip->sessions, session->id) == session;
  if (listed)
    g_hash_table_steal (whip->sessions, session->id);
  g_mutex_unlock (&whip->lock);
  if (!listed)
    return FALSE;
  g_info ("%s: session ended", session->name);
  g_atomic_int_set (&session->over, TRUE);
  session->end (session);
  tg_whip_session_unref (session); /* the registry's */
  return TRUE;
}

static gboolean
end_now (gpointer data)
{
  tg_whip_end (data);
  return G_SOURCE_REMOVE;
}

/* Never at once: the caller may hold the locks ending takes. */
static void
later (GMainContext *context, GSourceFunc func, TgWhipSession *session)
{
  GSource *source = g_idle_source_new ();

  g_source_set_callback (source, func, tg_whip_session_ref (session),
                         (GDestroyNotify) tg_whip_session_unref);
  g_source_attach (source, context);
  g_source_unref (source);
}

void
tg_whip_end_later (TgWhipSession *session)
{
  later (NULL, end_now, session);
}

/* Found by its resource: /{app}/{whip|whep}/{stream}/{id}. */
static TgWhipSession *
find_session (TgWhip *whip, char **segments)
{
  TgWhipSession *session;

  g_mutex_lock (&whip->lock);
  session = g_hash_table_lookup (whip->sessions, segments[3]);
  if (session
      && (!g_str_equal (session->app, segments[0])
          || session->play != g_str_equal (segments[1], "whep")
          || !g_str_equal (session->stream_id, segments[2])))
    session = NULL;
  if (session)
    tg_whip_session_ref (session);
  g_mutex_unlock (&whip->lock);
  return session;
}

/* --- the POST, waiting for our answer --- */

void
tg_whip_reply (SoupServerMessage *msg, guint status, const char *text)
{
  g_autofree char *body = g_strconcat (text, "\n", NULL);

  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "text/plain", SOUP_MEMORY_COPY, body,
                                    strlen (body));
}

/* The answer with our candidates in it (a=candidate in the m-line each
 * belongs to, and a=end-of-candidates once all have come). With the
 * session's lock. */
static char *
answer_with_candidates (TgWhipSession *session)
{
  GstSDPMessage *sdp = NULL;
  char *text;

  if (gst_sdp_message_new_from_text (session->answer, &sdp) != GST_SDP_OK)
    return g_strdup (session->answer);
  for (guint i = 0; i < session->candidates->len; i++)
    {
      const char *line = session->candidates->pdata[i];
      char *end = NULL;
      guint64 mline = g_ascii_strtoull (line, &end, 10);
      GstSDPMedia *media;

      if (end == line || *end != ' '
          || mline >= gst_sdp_message_medias_len (sdp))
        continue;
      media = (GstSDPMedia *) gst_sdp_message_get_media (sdp, mline);
      end++;
      if (g_str_has_prefix (end, "candidate:"))
        end += strlen ("candidate:");
      gst_sdp_media_add_attribute (media, "candidate", end);
    }
  for (guint i = 0; session->gathered && i < gst_sdp_message_medias_len (sdp);
       i++)
    gst_sdp_media_add_attribute (
        (GstSDPMedia *) gst_sdp_message_get_media (sdp, i), "end-of-candidates",
        NULL);
  text = gst_sdp_message_as_text (sdp);
  gst_sdp_message_free (sdp);
  return text;
}

/* On the POST's worker: 201 with the answer, or the refusal. */
static gboolean
reply (gpointer data)
{
  TgWhipSession *session = data;
  SoupServerMessage *msg;
  SoupMessageHeaders *headers;
  g_autofree char *body = NULL;
  g_autofree char *location = NULL;
  guint status = SOUP_STATUS_CREATED;
  g_autofree char *reason = NULL;

  g_mutex_lock (&session->lock);
  msg = g_steal_pointer (&session->msg);
  if (session->deadline)
    {
      g_source_destroy (session->deadline);
      g_clear_pointer (&session->deadline, g_source_unref);
    }
  if (msg)
    g_signal_handler_disconnect (msg, session->disconnected);
  if (session->fail_status)
    {
      status = session->fail_status;
      reason = g_strdup (session->fail_reason);
    }
  else if (session->answer == NULL)
    {
      status = SOUP_STATUS_INTERNAL_SERVER_ERROR;
      reason = g_strdup ("no answer was made in time");
    }
  else
    body = answer_with_candidates (session);
  g_mutex_unlock (&session->lock);
  if (msg == NULL)
    return G_SOURCE_REMOVE;
  if (body)
    {
      headers = soup_server_message_get_response_headers (msg);
      location = g_strdup_printf ("/%s/%s/%s/%s", session->app,
                                  session->play ? "whep" : "whip",
                                  session->stream_id, session->id);
      soup_message_headers_replace (headers, "Location", location);
      soup_server_message_set_status (msg, status, NULL);
      soup_server_message_set_response (msg, "application/sdp",
                                        SOUP_MEMORY_COPY, body, strlen (body));
      g_info ("%s: answered, session %.8s…", session->name, session->id);
    }
  else
    {
      g_info ("%s: refused (%u): %s", session->name, status, reason);
      tg_whip_reply (msg, status, reason);
    }
  soup_server_message_unpause (msg);
  g_object_unref (msg);
  if (status != SOUP_STATUS_CREATED)
    tg_whip_end (session);
  return G_SOURCE_REMOVE;
}

/* With the session's lock: the POST is answered once it can be. */
static void
reply_when_ready (TgWhipSession *session)
{
  if (session->msg == NULL || session->replying)
    return;
  if (session->fail_status == 0 && !(session->answer && session->gathered))
    return;
  session->replying = TRUE;
  later (session->context, reply, session);
}

static gboolean
deadline_passed (gpointer data)
{
  reply (data);
  return G_SOURCE_REMOVE;
}

/* The client went before its answer: nothing is sent, and the session,
 * whose resource it never learnt, ends. */
static void
client_gone (SoupServerMessage *msg, gpointer data)
{
  TgWhipSession *session = data;

  g_mutex_lock (&session->lock);
  if (session->msg == msg)
    {
      g_signal_handler_disconnect (msg, session->disconnected);
      g_clear_object (&session->msg);
    }
  g_mutex_unlock (&session->lock);
  g_info ("%s: the client went before its answer", session->name);
  tg_whip_end_later (session);
}

static gboolean
watch_media (gpointer data)
{
  TgWhipSession *session = data;
  gint64 now = g_get_monotonic_time ();
  gint last = 0;

  if (g_atomic_int_get (&session->over))
    return G_SOURCE_REMOVE;
  if (!g_atomic_int_get (&session->started))
    {
      if (now - session->posted < MEDIA_WAIT_S * G_USEC_PER_SEC)
        return G_SOURCE_CONTINUE;
      g_info ("%s: no media %d s after the offer", session->name, MEDIA_WAIT_S);
      tg_whip_end (session);
      return G_SOURCE_REMOVE;
    }
  if (session->play) /* ICE failure or the stream's end ends it */
    return G_SOURCE_REMOVE;
  g_mutex_lock (&session->lock);
  if (session->in)
    last = tg_webrtc_in_last_frame (session->in);
  g_mutex_unlock (&session->lock);
  if (now / G_USEC_PER_SEC - last < MEDIA_WAIT_S)
    return G_SOURCE_CONTINUE;
  g_info ("%s: no media for %d s", session->name, MEDIA_WAIT_S);
  tg_whip_end (session);
  return G_SOURCE_REMOVE;
}

void
tg_whip_session_wait (TgWhipSession *session, SoupServerMessage *msg)
{
  GSource *media_wait = g_timeout_source_new_seconds (MEDIA_CHECK_S);

  session->posted = g_get_monotonic_time ();
  g_source_set_callback (media_wait, watch_media, tg_whip_session_ref (session),
                         (GDestroyNotify) tg_whip_session_unref);
  g_source_attach (media_wait, NULL);
  g_source_unref (media_wait);
  g_mutex_lock (&session->lock);
  session->msg = g_object_ref (msg);
  session->context = g_main_context_ref_thread_default ();
  session->deadline = g_timeout_source_new (ANSWER_WAIT_MS);
  g_source_set_callback (session->deadline, deadline_passed,
                         tg_whip_session_ref (session),
                         (GDestroyNotify) tg_whip_session_unref);
  g_source_attach (session->deadline, session->context);
  session->disconnected = g_signal_connect (msg, "disconnected",
                                            G_CALLBACK (client_gone), session);
  /* A status now: libsoup takes a request its handler left without one
   * for a WebSocket handshake. reply sets the real one. */
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_pause (msg);
  reply_when_ready (session);
  g_mutex_unlock (&session->lock);
}

void
tg_whip_session_answer (TgWhipSession *session, const char *sdp)
{
  g_mutex_lock (&session->lock);
  if (session->answer == NULL)
    session->answer = g_strdup (sdp);
  reply_when_ready (session);
  g_mutex_unlock (&session->lock);
}

void
tg_whip_session_candidate (TgWhipSession *session, guint mline,
                           const char *candidate)
{
  g_mutex_lock (&session->lock);
  g_ptr_array_add (session->candidates,
                   g_strdup_printf ("%u %s", mline, candidate));
  g_mutex_unlock (&session->lock);
}

void
tg_whip_session_gathered (TgWhipSession *session)
{
  g_mutex_lock (&session->lock);
  session->gathered = TRUE;
  reply_when_ready (session);
  g_mutex_unlock (&session->lock);
}

void
tg_whip_session_started (TgWhipSession *session)
{
  g_atomic_int_set (&session->started, TRUE);
}

void
tg_whip_session_failed (TgWhipSession *session, guint status,
                        const char *reason)
{
  g_info ("%s: over: %s", session->name, reason);
  g_mutex_lock (&session->lock);
  if (session->fail_status == 0)
    {
      session->fail_status = status;
      session->fail_reason = g_strdup (reason);
    }
  reply_when_ready (session);
  g_mutex_unlock (&session->lock);
  tg_whip_end_later (session);
}

/* --- admission --- */

gboolean
tg_whip_admit (const TgWhipRequest *request, TgTokenType type)
{
  TgServer *server = request->server;
  TgLiveWanted wanted = { server->live, request->app, request->stream_id };
  TgAdmission admission
      = { .app = request->app,
          .stream_id = request->stream_id,
          .type = type,
          .credential = request->token,
          .door = type == TG_TOKEN_TYPE_PUBLISH ? "WHIP" : "WHEP",
          .peer = request->peer };
  TgAdmit outcome;
  SoupServerMessage *msg = request->msg;

  if (type == TG_TOKEN_TYPE_PUBLISH)
    {
      admission.claim = tg_live_is_free;
      admission.claim_data = &wanted;
    }
  outcome = tg_admit (server->store,
                      request->settings ? request->settings->policy : NULL,
                      &admission, NULL, NULL);
  if (outcome != TG_ADMIT_OK)
    g_info ("%s %s %s/%s refused: %s", admission.door, request->peer,
            request->app, request->stream_id, tg_admit_to_string (outcome));
  switch (outcome)
    {
    case TG_ADMIT_OK:
      return TRUE;
    case TG_ADMIT_INVALID_STREAM_ID:
      tg_whip_reply (msg, SOUP_STATUS_BAD_REQUEST, "Stream id is not valid.");
      return FALSE;
    case TG_ADMIT_UNKNOWN_APP:
      tg_whip_reply (msg, SOUP_STATUS_NOT_FOUND, "Application not found");
      return FALSE;
    case TG_ADMIT_UNREGISTERED:
      tg_whip_reply (msg, SOUP_STATUS_FORBIDDEN,
                     "not_allowed_unregistered_streams");
      return FALSE;
    case TG_ADMIT_IN_USE:
      tg_whip_reply (msg, SOUP_STATUS_CONFLICT, "streamIdInUse");
      return FALSE;
    case TG_ADMIT_STORE_ERROR:
      tg_whip_reply (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, "highResourceUsage");
      return FALSE;
    case TG_ADMIT_NO_TOKEN:
    case TG_ADMIT_REFUSED:
      break;
    }
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "WWW-Authenticate", "Bearer");
  tg_whip_reply (msg, SOUP_STATUS_UNAUTHORIZED, "unauthorized_access");
  return FALSE;
}

/* --- requests --- */

/* The token of "Authorization: Bearer T", or NULL. */
static char *
bearer_token (SoupServerMessage *msg)
{
  const char *value = soup_message_headers_get_one (
      soup_server_message_get_request_headers (msg), "Authorization");

  if (value == NULL || g_ascii_strncasecmp (value, "Bearer ", 7) != 0)
    return NULL;
  return g_strstrip (g_strdup (value + 7));
}

gboolean
tg_whip_is_offer (const GstSDPMessage *sdp)
{
  gboolean media = FALSE;
  gboolean ice = gst_sdp_message_get_attribute_val (sdp, "ice-ufrag") != NULL;
  gboolean dtls
      = gst_sdp_message_get_attribute_val (sdp, "fingerprint") != NULL;

  if (gst_sdp_message_medias_len (sdp) == 0
      || gst_sdp_message_medias_len (sdp) > 16)
    return FALSE;
  for (guint i = 0; i < gst_sdp_message_medias_len (sdp); i++)
    {
      const GstSDPMedia *m = gst_sdp_message_get_media (sdp, i);
      const char *kind = gst_sdp_media_get_media (m);

      if (gst_sdp_media_get_attribute_val (m, "mid") == NULL)
        return FALSE;
      if (g_strcmp0 (kind, "audio") == 0 || g_strcmp0 (kind, "video") == 0)
        media |= gst_sdp_media_formats_len (m) > 0;
      if (gst_sdp_media_get_attribute_val (m, "ice-ufrag") == NULL && !ice)
        return FALSE;
      if (gst_sdp_media_get_attribute_val (m, "fingerprint") == NULL && !dtls)
        return FALSE;
    }
  return media;
}

static char *
peer_of (SoupServerMessage *msg)
{
  GSocketAddress *remote = soup_server_message_get_remote_address (msg);

  if (!G_IS_INET_SOCKET_ADDRESS (remote))
    return g_strdup ("?");
  return g_inet_address_to_string (
      g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (remote)));
}

/* POST /{app}/whip|whep/{stream}: the form first (nothing is spent on a
 * request that is not an offer), then the door. */
static void
take_offer (TgWhip *whip, SoupServerMessage *msg, const char *app,
            const char *stream_id, gboolean play)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *type = soup_message_headers_get_content_type (headers, NULL);
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr (GBytes) bytes = NULL;
  g_autofree char *offer = NULL;
  g_autofree char *token = NULL;
  g_autofree char *peer = peer_of (msg);
  GstSDPMessage *sdp = NULL;
  TgWhipRequest request = { whip->server, msg, app, stream_id, peer };

  if (type == NULL || g_ascii_strcasecmp (type, "application/sdp") != 0)
    {
      soup_message_headers_replace (
          soup_server_message_get_response_headers (msg), "Accept-Post",
          "application/sdp");
      tg_whip_reply (msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE,
                     "The offer must be application/sdp");
      return;
    }
  if (body->length > MAX_OFFER)
    {
      tg_whip_reply (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
                     "The offer is too large");
      return;
    }
  bytes = soup_message_body_flatten (body);
  offer = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  sdp = tg_webrtc_parse_sdp (offer);
  if (sdp == NULL || !tg_whip_is_offer (sdp))
    {
      if (sdp)
        gst_sdp_message_free (sdp);
      g_info ("%s %s %s/%s refused: not an SDP offer", play ? "WHEP" : "WHIP",
              peer, app, stream_id);
      tg_whip_reply (msg, SOUP_STATUS_BAD_REQUEST,
                     "The body is not a WebRTC SDP offer");
      return;
    }
  token = bearer_token (msg);
  request.token = token;
  request.offer = offer;
  request.sdp = sdp;
  request.settings = tg_apps_get_settings (whip->server->apps, app);
  if (play)
    tg_whep_play (whip, &request);
  else
    tg_whip_publish (whip, &request);
  g_clear_pointer (&request.settings, tg_settings_unref);
  gst_sdp_message_free (sdp);
}

/* DELETE /{app}/whip|whep/{stream}/{id}. */
static void
delete_session (TgWhip *whip, SoupServerMessage *msg, char **segments)
{
  TgWhipSession *session = find_session (whip, segments);

  if (session == NULL)
    {
      tg_whip_reply (msg, SOUP_STATUS_NOT_FOUND, "No such session");
      return;
    }
  tg_whip_end (session);
  tg_whip_session_unref (session);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, NULL, SOUP_MEMORY_STATIC, NULL, 0);
}

static void
answer_options (SoupServerMessage *msg, const char *methods, gboolean endpoint)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  if (tg_cors_is_preflight (msg))
    {
      tg_cors_answer_preflight (msg, methods);
      return;
    }
  /* No Link: no STUN or TURN server is configured, the server announces
   * its own addresses. */
  soup_message_headers_replace (headers, "Allow", methods);
  if (endpoint)
    soup_message_headers_replace (headers, "Accept-Post", "application/sdp");
  soup_server_message_set_status (msg, SOUP_STATUS_NO_CONTENT, NULL);
  soup_server_message_set_response (msg, NULL, SOUP_MEMORY_STATIC, NULL, 0);
}

static void
not_allowed (SoupServerMessage *msg, const char *methods)
{
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Allow", methods);
  tg_whip_reply (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "Method not allowed");
}

gboolean
tg_whip_handle (TgWhip *whip, SoupServerMessage *msg, const char *path)
{
  g_auto (GStrv) segments = tg_path_split (path);
  guint n = segments ? g_strv_length (segments) : 0;
  const char *method = soup_server_message_get_method (msg);
  gboolean endpoint = n == 3;
  const char *methods = endpoint ? ENDPOINT_METHODS : SESSION_METHODS;
  TgWhipSession *session = NULL;

  if ((n != 3 && n != 4)
      || (!g_str_equal (segments[1], "whip")
          && !g_str_equal (segments[1], "whep"))
      || !tg_apps_has (whip->server->apps, segments[0]))
    return FALSE;
  if (g_str_equal (method, SOUP_METHOD_OPTIONS))
    answer_options (msg, methods, endpoint);
  else if (endpoint && g_str_equal (method, SOUP_METHOD_POST))
    take_offer (whip, msg, segments[0], segments[2],
                g_str_equal (segments[1], "whep"));
  else if (!endpoint && g_str_equal (method, SOUP_METHOD_DELETE))
    delete_session (whip, msg, segments);
  else if (!endpoint && (session = find_session (whip, segments)) == NULL)
    tg_whip_reply (msg, SOUP_STATUS_NOT_FOUND, "No such session");
  else
    {
      /* PATCH (trickle ICE, ICE restart) included: our candidates are all
       * in the answer, and the client's are found by ICE itself (peer
       * reflexive) or sent in its offer. */
      tg_whip_session_unref (session);
      not_allowed (msg, methods);
    }
  return TRUE;
}

TgWhip *
tg_whip_new (TgServer *server)
{
  TgWhip *whip = g_new0 (TgWhip, 1);

  whip->server = server;
  g_mutex_init (&whip->lock);
  whip->sessions = g_hash_table_new (g_str_hash, g_str_equal);
  return whip;
}

void
tg_whip_close (TgWhip *whip)
{
  g_autoptr (GList) sessions = NULL;

  g_mutex_lock (&whip->lock);
  sessions = g_hash_table_get_values (whip->sessions);
  for (GList *l = sessions; l; l = l->next)
    tg_whip_session_ref (l->data);
  g_mutex_unlock (&whip->lock);
  for (GList *l = sessions; l; l = l->next)
    {
      tg_whip_end (l->data);
      tg_whip_session_unref (l->data);
    }
}

void
tg_whip_free (TgWhip *whip)
{
  if (whip == NULL)
    return;
  tg_whip_close (whip);
  g_hash_table_unref (whip->sessions);
  g_mutex_clear (&whip->lock);
  g_free (whip);
}
