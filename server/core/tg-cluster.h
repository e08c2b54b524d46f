/* Several nodes on one shared store (ARCHITECTURE.md "Past one machine"),
 * joined by the secret they share (--cluster-secret).
 *
 * Each node keeps a record of itself in the store (its id, the address
 * other nodes reach it at, its SRT port) and renews it every
 * TG_CLUSTER_HEARTBEAT_S. A node not heard of for TG_CLUSTER_LAPSE_S is
 * dead: the first node to see it removes its record and ends the
 * broadcasts it held.
 *
 * A publication going live on a node makes that node the stream's origin
 * (a record per stream; a publisher that reconnects to another node makes
 * that one the origin). A node asked to play a stream live on another
 * node pulls it from the origin (it becomes an edge): the pull is a door's
 * (tg_cluster_set_puller), over an internal link whose credential is a
 * link key signed with the cluster secret. The same secret signs the
 * playback-session keys, so that any node takes a session opened on
 * another.
 *
 * Without a cluster secret there is no cluster: every function below takes
 * a NULL cluster and then does nothing (FALSE, NULL). */
#pragma once

#include "tg-server.h"

G_BEGIN_DECLS

#define TG_CLUSTER_HEARTBEAT_S 1
#define TG_CLUSTER_LAPSE_S 5
/* How long a link key is good for: the origin checks it when the edge
 * connects. */
#define TG_CLUSTER_LINK_S 60

typedef struct _TgCluster TgCluster;

/* Plays app/stream_id from its origin, at host (an address) and port (its
 * SRT door), and publishes it here; TRUE when a pull is on its way. Called
 * on any thread. */
typedef gboolean (*TgClusterPuller) (TgServer *server, const char *app,
                                     const char *stream_id, const char *host,
                                     guint port, gpointer data);

/* This node, not yet in the store: address NULL takes the first
 * non-loopback address. The playback-session secret is derived from
 * passphrase (tg_cluster_get_secret). */
TgCluster *tg_cluster_new (TgStore *store, const char *passphrase,
                           const char *address, GError **error);
/* Leaves the cluster: the node's record is removed. */
void tg_cluster_free (TgCluster *cluster);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgCluster, tg_cluster_free)

/* The secret of playback sessions, the same on every node. */
GBytes *tg_cluster_get_secret (TgCluster *cluster);
const char *tg_cluster_get_node (TgCluster *cluster);

/* Joins: the node's record is written, with the SRT port its links are
 * pulled from (0: none), and renewed on the main context from then on. */
void tg_cluster_join (TgCluster *cluster, TgServer *server, guint srt_port);
void tg_cluster_set_puller (TgCluster *cluster, TgClusterPuller puller,
                            gpointer data);

/* A publication of app/stream_id went live here (this node is its
 * origin), or ended. Any thread. */
void tg_cluster_hold (TgCluster *cluster, const char *app,
                      const char *stream_id);
void tg_cluster_release (TgCluster *cluster, const char *app,
                         const char *stream_id);

/* Whether app/stream_id is live on another node that is alive; TRUE too
 * when the store cannot tell (out of reach). */
gboolean tg_cluster_is_live_elsewhere (TgCluster *cluster, const char *app,
                                       const char *stream_id);

/* A viewer asks for app/stream_id, which is not live here: if it is live
 * on another node, a pull from there is started (the puller's), and TRUE
 * says that it is coming. Any thread. */
gboolean tg_cluster_pull (TgServer *server, const char *app,
                          const char *stream_id);

/* A link key for a pull of app/stream_id (valid TG_CLUSTER_LINK_S), and
 * whether a credential is a valid one: an origin lets the edge that shows
 * it play, spending nothing. */
char *tg_cluster_link_key (TgCluster *cluster, const char *app,
                           const char *stream_id);
gboolean tg_cluster_link_admits (TgCluster *cluster, const char *app,
                                 const char *stream_id, const char *credential);

G_END_DECLS
