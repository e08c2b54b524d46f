/* A stream's sessions (tg-sessions.h): GET .../{id}/sessions lists them,
 * DELETE .../{id}/sessions/{sid} ends one, DELETE .../{id}/sessions ends
 * every one (?type=play: the viewers, ?type=publish: the publisher). */
#include "tg-live.h"
#include "tg-playback.h"
#include "tg-rest.h"
#include "tg-reply.h"
#include "tg-sessions.h"

void
tg_rest_sessions_list (TgRequest *request)
{
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_ARRAY);

  json_node_take_array (node,
                        tg_sessions_list (request->server->sessions,
                                          request->app, request->args[0]));
  tg_reply_json (request->msg, SOUP_STATUS_OK, node);
}

void
tg_rest_sessions_end (TgRequest *request)
{
  if (!tg_sessions_cut (request->server->sessions, request->app,
                        request->args[0], request->args[1]))
    {
      tg_reply_result (request->msg, SOUP_STATUS_NOT_FOUND, FALSE,
                       "No such session");
      return;
    }
  g_info ("Session %s of %s/%s ended over REST", request->args[1], request->app,
          request->args[0]);
  tg_reply_result (request->msg, SOUP_STATUS_OK, TRUE, "Session ended");
}

guint
tg_rest_sessions_end_all (TgRequest *request, gint type, GError **error)
{
  guint count = tg_sessions_cut_all (request->server->sessions, request->app,
                                     request->args[0], type);

  /* Playback sessions not seen here yet, or served by another node of the
   * cluster, end with the stream's revocation epoch. */
  if (type != TG_TOKEN_TYPE_PUBLISH
      && !tg_playback_revoke (request->server, request->app, request->args[0],
                              error))
    return G_MAXUINT;
  if (type != TG_TOKEN_TYPE_PLAY)
    tg_live_stop (request->server->live, request->app, request->args[0]);
  g_info ("%u sessions of %s/%s ended over REST", count, request->app,
          request->args[0]);
  return count;
}

void
tg_rest_sessions_end_every (TgRequest *request)
{
  const char *type_text = tg_request_param (request, "type");
  g_autoptr (GError) error = NULL;
  g_autofree char *message = NULL;
  g_autofree char *count_text = NULL;
  gint type = -1;
  guint count;

  if (type_text && g_str_equal (type_text, "play"))
    type = TG_TOKEN_TYPE_PLAY;
  else if (type_text && g_str_equal (type_text, "publish"))
    type = TG_TOKEN_TYPE_PUBLISH;
  else if (type_text)
    {
      tg_reply_result (request->msg, SOUP_STATUS_BAD_REQUEST, FALSE,
                       "type must be play or publish");
      return;
    }
  count = tg_rest_sessions_end_all (request, type, &error);
  if (count == G_MAXUINT)
    {
      tg_reply_error (request->msg, error);
      return;
    }
  message = g_strdup_printf ("%u sessions ended", count);
  count_text = g_strdup_printf ("%u", count);
  tg_reply_result_with_id (request->msg, SOUP_STATUS_OK, TRUE, message,
                           count_text);
}
