#include "tg-llhls.h"

#include <string.h>

/* How often a held request looks again. */
#define POLL_MS 40

static gboolean
number (const char *text, gint64 *out)
{
  guint64 value = 0;

  if (text == NULL
      || !g_ascii_string_to_unsigned (text, 10, 0, G_MAXINT32, &value, NULL))
    return FALSE;
  *out = (gint64) value;
  return TRUE;
}

int
tg_llhls_wanted (GHashTable *query, gint64 *msn, gint64 *part)
{
  const char *m = query ? g_hash_table_lookup (query, "_HLS_msn") : NULL;
  const char *p = query ? g_hash_table_lookup (query, "_HLS_part") : NULL;

  *msn = *part = -1;
  if (m == NULL && p == NULL)
    return 0;
  /* _HLS_part without _HLS_msn is malformed */
  if (!number (m, msn) || (p && !number (p, part)))
    return -1;
  return 1;
}

gboolean
tg_llhls_has (const char *playlist, gint64 msn, gint64 part)
{
  g_auto (GStrv) lines = g_strsplit (playlist, "\n", -1);
  gint64 segment = -1, parts = 0;

  for (guint i = 0; lines[i]; i++)
    {
      const char *line = lines[i];

      if (g_str_has_prefix (line, "#EXT-X-ENDLIST"))
        return TRUE;
      if (g_str_has_prefix (line, "#EXT-X-MEDIA-SEQUENCE:"))
        segment = g_ascii_strtoll (line + strlen ("#EXT-X-MEDIA-SEQUENCE:"),
                                   NULL, 10);
      else if (g_str_has_prefix (line, "#EXT-X-PART:"))
        parts++;
      else if (line[0] != '#' && line[0] != '\0' && line[0] != '\r')
        {
          /* a segment's URI: segment is complete */
          if (segment >= msn)
            return TRUE;
          segment++;
          parts = 0;
        }
    }
  /* segment is the one being made, with parts of it listed */
  return segment == msn && part >= 0 && parts > part;
}

typedef struct
{
  SoupServerMessage *msg;
  TgLlhlsReady ready;
  TgLlhlsDone done;
  gpointer data;
  GDestroyNotify free_data;
  gint64 deadline;
  gboolean gone; /* the client went away */
  gulong disconnected;
} Hold;

static void
hold_free (gpointer pointer)
{
  Hold *hold = pointer;

  g_signal_handler_disconnect (hold->msg, hold->disconnected);
  g_object_unref (hold->msg);
  if (hold->free_data)
    hold->free_data (hold->data);
  g_free (hold);
}

static void
client_gone (SoupServerMessage *msg, gpointer data)
{
  ((Hold *) data)->gone = TRUE;
}

static gboolean
poll_hold (gpointer data)
{
  Hold *hold = data;
  gboolean ready;

  if (hold->gone)
    return G_SOURCE_REMOVE;
  ready = hold->ready (hold->data);
  if (!ready && g_get_monotonic_time () < hold->deadline)
    return G_SOURCE_CONTINUE;
  hold->done (hold->msg, ready, hold->data);
  soup_server_message_unpause (hold->msg);
  return G_SOURCE_REMOVE;
}

void
tg_llhls_hold (SoupServerMessage *msg, guint seconds, TgLlhlsReady ready,
               TgLlhlsDone done, gpointer data, GDestroyNotify free_data)
{
  Hold *hold = g_new0 (Hold, 1);
  GSource *source = g_timeout_source_new (POLL_MS);

  hold->msg = g_object_ref (msg);
  hold->ready = ready;
  hold->done = done;
  hold->data = data;
  hold->free_data = free_data;
  hold->deadline = g_get_monotonic_time () + seconds * G_USEC_PER_SEC;
  hold->disconnected
      = g_signal_connect (msg, "disconnected", G_CALLBACK (client_gone), hold);
  /* A status now: libsoup treats a request its handler left without one
   * as a WebSocket handshake (the server's handler takes both), and
   * writes a 400 page into the body. done sets the real one. */
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_pause (msg);
  g_source_set_callback (source, poll_hold, hold, hold_free);
  g_source_attach (source, g_main_context_get_thread_default ());
  g_source_unref (source);
}
