/* The REST API: one entry point for every HTTP request, a table of routes,
 * and the request every route handler receives. */
#pragma once

#include <libsoup/soup.h>

#include "tg-server.h"

typedef struct
{
  TgServer *server;
  SoupServerMessage *msg;
  const char *app;
  TgSettings *settings; /* the app's, for this request */
  char **args;          /* the path segments the route's '*'s matched */
  GHashTable *query;    /* decoded query parameters */
} TgRequest;

typedef void (*TgRouteFunc) (TgRequest *request);

/* The SoupServerCallback of every worker; user_data is the TgServer. */
void tg_rest_handle (SoupServer *soup, SoupServerMessage *msg, const char *path,
                     GHashTable *query, gpointer user_data);

/* A query parameter, or NULL. */
const char *tg_request_param (TgRequest *request, const char *name);

/* Longest page a list route returns. */
#define TG_REST_LIST_MAX 50

/* offset and size of a list route: whole numbers, size capped at
 * TG_REST_LIST_MAX. On FALSE the 400 reply is already set. */
gboolean tg_rest_parse_page (TgRequest *request, const char *offset_text,
                             const char *size_text, guint *offset, guint *size);

/* Route handlers, one file each. */
void tg_rest_token_mint (TgRequest *request);
void tg_rest_token_mint_jwt (TgRequest *request);
void tg_rest_token_validate (TgRequest *request);
void tg_rest_token_revoke (TgRequest *request);
void tg_rest_token_list (TgRequest *request);
void tg_rest_broadcast_create (TgRequest *request);
void tg_rest_broadcast_get (TgRequest *request);
void tg_rest_broadcast_list (TgRequest *request);
void tg_rest_broadcast_delete (TgRequest *request);
void tg_rest_broadcast_stop (TgRequest *request);
void tg_rest_broadcast_update (TgRequest *request);
void tg_rest_broadcast_count (TgRequest *request);
void tg_rest_broadcast_active_count (TgRequest *request);
void tg_rest_sessions_list (TgRequest *request);
void tg_rest_sessions_end (TgRequest *request);
void tg_rest_sessions_end_every (TgRequest *request);
/* Ends the sessions of the request's stream of type (-1: both): how many,
 * or G_MAXUINT with error when the playback sessions could not be
 * revoked. */
guint tg_rest_sessions_end_all (TgRequest *request, gint type, GError **error);
void tg_rest_broadcast_thumbnail (TgRequest *request);
void tg_rest_settings_get (TgRequest *request);
void tg_rest_settings_set (TgRequest *request);

/* GET /metrics (tg-rest-metrics.c). */
void tg_rest_metrics (TgServer *server, SoupServerMessage *msg);

/* GET /rest/v2/applications, /rest/v2/server, /rest/v2/token-decisions
 * (tg-rest-server.c). */
void tg_rest_applications (TgServer *server, SoupServerMessage *msg);
void tg_rest_server_info (TgServer *server, SoupServerMessage *msg);
void tg_rest_token_decisions (TgServer *server, SoupServerMessage *msg);
