#include "tg-amf0.h"

#include "tollgate.h"

#include <string.h>

static TgAmf0Value *
value_new (TgAmf0Type type)
{
  TgAmf0Value *value = g_new0 (TgAmf0Value, 1);

  value->type = type;
  return value;
}

TgAmf0Value *
tg_amf0_number_new (double number)
{
  TgAmf0Value *value = value_new (TG_AMF0_NUMBER);

  value->number = number;
  return value;
}

TgAmf0Value *
tg_amf0_boolean_new (gboolean boolean)
{
  TgAmf0Value *value = value_new (TG_AMF0_BOOLEAN);

  value->boolean = !!boolean;
  return value;
}

static TgAmf0Value *
string_new_len (const char *string, gsize length)
{
  TgAmf0Value *value
      = value_new (length > G_MAXUINT16 ? TG_AMF0_LONG_STRING : TG_AMF0_STRING);

  value->string = g_malloc (length + 1);
  memcpy (value->string, string, length);
  value->string[length] = '\0';
  value->length = length;
  return value;
}

TgAmf0Value *
tg_amf0_string_new (const char *string)
{
  g_return_val_if_fail (string != NULL, NULL);
  return string_new_len (string, strlen (string));
}

TgAmf0Value *
tg_amf0_null_new (void)
{
  return value_new (TG_AMF0_NULL);
}

TgAmf0Value *
tg_amf0_undefined_new (void)
{
  return value_new (TG_AMF0_UNDEFINED);
}

static TgAmf0Value *
container_new (TgAmf0Type type)
{
  TgAmf0Value *value = value_new (type);

  if (type != TG_AMF0_STRICT_ARRAY)
    value->names = g_ptr_array_new_with_free_func (g_free);
  value->values
      = g_ptr_array_new_with_free_func ((GDestroyNotify) tg_amf0_value_free);
  return value;
}

TgAmf0Value *
tg_amf0_object_new (void)
{
  return container_new (TG_AMF0_OBJECT);
}

TgAmf0Value *
tg_amf0_ecma_array_new (void)
{
  return container_new (TG_AMF0_ECMA_ARRAY);
}

TgAmf0Value *
tg_amf0_strict_array_new (void)
{
  return container_new (TG_AMF0_STRICT_ARRAY);
}

TgAmf0Value *
tg_amf0_date_new (double milliseconds, gint16 minutes)
{
  TgAmf0Value *value = value_new (TG_AMF0_DATE);

  value->number = milliseconds;
  value->timezone = minutes;
  return value;
}

void
tg_amf0_value_free (TgAmf0Value *value)
{
  if (value == NULL)
    return;
  g_free (value->string);
  if (value->names)
    g_ptr_array_unref (value->names);
  if (value->values)
    g_ptr_array_unref (value->values);
  g_free (value);
}

void
tg_amf0_object_set (TgAmf0Value *object, const char *name, TgAmf0Value *value)
{
  g_return_if_fail (object != NULL && object->names != NULL);
  g_return_if_fail (name != NULL && strlen (name) <= G_MAXUINT16);
  g_return_if_fail (value != NULL);
  g_ptr_array_add (object->names, g_strdup (name));
  g_ptr_array_add (object->values, value);
}

void
tg_amf0_array_append (TgAmf0Value *array, TgAmf0Value *value)
{
  g_return_if_fail (array != NULL && array->type == TG_AMF0_STRICT_ARRAY);
  g_return_if_fail (value != NULL);
  g_ptr_array_add (array->values, value);
}

const TgAmf0Value *
tg_amf0_object_get (const TgAmf0Value *object, const char *name)
{
  if (object == NULL || object->names == NULL)
    return NULL;
  for (guint i = 0; i < object->names->len; i++)
    if (g_str_equal (object->names->pdata[i], name))
      return object->values->pdata[i];
  return NULL;
}

const char *
tg_amf0_value_get_string (const TgAmf0Value *value)
{
  if (value == NULL
      || (value->type != TG_AMF0_STRING && value->type != TG_AMF0_LONG_STRING))
    return NULL;
  if (strlen (value->string) != value->length)
    return NULL;
  return value->string;
}

const char *
tg_amf0_object_get_string (const TgAmf0Value *object, const char *name)
{
  return tg_amf0_value_get_string (tg_amf0_object_get (object, name));
}

/* --- encoding --- */

static void
put_u8 (GByteArray *out, guint8 byte)
{
  g_byte_array_append (out, &byte, 1);
}

static void
put_u16 (GByteArray *out, guint16 number)
{
  guint8 bytes[2] = { number >> 8, number & 0xff };

  g_byte_array_append (out, bytes, sizeof bytes);
}

static void
put_u32 (GByteArray *out, guint32 number)
{
  guint8 bytes[4] = { number >> 24, (number >> 16) & 0xff, (number >> 8) & 0xff,
                      number & 0xff };

  g_byte_array_append (out, bytes, sizeof bytes);
}

static void
put_double (GByteArray *out, double number)
{
  guint64 bits;

  memcpy (&bits, &number, sizeof bits);
  put_u32 (out, bits >> 32);
  put_u32 (out, bits & 0xffffffff);
}

/* A string without its type marker: a property name or a STRING body. */
static void
put_short_string (GByteArray *out, const char *string, gsize length)
{
  put_u16 (out, length);
  g_byte_array_append (out, (const guint8 *) string, length);
}

static void
put_string (GByteArray *out, const char *string, gsize length)
{
  if (length > G_MAXUINT16)
    {
      put_u8 (out, TG_AMF0_LONG_STRING);
      put_u32 (out, length);
      g_byte_array_append (out, (const guint8 *) string, length);
      return;
    }
  put_u8 (out, TG_AMF0_STRING);
  put_short_string (out, string, length);
}

void
tg_amf0_encode (GByteArray *out, const TgAmf0Value *value)
{
  g_return_if_fail (out != NULL && value != NULL);

  switch (value->type)
    {
    case TG_AMF0_NUMBER:
      put_u8 (out, TG_AMF0_NUMBER);
      put_double (out, value->number);
      break;
    case TG_AMF0_BOOLEAN:
      put_u8 (out, TG_AMF0_BOOLEAN);
      put_u8 (out, value->boolean ? 1 : 0);
      break;
    case TG_AMF0_STRING:
      put_string (out, value->string, value->length);
      break;
    case TG_AMF0_LONG_STRING:
      /* Kept long even when short, so that decoding round-trips. */
      put_u8 (out, TG_AMF0_LONG_STRING);
      put_u32 (out, value->length);
      g_byte_array_append (out, (const guint8 *) value->string, value->length);
      break;
    case TG_AMF0_NULL:
    case TG_AMF0_UNDEFINED:
      put_u8 (out, value->type);
      break;
    case TG_AMF0_OBJECT:
    case TG_AMF0_ECMA_ARRAY:
      put_u8 (out, value->type);
      if (value->type == TG_AMF0_ECMA_ARRAY)
        put_u32 (out, value->values->len);
      for (guint i = 0; i < value->values->len; i++)
        {
          const char *name = value->names->pdata[i];

          put_short_string (out, name, strlen (name));
          tg_amf0_encode (out, value->values->pdata[i]);
        }
      put_u16 (out, 0);
      put_u8 (out, TG_AMF0_OBJECT_END);
      break;
    case TG_AMF0_STRICT_ARRAY:
      put_u8 (out, TG_AMF0_STRICT_ARRAY);
      put_u32 (out, value->values->len);
      for (guint i = 0; i < value->values->len; i++)
        tg_amf0_encode (out, value->values->pdata[i]);
      break;
    case TG_AMF0_DATE:
      put_u8 (out, TG_AMF0_DATE);
      put_double (out, value->number);
      put_u16 (out, (guint16) value->timezone);
      break;
    case TG_AMF0_OBJECT_END:
      g_return_if_reached ();
    }
}

void
tg_amf0_write_number (GByteArray *out, double number)
{
  put_u8 (out, TG_AMF0_NUMBER);
  put_double (out, number);
}

void
tg_amf0_write_string (GByteArray *out, const char *string)
{
  put_string (out, string, strlen (string));
}

void
tg_amf0_write_null (GByteArray *out)
{
  put_u8 (out, TG_AMF0_NULL);
}

/* --- decoding --- */

typedef struct
{
  const guint8 *data;
  gsize size;
  gsize pos;
} Reader;

static gboolean
need (Reader *r, gsize count, const char *what, GError **error)
{
  if (r->size - r->pos >= count)
    return TRUE;
  g_set_error (error, TG_ERROR, TG_ERROR_INVALID,
               "AMF0: truncated %s at byte %" G_GSIZE_FORMAT, what, r->pos);
  return FALSE;
}

static guint32
get_be (Reader *r, guint count)
{
  guint32 number = 0;

  for (guint i = 0; i < count; i++)
    number = (number << 8) | r->data[r->pos++];
  return number;
}

static gboolean
get_double (Reader *r, double *number, GError **error)
{
  guint64 bits;

  if (!need (r, 8, "number", error))
    return FALSE;
  bits = (guint64) get_be (r, 4) << 32;
  bits |= get_be (r, 4);
  memcpy (number, &bits, sizeof bits);
  return TRUE;
}

/* A string body of a 16- or 32-bit length: a fresh NUL-terminated copy. */
static char *
get_string (Reader *r, guint length_size, gsize *length, GError **error)
{
  const char *what = length_size == 2 ? "string" : "long string";
  char *string;

  if (!need (r, length_size, what, error))
    return NULL;
  *length = get_be (r, length_size);
  if (!need (r, *length, what, error))
    return NULL;
  string = g_malloc (*length + 1);
  memcpy (string, r->data + r->pos, *length);
  string[*length] = '\0';
  r->pos += *length;
  return string;
}

static TgAmf0Value *read_value (Reader *r, guint depth, GError **error);

/* Properties up to and including the object end marker. */
static gboolean
read_properties (Reader *r, TgAmf0Value *object, guint depth, GError **error)
{
  for (;;)
    {
      g_autofree char *name = NULL;
      TgAmf0Value *value;
      gsize length;

      if (r->size - r->pos >= 3 && r->data[r->pos] == 0
          && r->data[r->pos + 1] == 0
          && r->data[r->pos + 2] == TG_AMF0_OBJECT_END)
        {
          r->pos += 3;
          return TRUE;
        }
      name = get_string (r, 2, &length, error);
      if (name == NULL)
        return FALSE;
      if (strlen (name) != length)
        {
          g_set_error (
              error, TG_ERROR, TG_ERROR_INVALID,
              "AMF0: property name with a NUL at byte %" G_GSIZE_FORMAT,
              r->pos);
          return FALSE;
        }
      value = read_value (r, depth, error);
      if (value == NULL)
        return FALSE;
      g_ptr_array_add (object->names, g_steal_pointer (&name));
      g_ptr_array_add (object->values, value);
    }
}

static TgAmf0Value *
read_container (Reader *r, TgAmf0Type type, guint depth, GError **error)
{
  g_autoptr (TgAmf0Value) value = NULL;

  if (depth >= TG_AMF0_MAX_DEPTH)
    {
      g_set_error (error, TG_ERROR, TG_ERROR_INVALID,
                   "AMF0: objects nested deeper than %d", TG_AMF0_MAX_DEPTH);
      return NULL;
    }
  value = container_new (type);
  if (type == TG_AMF0_STRICT_ARRAY)
    {
      guint32 count;

      if (!need (r, 4, "array", error))
        return NULL;
      count = get_be (r, 4);
      /* Each element takes a byte at least. */
      if (!need (r, count, "array", error))
        return NULL;
      for (guint32 i = 0; i < count; i++)
        {
          TgAmf0Value *element = read_value (r, depth + 1, error);

          if (element == NULL)
            return NULL;
          g_ptr_array_add (value->values, element);
        }
      return g_steal_pointer (&value);
    }
  /* The count of an ECMA array is a hint: its end marker ends it. */
  if (type == TG_AMF0_ECMA_ARRAY)
    {
      if (!need (r, 4, "ECMA array", error))
        return NULL;
      r->pos += 4;
    }
  if (!read_properties (r, value, depth + 1, error))
    return NULL;
  return g_steal_pointer (&value);
}

static TgAmf0Value *
read_value (Reader *r, guint depth, GError **error)
{
  g_autoptr (TgAmf0Value) value = NULL;
  guint8 marker;

  if (!need (r, 1, "value", error))
    return NULL;
  marker = r->data[r->pos++];
  switch (marker)
    {
    case TG_AMF0_NUMBER:
      value = value_new (TG_AMF0_NUMBER);
      if (!get_double (r, &value->number, error))
        return NULL;
      break;
    case TG_AMF0_BOOLEAN:
      if (!need (r, 1, "boolean", error))
        return NULL;
      value = tg_amf0_boolean_new (r->data[r->pos++] != 0);
      break;
    case TG_AMF0_STRING:
    case TG_AMF0_LONG_STRING:
      value = value_new (marker);
      value->string = get_string (r, marker == TG_AMF0_STRING ? 2 : 4,
                                  &value->length, error);
      if (value->string == NULL)
        return NULL;
      break;
    case TG_AMF0_NULL:
    case TG_AMF0_UNDEFINED:
      value = value_new (marker);
      break;
    case TG_AMF0_OBJECT:
    case TG_AMF0_ECMA_ARRAY:
    case TG_AMF0_STRICT_ARRAY:
      return read_container (r, marker, depth, error);
    case TG_AMF0_DATE:
      value = value_new (TG_AMF0_DATE);
      if (!get_double (r, &value->number, error) || !need (r, 2, "date", error))
        return NULL;
      value->timezone = (gint16) get_be (r, 2);
      break;
    default:
      g_set_error (error, TG_ERROR, TG_ERROR_INVALID,
                   "AMF0: unsupported type 0x%02x at byte %" G_GSIZE_FORMAT,
                   marker, r->pos - 1);
      return NULL;
    }
  return g_steal_pointer (&value);
}

TgAmf0Value *
tg_amf0_decode (const guint8 *data, gsize size, gsize *consumed, GError **error)
{
  Reader r = { data, size, 0 };
  TgAmf0Value *value;

  g_return_val_if_fail (data != NULL || size == 0, NULL);
  value = read_value (&r, 0, error);
  if (value && consumed)
    *consumed = r.pos;
  return value;
}

GPtrArray *
tg_amf0_decode_all (const guint8 *data, gsize size, GError **error)
{
  g_autoptr (GPtrArray) values
      = g_ptr_array_new_with_free_func ((GDestroyNotify) tg_amf0_value_free);
  Reader r = { data, size, 0 };

  g_return_val_if_fail (data != NULL || size == 0, NULL);
  while (r.pos < r.size)
    {
      TgAmf0Value *value = read_value (&r, 0, error);

      if (value == NULL)
        return NULL;
      g_ptr_array_add (values, value);
    }
  return g_steal_pointer (&values);
}
