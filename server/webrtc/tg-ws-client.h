/* One WebSocket signalling connection (PROTOCOL.md 5): what it waits for,
 * plays (tg-ws.c) and publishes (tg-ws-publish.c), and how to answer it.
 * Used on its worker's context (the HTTP worker thread that accepted it);
 * other threads only queue work for it there. */
#pragma once

#include <libsoup/soup.h>

#include "tg-server.h"
#include "tg-signal.h"

typedef struct
{
  gint refs;
  TgServer *server;
  struct _TgWs *ws; /* the registry that lists it (tg-ws.h) */
  SoupWebsocketConnection *connection; /* NULL once closed */
  GMainContext *context;
  char *app;
  char *peer;
  GHashTable *waiting;    /* stream ids this client waits to see go live */
  GHashTable *sessions;   /* stream id -> what it plays (tg-ws.c) */
  GHashTable *publishing; /* stream id -> what it publishes (tg-ws-publish.c) */
  gint64 last_heard;      /* monotonic us: its last message or pong */
  GSource *silence;       /* tg_ws_client_watch_silence's check */
} TgWsClient;

/* A client of app on the calling thread's context. */
TgWsClient *tg_ws_client_new (TgServer *server, struct _TgWs *ws,
                              SoupWebsocketConnection *connection,
                              const char *app, const char *peer);
/* Any thread. */
TgWsClient *tg_ws_client_ref (TgWsClient *client);
void tg_ws_client_unref (TgWsClient *client);

/* Work for the client, done on its context (its tables are that
 * context's to touch): func (client, data), then free (data) if not NULL;
 * the client is kept meanwhile. Any thread; never at once, even on that
 * context (the caller may hold locks the work takes). */
typedef void (*TgWsClientFunc) (TgWsClient *client, gpointer data);
void tg_ws_client_invoke (TgWsClient *client, TgWsClientFunc func,
                          gpointer data, GDestroyNotify free);

/* The server pings the client every TG_WS_PING_S; one that has sent
 * nothing, not even a pong, for TG_WS_SILENCE_S (stalled, or not reading)
 * has its connection closed, which ends what it plays and publishes. On
 * its context: watch once connected, heard on each message, unwatch when
 * closed. */
#define TG_WS_PING_S 10
#define TG_WS_SILENCE_S 30
void tg_ws_client_watch_silence (TgWsClient *client);
void tg_ws_client_heard (TgWsClient *client);
void tg_ws_client_unwatch_silence (TgWsClient *client);

/* Sends object (taking it) if the connection is still open. */
void tg_ws_send (TgWsClient *client, JsonObject *object);
void tg_ws_send_error (TgWsClient *client, const char *definition,
                       const char *stream_id);

/* The admission (tollgate.h), checked without spending: NULL when the
 * client may go on, else the error definition. Publish: the stream must not
 * be claimed (it is claimed afterwards). Any thread. */
const char *tg_ws_admit (TgWsClient *client, TgSignalRequest *request,
                         const TgSettings *settings, TgTokenType type);
