/* Writing responses: JSON bodies, Ant Media's Result object, and the one
 * mapping from TG_ERROR codes to HTTP statuses. */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

guint tg_error_http_status (const GError *error);

void tg_reply_json (SoupServerMessage *msg, guint status, JsonNode *node);

/* {"success":..,"message":..,"dataId":..,"errorId":0}; message and data_id
 * may be NULL (written as null, as Ant Media's Result does). */
void tg_reply_result (SoupServerMessage *msg, guint status, gboolean success,
                      const char *message);
void tg_reply_result_with_id (SoupServerMessage *msg, guint status,
                              gboolean success, const char *message,
                              const char *data_id);

/* A failed Result whose status and message come from error. */
void tg_reply_error (SoupServerMessage *msg, const GError *error);

/* For routes that answer every refusal with a Result, as Ant Media's
 * validate-token and settings do: a client's error is 200 success:false
 * naming it; a server's stays tg_reply_error's 500. */
void tg_reply_refusal (SoupServerMessage *msg, const GError *error);

/* 200 with a file built into the binary (path in resource), as type, not
 * to be used again unchecked (Cache-Control: no-cache). */
void tg_reply_built_in (SoupServerMessage *msg, GResource *resource,
                        const char *path, const char *type);
/* 405, a Result, with Allow: the methods the path takes ("GET, DELETE"). */
void tg_reply_not_allowed (SoupServerMessage *msg, const char *allow);
/* Whether the request is a GET or a HEAD; if not, the reply is set: 405
 * with "Allow: GET, HEAD". */
gboolean tg_reply_only_get (SoupServerMessage *msg);
/* A status with an empty body. */
void tg_reply_empty (SoupServerMessage *msg, guint status);
