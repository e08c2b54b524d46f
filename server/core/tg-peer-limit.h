/* How many connections each client address has open on one door, with a
 * cap: one address cannot take all of a door's connections. Thread-safe.
 * An IPv4 client on a dual-stack socket counts as its IPv4 address. */
#pragma once

#include <gio/gio.h>

typedef struct _TgPeerLimit TgPeerLimit;

/* door names the door in log lines ("HTTP", "RTMP"). */
TgPeerLimit *tg_peer_limit_new (const char *door, guint per_address);
void tg_peer_limit_free (TgPeerLimit *limit);

/* The address as logs and the table name it ("192.0.2.1", "2001:db8::1"). */
char *tg_peer_name (GSocketAddress *address);

/* Counts one more connection of peer (a tg_peer_name); FALSE, logged, when
 * the address already has per_address open. */
gboolean tg_peer_limit_take (TgPeerLimit *limit, const char *peer);
void tg_peer_limit_release (TgPeerLimit *limit, const char *peer);
