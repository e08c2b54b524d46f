#include "tg-webrtc-net.h"

#include <gio/gio.h>
#define GST_USE_UNSTABLE_API
#include <gst/webrtc/webrtc.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include "tollgate.h"

/* Set at startup, read by every webrtcbin's threads after. */
static struct
{
  char *public_ip;
  GHashTable *addresses; /* local addresses announced; NULL: all */
  guint min_port, max_port;
} net;

/* An address as its canonical text ("::1", not "0::1"), or NULL. */
static char *
canonical (const char *text)
{
  g_autoptr (GInetAddress) address = g_inet_address_new_from_string (text);

  return address ? g_inet_address_to_string (address) : NULL;
}

/* Adds the addresses of the interface named, or the address given. */
static gboolean
add_interface (GHashTable *addresses, const char *name, GError **error)
{
  struct ifaddrs *list = NULL;
  char *address = canonical (name);
  gboolean found = address != NULL;

  if (address)
    g_hash_table_add (addresses, address);
  else if (getifaddrs (&list) == 0)
    {
      for (struct ifaddrs *i = list; i; i = i->ifa_next)
        {
          g_autoptr (GSocketAddress) socket = NULL;

          if (i->ifa_addr == NULL || g_strcmp0 (i->ifa_name, name) != 0
              || (i->ifa_addr->sa_family != AF_INET
                  && i->ifa_addr->sa_family != AF_INET6))
            continue;
          socket = g_socket_address_new_from_native (
              i->ifa_addr, i->ifa_addr->sa_family == AF_INET
                               ? sizeof (struct sockaddr_in)
                               : sizeof (struct sockaddr_in6));
          if (socket == NULL)
            continue;
          g_hash_table_add (
              addresses,
              g_inet_address_to_string (g_inet_socket_address_get_address (
                  G_INET_SOCKET_ADDRESS (socket))));
          found = TRUE;
        }
      freeifaddrs (list);
    }
  if (!found)
    g_set_error (error, TG_ERROR, TG_ERROR_INVALID,
                 "webrtc-interfaces: '%s' is neither an address nor an "
                 "interface with one",
                 name);
  return found;
}

gboolean
tg_webrtc_set_network (const TgWebrtcNetwork *network, GError **error)
{
  g_autoptr (GHashTable) addresses = NULL;
  g_autofree char *public_ip = NULL;

  if (network->public_ip
      && (public_ip = canonical (network->public_ip)) == NULL)
    {
      g_set_error (error, TG_ERROR, TG_ERROR_INVALID,
                   "webrtc-public-ip: '%s' is not an IP address",
                   network->public_ip);
      return FALSE;
    }
  if (network->min_port > network->max_port || network->max_port > 65535
      || (network->max_port && network->min_port == 0))
    {
      g_set_error (error, TG_ERROR, TG_ERROR_INVALID,
                   "webrtc-udp-ports: %u-%u is not a range of ports",
                   network->min_port, network->max_port);
      return FALSE;
    }
  if (network->interfaces && network->interfaces[0])
    {
      addresses = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      for (guint i = 0; network->interfaces[i]; i++)
        if (!add_interface (addresses, network->interfaces[i], error))
          return FALSE;
    }
  tg_webrtc_clear_network ();
  net.public_ip = g_steal_pointer (&public_ip);
  net.addresses = g_steal_pointer (&addresses);
  net.min_port = network->min_port;
  net.max_port = network->max_port;
  return TRUE;
}

void
tg_webrtc_clear_network (void)
{
  g_clear_pointer (&net.public_ip, g_free);
  g_clear_pointer (&net.addresses, g_hash_table_unref);
  net.min_port = net.max_port = 0;
}

void
tg_webrtc_configure (GstElement *webrtc)
{
  g_autoptr (GObject) ice = NULL;
  g_autoptr (GObject) agent = NULL;

  g_object_set (webrtc, "bundle-policy", GST_WEBRTC_BUNDLE_POLICY_MAX_BUNDLE,
                NULL);
  g_object_get (webrtc, "ice-agent", &ice, NULL);
  if (ice && net.max_port)
    g_object_set (ice, "min-rtp-port", net.min_port, "max-rtp-port",
                  net.max_port, NULL);
  if (ice && g_object_class_find_property (G_OBJECT_GET_CLASS (ice), "agent"))
    g_object_get (ice, "agent", &agent, NULL);
  if (agent
      && g_object_class_find_property (G_OBJECT_GET_CLASS (agent), "upnp"))
    g_object_set (agent, "upnp", FALSE, NULL);
}

/* "candidate:F C TRANSPORT PRIORITY ADDRESS PORT typ TYPE ...": the
 * address is the fifth field. */
char *
tg_webrtc_announce (const char *candidate)
{
  g_auto (GStrv) fields = g_strsplit (candidate, " ", -1);
  g_autofree char *address = NULL;

  if (g_strv_length (fields) < 8)
    return NULL;
  address = canonical (fields[4]);
  if (address == NULL
      || (net.addresses && !g_hash_table_contains (net.addresses, address)))
    return NULL;
  if (net.public_ip)
    {
      g_free (fields[4]);
      fields[4] = g_strdup (net.public_ip);
    }
  return g_strjoinv (" ", fields);
}
