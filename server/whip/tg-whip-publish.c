/* WHIP ingest (RFC 9725): the offer is taken by the same ingest as a
 * WebSocket publish (tg-webrtc-in), its stream built from the app's
 * settings, which spends the token, once every other check has passed. */
#include "tg-publish.h"
#include "tg-whip-session.h"

/* --- the ingest's callbacks, on any thread --- */

static void
in_answer (TgWebrtcIn *in, const char *sdp, gpointer data)
{
  tg_whip_session_answer (data, sdp);
}

static void
in_candidate (TgWebrtcIn *in, guint mline, const char *mid,
              const char *candidate, gpointer data)
{
  tg_whip_session_candidate (data, mline, candidate);
}

static void
in_media_came (TgWebrtcIn *in, gpointer data)
{
  TgWhipSession *session = data;

  g_info ("%s: publishing", session->name);
  tg_whip_session_started (session);
}

static void
in_failed (TgWebrtcIn *in, const char *definition, const char *reason,
           gpointer data)
{
  gboolean client = g_strcmp0 (definition, "notSetRemoteDescription") == 0
                    || g_strcmp0 (definition, "invalidCodecData") == 0;

  tg_whip_session_failed (data,
                          client ? SOUP_STATUS_BAD_REQUEST
                                 : SOUP_STATUS_INTERNAL_SERVER_ERROR,
                          reason);
}

static void
in_gathered (TgWebrtcIn *in, gpointer data)
{
  tg_whip_session_gathered (data);
}

static const TgWebrtcInCallbacks in_callbacks = {
  .answer = in_answer,
  .candidate = in_candidate,
  .media_came = in_media_came,
  .failed = in_failed,
  .gathered = in_gathered,
};

/* --- the publication --- */

/* Stopped by REST or at shutdown, on the main context. */
static void
stop (TgPublication *publication, gpointer data)
{
  tg_whip_end (data);
}

static void
ended (TgPublication *publication, gpointer data)
{
  tg_whip_session_unref (data); /* the publication's */
}

static const TgDoor whip_door = { "WHIP", stop, ended };

/* A viewer joined: on a streaming thread, with the stream's viewer lock
 * held (end_publishing waits for it). */
static void
key_frame_wanted (TgStream *stream, gpointer data)
{
  TgWhipSession *session = data;

  tg_webrtc_in_want_key_frame (session->in);
}

/* The session is over (DELETE, stopped, failed, no media): the ingest
 * stops, the stream drains and ends (files finalised, broadcast updated). */
static void
end_publishing (TgWhipSession *session)
{
  TgWebrtcIn *in;

  /* Once this returns, key_frame_wanted no longer runs. */
  if (session->in)
    tg_stream_on_key_frame_wanted (session->stream, NULL, NULL);
  g_mutex_lock (&session->lock);
  in = g_steal_pointer (&session->in);
  g_mutex_unlock (&session->lock);
  if (in)
    tg_webrtc_in_close (in);
  if (session->stream)
    tg_stream_finish (session->stream);
  g_clear_pointer (&in, tg_webrtc_in_free);
}

gboolean
tg_whip_sends_media (const GstSDPMessage *sdp)
{
  for (guint i = 0; i < gst_sdp_message_medias_len (sdp); i++)
    {
      const GstSDPMedia *media = gst_sdp_message_get_media (sdp, i);
      const char *kind = gst_sdp_media_get_media (media);

      if ((g_strcmp0 (kind, "video") == 0 || g_strcmp0 (kind, "audio") == 0)
          && gst_sdp_media_get_attribute_val (media, "recvonly") == NULL
          && gst_sdp_media_get_attribute_val (media, "inactive") == NULL)
        return TRUE;
    }
  return FALSE;
}

void
tg_whip_publish (struct _TgWhip *whip, const TgWhipRequest *request)
{
  TgServer *server = request->server;
  TgSettings *settings = request->settings;
  g_autoptr (GError) error = NULL;
  TgWhipSession *session;
  TgPublication *publication;

  if (!tg_whip_sends_media (request->sdp))
    {
      tg_whip_reply (request->msg, SOUP_STATUS_BAD_REQUEST,
                     "The offer sends no track");
      return;
    }
  if (!tg_whip_admit (request, TG_TOKEN_TYPE_PUBLISH))
    return;
  session = tg_whip_session_new (whip, request, FALSE);
  session->end = end_publishing;
  publication = tg_live_claim (server->live, &whip_door, session, request->app,
                               request->stream_id, request->peer);
  if (publication == NULL)
    {
      g_info ("%s: refused: streamIdInUse", session->name);
      tg_whip_reply (request->msg, SOUP_STATUS_CONFLICT, "streamIdInUse");
      tg_whip_end (session);
      tg_whip_session_unref (session);
      return;
    }
  session->publication = publication;
  /* The token is spent here, by the stream's tokencheck. */
  if (tg_publish_build (server, publication, settings, TG_STREAM_FRAMES,
                        request->token, &error))
    {
      TgWebrtcInSpec spec = {
        .name = session->name,
        .stream = publication->stream,
        .video = TRUE,
        .audio = TRUE,
        .aac = settings->hls_muxing || settings->mp4_muxing,
        .key_frame_every
        = (GstClockTime) (g_ascii_strtod (settings->hls_time, NULL)
                          * GST_SECOND),
      };

      session->stream = publication->stream;
      tg_stream_take_opus (session->stream);
      session->in = tg_webrtc_in_new (&spec, &in_callbacks, session, &error);
    }
  if (session->in == NULL)
    {
      gboolean refused = g_error_matches (error, TG_ERROR, TG_ERROR_FORBIDDEN);

      g_info ("%s: refused: %s", session->name, error->message);
      tg_live_abandon (server->live, publication);
      session->stream = NULL;
      if (refused)
        soup_message_headers_replace (
            soup_server_message_get_response_headers (request->msg),
            "WWW-Authenticate", "Bearer");
      tg_whip_reply (request->msg,
                     refused ? SOUP_STATUS_UNAUTHORIZED
                             : SOUP_STATUS_SERVICE_UNAVAILABLE,
                     refused ? "unauthorized_access" : "highResourceUsage");
      tg_whip_end (session);
      tg_whip_session_unref (session);
      return;
    }
  tg_stream_on_key_frame_wanted (session->stream, key_frame_wanted, session);
  tg_whip_session_ref (session); /* the publication's, until it has ended */
  tg_publish_start (server, publication);
  tg_webrtc_in_take_offer (session->in, request->offer);
  tg_whip_session_wait (session, request->msg);
  tg_whip_session_unref (session);
}
