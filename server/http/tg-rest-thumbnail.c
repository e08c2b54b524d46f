/* GET /{app}/rest/v2/broadcasts/{id}/thumbnail: a JPEG of the live
 * stream (tg-thumbnails.h). A thumbnail being made holds the request,
 * paused, until it is. */
#include "tg-reply.h"
#include "tg-rest.h"
#include "tg-thumbnails.h"

/* What a client waits before it asks again after a 503. */
#define RETRY_AFTER_S "1"

typedef struct
{
  SoupServerMessage *msg;
  gulong disconnected;
  gboolean gone; /* the client went away */
} Pending;

static void
reply (SoupServerMessage *msg, TgThumbnailResult result, GBytes *jpeg)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);

  soup_message_headers_replace (headers, "Cache-Control", "no-store");
  switch (result)
    {
    case TG_THUMBNAIL_OK:
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      soup_message_headers_set_content_type (headers, "image/jpeg", NULL);
      soup_message_body_append_bytes (
          soup_server_message_get_response_body (msg), jpeg);
      return;
    case TG_THUMBNAIL_NOT_LIVE:
      tg_reply_result (msg, SOUP_STATUS_NOT_FOUND, FALSE, "Stream is not live");
      return;
    case TG_THUMBNAIL_NO_VIDEO:
      tg_reply_result (msg, SOUP_STATUS_NOT_FOUND, FALSE,
                       "Stream has no video");
      return;
    case TG_THUMBNAIL_BUSY:
      soup_message_headers_replace (headers, "Retry-After", RETRY_AFTER_S);
      tg_reply_result (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, FALSE,
                       "Too many thumbnails at once");
      return;
    case TG_THUMBNAIL_NOT_YET:
    case TG_THUMBNAIL_PENDING:
      soup_message_headers_replace (headers, "Retry-After", RETRY_AFTER_S);
      tg_reply_result (msg, SOUP_STATUS_SERVICE_UNAVAILABLE, FALSE,
                       "No frame yet");
      return;
    }
}

static void
client_gone (SoupServerMessage *msg, gpointer data)
{
  ((Pending *) data)->gone = TRUE;
}

static void
pending_free (gpointer data)
{
  Pending *pending = data;

  g_signal_handler_disconnect (pending->msg, pending->disconnected);
  g_object_unref (pending->msg);
  g_free (pending);
}

/* On the request's worker thread. */
static void
made (TgThumbnailResult result, GBytes *jpeg, gpointer data)
{
  Pending *pending = data;

  if (pending->gone)
    return;
  reply (pending->msg, result, jpeg);
  soup_server_message_unpause (pending->msg);
}

void
tg_rest_broadcast_thumbnail (TgRequest *request)
{
  Pending *pending = g_new0 (Pending, 1);
  g_autoptr (GBytes) jpeg = NULL;
  TgThumbnailResult result;

  pending->msg = g_object_ref (request->msg);
  pending->disconnected = g_signal_connect (request->msg, "disconnected",
                                            G_CALLBACK (client_gone), pending);
  result = tg_thumbnails_get (request->server->thumbnails, request->app,
                              request->args[0], &jpeg, made, pending,
                              pending_free);
  if (result != TG_THUMBNAIL_PENDING)
    {
      pending_free (pending);
      reply (request->msg, result, jpeg);
      return;
    }
  /* A status now: libsoup takes a request its handler left without one
   * for a WebSocket handshake. made sets the real one. */
  soup_server_message_set_status (request->msg, SOUP_STATUS_OK, NULL);
  soup_server_message_pause (request->msg);
}
