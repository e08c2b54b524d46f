/* The applications this server hosts and their settings, kept in the store
 * (kind "settings", key = app name) and copied here for every thread; a
 * copy is read again once it is a second old, so that a change another
 * server sharing the store made takes effect here within about a second. */
#pragma once

#include "tg-settings.h"
#include "tollgate.h"

typedef struct _TgApps TgApps;

TgApps *tg_apps_new (TgStore *store, char **names, GError **error);
void tg_apps_free (TgApps *apps);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgApps, tg_apps_free)

gboolean tg_apps_has (TgApps *apps, const char *app);

/* The app's current settings (a reference), or NULL for an unknown app. */
TgSettings *tg_apps_get_settings (TgApps *apps, const char *app);

/* Validates changes against the current settings, stores the result and
 * makes it current; on any error nothing changes. */
gboolean tg_apps_update_settings (TgApps *apps, const char *app,
                                  JsonObject *changes, GError **error);
