/* Table-driven checks of untrusted JSON objects: every member must be one
 * the table names, of the type it names; required members must be there. */
#pragma once

#include <json-glib/json-glib.h>

typedef enum
{
  TG_FIELD_STRING,
  TG_FIELD_INT,
  TG_FIELD_BOOL,
  TG_FIELD_ANY, /* accepted and not read */
} TgFieldType;

typedef struct
{
  const char *name;
  TgFieldType type;
  gboolean required;
} TgField;

/* Checks object against fields (terminated by a NULL name). A member whose
 * value is JSON null counts as absent. Errors are TG_ERROR_INVALID naming
 * the field. */
gboolean tg_fields_check (JsonObject *object, const TgField *fields,
                          GError **error);

/* Deepest nesting of arrays and objects a request body may have. */
#define TG_FIELDS_MAX_DEPTH 32

/* Parses a request body that must be one JSON object and nothing else. */
JsonObject *tg_fields_parse_object (const char *data, gsize length,
                                    GError **error);

/* Member readers for checked objects: NULL / fallback when absent or null. */
const char *tg_fields_string (JsonObject *object, const char *name);
gint64 tg_fields_int (JsonObject *object, const char *name, gint64 fallback);
