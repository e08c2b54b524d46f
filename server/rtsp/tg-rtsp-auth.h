/* Who may play or publish over RTSP: a GstRTSPAuth whose authenticate
 * reads the token from the request URL's query (?token=T), and whose check
 * runs the
 * admission for a DESCRIBE (tg_play_admit: the stream live first, then
 * tg_admit, type play, door "RTSP", the one-time token spent). The client
 * (its connection) is then remembered as admitted to that stream, so its
 * SETUP, PLAY and the rest pass without a second spend; a request for a
 * stream it was not admitted to is refused. Refusals: 404 Not Found for a
 * stream that is not live (nothing spent), 401 Unauthorized for any other.
 * An ANNOUNCE is a publisher's (tg-rtsp-publish.h): 415 for an SDP whose
 * tracks cannot be recorded, else as its admission says. OPTIONS passes.
 * Tokens are never logged. */
#pragma once

#include <gst/rtsp-server/rtsp-server.h>

#include "tg-peer-limit.h"
#include "tg-server.h"

G_BEGIN_DECLS

#define TG_TYPE_RTSP_AUTH (tg_rtsp_auth_get_type ())
G_DECLARE_FINAL_TYPE (TgRtspAuth, tg_rtsp_auth, TG, RTSP_AUTH, GstRTSPAuth)

/* An admitted DESCRIBE mounts factory at /app/stream_id in mounts, an
 * admitted ANNOUNCE record; a connection from an address that has peers'
 * cap open is refused (peers: the auth's, freed with it). */
TgRtspAuth *tg_rtsp_auth_new (TgServer *server, GstRTSPMountPoints *mounts,
                              GstRTSPMediaFactory *factory,
                              GstRTSPMediaFactory *record, TgPeerLimit *peers);

/* A client that passed the connection's check: its address is counted
 * until it closes. In the server's context. */
void tg_rtsp_auth_count (TgRtspAuth *auth, GstRTSPClient *client);

/* Whether client was admitted to key ("app/stream_id"). */
gboolean tg_rtsp_auth_admitted (GstRTSPClient *client, const char *key);

G_END_DECLS
