/* The routes that speak of the whole server rather than one app:
 * GET /rest/v2/applications, /rest/v2/server and /rest/v2/token-decisions,
 * closed as /metrics is (tg-rest-guard.h). */
#include "tg-decisions.h"
#include "tg-rest-guard.h"
#include "tg-rest.h"
#include "tg-reply.h"

#define REFUSED "Not allowed to call the REST API from this address"

static void
reply_built (SoupServerMessage *msg, JsonBuilder *builder)
{
  g_autoptr (JsonNode) node = json_builder_get_root (builder);

  tg_reply_json (msg, SOUP_STATUS_OK, node);
}

/* {"applications":["LiveApp",...]}, as Ant Media lists them. */
void
tg_rest_applications (TgServer *server, SoupServerMessage *msg)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  if (!tg_rest_open_to_all (server, msg, REFUSED))
    return;
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "applications");
  json_builder_begin_array (builder);
  for (guint i = 0; server->config->apps[i]; i++)
    json_builder_add_string_value (builder, server->config->apps[i]);
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  reply_built (msg, builder);
}

static void
add_port (JsonBuilder *builder, const char *name, guint port)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_int_value (builder, port);
}

/* {"version":"0.1.0","ports":{"http":N,...}}: the ports bound, 0 for a
 * door that is off. */
void
tg_rest_server_info (TgServer *server, SoupServerMessage *msg)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();

  if (!tg_rest_open_to_all (server, msg, REFUSED))
    return;
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "version");
  json_builder_add_string_value (builder, TG_VERSION);
  json_builder_set_member_name (builder, "ports");
  json_builder_begin_object (builder);
  add_port (builder, "http", server->ports.http);
  add_port (builder, "https", server->ports.https);
  add_port (builder, "rtmp", server->ports.rtmp);
  add_port (builder, "srt", server->ports.srt);
  add_port (builder, "rtsp", server->ports.rtsp);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  reply_built (msg, builder);
}

/* {"step":60,"points":[{"time":..,"admitted":..,"refused":..},...]}: the
 * last hour by minute, oldest first (tg-decisions.h). */
void
tg_rest_token_decisions (TgServer *server, SoupServerMessage *msg)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  TgDecisionPoint points[TG_DECISIONS_MINUTES];

  if (!tg_rest_open_to_all (server, msg, REFUSED))
    return;
  tg_decisions_points (server->decisions, g_get_real_time () / 1000, points);
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "step");
  json_builder_add_int_value (builder, TG_DECISIONS_STEP_MS / 1000);
  json_builder_set_member_name (builder, "points");
  json_builder_begin_array (builder);
  for (guint i = 0; i < TG_DECISIONS_MINUTES; i++)
    {
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "time");
      json_builder_add_int_value (builder, points[i].time);
      json_builder_set_member_name (builder, "admitted");
      json_builder_add_int_value (builder, (gint64) points[i].admitted);
      json_builder_set_member_name (builder, "refused");
      json_builder_add_int_value (builder, (gint64) points[i].refused);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  reply_built (msg, builder);
}
