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

/* json-glib 1.6 recurses without limit, stops at the end of the first value
 * and decodes \u0000 into a string that C then cuts short. So before it sees
 * a body: one object, nested at most TG_FIELDS_MAX_DEPTH deep, nothing after
 * it but white space, and no NUL escapes. */
static const char *
scan (const char *data, gsize length)
{
  guint depth = 0;
  gboolean in_string = FALSE, started = FALSE;

  for (gsize i = 0; i < length; i++)
    {
      char c = data[i];

      if (in_string)
        {
          if (c == '\\' && i + 1 < length)
            {
              if (data[i + 1] == 'u' && i + 5 < length
                  && memcmp (data + i + 2, "0000", 4) == 0)
                return "Request body must not contain NUL characters";
              i++;
            }
          else if (c == '"')
            in_string = FALSE;
          continue;
        }
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
        continue;
      if (started && depth == 0)
        return "Request body must hold one JSON object and nothing after it";
      if (!started && c != '{')
        return "Request body must be a JSON object";
      started = TRUE;
      if (c == '"')
        in_string = TRUE;
      else if (c == '{' || c == '[')
        {
          if (++depth > TG_FIELDS_MAX_DEPTH)
            return "Request body is nested too deeply";
        }
      else if ((c == '}' || c == ']') && depth > 0)
        depth--;
    }
  return started ? NULL : "Request body must be a JSON object";
}

JsonObject *
tg_fields_parse_object (const char *data, gsize length, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  const char *problem = data ? scan (data, length) : "Request body is empty";
  JsonNode *root;

  if (problem != NULL)
    {
      g_set_error_literal (error, TG_ERROR, TG_ERROR_INVALID, problem);
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
