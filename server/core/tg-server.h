/* What every request handler may reach. All of it is safe to use from any
 * HTTP worker thread. */
#pragma once

#include "tg-apps.h"
#include "tg-config.h"
#include "tollgate.h"

typedef struct _TgServer
{
  const TgConfig *config;
  TgStore *store;
  TgApps *apps;
  /* TG_SECRET_SIZE bytes (tg-secret.h): signs playback-session keys; a
   * cluster's, in a cluster */
  GBytes *secret;
  gint ready; /* atomic: every enabled listener is bound */
  /* Publications, whatever their door (tg-live.h). */
  struct _TgLive *live;
  /* The other nodes on the store (tg-cluster.h); NULL: none. */
  struct _TgCluster *cluster;
  /* What GET /metrics tells (tg-metrics.h). */
  struct _TgMetrics *metrics;
  /* Every admitted client (tg-sessions.h). */
  struct _TgSessions *sessions;
  /* Token decisions per minute (tg-decisions.h). */
  struct _TgDecisions *decisions;
  /* The ports bound, 0 for a door that is off; set before ready. */
  struct
  {
    guint http, https, rtmp, srt, rtsp;
  } ports;
  /* Thumbnails of live streams (tg-thumbnails.h). */
  struct _TgThumbnails *thumbnails;
} TgServer;
