#include "tg-ws-quality.h"

#include "tg-live.h"
#include "tg-signal.h"

/* Auto quality (tg_ws_auto_report): losses that move a level down, or
 * count as clean; clean reports wanted before a try up, at first and at
 * most; reports not counted after a move. */
#define LOSS_DOWN 0.10
#define LOSS_CLEAN 0.02
#define CLEAN_FIRST 8
#define CLEAN_MOST 64
#define HOLD 3

static void
read_ladder (TgStream *stream, gpointer data)
{
  TgWsLadder *ladder = data;

  tg_stream_get_info (stream, &ladder->source);
  ladder->n_rungs
      = tg_stream_get_rungs (stream, ladder->rungs, TG_VIEWER_MAX_RUNGS);
}

gboolean
tg_ws_read_ladder (TgWsClient *client, const char *stream_id,
                   TgWsLadder *ladder)
{
  *ladder = (TgWsLadder){ .n_rungs = 0 };
  return tg_live_with_stream (client->server->live, client->app, stream_id,
                              read_ladder, ladder);
}

gint
tg_ws_pick_rung (const TgWsLadder *ladder, gint asked, gint *height)
{
  gint best = -1, lowest = -1;

  *height = ladder->source.height;
  if (asked <= 0 || asked >= ladder->source.height)
    return -1;
  for (guint i = 0; i < ladder->n_rungs; i++)
    {
      gint h = ladder->rungs[i].height;

      if (h <= asked && (best < 0 || h > ladder->rungs[best].height))
        best = (gint) i;
      if (lowest < 0 || h < ladder->rungs[lowest].height)
        lowest = (gint) i;
    }
  if (best < 0)
    best = lowest;
  if (best >= 0)
    *height = ladder->rungs[best].height;
  return best;
}

static JsonObject *
entry (gint width, gint height, gint64 video_bitrate, gint64 audio_bitrate,
       const char *video_codec, const char *audio_codec)
{
  JsonObject *object = json_object_new ();

  json_object_set_int_member (object, "streamWidth", width);
  json_object_set_int_member (object, "streamHeight", height);
  json_object_set_int_member (object, "videoBitrate", video_bitrate);
  json_object_set_int_member (object, "audioBitrate", audio_bitrate);
  json_object_set_string_member (object, "videoCodec", video_codec);
  json_object_set_string_member (object, "audioCodec", audio_codec);
  return object;
}

JsonArray *
tg_ws_ladder_to_json (const TgWsLadder *ladder)
{
  const TgStreamInfo *source = &ladder->source;
  JsonArray *infos = json_array_new ();

  json_array_add_object_element (
      infos,
      entry (source->width, source->height, source->video_bitrate,
             source->audio_bitrate, source->video_codec, source->audio_codec));
  for (guint i = 0; i < ladder->n_rungs; i++)
    {
      const TgStreamRungInfo *rung = &ladder->rungs[i];

      json_array_add_object_element (
          infos, entry (rung->width, rung->height, rung->video_bitrate,
                        source->audio_codec ? rung->audio_bitrate : 0, "H264",
                        source->audio_codec));
    }
  return infos;
}

gint
tg_ws_give_quality (TgWsClient *client, const char *stream_id, TgViewer *viewer,
                    gint height)
{
  TgWsLadder ladder;
  JsonObject *notice;
  gint rung, given;

  if (!tg_ws_read_ladder (client, stream_id, &ladder))
    return -1; /* it has ended: the viewer hears play_finished */
  rung = tg_ws_pick_rung (&ladder, height, &given);
  tg_viewer_want_rung (viewer, rung);
  g_info ("WebSocket %s: %s/%s: asked for %dp, given %dp (%s)", client->peer,
          client->app, stream_id, height, given,
          rung < 0 ? "the stream as published" : "an ABR rung");
  notice = tg_signal_notification ("resolutionChangeInfo", stream_id);
  json_object_set_int_member (notice, "streamHeight", given);
  tg_ws_send (client, notice);
  return rung;
}

/* The rungs' indexes ordered by bitrate, lowest first. */
static void
order_rungs (const TgWsLadder *ladder, guint *order)
{
  for (guint i = 0; i < ladder->n_rungs; i++)
    order[i] = i;
  for (guint i = 1; i < ladder->n_rungs; i++)
    for (guint j = i; j > 0
                      && ladder->rungs[order[j]].video_bitrate
                             < ladder->rungs[order[j - 1]].video_bitrate;
         j--)
      {
        guint swap = order[j];

        order[j] = order[j - 1];
        order[j - 1] = swap;
      }
}

gint
tg_ws_rung_at_level (const TgWsLadder *ladder, guint level, gint *height)
{
  guint order[TG_VIEWER_MAX_RUNGS];

  *height = ladder->source.height;
  if (level >= ladder->n_rungs)
    return -1;
  order_rungs (ladder, order);
  *height = ladder->rungs[order[level]].height;
  return (gint) order[level];
}

guint
tg_ws_level_of_rung (const TgWsLadder *ladder, gint rung)
{
  guint order[TG_VIEWER_MAX_RUNGS];

  order_rungs (ladder, order);
  for (guint level = 0; level < ladder->n_rungs; level++)
    if ((gint) order[level] == rung)
      return level;
  return ladder->n_rungs;
}

void
tg_ws_auto_init (TgWsAuto *auto_quality)
{
  *auto_quality = (TgWsAuto){ .needed = CLEAN_FIRST };
}

guint
tg_ws_auto_report (TgWsAuto *a, double fraction_lost, guint level, guint top)
{
  if (a->hold > 0)
    {
      a->hold--;
      return level;
    }
  if (fraction_lost > LOSS_DOWN)
    {
      a->clean = 0;
      if (a->trying) /* the try failed: the next waits longer */
        a->needed = MIN (a->needed * 2, CLEAN_MOST);
      a->trying = FALSE;
      if (level == 0)
        return level;
      a->hold = HOLD;
      return level - 1;
    }
  if (fraction_lost >= LOSS_CLEAN)
    {
      a->clean = 0;
      return level;
    }
  a->clean++;
  if (a->trying && a->clean >= CLEAN_FIRST)
    {
      a->trying = FALSE; /* the level holds */
      a->needed = CLEAN_FIRST;
    }
  if (a->clean < a->needed || level >= top)
    return level;
  a->clean = 0;
  a->trying = TRUE;
  a->hold = HOLD;
  return level + 1;
}
