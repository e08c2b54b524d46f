/* What every request handler may reach. All of it is safe to use from any
 * HTTP worker thread. */
#pragma once

#include "tg-apps.h"
#include "tg-config.h"
#include "tollgate.h"

typedef struct
{
  const TgConfig *config;
  TgStore *store;
  TgApps *apps;
  /* TG_SECRET_SIZE bytes (tg-secret.h): signs playback-session keys */
  GBytes *secret;
  gint ready; /* atomic: every enabled listener is bound */
  /* Streams being published, whatever the protocol (tg-live.h). */
  struct _TgLive *live;
  /* The RTMP listener, or NULL; used on the main context only. */
  struct _TgRtmpListener *rtmp;
  /* The SRT listener, or NULL; used on the main context only. */
  struct _TgSrtListener *srt;
  /* WebSocket signalling clients (tg-ws.h). */
  struct _TgWs *ws;
} TgServer;
