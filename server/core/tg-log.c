#include "tg-log.h"

#include <stdlib.h>
#include <string.h>

static GMutex lock;
static GHashTable *categories; /* domain -> GstDebugCategory */

static GstDebugCategory *
category_of (const char *domain)
{
  GstDebugCategory *category;

  g_mutex_lock (&lock);
  category = g_hash_table_lookup (categories, domain);
  if (category == NULL)
    {
      category = _gst_debug_category_new (domain, 0, "Tollgate's log lines");
      g_hash_table_insert (categories, g_strdup (domain), category);
    }
  g_mutex_unlock (&lock);
  return category;
}

static GstDebugLevel
level_of (GLogLevelFlags level)
{
  if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
    return GST_LEVEL_ERROR;
  if (level & G_LOG_LEVEL_WARNING)
    return GST_LEVEL_WARNING;
  if (level & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO))
    return GST_LEVEL_INFO;
  return GST_LEVEL_DEBUG;
}

static const char *
field (const GLogField *fields, gsize n, const char *key)
{
  for (gsize i = 0; i < n; i++)
    if (g_str_equal (fields[i].key, key) && fields[i].length < 0)
      return fields[i].value;
  return NULL;
}

/* GStreamer 1.22.0's rtpsession walks its table of RTP sources while
 * another thread changes it (an RTCP packet taken while its timer walks
 * the table, the table emptied while statistics walk it), and GLib says
 * "g_hash_table_foreach: assertion 'version == hash_table->version'
 * failed": fixed upstream in 1.22.4 (gstreamer merge request 4528, commits
 * 5ef2ce69ff and 6675ed9aae), not in Debian 12's 1.22.0. The walk stops
 * (one RTCP round skipped); a server with many WebRTC viewers meets it now
 * and then. It is logged as what it is, and is not fatal under
 * G_DEBUG=fatal-criticals (the tests' setting): every other critical
 * still is. */
#define UPSTREAM_RACE                                                          \
  "g_hash_table_foreach: assertion 'version == hash_table->version' failed"

static gboolean
is_upstream_race (const char *domain, const char *message)
{
  return g_strcmp0 (domain, "GLib") == 0 && message
         && strstr (message, UPSTREAM_RACE) != NULL;
}

static gboolean
fatal (const char *domain, GLogLevelFlags level, const char *message,
       gpointer data)
{
  return !is_upstream_race (domain, message);
}

static GLogWriterOutput
writer (GLogLevelFlags level, const GLogField *fields, gsize n, gpointer data)
{
  const char *domain = field (fields, n, "GLIB_DOMAIN");
  const char *line = field (fields, n, "CODE_LINE");

  if (is_upstream_race (domain, field (fields, n, "MESSAGE")))
    {
      g_autofree GLogField *copy = g_memdup2 (fields, n * sizeof *fields);

      for (gsize i = 0; i < n; i++)
        if (g_str_equal (copy[i].key, "MESSAGE"))
          copy[i].value = "GStreamer 1.22.0's rtpsession race (fixed in "
                          "1.22.4, merge request 4528): an RTCP round "
                          "skipped";
      return g_log_writer_default (G_LOG_LEVEL_MESSAGE, copy, n, data);
    }

  if (domain && g_str_has_prefix (domain, "tollgate"))
    {
      GstDebugCategory *category = category_of (domain);
      GstDebugLevel gst_level = level_of (level);

      if (gst_debug_category_get_threshold (category) >= gst_level)
        {
          const char *file = field (fields, n, "CODE_FILE");
          const char *func = field (fields, n, "CODE_FUNC");
          const char *message = field (fields, n, "MESSAGE");

          gst_debug_log (category, gst_level, file ? file : "",
                         func ? func : "", line ? atoi (line) : 0, NULL, "%s",
                         message ? message : "");
        }
    }
  return g_log_writer_default (level, fields, n, data);
}

void
tg_log_init (void)
{
  categories = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_log_set_writer_func (writer, NULL, NULL);
  g_test_log_set_fatal_handler (fatal, NULL);
}
