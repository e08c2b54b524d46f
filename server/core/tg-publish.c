#include "tg-publish.h"

#include "tg-broadcast.h"
#include "tg-cluster.h"
#include "tg-metrics.h"
#include "tg-sessions.h"

/* On a streaming thread: whoever waits for the stream to go live is told
 * (WebSocket players, through the registry's watchers). */
static void
media_ready (TgStream *stream, const char *app, const char *stream_id,
             gpointer data)
{
  TgPublication *publication = data;

  tg_live_media_ready (publication->live, publication);
}

/* On the main context: the end sequence. */
static void
stream_ended (TgStream *stream, const GError *error, gpointer data)
{
  TgPublication *publication = data;
  g_autoptr (GError) store_error = NULL;
  const char *left = g_atomic_pointer_get (&publication->left_because);
  g_autofree char *why
      = error && left ? g_strdup_printf (": %s (%s)", error->message, left)
        : error || left
            ? g_strconcat (": ", error ? error->message : left, NULL)
            : g_strdup ("");

  /* once per stream, whatever ended it, and why */
  g_message ("%s: %s ended%s", publication->key,
             publication->door->relay ? "pull" : "publish", why);
  if (error)
    {
      g_autofree char *door = g_ascii_strdown (publication->door->name, -1);

      tg_metrics_add (publication->server->metrics,
                      "tollgate_pipeline_errors_total",
                      "Streams their pipeline ended (an error, not their "
                      "publisher leaving), by door.",
                      1, "door", door, NULL);
    }
  if (!publication->door->relay)
    tg_cluster_release (publication->server->cluster, publication->app,
                        publication->stream_id);
  if (!publication->door->relay
      && !tg_broadcast_ended (publication->server->store, publication->app,
                              publication->stream_id, &store_error))
    g_message ("%s: broadcast not updated: %s", publication->key,
               store_error->message);
  tg_live_ended (publication->live, publication);
  if (publication->door->ended)
    publication->door->ended (publication, publication->door_data);
}

/* The app's encoderSettings (validated: objects with whole numbers) as the
 * stream's ABR ladder. */
static TgStreamRung *
ladder_of (const TgSettings *settings, guint *n_rungs)
{
  JsonArray *array = json_node_get_array (settings->encoder_settings);
  TgStreamRung *rungs;

  *n_rungs = json_array_get_length (array);
  rungs = g_new0 (TgStreamRung, MAX (*n_rungs, 1));
  for (guint i = 0; i < *n_rungs; i++)
    {
      JsonObject *rung = json_array_get_object_element (array, i);

      rungs[i] = (TgStreamRung){
        .height = json_object_get_int_member_with_default (rung, "height", 0),
        .video_bitrate
        = json_object_get_int_member_with_default (rung, "videoBitrate", 0),
        .audio_bitrate
        = json_object_get_int_member_with_default (rung, "audioBitrate", 0),
      };
    }
  return rungs;
}

gboolean
tg_publish_build (TgServer *server, TgPublication *publication,
                  const TgSettings *settings, TgStreamInput input,
                  const char *token, GError **error)
{
  g_autofree char *dir = g_build_filename (server->config->data_dir, "streams",
                                           publication->app, NULL);
  guint n_rungs = 0;
  g_autofree TgStreamRung *rungs = ladder_of (settings, &n_rungs);
  TgStreamSpec spec = {
    .input = input,
    .app = publication->app,
    .stream_id = publication->stream_id,
    .token = tg_policy_scheme (settings->policy, TG_TOKEN_TYPE_PUBLISH)
                         != TG_SCHEME_NONE
                     && !publication->door->relay
                 ? token
                 : NULL,
    .store = server->store,
    .dir = dir,
    .hls = settings->hls_muxing,
    .hls_delete = settings->delete_hls_on_end,
    .hls_time = g_ascii_strtod (settings->hls_time, NULL),
    .hls_list_size
    = (guint) g_ascii_strtoull (settings->hls_list_size, NULL, 10),
    .mp4 = settings->mp4_muxing && !publication->door->relay,
    .dash = settings->dash_muxing,
    .dash_delete = settings->delete_dash_on_end,
    .rungs = rungs,
    .n_rungs = n_rungs,
    .media_ready = media_ready,
    .media_ready_data = publication,
  };

  publication->server = server;
  g_free (publication->credential_tag);
  publication->credential_tag = tg_session_tag (spec.token);
  publication->stream = tg_stream_new (&spec, stream_ended, publication, error);
  return publication->stream != NULL;
}

void
tg_publish_start (TgServer *server, TgPublication *publication)
{
  g_autoptr (GError) error = NULL;

  if (!tg_stream_start (publication->stream, &error)
      || (!publication->door->relay
          && !tg_broadcast_went_live (
              server->store, publication->app, publication->stream_id,
              publication->door->name, publication->peer, &error)))
    g_message ("%s %s: %s", publication->door->name, publication->peer,
               error->message);
  else if (!publication->door->relay)
    tg_cluster_hold (server->cluster, publication->app, publication->stream_id);
  tg_live_went_live (publication->live, publication);
}
