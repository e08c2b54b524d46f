/* GET /metrics: the server's metrics in Prometheus' text format
 * (tg-metrics.h), closed as the REST API is: a client is served only from
 * an address every app's settings allow to call the REST API (by default,
 * loopback alone), since the metrics speak of every app. */
#include "tg-live.h"
#include "tg-metrics.h"
#include "tg-rest-guard.h"
#include "tg-rest.h"
#include "tg-reply.h"
#include "tg-sessions.h"
#include "tg-settings.h"

/* The publications by door, counted as the metrics are asked for. */
static void
tally (const TgPublication *publication, const TgStreamInfo *info,
       gpointer data)
{
  GHashTable *publications = data;
  const char *door = publication->door->name;
  guint count = GPOINTER_TO_UINT (g_hash_table_lookup (publications, door));

  g_hash_table_insert (publications, (gpointer) door,
                       GUINT_TO_POINTER (count + 1));
}

/* What is read as the metrics are asked for: publications by their door,
 * viewers and bytes by theirs (tg-sessions.h). */
static void
set_gauges (TgServer *server)
{
  g_autoptr (GHashTable) publications
      = g_hash_table_new (g_str_hash, g_str_equal);
  guint64 in[TG_SESSION_DOORS], out[TG_SESSION_DOORS];
  guint viewers[TG_SESSION_DOORS];
  GHashTableIter iter;
  gpointer door, count;

  tg_live_foreach_running (server->live, tally, publications);
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
  tg_sessions_totals (server->sessions, in, out, viewers);
  for (guint d = 0; d < TG_SESSION_DOORS; d++)
    {
      g_autofree char *label = g_ascii_strdown (tg_session_door_name (d), -1);

      if (d != TG_SESSION_WHIP)
        tg_metrics_set (server->metrics, "tollgate_live_viewers",
                        "Viewers of live streams now, by door (hls, dash: "
                        "playback sessions seen lately).",
                        viewers[d], "door", label, NULL);
      tg_metrics_set_total (server->metrics, "tollgate_received_bytes_total",
                            "Bytes publishers sent, by door.", in[d], "door",
                            label, NULL);
      tg_metrics_set_total (server->metrics, "tollgate_sent_bytes_total",
                            "Bytes sent to viewers, by door (not RTSP's).",
                            out[d], "door", label, NULL);
    }
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
