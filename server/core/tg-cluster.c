#include "tg-cluster.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <openssl/crypto.h>

#include "tg-broadcast.h"
#include "tg-fields.h"
#include "tg-secret.h"

#define NODES_KIND "cluster:nodes"
#define LINK_CONTEXT "tollgate-link-v1"
#define LINK_PREFIX "tgl1."

struct _TgCluster
{
  char *node; /* this node's id, new at every start */
  char *address;
  GBytes *secret;
  TgStore *store;
  TgServer *server; /* from tg_cluster_join */
  guint srt_port;
  guint heartbeat;
  gboolean unreachable; /* the last heartbeat failed (said once) */
  /* monotonic time since when the heartbeats have all gone through */
  gint64 healthy_since;
  GMutex lock;      /* guards held */
  GHashTable *held; /* "app\x1fstream id" of this node's publications */
  TgClusterPuller puller;
  gpointer puller_data;
};

/* --- this node --- */

/* The first address of an interface that is up and not loopback: IPv4
 * first, then IPv6 outside link-local. */
static char *
first_address (void)
{
  struct ifaddrs *list = NULL;
  char text[INET6_ADDRSTRLEN] = "";
  char *found = NULL;

  if (getifaddrs (&list) != 0)
    return NULL;
  for (int family = AF_INET; family != 0 && found == NULL;
       family = family == AF_INET ? AF_INET6 : 0)
    for (struct ifaddrs *i = list; i && found == NULL; i = i->ifa_next)
      {
        const void *where;

        if (i->ifa_addr == NULL || i->ifa_addr->sa_family != family
            || !(i->ifa_flags & IFF_UP) || (i->ifa_flags & IFF_LOOPBACK))
          continue;
        where = family == AF_INET
                    ? (const void *) &((struct sockaddr_in *) i->ifa_addr)
                          ->sin_addr
                    : (const void *) &((struct sockaddr_in6 *) i->ifa_addr)
                          ->sin6_addr;
        if (family == AF_INET6
            && IN6_IS_ADDR_LINKLOCAL ((const struct in6_addr *) where))
          continue;
        if (inet_ntop (family, where, text, sizeof text))
          found = g_strdup (text);
      }
  freeifaddrs (list);
  return found;
}

TgCluster *
tg_cluster_new (TgStore *store, const char *passphrase, const char *address,
                GError **error)
{
  TgCluster *cluster;

  if (passphrase == NULL)
    return NULL;
  cluster = g_new0 (TgCluster, 1);
  cluster->address = address ? g_strdup (address) : first_address ();
  if (cluster->address == NULL)
    {
      g_set_error (error, TG_ERROR, TG_ERROR_INVALID,
                   "This host has no address other nodes could reach: set "
                   "node-address");
      g_free (cluster);
      return NULL;
    }
  cluster->node = g_uuid_string_random ();
  cluster->store = tg_store_ref (store);
  g_mutex_init (&cluster->lock);
  cluster->held = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  cluster->secret = tg_secret_derive (passphrase);
  return cluster;
}

static TgStore *
store_of (TgCluster *cluster)
{
  return cluster->store;
}

void
tg_cluster_free (TgCluster *cluster)
{
  if (cluster == NULL)
    return;
  if (cluster->heartbeat)
    {
      g_source_remove (cluster->heartbeat);
      tg_store_record_delete (store_of (cluster), NODES_KIND, cluster->node,
                              NULL);
    }
  g_bytes_unref (cluster->secret);
  tg_store_unref (cluster->store);
  g_hash_table_unref (cluster->held);
  g_mutex_clear (&cluster->lock);
  g_free (cluster->address);
  g_free (cluster->node);
  g_free (cluster);
}

GBytes *
tg_cluster_get_secret (TgCluster *cluster)
{
  return cluster ? cluster->secret : NULL;
}

const char *
tg_cluster_get_node (TgCluster *cluster)
{
  return cluster ? cluster->node : NULL;
}

void
tg_cluster_set_puller (TgCluster *cluster, TgClusterPuller puller,
                       gpointer data)
{
  if (cluster == NULL)
    return;
  cluster->puller = puller;
  cluster->puller_data = data;
}

/* --- records --- */

static gint64
now_ms (void)
{
  return g_get_real_time () / 1000;
}

static char *
origins_kind (const char *app)
{
  return g_strconcat ("cluster:origins:", app, NULL);
}

/* A record's JSON object, or NULL: absent, or unreadable (*failed set,
 * logged, if the store failed). */
static JsonObject *
read_record (TgCluster *cluster, const char *kind, const char *key,
             gboolean *failed)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *text
      = tg_store_record_get (store_of (cluster), kind, key, &error);
  g_autoptr (JsonNode) node = NULL;

  if (text == NULL)
    {
      if (!g_error_matches (error, TG_ERROR, TG_ERROR_NOT_FOUND))
        {
          g_message ("Cluster: %s", error->message);
          *failed = TRUE;
        }
      return NULL;
    }
  node = json_from_string (text, NULL);
  return node && JSON_NODE_HOLDS_OBJECT (node)
             ? json_object_ref (json_node_get_object (node))
             : NULL;
}

static char *
to_text (JsonObject *object)
{
  g_autoptr (JsonNode) node
      = json_node_init_object (json_node_alloc (), object);

  return json_to_string (node, FALSE);
}

static gboolean
is_alive (JsonObject *node, gint64 now)
{
  return now - json_object_get_int_member_with_default (node, "seen", 0)
         <= TG_CLUSTER_LAPSE_S * 1000;
}

/* The node record of the origin of app/stream_id if it is another node,
 * alive; *failed: the store could not tell. */
static JsonObject *
origin_of (TgCluster *cluster, const char *app, const char *stream_id,
           gboolean *failed)
{
  g_autofree char *kind = origins_kind (app);
  g_autoptr (JsonObject) origin
      = read_record (cluster, kind, stream_id, failed);
  const char *node = origin ? tg_fields_string (origin, "node") : NULL;
  JsonObject *record;

  if (node == NULL || g_str_equal (node, cluster->node))
    return NULL;
  record = read_record (cluster, NODES_KIND, node, failed);
  if (record && is_alive (record, now_ms ()))
    return record;
  g_clear_pointer (&record, json_object_unref);
  return NULL;
}

/* --- this node's publications --- */

/* Writes the origin record of app/stream_id: this node. */
static void
put_origin (TgCluster *cluster, const char *app, const char *stream_id)
{
  g_autofree char *kind = origins_kind (app);
  g_autoptr (JsonObject) origin = json_object_new ();
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;

  json_object_set_string_member (origin, "node", cluster->node);
  json_object_set_string_member (origin, "streamId", stream_id);
  text = to_text (origin);
  if (!tg_store_record_put (store_of (cluster), kind, stream_id, text, FALSE,
                            &error))
    g_message ("Cluster: %s/%s: not said to be here: %s", app, stream_id,
               error->message);
}

static char *
held_key (const char *app, const char *stream_id)
{
  return g_strconcat (app, "\x1f", stream_id, NULL);
}

void
tg_cluster_hold (TgCluster *cluster, const char *app, const char *stream_id)
{
  if (cluster == NULL)
    return;
  g_mutex_lock (&cluster->lock);
  g_hash_table_add (cluster->held, held_key (app, stream_id));
  g_mutex_unlock (&cluster->lock);
  put_origin (cluster, app, stream_id);
}

/* After an outage of the store, in which other nodes may have taken this
 * one for dead: its publications are said to be here again. */
static void
hold_again (TgCluster *cluster)
{
  g_autoptr (GPtrArray) keys = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter iter;
  gpointer key;

  g_mutex_lock (&cluster->lock);
  g_hash_table_iter_init (&iter, cluster->held);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (keys, g_strdup (key));
  g_mutex_unlock (&cluster->lock);
  for (guint i = 0; i < keys->len; i++)
    {
      g_auto (GStrv) parts = g_strsplit (keys->pdata[i], "\x1f", 2);

      put_origin (cluster, parts[0], parts[1]);
    }
}

/* --- heartbeat and the dead --- */

/* Ends what a dead node held in app: its origin records go, and their
 * broadcasts are finished. */
static guint
repair_app (TgCluster *cluster, const char *app, const char *dead)
{
  g_autofree char *kind = origins_kind (app);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) texts
      = tg_store_record_list (store_of (cluster), kind, 0, G_MAXINT32, &error);
  guint ended = 0;

  for (guint i = 0; texts && i < texts->len; i++)
    {
      g_autoptr (JsonNode) node = json_from_string (texts->pdata[i], NULL);
      JsonObject *origin = node && JSON_NODE_HOLDS_OBJECT (node)
                               ? json_node_get_object (node)
                               : NULL;
      const char *stream_id
          = origin ? tg_fields_string (origin, "streamId") : NULL;

      if (stream_id == NULL
          || g_strcmp0 (tg_fields_string (origin, "node"), dead) != 0)
        continue;
      tg_store_record_delete (store_of (cluster), kind, stream_id, NULL);
      if (tg_broadcast_ended (store_of (cluster), app, stream_id, &error))
        ended++;
      else
        g_message ("Cluster: %s/%s not repaired: %s", app, stream_id,
                   error->message);
      g_clear_error (&error);
    }
  return ended;
}

/* A node not heard of for TG_CLUSTER_LAPSE_S: whoever removes its record
 * first (one node does) ends its publications. */
static void
bury (TgCluster *cluster, JsonObject *record)
{
  const char *dead = tg_fields_string (record, "node");
  guint ended = 0;

  if (dead == NULL
      || !tg_store_record_delete (store_of (cluster), NODES_KIND, dead, NULL))
    return;
  for (guint i = 0; cluster->server->config->apps[i]; i++)
    ended += repair_app (cluster, cluster->server->config->apps[i], dead);
  g_message ("Cluster: node %s (%s) is gone: its %u publications ended", dead,
             tg_fields_string (record, "address"), ended);
}

static gboolean
beat (gpointer data)
{
  TgCluster *cluster = data;
  g_autoptr (JsonObject) self = json_object_new ();
  g_autofree char *text = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) nodes = NULL;
  gint64 now = now_ms ();

  json_object_set_string_member (self, "node", cluster->node);
  json_object_set_string_member (self, "address", cluster->address);
  json_object_set_int_member (self, "srtPort", cluster->srt_port);
  json_object_set_int_member (self, "seen", now);
  text = to_text (self);
  if (tg_store_record_put (store_of (cluster), NODES_KIND, cluster->node, text,
                           FALSE, &error))
    nodes = tg_store_record_list (store_of (cluster), NODES_KIND, 0, G_MAXINT32,
                                  &error);
  if (nodes == NULL)
    {
      if (!cluster->unreachable)
        g_message ("Cluster: the store is out of reach: %s", error->message);
      cluster->unreachable = TRUE;
      return G_SOURCE_CONTINUE;
    }
  if (cluster->unreachable)
    {
      g_message ("Cluster: the store is back");
      cluster->unreachable = FALSE;
      cluster->healthy_since = g_get_monotonic_time ();
      hold_again (cluster);
    }
  /* Only a node whose own heartbeats have gone through for a lapse may
   * judge others: after an outage of the store, every node is given the
   * time to beat again. */
  if (g_get_monotonic_time () - cluster->healthy_since
      < TG_CLUSTER_LAPSE_S * G_TIME_SPAN_SECOND)
    return G_SOURCE_CONTINUE;
  for (guint i = 0; i < nodes->len; i++)
    {
      g_autoptr (JsonNode) node = json_from_string (nodes->pdata[i], NULL);

      if (node && JSON_NODE_HOLDS_OBJECT (node)
          && !is_alive (json_node_get_object (node), now))
        bury (cluster, json_node_get_object (node));
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
first_beat (gpointer data)
{
  TgCluster *cluster = data;

  beat (cluster);
  cluster->heartbeat
      = g_timeout_add (TG_CLUSTER_HEARTBEAT_S * 1000, beat, cluster);
  return G_SOURCE_REMOVE;
}

void
tg_cluster_join (TgCluster *cluster, TgServer *server, guint srt_port)
{
  if (cluster == NULL)
    return;
  cluster->server = server;
  cluster->srt_port = srt_port;
  cluster->healthy_since = g_get_monotonic_time ();
  beat (cluster);
  /* Each node in a phase of its own, so that the nodes do not all beat in
   * the same millisecond (as second timers of processes on one host do). */
  cluster->heartbeat
      = g_timeout_add (g_random_int_range (1, TG_CLUSTER_HEARTBEAT_S * 1000),
                       first_beat, cluster);
  g_message ("Cluster: node %s at %s", cluster->node, cluster->address);
}

/* --- origins --- */

void
tg_cluster_release (TgCluster *cluster, const char *app, const char *stream_id)
{
  g_autofree char *kind = NULL;
  g_autoptr (JsonObject) origin = NULL;
  g_autofree char *key = NULL;
  gboolean failed = FALSE;

  if (cluster == NULL)
    return;
  key = held_key (app, stream_id);
  g_mutex_lock (&cluster->lock);
  g_hash_table_remove (cluster->held, key);
  g_mutex_unlock (&cluster->lock);
  kind = origins_kind (app);
  origin = read_record (cluster, kind, stream_id, &failed);
  /* not when its publisher has gone live on another node since */
  if (origin
      && g_strcmp0 (tg_fields_string (origin, "node"), cluster->node) == 0)
    tg_store_record_delete (store_of (cluster), kind, stream_id, NULL);
}

gboolean
tg_cluster_is_live_elsewhere (TgCluster *cluster, const char *app,
                              const char *stream_id)
{
  g_autoptr (JsonObject) origin = NULL;
  gboolean failed = FALSE;

  if (cluster == NULL)
    return FALSE;
  origin = origin_of (cluster, app, stream_id, &failed);
  /* fails closed: a stream the store cannot tell about may be live */
  return origin != NULL || failed;
}

gboolean
tg_cluster_pull (TgServer *server, const char *app, const char *stream_id)
{
  TgCluster *cluster = server->cluster;
  g_autoptr (JsonObject) origin = NULL;
  gboolean failed = FALSE;
  gint64 port;

  if (cluster == NULL || cluster->puller == NULL)
    return FALSE;
  origin = origin_of (cluster, app, stream_id, &failed);
  if (origin == NULL)
    return FALSE;
  port = json_object_get_int_member_with_default (origin, "srtPort", 0);
  if (port <= 0 || port > 65535 || tg_fields_string (origin, "address") == NULL)
    {
      g_message ("Cluster: %s/%s is live on node %s, which plays no SRT: "
                 "not pulled",
                 app, stream_id, tg_fields_string (origin, "node"));
      return FALSE;
    }
  return cluster->puller (server, app, stream_id,
                          tg_fields_string (origin, "address"), (guint) port,
                          cluster->puller_data);
}

/* --- link keys: "tgl1.{expiry}.{mac}" --- */

static char *
link_mac (TgCluster *cluster, const char *app, const char *stream_id,
          gint64 expiry)
{
  g_autofree char *message = g_strdup_printf (
      LINK_CONTEXT "|%s|%s|%" G_GINT64_FORMAT, app, stream_id, expiry);

  return tg_secret_mac (cluster->secret, message);
}

char *
tg_cluster_link_key (TgCluster *cluster, const char *app, const char *stream_id)
{
  gint64 expiry = g_get_real_time () / G_USEC_PER_SEC + TG_CLUSTER_LINK_S;
  g_autofree char *mac = NULL;

  if (cluster == NULL)
    return NULL;
  mac = link_mac (cluster, app, stream_id, expiry);
  return g_strdup_printf (LINK_PREFIX "%" G_GINT64_FORMAT ".%s", expiry, mac);
}

gboolean
tg_cluster_link_admits (TgCluster *cluster, const char *app,
                        const char *stream_id, const char *credential)
{
  g_auto (GStrv) parts = NULL;
  g_autofree char *expected = NULL;
  gint64 expiry = 0;

  if (cluster == NULL || credential == NULL
      || !g_str_has_prefix (credential, LINK_PREFIX))
    return FALSE;
  parts = g_strsplit (credential + strlen (LINK_PREFIX), ".", 3);
  if (g_strv_length (parts) != 2 || strlen (parts[0]) > 12
      || !g_ascii_string_to_signed (parts[0], 10, 0, G_MAXINT64, &expiry, NULL)
      || expiry < g_get_real_time () / G_USEC_PER_SEC)
    return FALSE;
  expected = link_mac (cluster, app, stream_id, expiry);
  return strlen (parts[1]) == strlen (expected)
         && CRYPTO_memcmp (expected, parts[1], strlen (expected)) == 0;
}
