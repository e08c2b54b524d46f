#include "tg-fields.h"

#include "tollgate.h"

static const TgField *
find (const TgField *fields, const char *name)
{
  for (; fields->name; fields++)
    if (g_str_equal (fields->name, name))
      return fields;
  return NULL;
}

static gboolean
has_type (JsonNode *node, TgFieldType type)
{
  GType value_type;

  if (type == TG_FIELD_ANY)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node))
    return FALSE;
  value_type = json_node_get_value_type (node);
  switch (type)
    {
    case TG_FIELD_STRING:
      return value_type == G_TYPE_STRING;
    case TG_FIELD_INT:
      return value_type == G_TYPE_INT64;
    case TG_FIELD_BOOL:
      return value_type == G_TYPE_BOOLEAN;
    case TG_FIELD_ANY:
      break;
    }
  return TRUE;
}

static const char *
type_name (TgFieldType type)
{
  switch (type)
    {
    case TG_FIELD_STRING:
      return "a string";
    case TG_FIELD_INT:
      return "a whole number";
    case TG_FIELD_BOOL:
      return "true or false";
    case TG_FIELD_ANY:
      break;
    }
  return "a value";
}

gboolean
tg_fields_check (JsonObject *object, const TgField *fields, GError **error)
{
  g_autoptr (GList) names = json_object_get_members (object);

  for (GList *l = names; l; l = l->next)
    {
      const TgField *field = find (fields, l->data);
      JsonNode *node = json_object_get_member (object, l->data);

      if (field == NULL)
        {
          g_set_error (error, TG_ERROR, TG_ERROR_INVALID, "%s: unknown field",
                       (const char *) l->data);
          return FALSE;
        }
      if (!JSON_NODE_HOLDS_NULL (node) && !has_type (node, field->type))
        {
          g_set_error (error, TG_ERROR, TG_ERROR_INVALID, "%s: must be %s",
                       field->name, type_name (field->type));
          return FALSE;
        }
    }
  for (; fields->name; fields++)
    {
      JsonNode *node = json_object_get_member (object, fields->name);

      if (fields->required && (node == NULL || JSON_NODE_HOLDS_NULL (node)))
        {
          g_set_error (error, TG_ERROR, TG_ERROR_INVALID, "%s: missing",
                       fields->name);
          return FALSE;
        }
    }
  return TRUE;
}

JsonObject *
tg_fields_parse_object (const char *data, gsize length, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  JsonNode *root;

  if (data == NULL || length == 0)
    {
      g_set_error (error, TG_ERROR, TG_ERROR_INVALID,
                   "Request body must be a JSON object");
      return NULL;
    }
  if (!g_utf8_validate_len (data, length, NULL)
      || !json_parser_load_from_data (parser, data, length, NULL))
    {
      g_set_error (error, TG_ERROR, TG_ERROR_INVALID,
                   "Request body is not valid JSON");
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, TG_ERROR, TG_ERROR_INVALID,
                   "Request body must be a JSON object");
      return NULL;
    }
  return json_object_ref (json_node_get_object (root));
}

const char *
tg_fields_string (JsonObject *object, const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

gint64
tg_fields_int (JsonObject *object, const char *name, gint64 fallback)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node)
      || json_node_get_value_type (node) != G_TYPE_INT64)
    return fallback;
  return json_node_get_int (node);
}
