#include "tg-apps.h"

#define KIND "settings"
/* How old the copy of an app's settings may be: then it is read again, so
 * that a change made by another server sharing the store (several nodes
 * on one Redis, or processes on one SQLite file) takes effect here too. */
#define FRESH_US (1 * G_USEC_PER_SEC)

/* An app's copy of its settings. */
typedef struct
{
  TgSettings *settings;
  gint64 read_at;   /* monotonic */
  gboolean failing; /* the last read again failed (said once) */
} Copy;

struct _TgApps
{
  TgStore *store;
  GMutex lock;
  GHashTable *copies; /* app name -> Copy */
};

static void
copy_free (Copy *copy)
{
  tg_settings_unref (copy->settings);
  g_free (copy);
}

/* The app's settings as stored, or the defaults if none or unusable (said
 * if say: at start, not at every read again); NULL if the store failed. */
static TgSettings *
load (TgStore *store, const char *app, gboolean say, GError **error)
{
  g_autoptr (GError) local = NULL;
  g_autofree char *text = tg_store_record_get (store, KIND, app, &local);
  g_autoptr (TgSettings) defaults = tg_settings_new_default ();
  g_autoptr (JsonParser) parser = json_parser_new ();
  TgSettings *settings;

  if (text == NULL)
    {
      if (g_error_matches (local, TG_ERROR, TG_ERROR_NOT_FOUND))
        return g_steal_pointer (&defaults);
      g_propagate_error (error, g_steal_pointer (&local));
      return NULL;
    }
  if (!json_parser_load_from_data (parser, text, -1, &local)
      || !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      if (say)
        g_message ("Stored settings of %s are unreadable; using defaults", app);
      return g_steal_pointer (&defaults);
    }
  settings = tg_settings_apply (
      defaults, json_node_get_object (json_parser_get_root (parser)), &local);
  if (settings == NULL)
    {
      if (say)
        g_message ("Stored settings of %s are invalid (%s); using defaults",
                   app, local->message);
      return g_steal_pointer (&defaults);
    }
  return settings;
}

/* Makes settings the app's copy, read now. Locked, or not yet shared. */
static void
keep (TgApps *apps, const char *app, TgSettings *settings)
{
  Copy *copy = g_new0 (Copy, 1);

  copy->settings = settings;
  copy->read_at = g_get_monotonic_time ();
  g_hash_table_replace (apps->copies, g_strdup (app), copy);
}

/* The app's settings, read again from the store if its copy is older than
 * FRESH_US; the copy is kept if the store cannot be read (said once until
 * a read works again). NULL for an app not hosted. Locked. */
static TgSettings *
current (TgApps *apps, const char *app)
{
  Copy *copy = g_hash_table_lookup (apps->copies, app);
  g_autoptr (GError) error = NULL;
  TgSettings *fresh;

  if (copy == NULL || g_get_monotonic_time () - copy->read_at < FRESH_US)
    return copy ? copy->settings : NULL;
  fresh = load (apps->store, app, FALSE, &error);
  if (fresh == NULL)
    {
      if (!copy->failing)
        g_message ("Settings of %s kept as they were: %s", app, error->message);
      copy->failing = TRUE;
      copy->read_at = g_get_monotonic_time ();
      return copy->settings;
    }
  if (copy->failing)
    g_message ("Settings of %s read again", app);
  keep (apps, app, fresh);
  return fresh;
}

TgApps *
tg_apps_new (TgStore *store, char **names, GError **error)
{
  TgApps *apps = g_new0 (TgApps, 1);

  apps->store = tg_store_ref (store);
  g_mutex_init (&apps->lock);
  apps->copies = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify) copy_free);
  for (guint i = 0; names[i]; i++)
    {
      TgSettings *settings = load (store, names[i], TRUE, error);

      if (settings == NULL)
        {
          tg_apps_free (apps);
          return NULL;
        }
      keep (apps, names[i], settings);
    }
  return apps;
}

void
tg_apps_free (TgApps *apps)
{
  if (apps == NULL)
    return;
  g_hash_table_unref (apps->copies);
  g_mutex_clear (&apps->lock);
  tg_store_unref (apps->store);
  g_free (apps);
}

gboolean
tg_apps_has (TgApps *apps, const char *app)
{
  G_GNUC_UNUSED g_autoptr (GMutexLocker) locker
      = g_mutex_locker_new (&apps->lock);

  return g_hash_table_contains (apps->copies, app);
}

TgSettings *
tg_apps_get_settings (TgApps *apps, const char *app)
{
  G_GNUC_UNUSED g_autoptr (GMutexLocker) locker
      = g_mutex_locker_new (&apps->lock);
  TgSettings *settings = current (apps, app);

  return settings ? tg_settings_ref (settings) : NULL;
}

gboolean
tg_apps_update_settings (TgApps *apps, const char *app, JsonObject *changes,
                         GError **error)
{
  G_GNUC_UNUSED g_autoptr (GMutexLocker) locker
      = g_mutex_locker_new (&apps->lock);
  TgSettings *now = current (apps, app);
  g_autoptr (TgSettings) next = NULL;
  g_autoptr (JsonNode) node = NULL;
  g_autofree char *text = NULL;

  if (now == NULL)
    {
      g_set_error (error, TG_ERROR, TG_ERROR_NOT_FOUND,
                   "Application %s does not exist", app);
      return FALSE;
    }
  next = tg_settings_apply (now, changes, error);
  if (next == NULL)
    return FALSE;
  node = tg_settings_to_json (next);
  text = json_to_string (node, FALSE);
  if (!tg_store_record_put (apps->store, KIND, app, text, FALSE, error))
    return FALSE;
  keep (apps, app, g_steal_pointer (&next));
  return TRUE;
}
