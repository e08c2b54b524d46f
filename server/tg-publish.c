#include "tg-publish.h"

#include "tg-broadcast.h"
#include "tg-live.h"
#include "tg-ws.h"

static void
media_ready (TgStream *stream, const char *app, const char *stream_id,
             gpointer data)
{
  TgServer *server = data;

  tg_ws_stream_started (server->ws, app, stream_id);
}

TgStream *
tg_publish_stream_new (TgServer *server, const TgSettings *settings,
                       TgStreamInput input, const char *app,
                       const char *stream_id, const char *token,
                       TgStreamEnded ended, gpointer user_data, GError **error)
{
  g_autofree char *dir
      = g_build_filename (server->config->data_dir, "streams", app, NULL);
  TgStreamSpec spec = {
    .input = input,
    .app = app,
    .stream_id = stream_id,
    .token = tg_policy_scheme (settings->policy, TG_TOKEN_TYPE_PUBLISH)
                     != TG_SCHEME_NONE
                 ? token
                 : NULL,
    .store = server->store,
    .dir = dir,
    .hls = settings->hls_muxing,
    .hls_delete = settings->delete_hls_on_end,
    .hls_time = g_ascii_strtod (settings->hls_time, NULL),
    .hls_list_size
    = (guint) g_ascii_strtoull (settings->hls_list_size, NULL, 10),
    .mp4 = settings->mp4_muxing,
    .media_ready = media_ready,
    .media_ready_data = server,
  };

  return tg_stream_new (&spec, ended, user_data, error);
}

void
tg_publish_ended (TgServer *server, const char *app, const char *stream_id,
                  const GError *error)
{
  g_autoptr (GError) store_error = NULL;

  g_info ("%s/%s: publish ended%s%s", app, stream_id, error ? ": " : "",
          error ? error->message : "");
  if (!tg_broadcast_ended (server->store, app, stream_id, &store_error))
    g_message ("%s/%s: broadcast not updated: %s", app, stream_id,
               store_error->message);
  tg_live_release (server->live, app, stream_id);
}
