/* Serving /{app}/streams/ (PROTOCOL.md 4): files the pipelines write under
 * {data_dir}/streams/{app}/, gated by playback sessions when the app's
 * playTokenControlEnabled is on. */
#pragma once

#include <libsoup/soup.h>

#include "tg-server.h"

/* Handles a request for /{app}/streams/{segments...}; segments are the
 * decoded path segments after "streams" (possibly none), query the decoded
 * query parameters. Runs on any HTTP worker thread. */
void tg_http_streams_handle (TgServer *server, SoupServerMessage *msg,
                             const char *app, char **segments,
                             GHashTable *query);

/* The folder of an app's stream files. */
char *tg_http_streams_dir (const TgServer *server, const char *app);

/* Creates the stream folder of every app of the configuration. */
gboolean tg_http_streams_prepare (const TgServer *server, GError **error);

typedef enum
{
  TG_RANGE_NONE,          /* no usable Range: send the whole file */
  TG_RANGE_OK,            /* send [start, end] */
  TG_RANGE_UNSATISFIABLE, /* 416 */
} TgRange;

/* One byte range of a Range header for a body of size bytes. Several
 * ranges, other units and bad syntax are TG_RANGE_NONE (RFC 9110 lets a
 * server ignore Range). */
TgRange tg_http_parse_range (const char *header, goffset size, goffset *start,
                             goffset *end);
