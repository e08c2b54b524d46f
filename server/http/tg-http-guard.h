/* The stream libsoup is given for each HTTP connection: it passes the
 * connection's bytes through, but a request head reaches libsoup only once
 * it is complete and its framing checked (tg-http-head.h), and a body only
 * as far as its framing says. A refused head is answered here (status,
 * reason, Connection: close) and the connection ends; a WebSocket upgrade
 * (a 101 answer) makes it a plain pipe. It keeps the times the worker's
 * sweep needs to end stalled connections (tg_http_guard_expire). */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define TG_TYPE_HTTP_GUARD (tg_http_guard_get_type ())
G_DECLARE_FINAL_TYPE (TgHttpGuard, tg_http_guard, TG, HTTP_GUARD, GIOStream)

/* Called once, when the connection is closed (by libsoup, or after a
 * refusal once the client has had its answer). */
typedef void (*TgHttpGuardClosed) (TgHttpGuard *guard, gpointer data);

/* Wraps base (a GSocketConnection or a TLS stream over socket); peer names
 * the client in log lines. */
TgHttpGuard *tg_http_guard_new (GIOStream *base, GSocket *socket,
                                const char *peer, TgHttpGuardClosed closed,
                                gpointer data);

/* Ends the connection if it has outlived a deadline at now (monotonic
 * microseconds): a request head not complete request_timeout after it
 * began (or after the connection came), or no progress either way for
 * idle_timeout (between requests, or in a body or an answer). Upgraded
 * connections have their own keep-alive. TRUE when it was ended. */
gboolean tg_http_guard_expire (TgHttpGuard *guard, gint64 now,
                               gint64 request_timeout, gint64 idle_timeout);

/* Closes the connection now, whoever holds it (the worker stops). */
void tg_http_guard_abort (TgHttpGuard *guard);

const char *tg_http_guard_get_peer (TgHttpGuard *guard);

G_END_DECLS
