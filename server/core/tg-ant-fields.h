/* Ant Media's field names that Tollgate accepts and ignores (PROTOCOL.md
 * 2, request bodies): a body may carry every field of Ant Media's broadcast
 * object or app settings; the ones Tollgate does not implement are dropped
 * before the body is checked, so that any other unknown name is still
 * refused. */
#pragma once

#include <json-glib/json-glib.h>

gboolean tg_ant_ignored_broadcast_field (const char *name);
gboolean tg_ant_ignored_setting (const char *name);

/* The sorted list itself: the settings' (TRUE) or the broadcast's. */
const char *const *tg_ant_ignored_names (gboolean settings, gsize *count);

/* Removes the members of object that ignored() names. */
void tg_ant_drop_ignored (JsonObject *object,
                          gboolean (*ignored) (const char *name));
