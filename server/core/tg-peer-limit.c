#include "tg-peer-limit.h"

#include <string.h>

struct _TgPeerLimit
{
  char *door;
  guint per_address;
  GMutex lock;
  GHashTable *open; /* address -> count */
};

TgPeerLimit *
tg_peer_limit_new (const char *door, guint per_address)
{
  TgPeerLimit *limit = g_new0 (TgPeerLimit, 1);

  limit->door = g_strdup (door);
  limit->per_address = per_address;
  g_mutex_init (&limit->lock);
  limit->open = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  return limit;
}

void
tg_peer_limit_free (TgPeerLimit *limit)
{
  if (limit == NULL)
    return;
  g_hash_table_unref (limit->open);
  g_mutex_clear (&limit->lock);
  g_free (limit->door);
  g_free (limit);
}

char *
tg_peer_name (GSocketAddress *address)
{
  GInetAddress *inet;
  const guint8 *bytes;

  if (!G_IS_INET_SOCKET_ADDRESS (address))
    return g_strdup ("?");
  inet = g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address));
  bytes = g_inet_address_to_bytes (inet);
  /* ::ffff:a.b.c.d is the IPv4 client a.b.c.d */
  if (g_inet_address_get_family (inet) == G_SOCKET_FAMILY_IPV6
      && memcmp (bytes, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0)
    return g_strdup_printf ("%u.%u.%u.%u", bytes[12], bytes[13], bytes[14],
                            bytes[15]);
  return g_inet_address_to_string (inet);
}

gboolean
tg_peer_limit_take (TgPeerLimit *limit, const char *peer)
{
  guint open;

  g_mutex_lock (&limit->lock);
  open = GPOINTER_TO_UINT (g_hash_table_lookup (limit->open, peer));
  if (open < limit->per_address)
    g_hash_table_insert (limit->open, g_strdup (peer),
                         GUINT_TO_POINTER (open + 1));
  g_mutex_unlock (&limit->lock);
  if (open < limit->per_address)
    return TRUE;
  g_info ("%s %s: refused: %u connections from this address already",
          limit->door, peer, open);
  return FALSE;
}

void
tg_peer_limit_release (TgPeerLimit *limit, const char *peer)
{
  guint open;

  g_mutex_lock (&limit->lock);
  open = GPOINTER_TO_UINT (g_hash_table_lookup (limit->open, peer));
  if (open > 1)
    g_hash_table_insert (limit->open, g_strdup (peer),
                         GUINT_TO_POINTER (open - 1));
  else
    g_hash_table_remove (limit->open, peer);
  g_mutex_unlock (&limit->lock);
}
