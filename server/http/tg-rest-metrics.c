/* GET /metrics: the server's metrics in Prometheus' text format
 * (tg-metrics.h), closed as the REST API is: a client is served only from
 * an address every app's settings allow to call the REST API (by default,
 * loopback alone), since the metrics speak of every app. */
#include "tg-hls-viewers.h"
#include "tg-live.h"
#include "tg-metrics.h"
#include "tg-rest-guard.h"
#include "tg-rest.h"

/* The gauges, read as the metrics are asked for: publications by their
 * door, viewers by theirs. */
enum
{
  WEBRTC = TG_MUX_DOORS, /* after RTMP, SRT, RTSP */
  HLS,
  DASH,
  VIEWER_DOORS
};

static const char *const VIEWER_LABELS[VIEWER_DOORS]
    = { [TG_MUX_DOOR_RTMP] = "rtmp",
        [TG_MUX_DOOR_SRT] = "srt",
        [TG_MUX_DOOR_RTSP] = "rtsp",
        [WEBRTC] = "webrtc",
        [HLS] = "hls",
        [DASH] = "dash" };

typedef struct
{
  GHashTable *publications; /* door name (static) -> count */
  guint viewers[VIEWER_DOORS];
} Tally;

static void
tally (const TgPublication *publication, const TgStreamInfo *info,
       gpointer data)
{
  Tally *t = data;
  const char *door = publication->door->name;
  guint count = GPOINTER_TO_UINT (g_hash_table_lookup (t->publications, door));

  g_hash_table_insert (t->publications, (gpointer) door,
                       GUINT_TO_POINTER (count + 1));
  for (guint d = 0; d < TG_MUX_DOORS; d++)
    t->viewers[d] += info->mux_viewers[d];
  t->viewers[WEBRTC] += info->webrtc_viewers;
  t->viewers[HLS] += tg_hls_viewers (publication->app, publication->stream_id,
                                     TG_VIEWER_HLS);
  t->viewers[DASH] += tg_hls_viewers (publication->app, publication->stream_id,
                                      TG_VIEWER_DASH);
}

static void
set_gauges (TgServer *server)
{
  g_autoptr (GHashTable) publications
      = g_hash_table_new (g_str_hash, g_str_equal);
  Tally t = { publications, { 0 } };
  GHashTableIter iter;
  gpointer door, count;

  tg_live_foreach_running (server->live, tally, &t);
  /* A door with none now says 0, not its last count. */
  tg_metrics_zero (server->metrics, "tollgate_live_publications");
  g_hash_table_iter_init (&iter, publications);
  while (g_hash_table_iter_next (&iter, &door, &count))
    {
      g_autofree char *label = g_ascii_strdown (door, -1);

      tg_metrics_set (server->metrics, "tollgate_live_publications",
                      "Streams being published now, by door.",
                      GPOINTER_TO_UINT (count), "door", label, NULL);
    }
  for (guint d = 0; d < VIEWER_DOORS; d++)
    tg_metrics_set (server->metrics, "tollgate_live_viewers",
                    "Viewers of live streams now, by door (webrtc: WebRTC "
                    "and WHEP; hls, dash: playback sessions seen lately).",
                    t.viewers[d], "door", VIEWER_LABELS[d], NULL);
}

void
tg_rest_metrics (TgServer *server, SoupServerMessage *msg)
{
  char *text;

  if (!tg_rest_open_to_all (
          server, msg, "Not allowed to read the metrics from this address"))
    return;
  set_gauges (server);
  text = tg_metrics_render (server->metrics);
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "text/plain; version=0.0.4",
                                    SOUP_MEMORY_TAKE, text, strlen (text));
}
