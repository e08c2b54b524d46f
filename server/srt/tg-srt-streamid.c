#include "tg-srt-streamid.h"

#include "tollgate.h"

#include <string.h>

/* SRT's own limit on a streamid. */
#define MAX_LENGTH 512

#define ACCESS_CONTROL_PREFIX "#!::"

/* Reads the "key=value" items, the value of keys[k] into *slots[k]; other
 * keys are ignored. FALSE on an item without '=' or a key given twice. */
static gboolean
read_items (char **items, const char *const *keys, char **const *slots,
            GError **error)
{
  for (guint i = 0; items[i]; i++)
    {
      const char *eq = strchr (items[i], '=');

      if (eq == NULL || eq == items[i])
        {
          /* Not the item itself: it may be a token, which logs never
           * show. */
          g_set_error (error, TG_ERROR, TG_ERROR_INVALID,
                       "streamid item %u is not key=value", i + 1);
          return FALSE;
        }
      for (guint k = 0; keys[k]; k++)
        {
          if (strlen (keys[k]) != (gsize) (eq - items[i])
              || strncmp (items[i], keys[k], eq - items[i]) != 0)
            continue;
          if (*slots[k])
            {
              g_set_error (error, TG_ERROR, TG_ERROR_INVALID,
                           "key \"%s\" given twice in the streamid", keys[k]);
              return FALSE;
            }
          *slots[k] = g_strdup (eq + 1);
        }
    }
  return TRUE;
}

gboolean
tg_srt_streamid_parse (const char *streamid, char **app_out,
                       char **stream_id_out, char **token_out,
                       TgTokenType *type_out, GError **error)
{
  static const char *const plain_keys[] = { "token", NULL };
  static const char *const access_keys[] = { "r", "m", "t", NULL };
  g_auto (GStrv) items = NULL;
  g_auto (GStrv) parts = NULL;
  g_autofree char *resource = NULL, *mode = NULL, *token = NULL;
  char **const plain_slots[] = { &token };
  char **const access_slots[] = { &resource, &mode, &token };

  g_return_val_if_fail (app_out && stream_id_out && token_out && type_out,
                        FALSE);

  if (streamid == NULL || *streamid == '\0')
    {
      g_set_error (error, TG_ERROR, TG_ERROR_INVALID,
                   "empty streamid (expected {app}/{streamId},token=...)");
      return FALSE;
    }
  if (strlen (streamid) > MAX_LENGTH)
    {
      g_set_error (error, TG_ERROR, TG_ERROR_INVALID,
                   "streamid longer than %d bytes", MAX_LENGTH);
      return FALSE;
    }
  for (const char *p = streamid; *p; p++)
    if ((guchar) *p < 0x20 || *p == 0x7f)
      {
        g_set_error (error, TG_ERROR, TG_ERROR_INVALID,
                     "control character in the streamid");
        return FALSE;
      }

  if (g_str_has_prefix (streamid, ACCESS_CONTROL_PREFIX))
    {
      items = g_strsplit (streamid + strlen (ACCESS_CONTROL_PREFIX), ",", -1);
      if (!read_items (items, access_keys, access_slots, error))
        return FALSE;
    }
  else if (g_str_has_prefix (streamid, "#!"))
    {
      g_set_error (error, TG_ERROR, TG_ERROR_INVALID,
                   "unsupported streamid syntax (expected \"#!::\")");
      return FALSE;
    }
  else
    {
      items = g_strsplit (streamid, ",", -1);
      resource = g_strdup (items[0]);
      if (!read_items (items + 1, plain_keys, plain_slots, error))
        return FALSE;
    }

  if (mode && !g_str_equal (mode, "publish") && !g_str_equal (mode, "request"))
    {
      g_set_error (error, TG_ERROR, TG_ERROR_INVALID,
                   "m=%s is not supported (only m=publish and m=request)",
                   mode);
      return FALSE;
    }

  if (resource == NULL || *resource == '\0')
    {
      g_set_error (error, TG_ERROR, TG_ERROR_INVALID,
                   "no {app}/{streamId} in the streamid");
      return FALSE;
    }
  parts = g_strsplit (resource, "/", -1);
  if (parts[1] == NULL)
    {
      g_set_error (error, TG_ERROR, TG_ERROR_INVALID,
                   "no stream id (expected {app}/{streamId})");
      return FALSE;
    }
  if (parts[2] != NULL)
    {
      g_set_error (error, TG_ERROR, TG_ERROR_INVALID,
                   "more than one '/' (expected {app}/{streamId})");
      return FALSE;
    }
  if (*parts[0] == '\0' || *parts[1] == '\0')
    {
      g_set_error (error, TG_ERROR, TG_ERROR_INVALID,
                   "empty %s (expected {app}/{streamId})",
                   *parts[0] == '\0' ? "application name" : "stream id");
      return FALSE;
    }

  *app_out = g_strdup (parts[0]);
  *stream_id_out = g_strdup (parts[1]);
  *token_out = token && *token ? g_steal_pointer (&token) : NULL;
  *type_out = g_strcmp0 (mode, "request") == 0 ? TG_TOKEN_TYPE_PLAY
                                               : TG_TOKEN_TYPE_PUBLISH;
  return TRUE;
}
