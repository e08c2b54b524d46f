#include "tg-broadcast.h"

#include "tg-fields.h"

static const char *const viewer_counts[]
    = { "hlsViewerCount",  "dashViewerCount", "webRTCViewerCount",
        "rtmpViewerCount", "srtViewerCount",  "rtspViewerCount" };

static void
set_string_or_null (JsonObject *object, const char *name, const char *value)
{
  if (value)
    json_object_set_string_member (object, name, value);
  else
    json_object_set_null_member (object, name);
}

JsonObject *
tg_broadcast_new (const char *app, const char *stream_id, const char *name,
                  const char *description, const char *host)
{
  JsonObject *broadcast = json_object_new ();
  gint64 now_ms = g_get_real_time () / 1000;
  g_autofree char *url = NULL;
  const char *zero_fields[]
      = { "startTime", "duration", "width", "height", "bitrate" };

  if (host == NULL || strpbrk (host, "/?#@ ") != NULL)
    host = "localhost";
  url = g_strdup_printf (strchr (host, ':') ? "rtmp://[%s]/%s/%s"
                                            : "rtmp://%s/%s/%s",
                         host, app, stream_id);
  json_object_set_string_member (broadcast, "streamId", stream_id);
  set_string_or_null (broadcast, "name", name);
  set_string_or_null (broadcast, "description", description);
  json_object_set_string_member (broadcast, "status", "created");
  json_object_set_string_member (broadcast, "type", "liveStream");
  json_object_set_null_member (broadcast, "publishType");
  json_object_set_int_member (broadcast, "date", now_ms);
  json_object_set_int_member (broadcast, "updateTime", now_ms);
  for (guint i = 0; i < G_N_ELEMENTS (zero_fields); i++)
    json_object_set_int_member (broadcast, zero_fields[i], 0);
  for (guint i = 0; i < G_N_ELEMENTS (viewer_counts); i++)
    json_object_set_int_member (broadcast, viewer_counts[i], 0);
  json_object_set_string_member (broadcast, "rtmpURL", url);
  json_object_set_boolean_member (broadcast, "zombi", FALSE);
  json_object_set_null_member (broadcast, "remoteIp");
  return broadcast;
}

JsonObject *
tg_broadcast_load (TgStore *store, const char *app, const char *stream_id,
                   GError **error)
{
  g_autofree char *kind = tg_broadcast_kind (app);
  g_autofree char *text = tg_store_record_get (store, kind, stream_id, error);
  g_autoptr (JsonNode) node = text ? json_from_string (text, error) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      if (node != NULL)
        g_set_error (error, TG_ERROR, TG_ERROR_STORE,
                     "Stored broadcast %s is not an object", stream_id);
      return NULL;
    }
  return json_object_ref (json_node_get_object (node));
}

gboolean
tg_broadcast_save (TgStore *store, const char *app, JsonObject *broadcast,
                   gboolean only_if_absent, GError **error)
{
  g_autofree char *kind = tg_broadcast_kind (app);
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autofree char *text = NULL;

  json_node_set_object (node, broadcast);
  text = json_to_string (node, FALSE);
  return tg_store_record_put (store, kind,
                              tg_fields_string (broadcast, "streamId"), text,
                              only_if_absent, error);
}

gboolean
tg_broadcast_went_live (TgStore *store, const char *app, const char *stream_id,
                        const char *publish_type, const char *remote_ip,
                        GError **error)
{
  g_autoptr (GError) local = NULL;
  g_autoptr (JsonObject) broadcast
      = tg_broadcast_load (store, app, stream_id, &local);
  gint64 now_ms = g_get_real_time () / 1000;

  if (broadcast == NULL)
    {
      if (!g_error_matches (local, TG_ERROR, TG_ERROR_NOT_FOUND))
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      broadcast = tg_broadcast_new (app, stream_id, NULL, NULL, NULL);
      json_object_set_boolean_member (broadcast, "zombi", TRUE);
    }
  json_object_set_string_member (broadcast, "status", "broadcasting");
  json_object_set_string_member (broadcast, "publishType", publish_type);
  json_object_set_int_member (broadcast, "startTime", now_ms);
  json_object_set_int_member (broadcast, "updateTime", now_ms);
  set_string_or_null (broadcast, "remoteIp", remote_ip);
  return tg_broadcast_save (store, app, broadcast, FALSE, error);
}

gboolean
tg_broadcast_ended (TgStore *store, const char *app, const char *stream_id,
                    GError **error)
{
  g_autoptr (GError) local = NULL;
  g_autoptr (JsonObject) broadcast
      = tg_broadcast_load (store, app, stream_id, &local);
  gint64 now_ms = g_get_real_time () / 1000;
  g_autofree char *kind = tg_broadcast_kind (app);

  if (broadcast == NULL)
    {
      /* Deleted while live (DELETE stops it): nothing left to update. */
      if (g_error_matches (local, TG_ERROR, TG_ERROR_NOT_FOUND))
        return TRUE;
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  if (json_object_get_boolean_member_with_default (broadcast, "zombi", FALSE))
    return tg_store_record_delete (store, kind, stream_id, error);
  json_object_set_string_member (broadcast, "status", "finished");
  json_object_set_int_member (
      broadcast, "duration",
      now_ms - tg_fields_int (broadcast, "startTime", now_ms));
  json_object_set_int_member (broadcast, "updateTime", now_ms);
  for (guint i = 0; i < G_N_ELEMENTS (viewer_counts); i++)
    json_object_set_int_member (broadcast, viewer_counts[i], 0);
  return tg_broadcast_save (store, app, broadcast, FALSE, error);
}

gint
tg_broadcast_repair (TgStore *store, const char *app,
                     TgBroadcastLiveElsewhere elsewhere, gpointer data,
                     GError **error)
{
  g_autofree char *kind = tg_broadcast_kind (app);
  g_autoptr (GPtrArray) texts
      = tg_store_record_list (store, kind, 0, G_MAXINT32, error);
  gint repaired = 0;

  if (texts == NULL)
    return -1;
  for (guint i = 0; i < texts->len; i++)
    {
      g_autoptr (JsonNode) node = json_from_string (texts->pdata[i], NULL);
      JsonObject *broadcast;
      const char *stream_id;

      if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
        continue;
      broadcast = json_node_get_object (node);
      stream_id = tg_fields_string (broadcast, "streamId");
      if (stream_id == NULL
          || g_strcmp0 (tg_fields_string (broadcast, "status"), "broadcasting")
                 != 0
          || (elsewhere && elsewhere (data, app, stream_id)))
        continue;
      if (!tg_broadcast_ended (store, app, stream_id, error))
        return -1;
      repaired++;
    }
  return repaired;
}
