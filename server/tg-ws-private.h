/* What the WebSocket signalling's files share (tg-ws.c: connections and
 * plays, tg-ws-publish.c: publishes): the registry, one client, and how
 * to answer it. Everything here runs on the client's own context unless it
 * says otherwise. */
#pragma once

#include "tg-signal.h"
#include "tg-ws.h"

struct _TgWs
{
  TgServer *server;
  GMutex lock;
  GCond gone;
  GList *clients; /* Client, while connected */
  gboolean closing;
  guint publishing; /* WebRTC publishes whose stream has not ended */
};

/* One connection. Used on its worker's context; other threads only queue
 * work for it there. */
typedef struct
{
  gint refs;
  TgWs *ws;
  SoupWebsocketConnection *connection; /* NULL once closed */
  GMainContext *context;
  char *app;
  char *peer;
  GHashTable *waiting;    /* stream ids this client waits to see go live */
  GHashTable *sessions;   /* stream id -> Session: what it plays */
  GHashTable *publishing; /* stream id -> Publishing: what it publishes */
} Client;

/* Any thread. */
Client *tg_ws_client_ref (Client *client);
void tg_ws_client_unref (Client *client);

/* Sends object (taking it) if the connection is still open. */
void tg_ws_send (Client *client, JsonObject *object);
void tg_ws_send_error (Client *client, const char *definition,
                       const char *stream_id);

/* The admission (tollgate.h), checked without spending: NULL when the
 * client may go on, else the error definition. Publish: the stream must not
 * be claimed (it is claimed afterwards). Any thread. */
const char *tg_ws_admit (Client *client, TgSignalRequest *request,
                         const TgSettings *settings, TgTokenType type);

/* tg-ws-publish.c: publish, and the publisher's takeConfiguration (its
 * offer), takeCandidate and stop: FALSE when the client does not publish
 * that stream id. */
void tg_ws_publish (Client *client, TgSignalRequest *request);
gboolean tg_ws_publish_take (Client *client, TgSignalRequest *request);
gboolean tg_ws_publish_stop (Client *client, const char *stream_id);
/* The connection is gone: its publishes end. */
void tg_ws_publish_end_all (Client *client);
/* Whether a publish's stream has yet to end. Any thread. */
gboolean tg_ws_publishing (TgWs *ws);
