/* What every webrtcbin of the server shares: bundling, and the network
 * side of ICE that the administrator configures (which addresses are
 * announced to clients, which UDP ports are used). Set once, at startup,
 * before any webrtcbin is made. */
#pragma once

#include <gst/gst.h>

G_BEGIN_DECLS

typedef struct
{
  /* Announced instead of the host's own addresses (a 1:1 NAT's public
   * address); NULL: the host's own. */
  const char *public_ip;
  /* Interface names or local addresses whose candidates are announced;
   * NULL: all of them. */
  char **interfaces;
  /* The UDP ports ICE takes; 0, 0: any. */
  guint min_port, max_port;
} TgWebrtcNetwork;

/* Checks and keeps it (interface names are looked up now). */
gboolean tg_webrtc_set_network (const TgWebrtcNetwork *network, GError **error);
/* Forgets it (at exit). */
void tg_webrtc_clear_network (void);

/* max-bundle, no UPnP, the UDP port range. */
void tg_webrtc_configure (GstElement *webrtc);

/* The candidate as the client is to hear it (the public address put in),
 * or NULL when it is not announced. */
char *tg_webrtc_announce (const char *candidate);

G_END_DECLS
