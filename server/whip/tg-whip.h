/* WHIP ingest (RFC 9725) and WHEP play over HTTP: POST /{app}/whip/{id}
 * and /{app}/whep/{id} with an SDP offer and a Bearer token, answered 201
 * with our SDP answer (every candidate of ours in it) and the session's
 * Location, which DELETE ends. A publication goes through the same ingest
 * as a WebSocket publish (tg-webrtc-in), a viewer through the same viewer
 * (tg-viewer, answering). Sessions are shared by every HTTP worker. */
#pragma once

#include <libsoup/soup.h>

#include "tg-server.h"

G_BEGIN_DECLS

typedef struct _TgWhip TgWhip;

TgWhip *tg_whip_new (TgServer *server);
/* Answers msg if path is a WHIP or WHEP resource of a known app (TRUE),
 * else leaves it (FALSE). On an HTTP worker. */
gboolean tg_whip_handle (TgWhip *whip, SoupServerMessage *msg,
                         const char *path);
/* Ends every session left (at shutdown, on the main context, once the
 * publications have been stopped; the HTTP workers still run). */
void tg_whip_close (TgWhip *whip);
void tg_whip_free (TgWhip *whip);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgWhip, tg_whip_free)

G_END_DECLS
