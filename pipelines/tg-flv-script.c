#include "tg-flv-script.h"

#include <string.h>

#define META "FLV onMetaData: "
#define MAX_DEPTH 16

/* AMF0 markers that flvdemux reads. */
enum
{
  NUMBER = 0,
  BOOLEAN = 1,
  STRING = 2,
  OBJECT = 3,
  END = 9,
  ECMA_ARRAY = 8,
  STRICT_ARRAY = 10,
  DATE = 11,
};

typedef struct
{
  const guint8 *data;
  gsize size;
  const char *refused;
} Reader;

static gboolean
take (Reader *r, gsize n, const guint8 **bytes)
{
  if (r->size < n)
    return FALSE;
  *bytes = r->data;
  r->data += n, r->size -= n;
  return TRUE;
}

static gboolean
read_u8 (Reader *r, guint8 *value)
{
  const guint8 *b;

  if (!take (r, 1, &b))
    return FALSE;
  *value = b[0];
  return TRUE;
}

static gboolean
read_u32 (Reader *r, guint32 *value)
{
  const guint8 *b;

  if (!take (r, 4, &b))
    return FALSE;
  *value = (guint32) b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3];
  return TRUE;
}

static gboolean
read_double (Reader *r, double *value)
{
  const guint8 *b;
  guint64 bits = 0;

  if (!take (r, 8, &b))
    return FALSE;
  for (guint i = 0; i < 8; i++)
    bits = bits << 8 | b[i];
  memcpy (value, &bits, sizeof *value);
  return TRUE;
}

/* A string as flvdemux takes it: FALSE where it gives up (too short, or
 * not UTF-8 with no NUL inside). One that starts with a NUL is the empty
 * string to it. *text is not NUL-terminated. */
static gboolean
read_string (Reader *r, const guint8 **text, gsize *length)
{
  const guint8 *b;

  if (!take (r, 2, &b))
    return FALSE;
  *length = (gsize) b[0] << 8 | b[1];
  if (!take (r, *length, text))
    return FALSE;
  if (*length == 0 || (*text)[0] == 0)
    {
      *length = 0;
      return TRUE;
    }
  return g_utf8_validate ((const char *) *text, (gssize) *length, NULL);
}

static gboolean
named (const guint8 *name, gsize length, const char *what)
{
  return length == strlen (what) && memcmp (name, what, length) == 0;
}

/* The numbers flvdemux converts or puts in caps. */
static const char *
check_number (const guint8 *name, gsize length, double d)
{
  if (named (name, length, "framerate"))
    return d == 0 || (d >= 0.01 && d <= 1000) ? NULL
                                              : META
               "a framerate that is neither 0 nor within 0.01-1000";
  if (named (name, length, "AspectRatioX")
      || named (name, length, "AspectRatioY"))
    return d >= 1 && d < 65536 ? NULL
                               : META
               "an aspect ratio that is not within 1-65535";
  if (named (name, length, "width") || named (name, length, "height"))
    return d >= 0 && d <= 8192 ? NULL
                               : META "a width or height not within 0-8192";
  if (named (name, length, "duration"))
    return d >= 0 && d <= 1e9 ? NULL : META "a duration not within 0-10^9 s";
  if (named (name, length, "audiodatarate")
      || named (name, length, "videodatarate"))
    return d >= 0 && d <= 1e6 ? NULL
                              : META "a data rate not within 0-10^6 kbit/s";
  return NULL;
}

static gboolean read_item (Reader *r, guint depth, gboolean *end);

/* Items until an end marker. */
static gboolean
read_items (Reader *r, guint depth)
{
  gboolean end = FALSE;

  if (depth > MAX_DEPTH)
    {
      r->refused = META "objects nested deeper than 16";
      return FALSE;
    }
  while (!end)
    if (!read_item (r, depth, &end))
      return FALSE;
  return TRUE;
}

/* A strict array: flvdemux reads only numbers of it, and one byte of any
 * other element. */
static gboolean
read_strict_array (Reader *r)
{
  guint32 n;
  double d;

  if (!read_u32 (r, &n))
    return FALSE;
  for (; n > 0; n--)
    {
      guint8 type;

      if (!read_u8 (r, &type))
        return FALSE;
      if (type == NUMBER && !read_double (r, &d))
        return FALSE;
    }
  return TRUE;
}

/* One name and value. FALSE where flvdemux stops reading, or once a value
 * is refused. */
static gboolean
read_item (Reader *r, guint depth, gboolean *end)
{
  const guint8 *name, *text;
  gsize length, text_length;
  guint8 type, flag;
  guint32 count; /* an ECMA array's: only a hint, as flvdemux takes it */
  double d;

  if (!read_string (r, &name, &length) || !read_u8 (r, &type))
    return FALSE;
  switch (type)
    {
    case NUMBER:
      if (!read_double (r, &d))
        return FALSE;
      r->refused = check_number (name, length, d);
      return r->refused == NULL;
    case BOOLEAN:
      return read_u8 (r, &flag);
    case STRING:
      return read_string (r, &text, &text_length);
    case ECMA_ARRAY:
      if (!read_u32 (r, &count))
        return FALSE;
      return read_items (r, depth + 1);
    case OBJECT:
      return read_items (r, depth + 1);
    case END:
      *end = length == 0;
      return TRUE;
    case STRICT_ARRAY:
      return read_strict_array (r);
    case DATE:
      return take (r, 10, &text);
    default:
      return TRUE; /* flvdemux reads on from the next byte */
    }
}

const char *
tg_flv_script_check (const guint8 *body, gsize size)
{
  Reader r = { body, size, NULL };
  const guint8 *name;
  gsize length;
  guint32 count;
  guint8 type;

  if (!read_u8 (&r, &type) || type != STRING
      || !read_string (&r, &name, &length)
      || !named (name, length, "onMetaData") || !read_u8 (&r, &type))
    return NULL;
  if (type == ECMA_ARRAY && !read_u32 (&r, &count))
    return NULL;
  if (type == ECMA_ARRAY || type == OBJECT)
    read_items (&r, 1);
  return r.refused;
}
