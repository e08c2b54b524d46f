/* Broadcast records over REST (PROTOCOL.md 2.3). A broadcast is stored as
 * its JSON object under kind "broadcast:{app}", key streamId. */
#include "tg-ant-fields.h"
#include "tg-broadcast.h"
#include "tg-fields.h"
#include "tg-live.h"
#include "tg-reply.h"
#include "tg-rest.h"
#include "tg-sessions.h"

#define ID_IN_USE                                                              \
  "Stream id is already being used. Please change stream id or keep it empty"
#define GENERATED_ID_LENGTH 20

/* What a create body may hold. Fields the server sets are accepted (a
 * client may post back a broadcast it read) and ignored. */
static const TgField broadcast_fields[]
    = { { "streamId", TG_FIELD_STRING, FALSE },
        { "name", TG_FIELD_STRING, FALSE },
        { "description", TG_FIELD_STRING, FALSE },
        { "type", TG_FIELD_STRING, FALSE },
        { "status", TG_FIELD_STRING, FALSE },
        { "publishType", TG_FIELD_STRING, FALSE },
        { "date", TG_FIELD_INT, FALSE },
        { "startTime", TG_FIELD_INT, FALSE },
        { "updateTime", TG_FIELD_INT, FALSE },
        { "duration", TG_FIELD_INT, FALSE },
        { "hlsViewerCount", TG_FIELD_INT, FALSE },
        { "dashViewerCount", TG_FIELD_INT, FALSE },
        { "webRTCViewerCount", TG_FIELD_INT, FALSE },
        { "rtmpViewerCount", TG_FIELD_INT, FALSE },
        { "srtViewerCount", TG_FIELD_INT, FALSE },
        { "rtspViewerCount", TG_FIELD_INT, FALSE },
        { "rtmpURL", TG_FIELD_STRING, FALSE },
        { "zombi", TG_FIELD_BOOL, FALSE },
        { "width", TG_FIELD_INT, FALSE },
        { "height", TG_FIELD_INT, FALSE },
        { "bitrate", TG_FIELD_INT, FALSE },
        { "remoteIp", TG_FIELD_STRING, FALSE },
        { NULL } };

static char *
kind_of (TgRequest *request)
{
  return tg_broadcast_kind (request->app);
}

/* A broadcast body: a JSON object, where Ant Media's fields that Tollgate
 * does not implement are dropped, and any other unknown name is refused.
 * An empty body (Ant Media's clients send none) is an empty object. */
static JsonObject *
parse_body (TgRequest *request, GError **error)
{
  SoupMessageBody *body = soup_server_message_get_request_body (request->msg);
  JsonObject *given;

  if (body->length == 0)
    return json_object_new ();
  given = tg_fields_parse_object (body->data, body->length, error);
  if (given == NULL)
    return NULL;
  tg_ant_drop_ignored (given, tg_ant_ignored_broadcast_field);
  if (!tg_fields_check (given, broadcast_fields, error))
    g_clear_pointer (&given, json_object_unref);
  return given;
}

static void
reply_object (TgRequest *request, JsonObject *object)
{
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);

  json_node_set_object (node, object);
  tg_reply_json (request->msg, SOUP_STATUS_OK, node);
}

void
tg_rest_broadcast_create (TgRequest *request)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) given = NULL;
  g_autoptr (JsonObject) broadcast = NULL;
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autofree char *stream_id = NULL;
  g_autofree char *kind = kind_of (request);
  g_autofree char *text = NULL;
  const char *type;

  given = parse_body (request, &error);
  if (given == NULL)
    {
      tg_reply_error (request->msg, error);
      return;
    }
  type = tg_fields_string (given, "type");
  if (type && !g_str_equal (type, "liveStream"))
    {
      tg_reply_result (request->msg, SOUP_STATUS_BAD_REQUEST, FALSE,
                       "type: only liveStream is supported");
      return;
    }
  stream_id = g_strdup (tg_fields_string (given, "streamId"));
  stream_id = g_strstrip (stream_id ? stream_id : g_strdup (""));
  if (*stream_id == '\0')
    {
      g_autofree char *random = tg_token_id_new (&error);

      if (random == NULL)
        {
          tg_reply_error (request->msg, error);
          return;
        }
      g_free (stream_id);
      stream_id = g_strndup (random, GENERATED_ID_LENGTH);
    }
  else if (!tg_stream_id_is_valid (stream_id))
    {
      tg_reply_result (request->msg, SOUP_STATUS_BAD_REQUEST, FALSE,
                       "Stream id is not valid.");
      return;
    }
  broadcast = tg_broadcast_new (
      request->app, stream_id, tg_fields_string (given, "name"),
      tg_fields_string (given, "description"),
      g_uri_get_host (soup_server_message_get_uri (request->msg)));
  json_node_set_object (node, broadcast);
  text = json_to_string (node, FALSE);
  if (!tg_store_record_put (request->server->store, kind, stream_id, text, TRUE,
                            &error))
    {
      if (g_error_matches (error, TG_ERROR, TG_ERROR_EXISTS))
        tg_reply_result (request->msg, SOUP_STATUS_BAD_REQUEST, FALSE,
                         ID_IN_USE);
      else
        tg_reply_error (request->msg, error);
      return;
    }
  reply_object (request, broadcast);
}

/* A stored broadcast as JSON; NULL when missing or unreadable. */
static JsonNode *
load (TgRequest *request, const char *stream_id, GError **error)
{
  g_autofree char *kind = kind_of (request);
  g_autofree char *text
      = tg_store_record_get (request->server->store, kind, stream_id, error);

  return text ? json_from_string (text, error) : NULL;
}

/* A live broadcast's size, bitrate and viewers, as they are now (the
 * record holds what does not change while it runs). */
static void
add_live_values (TgRequest *request, JsonObject *broadcast)
{
  TgStreamInfo info;
  guint viewers[TG_SESSION_DOORS];

  if (!tg_live_get_info (request->server->live, request->app, request->args[0],
                         &info))
    {
      json_object_set_null_member (broadcast, "videoCodec");
      json_object_set_null_member (broadcast, "audioCodec");
      return;
    }
  tg_sessions_count_viewers (request->server->sessions, request->app,
                             request->args[0], viewers);
  /* Tollgate's own, as srtViewerCount: "H264"; "AAC" or "OPUS"; null
   * until the stream's first frame of that kind. */
  json_object_set_string_member (broadcast, "videoCodec", info.video_codec);
  json_object_set_string_member (broadcast, "audioCodec", info.audio_codec);
  json_object_set_int_member (broadcast, "width", info.width);
  json_object_set_int_member (broadcast, "height", info.height);
  json_object_set_int_member (broadcast, "bitrate",
                              info.video_bitrate + info.audio_bitrate);
  json_object_set_int_member (broadcast, "webRTCViewerCount",
                              viewers[TG_SESSION_WEBRTC]
                                  + viewers[TG_SESSION_WHEP]);
  json_object_set_int_member (broadcast, "rtmpViewerCount",
                              viewers[TG_SESSION_RTMP]);
  json_object_set_int_member (broadcast, "srtViewerCount",
                              viewers[TG_SESSION_SRT]);
  json_object_set_int_member (broadcast, "rtspViewerCount",
                              viewers[TG_SESSION_RTSP]);
  json_object_set_int_member (broadcast, "hlsViewerCount",
                              viewers[TG_SESSION_HLS]);
  json_object_set_int_member (broadcast, "dashViewerCount",
                              viewers[TG_SESSION_DASH]);
}

void
tg_rest_broadcast_get (TgRequest *request)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) node = load (request, request->args[0], &error);

  if (node == NULL)
    {
      if (g_error_matches (error, TG_ERROR, TG_ERROR_NOT_FOUND))
        tg_reply_empty (request->msg, SOUP_STATUS_NOT_FOUND);
      else
        tg_reply_error (request->msg, error);
      return;
    }
  if (JSON_NODE_HOLDS_OBJECT (node))
    add_live_values (request, json_node_get_object (node));
  tg_reply_json (request->msg, SOUP_STATUS_OK, node);
}

/* The stored broadcasts of the app in creation order, as a JSON array. */
static JsonNode *
load_page (TgRequest *request, guint offset, guint size, GError **error)
{
  g_autofree char *kind = kind_of (request);
  g_autoptr (GPtrArray) texts = tg_store_record_list (
      request->server->store, kind, offset, size, error);
  JsonNode *node;
  JsonArray *array;

  if (texts == NULL)
    return NULL;
  node = json_node_new (JSON_NODE_ARRAY);
  array = json_array_new ();
  json_node_take_array (node, array);
  for (guint i = 0; i < texts->len; i++)
    {
      JsonNode *element = json_from_string (texts->pdata[i], NULL);

      if (element)
        json_array_add_element (array, element);
    }
  return node;
}

void
tg_rest_broadcast_list (TgRequest *request)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) node = NULL;
  guint offset, size;

  if (!tg_rest_parse_page (request, request->args[0], request->args[1], &offset,
                           &size))
    return;
  node = load_page (request, offset, size, &error);
  if (node == NULL)
    tg_reply_error (request->msg, error);
  else
    tg_reply_json (request->msg, SOUP_STATUS_OK, node);
}

/* Ant Media's words (PROTOCOL.md 2.3), its spelling kept. */
#define DELETED_AND_STOPPED "brodcast is deleted and stopped successfully"
#define DELETED_NOT_LIVE "brodcast is deleted but could not stopped "

void
tg_rest_broadcast_delete (TgRequest *request)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *kind = kind_of (request);
  const char *stream_id = request->args[0];
  gboolean live;

  if (!tg_store_record_delete (request->server->store, kind, stream_id, &error))
    {
      if (g_error_matches (error, TG_ERROR, TG_ERROR_NOT_FOUND))
        tg_reply_result (request->msg, SOUP_STATUS_OK, FALSE, NULL);
      else
        tg_reply_error (request->msg, error);
      return;
    }
  /* Whatever door publishes it: its publisher is cut off and its stream
   * drains and is finalised. */
  live = tg_live_stop (request->server->live, request->app, stream_id);
  tg_reply_result (request->msg, SOUP_STATUS_OK, TRUE,
                   live ? DELETED_AND_STOPPED : DELETED_NOT_LIVE);
}

/* POST /{id}/stop (Ant Media REST v2): the publisher is cut off, whatever
 * its door; success:false when the stream is not live. */
void
tg_rest_broadcast_stop (TgRequest *request)
{
  gboolean live
      = tg_live_stop (request->server->live, request->app, request->args[0]);

  tg_reply_result (request->msg, SOUP_STATUS_OK, live, NULL);
}

/* PUT /{id}: the writable fields (name, description) the body names take
 * its values; other broadcast fields are accepted and left as they are. */
void
tg_rest_broadcast_update (TgRequest *request)
{
  const char *stream_id = request->args[0];
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) given = parse_body (request, &error);
  g_autoptr (JsonObject) broadcast = NULL;
  static const char *const writable[] = { "name", "description" };

  if (given == NULL)
    {
      tg_reply_refusal (request->msg, error);
      return;
    }
  broadcast = tg_broadcast_load (request->server->store, request->app,
                                 stream_id, &error);
  if (broadcast == NULL)
    {
      g_autofree char *message = NULL;

      if (!g_error_matches (error, TG_ERROR, TG_ERROR_NOT_FOUND))
        {
          tg_reply_error (request->msg, error);
          return;
        }
      message = g_strdup_printf ("Broadcast with streamId: %s does not exist",
                                 stream_id);
      tg_reply_result (request->msg, SOUP_STATUS_OK, FALSE, message);
      return;
    }
  for (guint i = 0; i < G_N_ELEMENTS (writable); i++)
    if (tg_fields_string (given, writable[i]))
      json_object_set_string_member (broadcast, writable[i],
                                     tg_fields_string (given, writable[i]));
  json_object_set_int_member (broadcast, "updateTime",
                              g_get_real_time () / 1000);
  if (!tg_broadcast_save (request->server->store, request->app, broadcast,
                          FALSE, &error))
    {
      tg_reply_error (request->msg, error);
      return;
    }
  tg_reply_result (request->msg, SOUP_STATUS_OK, TRUE, NULL);
}

static void
reply_number (TgRequest *request, gint64 number)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) node = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "number");
  json_builder_add_int_value (builder, number);
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);
  tg_reply_json (request->msg, SOUP_STATUS_OK, node);
}

void
tg_rest_broadcast_count (TgRequest *request)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *kind = kind_of (request);
  gint64 count = tg_store_record_count (request->server->store, kind, &error);

  if (count < 0)
    tg_reply_error (request->msg, error);
  else
    reply_number (request, count);
}

void
tg_rest_broadcast_active_count (TgRequest *request)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) all = load_page (request, 0, G_MAXINT32, &error);
  gint64 live = 0;

  if (all == NULL)
    {
      tg_reply_error (request->msg, error);
      return;
    }
  for (guint i = 0; i < json_array_get_length (json_node_get_array (all)); i++)
    {
      JsonNode *element = json_array_get_element (json_node_get_array (all), i);

      if (JSON_NODE_HOLDS_OBJECT (element)
          && g_strcmp0 (
                 tg_fields_string (json_node_get_object (element), "status"),
                 "broadcasting")
                 == 0)
        live++;
    }
  reply_number (request, live);
}
