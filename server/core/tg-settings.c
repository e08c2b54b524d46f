#include "tg-settings.h"

#include "tg-ant-fields.h"
#include "tg-fields.h"

#include "tollgate.h"

#include <math.h>

typedef enum
{
  FIELD_BOOL,
  FIELD_TEXT,
  FIELD_PASSPHRASE, /* "" or an SRT passphrase: 10 to 79 characters */
  FIELD_SECONDS,    /* a string holding a positive number */
  FIELD_COUNT,      /* a string holding a whole number >= 0 */
  FIELD_CIDRS,      /* comma-separated CIDRs */
  FIELD_ENCODERS,   /* the ABR ladder */
} FieldKind;

typedef struct
{
  const char *name;
  FieldKind kind;
  gsize offset;
} Field;

#define F(name, kind, member)                                                  \
  {                                                                            \
    name, kind, G_STRUCT_OFFSET (TgSettings, member)                           \
  }

static const Field fields[] = {
  F ("publishTokenControlEnabled", FIELD_BOOL, publish_token_control),
  F ("playTokenControlEnabled", FIELD_BOOL, play_token_control),
  F ("acceptOnlyStreamsInDataStore", FIELD_BOOL,
     accept_only_streams_in_data_store),
  F ("publishJwtControlEnabled", FIELD_BOOL, publish_jwt_control),
  F ("playJwtControlEnabled", FIELD_BOOL, play_jwt_control),
  F ("jwtStreamSecretKey", FIELD_TEXT, jwt_stream_secret_key),
  F ("hlsMuxingEnabled", FIELD_BOOL, hls_muxing),
  F ("deleteHLSFilesOnEnded", FIELD_BOOL, delete_hls_on_end),
  F ("deleteDASHFilesOnEnded", FIELD_BOOL, delete_dash_on_end),
  F ("dashMuxingEnabled", FIELD_BOOL, dash_muxing),
  F ("mp4MuxingEnabled", FIELD_BOOL, mp4_muxing),
  F ("hlsTime", FIELD_SECONDS, hls_time),
  F ("hlsListSize", FIELD_COUNT, hls_list_size),
  F ("encoderSettings", FIELD_ENCODERS, encoder_settings),
  F ("webRTCEnabled", FIELD_BOOL, webrtc_enabled),
  F ("srtPassphrase", FIELD_PASSPHRASE, srt_passphrase),
  F ("remoteAllowedCIDR", FIELD_CIDRS, remote_allowed_cidr),
  F ("ipFilterEnabled", FIELD_BOOL, ip_filter_enabled),
};

#undef F

#define MEMBER(settings, field, type)                                          \
  ((type *) ((guint8 *) (settings) + (field)->offset))

static void
settings_clear (TgSettings *settings)
{
  g_free (settings->jwt_stream_secret_key);
  g_free (settings->hls_time);
  g_free (settings->hls_list_size);
  g_free (settings->remote_allowed_cidr);
  g_free (settings->srt_passphrase);
  g_clear_pointer (&settings->encoder_settings, json_node_unref);
  g_clear_pointer (&settings->allowed, g_ptr_array_unref);
  g_clear_pointer (&settings->policy, tg_policy_free);
}

/* What admission reads of the settings, from their stored form: the same
 * reading as the tokencheck element's of the store's record. */
static void
set_policy (TgSettings *settings)
{
  g_autoptr (JsonNode) node = tg_settings_to_json (settings);
  g_autofree char *text = json_to_string (node, FALSE);

  g_clear_pointer (&settings->policy, tg_policy_free);
  settings->policy = tg_policy_from_json (text, NULL);
  g_assert (settings->policy);
}

/* "a.b.c.d", "a.b.c.d/n" or an IPv6 form; GLib's own parser does not check
 * the prefix length (it warns, then takes 0: everyone), so this does. */
static GInetAddressMask *
parse_cidr (const char *text)
{
  g_auto (GStrv) parts = g_strsplit (text, "/", 3);
  g_autoptr (GInetAddress) address = g_inet_address_new_from_string (parts[0]);
  guint64 bits, length;

  if (address == NULL || (parts[1] && parts[2]))
    return NULL;
  bits = g_inet_address_get_native_size (address) * 8;
  length = bits;
  if (parts[1]
      && !g_ascii_string_to_unsigned (parts[1], 10, 0, bits, &length, NULL))
    return NULL;
  return g_inet_address_mask_new (address, length, NULL);
}

static GPtrArray *
parse_cidrs (const char *text, GError **error)
{
  g_autoptr (GPtrArray) masks = g_ptr_array_new_with_free_func (g_object_unref);
  g_auto (GStrv) parts = g_strsplit (text, ",", -1);

  for (guint i = 0; parts[i]; i++)
    {
      const char *part = g_strstrip (parts[i]);
      GInetAddressMask *mask;

      if (*part == '\0')
        continue;
      mask = parse_cidr (part);
      if (mask == NULL)
        {
          g_set_error (error, TG_ERROR, TG_ERROR_INVALID,
                       "remoteAllowedCIDR: '%s' is not an address or CIDR",
                       part);
          return NULL;
        }
      g_ptr_array_add (masks, mask);
    }
  return g_steal_pointer (&masks);
}

TgSettings *
tg_settings_new_default (void)
{
  TgSettings *settings = g_atomic_rc_box_new0 (TgSettings);

  settings->jwt_stream_secret_key = g_strdup ("");
  settings->hls_muxing = TRUE;
  settings->delete_hls_on_end = TRUE; /* as in Ant Media */
  settings->delete_dash_on_end = TRUE;
  settings->hls_time = g_strdup ("2");
  settings->hls_list_size = g_strdup ("15");
  settings->encoder_settings = json_node_new (JSON_NODE_ARRAY);
  json_node_take_array (settings->encoder_settings, json_array_new ());
  settings->webrtc_enabled = TRUE;
  settings->srt_passphrase = g_strdup ("");
  settings->remote_allowed_cidr = g_strdup ("127.0.0.1");
  settings->ip_filter_enabled = TRUE;
  settings->allowed = parse_cidrs (settings->remote_allowed_cidr, NULL);
  set_policy (settings);
  return settings;
}

TgSettings *
tg_settings_ref (TgSettings *settings)
{
  return g_atomic_rc_box_acquire (settings);
}

void
tg_settings_unref (TgSettings *settings)
{
  if (settings)
    g_atomic_rc_box_release_full (settings, (GDestroyNotify) settings_clear);
}

static TgSettings *
settings_copy (const TgSettings *base)
{
  TgSettings *copy = (g_atomic_rc_box_dup) (sizeof *base, base);

  copy->jwt_stream_secret_key = g_strdup (base->jwt_stream_secret_key);
  copy->hls_time = g_strdup (base->hls_time);
  copy->hls_list_size = g_strdup (base->hls_list_size);
  copy->remote_allowed_cidr = g_strdup (base->remote_allowed_cidr);
  copy->srt_passphrase = g_strdup (base->srt_passphrase);
  copy->encoder_settings = json_node_copy (base->encoder_settings);
  copy->allowed = g_ptr_array_ref (base->allowed);
  copy->policy = NULL; /* made again once the changes are applied */
  return copy;
}

static gboolean
bad (GError **error, const char *field, const char *why)
{
  g_set_error (error, TG_ERROR, TG_ERROR_INVALID, "%s: %s", field, why);
  return FALSE;
}

/* A number given as a JSON string (Ant Media's form) or a JSON number. */
static char *
number_text (JsonNode *node, gboolean whole)
{
  g_autofree char *text = NULL;
  char *end = NULL;
  double value;

  if (JSON_NODE_HOLDS_VALUE (node)
      && json_node_get_value_type (node) == G_TYPE_STRING)
    text = g_strstrip (g_strdup (json_node_get_string (node)));
  else if (JSON_NODE_HOLDS_VALUE (node)
           && json_node_get_value_type (node) == G_TYPE_INT64)
    text = g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
  else if (JSON_NODE_HOLDS_VALUE (node)
           && json_node_get_value_type (node) == G_TYPE_DOUBLE && !whole)
    text = g_strdup_printf ("%g", json_node_get_double (node));
  if (text == NULL || *text == '\0')
    return NULL;
  value = g_ascii_strtod (text, &end);
  if (*end != '\0' || !isfinite (value) || value < 0 || value > 1e6)
    return NULL;
  if (whole && strspn (text, "0123456789") != strlen (text))
    return NULL;
  return g_steal_pointer (&text);
}

static const TgField rung_fields[] = { { "height", TG_FIELD_INT, TRUE },
                                       { "videoBitrate", TG_FIELD_INT, TRUE },
                                       { "audioBitrate", TG_FIELD_INT, FALSE },
                                       { NULL } };

/* The ladder as given, each rung checked and rebuilt from its known fields
 * only; NULL with an error naming the problem. */
static JsonNode *
parse_encoders (JsonNode *node, GError **error)
{
  g_autoptr (JsonArray) ladder = json_array_new ();
  JsonNode *result;
  JsonArray *array;

  if (!JSON_NODE_HOLDS_ARRAY (node))
    return bad (error, "encoderSettings", "must be an array"), NULL;
  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      g_autoptr (GError) local = NULL;
      JsonObject *rung, *copy;

      if (!JSON_NODE_HOLDS_OBJECT (element))
        return bad (error, "encoderSettings", "each rung must be an object"),
               NULL;
      rung = json_node_get_object (element);
      if (!tg_fields_check (rung, rung_fields, &local))
        return bad (error, "encoderSettings", local->message), NULL;
      copy = json_object_new ();
      for (const TgField *f = rung_fields; f->name; f++)
        {
          gint64 value = tg_fields_int (rung, f->name, -1);

          if (value == -1 && !f->required)
            continue;
          if (value <= 0 || value > 100000000)
            {
              json_object_unref (copy);
              g_set_error (error, TG_ERROR, TG_ERROR_INVALID,
                           "encoderSettings: %s must be a positive whole "
                           "number",
                           f->name);
              return NULL;
            }
          json_object_set_int_member (copy, f->name, value);
        }
      json_array_add_object_element (ladder, copy);
    }
  result = json_node_new (JSON_NODE_ARRAY);
  json_node_set_array (result, ladder);
  return result;
}

static gboolean
apply_field (TgSettings *settings, const Field *field, JsonNode *node,
             GError **error)
{
  GType type = JSON_NODE_HOLDS_VALUE (node) ? json_node_get_value_type (node)
                                            : G_TYPE_INVALID;
  char *text;

  switch (field->kind)
    {
    case FIELD_BOOL:
      if (type != G_TYPE_BOOLEAN)
        return bad (error, field->name, "must be true or false");
      *MEMBER (settings, field, gboolean) = json_node_get_boolean (node);
      return TRUE;
    case FIELD_TEXT:
    case FIELD_PASSPHRASE:
    case FIELD_CIDRS:
      if (type != G_TYPE_STRING)
        return bad (error, field->name, "must be a string");
      text = (char *) json_node_get_string (node);
      if (field->kind == FIELD_PASSPHRASE && *text != '\0'
          && (strlen (text) < 10 || strlen (text) > 79))
        return bad (error, field->name,
                    "must be empty (no encryption) or 10 to 79 characters");
      if (field->kind == FIELD_CIDRS)
        {
          GPtrArray *masks = parse_cidrs (json_node_get_string (node), error);

          if (masks == NULL)
            return FALSE;
          g_ptr_array_unref (settings->allowed);
          settings->allowed = masks;
        }
      g_free (*MEMBER (settings, field, char *));
      *MEMBER (settings, field, char *) = json_node_dup_string (node);
      return TRUE;
    case FIELD_SECONDS:
    case FIELD_COUNT:
      text = number_text (node, field->kind == FIELD_COUNT);
      if (text == NULL
          || (field->kind == FIELD_SECONDS && g_ascii_strtod (text, NULL) <= 0))
        {
          g_free (text);
          return bad (error, field->name,
                      field->kind == FIELD_SECONDS
                          ? "must be a positive number of seconds"
                          : "must be a whole number");
        }
      g_free (*MEMBER (settings, field, char *));
      *MEMBER (settings, field, char *) = text;
      return TRUE;
    case FIELD_ENCODERS:
      {
        JsonNode *ladder = parse_encoders (node, error);

        if (ladder == NULL)
          return FALSE;
        json_node_unref (settings->encoder_settings);
        settings->encoder_settings = ladder;
        return TRUE;
      }
    }
  return FALSE;
}

static const Field *
find_field (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    if (g_str_equal (fields[i].name, name))
      return &fields[i];
  return NULL;
}

TgSettings *
tg_settings_apply (const TgSettings *base, JsonObject *object, GError **error)
{
  g_autoptr (TgSettings) settings = settings_copy (base);
  g_autoptr (GList) names = json_object_get_members (object);

  for (GList *l = names; l; l = l->next)
    {
      const Field *field = find_field (l->data);

      if (field == NULL && tg_ant_ignored_setting (l->data))
        continue; /* Ant Media's, not implemented: README */
      if (field == NULL)
        {
          g_set_error (error, TG_ERROR, TG_ERROR_INVALID, "%s: unknown setting",
                       (const char *) l->data);
          return NULL;
        }
      if (!apply_field (settings, field,
                        json_object_get_member (object, l->data), error))
        return NULL;
    }
  if (settings->publish_token_control && settings->publish_jwt_control)
    return bad (error, "publishJwtControlEnabled",
                "only one token scheme per direction: "
                "publishTokenControlEnabled is on"),
           NULL;
  if (settings->play_token_control && settings->play_jwt_control)
    return bad (error, "playJwtControlEnabled",
                "only one token scheme per direction: "
                "playTokenControlEnabled is on"),
           NULL;
  if ((settings->publish_jwt_control || settings->play_jwt_control)
      && strlen (settings->jwt_stream_secret_key) < TG_JWT_MIN_SECRET)
    return bad (error, "jwtStreamSecretKey",
                "JWT control needs a key of at least 32 characters"),
           NULL;
  set_policy (settings);
  return g_steal_pointer (&settings);
}

JsonNode *
tg_settings_to_json (const TgSettings *settings)
{
  JsonObject *object = json_object_new ();
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      const Field *field = &fields[i];

      if (field->kind == FIELD_BOOL)
        json_object_set_boolean_member (object, field->name,
                                        *MEMBER (settings, field, gboolean));
      else if (field->kind == FIELD_ENCODERS)
        json_object_set_member (object, field->name,
                                json_node_copy (settings->encoder_settings));
      else
        json_object_set_string_member (object, field->name,
                                       *MEMBER (settings, field, char *));
    }
  json_node_take_object (node, object);
  return node;
}

gboolean
tg_settings_allows_address (const TgSettings *settings, GInetAddress *address)
{
  g_autoptr (GInetAddress) v4 = NULL;

  if (!settings->ip_filter_enabled)
    return TRUE;
  /* A dual-stack socket reports IPv4 clients as ::ffff:a.b.c.d; and ::1 is
   * the same loopback as 127.0.0.1. */
  if (g_inet_address_get_family (address) == G_SOCKET_FAMILY_IPV6)
    {
      const guint8 *bytes = g_inet_address_to_bytes (address);
      static const guint8 mapped[12]
          = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

      if (g_inet_address_get_is_loopback (address))
        v4 = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
      else if (memcmp (bytes, mapped, sizeof mapped) == 0)
        v4 = g_inet_address_new_from_bytes (bytes + 12, G_SOCKET_FAMILY_IPV4);
    }
  for (guint i = 0; i < settings->allowed->len; i++)
    {
      GInetAddressMask *mask = settings->allowed->pdata[i];

      if (g_inet_address_mask_matches (mask, address)
          || (v4 && g_inet_address_mask_matches (mask, v4)))
        return TRUE;
    }
  return FALSE;
}
