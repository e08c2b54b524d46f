#include "tg-play.h"

#include "tg-cluster.h"

static void
is_playable (TgStream *stream, gpointer data)
{
  gboolean audio, baseline;

  g_free (tg_stream_describe (stream, &audio, data, &baseline));
}

TgPlay
tg_play_admit (TgServer *server, const TgSettings *settings, const char *app,
               const char *stream_id, const char *token, const char *door,
               const char *peer, gboolean spend, TgAdmit *outcome,
               const char **problem)
{
  TgAdmission request = { .app = app,
                          .stream_id = stream_id,
                          .type = TG_TOKEN_TYPE_PLAY,
                          .credential = token,
                          .door = door,
                          .peer = peer,
                          .spend = spend };
  gboolean playable = FALSE;
  TgVerdict verdict;

  *outcome = TG_ADMIT_OK;
  *problem = NULL;
  /* Before the token: a viewer of a stream that is not there spends
   * nothing. */
  if (!tg_live_with_stream (server->live, app, stream_id, is_playable,
                            &playable)
      || !playable)
    {
      *problem = tg_cluster_pull (server, app, stream_id)
                     ? "the stream is not live here yet: pulling it"
                     : "the stream is not live";
      return TG_PLAY_NOT_LIVE;
    }
  /* An edge of the cluster pulling the stream: the viewers' tokens are
   * spent there. */
  if (settings
      && tg_cluster_link_admits (server->cluster, app, stream_id, token))
    return TG_PLAY_OK;
  *outcome = tg_admit (server->store, settings ? settings->policy : NULL,
                       &request, &verdict, NULL);
  if (*outcome == TG_ADMIT_OK)
    return TG_PLAY_OK;
  *problem = *outcome == TG_ADMIT_REFUSED ? tg_verdict_to_string (verdict)
                                          : tg_admit_to_string (*outcome);
  return TG_PLAY_REFUSED;
}

typedef struct
{
  TgMuxOutFormat format;
  TgMuxViewer *viewer;
  gboolean added;
} Attach;

static void
attach (TgStream *stream, gpointer data)
{
  Attach *attach = data;

  attach->added
      = tg_stream_add_mux_viewer (stream, attach->format, attach->viewer);
}

gboolean
tg_play_attach (TgLive *live, const char *app, const char *stream_id,
                TgMuxOutFormat format, TgMuxViewer *viewer)
{
  Attach data = { format, viewer, FALSE };

  return tg_live_with_stream (live, app, stream_id, attach, &data)
         && data.added;
}

static void
detach (TgStream *stream, gpointer data)
{
  tg_stream_remove_mux_viewer (stream, data);
}

void
tg_play_detach (TgLive *live, const char *app, const char *stream_id,
                TgMuxViewer *viewer)
{
  tg_live_with_stream (live, app, stream_id, detach, viewer);
}
