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
      if (field->type == TG_FIELD_STRING && JSON_NODE_HOLDS_VALUE (node)
          && !g_utf8_validate (json_node_get_string (node), -1, NULL))
        {
          g_set_error (error, TG_ERROR, TG_ERROR_INVALID,
                       "%s: must be valid UTF-8 text", field->name);
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

/* json-glib 1.6 accepts more than JSON (single quotes, comments, octal
 * escapes, hex numbers), recurses without limit, stops at the end of the
 * first value and decodes \u0000 into a string that C then cuts short. So
 * before it sees a body, this checks that the body is strict JSON as far as
 * the parser's leniencies go: one object, nested at most TG_FIELDS_MAX_DEPTH
 * deep, nothing after it but white space, only JSON's escapes and no NUL. */
static const char *
scan_escape (const char *data, gsize length, gsize *i)
{
  char next = *i + 1 < length ? data[*i + 1] : '\0';
  guint code;

  if (next == 'u')
    {
      if (*i + 5 >= length)
        return "Request body is not valid JSON";
      code = 0;
      for (int k = 2; k < 6; k++)
        {
          if (!g_ascii_isxdigit (data[*i + k]))
            return "Request body is not valid JSON";
          code = code * 16 + g_ascii_xdigit_value (data[*i + k]);
        }
      if (memcmp (data + *i + 2, "0000", 4) == 0)
        return "Request body must not contain NUL characters";
      *i += 5;
      if (code >= 0xDC00 && code <= 0xDFFF)
        return "Request body has a lone UTF-16 surrogate";
      if (code >= 0xD800 && code <= 0xDBFF)
        {
          /* A high surrogate must pair with a low one, or json-glib 1.6
           * leaks (fixed in 1.10). */
          guint low = 0;

          if (*i + 6 < length && data[*i + 1] == '\\' && data[*i + 2] == 'u')
            for (int k = 3; k < 7; k++)
              low = g_ascii_isxdigit (data[*i + k])
                        ? low * 16 + g_ascii_xdigit_value (data[*i + k])
                        : G_MAXUINT16 + 1u;
          if (low < 0xDC00 || low > 0xDFFF)
            return "Request body has a lone UTF-16 surrogate";
          *i += 6; /* the low half, checked */
        }
      return NULL;
    }
  if (next == '\0' || strchr ("\"\\/bfnrt", next) == NULL)
    return "Request body is not valid JSON";
  *i += 1;
  return NULL;
}

static const char *
scan (const char *data, gsize length)
{
  /* What may stand outside strings: structure, numbers, true/false/null. */
  static const char outside[] = "{}[],:0123456789+-.eEtrufalsn \t\n\r";
  guint depth = 0;
  gboolean in_string = FALSE, started = FALSE;

  for (gsize i = 0; i < length; i++)
    {
      char c = data[i];
      const char *problem;

      if (in_string)
        {
          if (c == '\\' && (problem = scan_escape (data, length, &i)))
            return problem;
          else if (c == '"')
            in_string = FALSE;
          else if (c == '\0')
            return "Request body must not contain NUL characters";
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
      else if (c == '\0' || strchr (outside, c) == NULL)
        return "Request body is not valid JSON";
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
