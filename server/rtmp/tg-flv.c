#include "tg-flv.h"

#include <string.h>

static void
put_be (guint8 *p, guint32 number, guint count)
{
  for (guint i = 0; i < count; i++)
    p[i] = (number >> (8 * (count - 1 - i))) & 0xff;
}

GBytes *
tg_flv_header (gboolean audio, gboolean video)
{
  guint8 header[13] = { 'F', 'L', 'V', 1 };

  header[4] = (audio ? 0x04 : 0) | (video ? 0x01 : 0);
  put_be (header + 5, 9, 4);
  /* header[9..12]: PreviousTagSize0, always 0. */
  return g_bytes_new (header, sizeof header);
}

GBytes *
tg_flv_tag (guint8 type, guint32 timestamp, const guint8 *data, gsize size)
{
  guint8 *tag;

  g_return_val_if_fail (size < 0x1000000, NULL);
  g_return_val_if_fail (data != NULL || size == 0, NULL);

  tag = g_malloc (11 + size + 4);
  tag[0] = type;
  put_be (tag + 1, size, 3);
  /* The low 24 bits, then the high 8 (TimestampExtended). */
  put_be (tag + 4, timestamp & 0xffffff, 3);
  tag[7] = timestamp >> 24;
  put_be (tag + 8, 0, 3); /* StreamID, always 0 */
  if (size > 0)
    memcpy (tag + 11, data, size);
  put_be (tag + 11 + size, 11 + size, 4);
  return g_bytes_new_take (tag, 11 + size + 4);
}
