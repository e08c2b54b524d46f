/* AMF0, the encoding of RTMP commands and data messages: a tree of values,
 * an encoder and a bounded decoder for untrusted input.
 *
 * The decoder checks every length against the bytes left, refuses nesting
 * deeper than TG_AMF0_MAX_DEPTH objects or arrays, refuses the types RTMP
 * publishers never send (references, typed objects, XML, AMF3 switch), and
 * never allocates more than the input can justify. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  TG_AMF0_NUMBER = 0x00,
  TG_AMF0_BOOLEAN = 0x01,
  TG_AMF0_STRING = 0x02,
  TG_AMF0_OBJECT = 0x03,
  TG_AMF0_NULL = 0x05,
  TG_AMF0_UNDEFINED = 0x06,
  TG_AMF0_ECMA_ARRAY = 0x08,
  TG_AMF0_OBJECT_END = 0x09, /* ends an object or ECMA array; never a value */
  TG_AMF0_STRICT_ARRAY = 0x0a,
  TG_AMF0_DATE = 0x0b,
  TG_AMF0_LONG_STRING = 0x0c,
} TgAmf0Type;

/* Deepest nesting of objects and arrays the decoder accepts. */
#define TG_AMF0_MAX_DEPTH 16

typedef struct _TgAmf0Value TgAmf0Value;
struct _TgAmf0Value
{
  TgAmf0Type type;
  double number;     /* NUMBER; DATE: milliseconds since the epoch */
  gboolean boolean;  /* BOOLEAN */
  gint16 timezone;   /* DATE: minutes (always 0 in practice) */
  char *string;      /* STRING, LONG_STRING: a NUL-terminated copy */
  gsize length;      /* STRING, LONG_STRING: bytes, without the NUL */
  GPtrArray *names;  /* OBJECT, ECMA_ARRAY: property names (char *) */
  GPtrArray *values; /* OBJECT, ECMA_ARRAY (parallel to names) and
                        STRICT_ARRAY: TgAmf0Value */
};

TgAmf0Value *tg_amf0_number_new (double number);
TgAmf0Value *tg_amf0_boolean_new (gboolean boolean);
/* A STRING, or a LONG_STRING when longer than 65535 bytes. */
TgAmf0Value *tg_amf0_string_new (const char *string);
TgAmf0Value *tg_amf0_null_new (void);
TgAmf0Value *tg_amf0_undefined_new (void);
TgAmf0Value *tg_amf0_object_new (void);
TgAmf0Value *tg_amf0_ecma_array_new (void);
TgAmf0Value *tg_amf0_strict_array_new (void);
TgAmf0Value *tg_amf0_date_new (double milliseconds, gint16 minutes);
void tg_amf0_value_free (TgAmf0Value *value);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (TgAmf0Value, tg_amf0_value_free)

/* Appends a property (name at most 65535 bytes) to an OBJECT or ECMA_ARRAY;
 * takes value. */
void tg_amf0_object_set (TgAmf0Value *object, const char *name,
                         TgAmf0Value *value);
/* Appends an element to a STRICT_ARRAY; takes value. */
void tg_amf0_array_append (TgAmf0Value *array, TgAmf0Value *value);

/* The first property called name of an OBJECT or ECMA_ARRAY; NULL when
 * absent or when object is NULL or not one of those. */
const TgAmf0Value *tg_amf0_object_get (const TgAmf0Value *object,
                                       const char *name);
/* The text of a STRING or LONG_STRING; NULL for any other value, NULL, or a
 * string holding a NUL. */
const char *tg_amf0_value_get_string (const TgAmf0Value *value);
/* Shorthand: tg_amf0_value_get_string (tg_amf0_object_get (object, name)) */
const char *tg_amf0_object_get_string (const TgAmf0Value *object,
                                       const char *name);

/* Appends the encoding of value to out. */
void tg_amf0_encode (GByteArray *out, const TgAmf0Value *value);
void tg_amf0_write_number (GByteArray *out, double number);
void tg_amf0_write_string (GByteArray *out, const char *string);
void tg_amf0_write_null (GByteArray *out);

/* Decodes the one value at the start of data; *consumed (may be NULL) gets
 * its encoded size. NULL with a TG_ERROR_INVALID error on bad input. */
TgAmf0Value *tg_amf0_decode (const guint8 *data, gsize size, gsize *consumed,
                             GError **error);
/* Decodes values until data ends: a GPtrArray of TgAmf0Value (which frees
 * them), or NULL with a TG_ERROR_INVALID error. */
GPtrArray *tg_amf0_decode_all (const guint8 *data, gsize size, GError **error);

G_END_DECLS
