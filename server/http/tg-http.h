/* The HTTP and HTTPS listeners: one SoupServer per worker thread, each with
 * its own main context, all accepting on the same ports (SO_REUSEPORT), so
 * request handling spreads over every core. Handlers therefore run on worker
 * threads and must only touch thread-safe state (the store, TgApps). */
#pragma once

#include <libsoup/soup.h>

#include "tg-config.h"
#include "tg-metrics.h"

typedef struct _TgHttp TgHttp;

/* Largest request body read; a larger one is answered 413 unread. */
#define TG_HTTP_MAX_BODY (1024 * 1024)

/* handler answers every request, synchronously; a request it leaves
 * without a status is taken as a WebSocket handshake, and the connection,
 * once upgraded, goes to websocket (on the same worker thread). */
TgHttp *tg_http_new (const TgConfig *config, TgMetrics *metrics,
                     GTlsCertificate *certificate, SoupServerCallback handler,
                     gpointer handler_data,
                     SoupServerWebsocketCallback websocket,
                     gpointer websocket_data, GError **error);
void tg_http_free (TgHttp *http);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgHttp, tg_http_free)

/* Whether the request came over HTTPS (the TLS is Tollgate's own, so
 * libsoup's URI for it says http). */
gboolean tg_http_is_tls (SoupServerMessage *msg);

/* The bound port, 0 when that listener is disabled. */
guint16 tg_http_get_port (TgHttp *http, gboolean tls);
