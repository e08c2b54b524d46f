/* WebRTC publish over the signalling (PROTOCOL.md 5): publish -> checks ->
 * the stream is built (spending the token) -> start -> the client's offer
 * -> our answer -> candidates -> publish_started once each track taken has
 * sent media; stop or a closed connection -> the stream is finished ->
 * publish_finished. */
#include "tg-live.h"
#include "tg-publish.h"
#include "tg-webrtc-in.h"
#include "tg-ws-publish.h"

/* A publisher whose media has not come this long after start is ended. */
#define MEDIA_WAIT_S 10

/* One WebRTC publish. Held by its client's table while the client
 * publishes, and by its publication until that has ended. */
typedef struct
{
  gint refs;
  TgWsClient *client; /* a reference */
  char *stream_id;
  TgPublication *publication; /* a reference */
  TgStream *stream;           /* the publication's */
  TgWebrtcIn *in;             /* NULL once the client has stopped */
  gint started;               /* atomic: media came (publish_started sent) */
  GSource *media_wait;        /* the client's context's: until media comes */
} Publishing;

static Publishing *
publishing_ref (Publishing *p)
{
  g_atomic_int_inc (&p->refs);
  return p;
}

static void
publishing_unref (Publishing *p)
{
  if (!g_atomic_int_dec_and_test (&p->refs))
    return;
  tg_publication_unref (p->publication);
  tg_ws_client_unref (p->client);
  g_free (p->stream_id);
  g_free (p);
}

/* --- news for the client, carried to its context --- */

typedef struct
{
  Publishing *p; /* when the client stops publishing it, else NULL */
  JsonObject *message;
} News;

static void end_publishing (TgWsClient *client, Publishing *p);

static void
deliver (TgWsClient *client, gpointer data)
{
  News *news = data;

  tg_ws_send (client, g_steal_pointer (&news->message));
  if (news->p
      && g_hash_table_lookup (client->publishing, news->p->stream_id)
             == news->p)
    end_publishing (client, news->p);
}

static void
news_free (gpointer data)
{
  News *news = data;

  if (news->p)
    publishing_unref (news->p);
  if (news->message)
    json_object_unref (news->message);
  g_free (news);
}

static void
tell (Publishing *p, JsonObject *message, gboolean ends)
{
  News *news = g_new0 (News, 1);

  news->p = ends ? publishing_ref (p) : NULL;
  news->message = message;
  tg_ws_client_invoke (p->client, deliver, news, news_free);
}

/* --- the ingest's callbacks, on any thread --- */

static void
in_answer (TgWebrtcIn *in, const char *sdp, gpointer data)
{
  Publishing *p = data;
  JsonObject *message = tg_signal_reply ("takeConfiguration", p->stream_id);

  json_object_set_string_member (message, "type", "answer");
  json_object_set_string_member (message, "sdp", sdp);
  tell (p, message, FALSE);
}

static void
in_candidate (TgWebrtcIn *in, guint mline, const char *mid,
              const char *candidate, gpointer data)
{
  Publishing *p = data;
  JsonObject *message = tg_signal_reply ("takeCandidate", p->stream_id);

  json_object_set_int_member (message, "label", mline);
  json_object_set_string_member (message, "id", mid);
  json_object_set_string_member (message, "candidate", candidate);
  tell (p, message, FALSE);
}

static void
in_media_came (TgWebrtcIn *in, gpointer data)
{
  Publishing *p = data;

  g_atomic_int_set (&p->started, TRUE);
  g_info ("WebSocket %s: publishing %s/%s", p->client->peer, p->client->app,
          p->stream_id);
  tell (p, tg_signal_notification ("publish_started", p->stream_id), FALSE);
}

static void
in_failed (TgWebrtcIn *in, const char *definition, const char *reason,
           gpointer data)
{
  Publishing *p = data;

  g_info ("WebSocket %s: publish of %s/%s over: %s", p->client->peer,
          p->client->app, p->stream_id, reason);
  tell (p,
        definition ? tg_signal_error (definition, p->stream_id)
                   : tg_signal_notification ("publish_finished", p->stream_id),
        TRUE);
}

static const TgWebrtcInCallbacks in_callbacks = {
  in_answer,
  in_candidate,
  in_media_came,
  in_failed,
};

/* --- the publication, on the main context --- */

static void
stop_on_client (TgWsClient *client, gpointer data)
{
  Publishing *p = data;

  if (g_hash_table_lookup (client->publishing, p->stream_id) == p)
    end_publishing (client, p);
}

/* Stopped by request or at shutdown: the client no longer publishes it (on
 * its own context). */
static void
stop (TgPublication *publication, gpointer data)
{
  Publishing *p = data;

  tg_ws_client_invoke (p->client, stop_on_client, publishing_ref (p),
                       (GDestroyNotify) publishing_unref);
}

static void
ended (TgPublication *publication, gpointer data)
{
  Publishing *p = data;

  tell (p, tg_signal_notification ("publish_finished", p->stream_id), FALSE);
  publishing_unref (p); /* the publication's */
}

static const TgDoor webrtc_door = { "WebRTC", stop, ended };

/* A viewer joined: on its client's thread, with the stream's viewer lock
 * held (end_publishing waits for it). */
static void
key_frame_wanted (TgStream *stream, gpointer data)
{
  Publishing *p = data;

  tg_webrtc_in_want_key_frame (p->in);
}

/* The client no longer publishes it: the ingest stops, the stream drains
 * and ends (files finalised, broadcast updated), then publish_finished. */
static void
end_publishing (TgWsClient *client, Publishing *p)
{
  g_hash_table_remove (client->publishing, p->stream_id);
  if (p->media_wait)
    {
      g_source_destroy (p->media_wait);
      g_clear_pointer (&p->media_wait, g_source_unref);
    }
  if (p->in)
    {
      /* Once this returns, key_frame_wanted no longer runs. */
      tg_stream_on_key_frame_wanted (p->stream, NULL, NULL);
      tg_webrtc_in_close (p->in);
    }
  /* Before the ingest stops: a frame of it may wait in a muxer for a
   * track that is not coming, which finishing lets through. */
  tg_stream_finish (p->stream);
  g_clear_pointer (&p->in, tg_webrtc_in_free);
  publishing_unref (p);
}

/* start was sent MEDIA_WAIT_S ago: without media by now (no offer, or
 * ICE never connected), the publish is ended and its stream id freed. */
static gboolean
media_wait_over (gpointer data)
{
  Publishing *p = data;
  TgWsClient *client = p->client;

  g_clear_pointer (&p->media_wait, g_source_unref);
  if (g_atomic_int_get (&p->started)
      || g_hash_table_lookup (client->publishing, p->stream_id) != p)
    return G_SOURCE_REMOVE;
  g_info ("WebSocket %s: publish of %s/%s over: no media %d s after start",
          client->peer, client->app, p->stream_id, MEDIA_WAIT_S);
  tg_ws_send_error (client, "publishTimeoutError", p->stream_id);
  end_publishing (client, p);
  return G_SOURCE_REMOVE;
}

static const char *
refusal_of (TgWsClient *client, TgSignalRequest *request, TgSettings *settings)
{
  if (g_hash_table_contains (client->publishing, request->stream_id))
    return "already_publishing";
  return tg_ws_admit (client, request, settings, TG_TOKEN_TYPE_PUBLISH);
}

void
tg_ws_publish (TgWsClient *client, TgSignalRequest *request)
{
  TgServer *server = client->server;
  g_autoptr (TgSettings) settings
      = tg_apps_get_settings (server->apps, client->app);
  g_autoptr (GError) error = NULL;
  g_autofree char *name = NULL;
  const char *refusal = refusal_of (client, request, settings);
  Publishing *p;

  if (refusal)
    {
      g_info ("WebSocket %s: publish %s/%s refused: %s", client->peer,
              client->app, request->stream_id, refusal);
      tg_ws_send_error (client, refusal, request->stream_id);
      return;
    }
  p = g_new0 (Publishing, 1);
  p->refs = 1;
  p->client = tg_ws_client_ref (client);
  p->stream_id = g_strdup (request->stream_id);
  p->publication = tg_live_claim (server->live, &webrtc_door, p, client->app,
                                  request->stream_id, client->peer);
  if (p->publication == NULL)
    {
      g_info ("WebSocket %s: publish %s/%s refused: streamIdInUse",
              client->peer, client->app, request->stream_id);
      tg_ws_send_error (client, "streamIdInUse", request->stream_id);
      publishing_unref (p);
      return;
    }
  /* The token is spent here, by the stream's tokencheck. */
  name = g_strdup_printf ("%s/%s", client->app, request->stream_id);
  if (tg_publish_build (server, p->publication, settings, TG_STREAM_FRAMES,
                        request->token, &error))
    {
      TgWebrtcInSpec spec = {
        .name = name,
        .stream = p->publication->stream,
        .video = request->video,
        .audio = request->audio,
        .aac = settings->hls_muxing || settings->mp4_muxing,
        .key_frame_every
        = (GstClockTime) (g_ascii_strtod (settings->hls_time, NULL)
                          * GST_SECOND),
      };

      p->stream = p->publication->stream;
      if (request->audio)
        tg_stream_take_opus (p->stream);
      p->in = tg_webrtc_in_new (&spec, &in_callbacks, p, &error);
    }
  if (p->in == NULL)
    {
      g_info ("WebSocket %s: publish %s refused: %s", client->peer, name,
              error->message);
      tg_live_abandon (server->live, p->publication);
      tg_ws_send_error (client,
                        g_error_matches (error, TG_ERROR, TG_ERROR_FORBIDDEN)
                            ? "unauthorized_access"
                            : "highResourceUsage",
                        request->stream_id);
      publishing_unref (p);
      return;
    }
  tg_stream_on_key_frame_wanted (p->stream, key_frame_wanted, p);
  publishing_ref (p); /* the publication's, until it has ended */
  g_hash_table_insert (client->publishing, p->stream_id, p);
  tg_publish_start (server, p->publication);
  p->media_wait = g_timeout_source_new_seconds (MEDIA_WAIT_S);
  g_source_set_callback (p->media_wait, media_wait_over, publishing_ref (p),
                         (GDestroyNotify) publishing_unref);
  g_source_attach (p->media_wait, client->context);
  tg_ws_send (client, tg_signal_reply ("start", request->stream_id));
}

gboolean
tg_ws_publish_take (TgWsClient *client, TgSignalRequest *request)
{
  Publishing *p = g_hash_table_lookup (client->publishing, request->stream_id);

  if (p == NULL)
    return FALSE;
  if (request->command == TG_SIGNAL_TAKE_CANDIDATE)
    tg_webrtc_in_take_candidate (p->in, request->label, request->candidate);
  else if (request->is_offer)
    tg_webrtc_in_take_offer (p->in, request->sdp);
  return TRUE;
}

gboolean
tg_ws_publish_stop (TgWsClient *client, const char *stream_id)
{
  Publishing *p = g_hash_table_lookup (client->publishing, stream_id);

  if (p)
    end_publishing (client, p);
  return p != NULL;
}

void
tg_ws_publish_end_all (TgWsClient *client)
{
  g_autoptr (GList) all = g_hash_table_get_values (client->publishing);

  for (GList *l = all; l; l = l->next)
    end_publishing (client, l->data);
}
