#include "tg-apps.h"

#define KIND "settings"

struct _TgApps
{
  TgStore *store;
  GMutex lock;
  GHashTable *settings; /* app name -> TgSettings */
};

static TgSettings *
load (TgStore *store, const char *app, GError **error)
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
      g_message ("Stored settings of %s are unreadable; using defaults", app);
      return g_steal_pointer (&defaults);
    }
  settings = tg_settings_apply (
      defaults, json_node_get_object (json_parser_get_root (parser)), &local);
  if (settings == NULL)
    {
      g_message ("Stored settings of %s are invalid (%s); using defaults", app,
                 local->message);
      return g_steal_pointer (&defaults);
    }
  return settings;
}

TgApps *
tg_apps_new (TgStore *store, char **names, GError **error)
{
  TgApps *apps = g_new0 (TgApps, 1);

  apps->store = tg_store_ref (store);
  g_mutex_init (&apps->lock);
  apps->settings = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                          (GDestroyNotify) tg_settings_unref);
  for (guint i = 0; names[i]; i++)
    {
      TgSettings *settings = load (store, names[i], error);

      if (settings == NULL)
        {
          tg_apps_free (apps);
          return NULL;
        }
      g_hash_table_replace (apps->settings, g_strdup (names[i]), settings);
    }
  return apps;
}

void
tg_apps_free (TgApps *apps)
{
  if (apps == NULL)
    return;
  g_hash_table_unref (apps->settings);
  g_mutex_clear (&apps->lock);
  tg_store_unref (apps->store);
  g_free (apps);
}

gboolean
tg_apps_has (TgApps *apps, const char *app)
{
  G_GNUC_UNUSED g_autoptr (GMutexLocker) locker
      = g_mutex_locker_new (&apps->lock);

  return g_hash_table_contains (apps->settings, app);
}

TgSettings *
tg_apps_get_settings (TgApps *apps, const char *app)
{
  G_GNUC_UNUSED g_autoptr (GMutexLocker) locker
      = g_mutex_locker_new (&apps->lock);
  TgSettings *settings = g_hash_table_lookup (apps->settings, app);

  return settings ? tg_settings_ref (settings) : NULL;
}

gboolean
tg_apps_update_settings (TgApps *apps, const char *app, JsonObject *changes,
                         GError **error)
{
  G_GNUC_UNUSED g_autoptr (GMutexLocker) locker
      = g_mutex_locker_new (&apps->lock);
  TgSettings *current = g_hash_table_lookup (apps->settings, app);
  g_autoptr (TgSettings) next = NULL;
  g_autoptr (JsonNode) node = NULL;
  g_autofree char *text = NULL;

  if (current == NULL)
    {
      g_set_error (error, TG_ERROR, TG_ERROR_NOT_FOUND,
                   "Application %s does not exist", app);
      return FALSE;
    }
  next = tg_settings_apply (current, changes, error);
  if (next == NULL)
    return FALSE;
  node = tg_settings_to_json (next);
  text = json_to_string (node, FALSE);
  if (!tg_store_record_put (apps->store, KIND, app, text, FALSE, error))
    return FALSE;
  g_hash_table_replace (apps->settings, g_strdup (app),
                        g_steal_pointer (&next));
  return TRUE;
}
