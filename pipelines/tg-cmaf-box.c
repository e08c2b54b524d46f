#include "tg-cmaf-box.h"

#include <string.h>

#define TFHD_DURATION 0x000008u
#define TFHD_FLAGS 0x000020u
#define TFHD_BASE_OFFSET 0x000001u
#define TFHD_DESCRIPTION 0x000002u
#define TFHD_SIZE 0x000010u
#define TRUN_DATA_OFFSET 0x000001u
#define TRUN_FIRST_FLAGS 0x000004u
#define TRUN_DURATION 0x000100u
#define TRUN_SIZE 0x000200u
#define TRUN_FLAGS 0x000400u
#define TRUN_CTO 0x000800u
#define NON_SYNC 0x00010000u

guint32
tg_box_u32 (const guint8 *p)
{
  return (guint32) p[0] << 24 | (guint32) p[1] << 16 | (guint32) p[2] << 8
         | p[3];
}

guint64
tg_box_u64 (const guint8 *p)
{
  return (guint64) tg_box_u32 (p) << 32 | tg_box_u32 (p + 4);
}

gssize
tg_box_size (const guint8 *data, gsize length, guint32 *type)
{
  guint64 size;

  if (length < 8)
    return 0;
  size = tg_box_u32 (data);
  *type = tg_box_u32 (data + 4);
  if (size == 1)
    {
      if (length < 16)
        return 0;
      size = tg_box_u64 (data + 8);
      if (size < 16)
        return -1;
    }
  else if (size < 8)
    return -1; /* 0 (to the end) is not written by mp4mux when streaming */
  return size > G_MAXSSIZE ? -1 : (gssize) size;
}

/* The payload of the first child of type in [data, data + length): its
 * start and length, or NULL. */
static const guint8 *
child (const guint8 *data, gsize length, guint32 type, gsize *out_length)
{
  while (length >= 8)
    {
      guint32 found = 0;
      gssize size = tg_box_size (data, length, &found);
      gsize header = tg_box_u32 (data) == 1 ? 16 : 8;

      if (size <= 0 || (gsize) size > length)
        return NULL;
      if (found == type)
        {
          *out_length = size - header;
          return data + header;
        }
      data += size;
      length -= size;
    }
  return NULL;
}

/* The payload at the end of a path of types (0-terminated). */
static const guint8 *
find (const guint8 *data, gsize length, const guint32 *path, gsize *out)
{
  for (; *path && data; path++)
    data = child (data, length, *path, &length);
  *out = length;
  return data;
}

gboolean
tg_box_read_moov (const guint8 *moov, gsize length, TgBoxTrack *out)
{
  static const guint32 mdhd_path[]
      = { TG_BOX ('m', 'o', 'o', 'v'), TG_BOX ('t', 'r', 'a', 'k'),
          TG_BOX ('m', 'd', 'i', 'a'), TG_BOX ('m', 'd', 'h', 'd'), 0 };
  static const guint32 trex_path[]
      = { TG_BOX ('m', 'o', 'o', 'v'), TG_BOX ('m', 'v', 'e', 'x'),
          TG_BOX ('t', 'r', 'e', 'x'), 0 };
  gsize n = 0;
  const guint8 *mdhd = find (moov, length, mdhd_path, &n);
  const guint8 *trex;

  memset (out, 0, sizeof *out);
  if (mdhd == NULL || n < 4)
    return FALSE;
  /* version 1: 64-bit creation and modification times */
  if (mdhd[0] == 1 ? n < 24 : n < 16)
    return FALSE;
  out->timescale = tg_box_u32 (mdhd + (mdhd[0] == 1 ? 20 : 12));
  trex = find (moov, length, trex_path, &n);
  if (trex && n >= 24)
    {
      out->default_duration = tg_box_u32 (trex + 12);
      out->default_flags = tg_box_u32 (trex + 20);
    }
  return out->timescale > 0;
}

/* Reads a trun's samples: their count, duration and the first one's
 * flags. */
static gboolean
read_trun (const guint8 *p, gsize n, guint32 default_duration,
           guint32 default_flags, TgBoxFragment *out)
{
  guint32 flags, count, per_sample = 0;
  const guint8 *end = p + n;

  if (n < 8)
    return FALSE;
  flags = tg_box_u32 (p) & 0xffffff;
  count = tg_box_u32 (p + 4);
  p += 8;
  if (flags & TRUN_DATA_OFFSET)
    p += 4;
  if (flags & TRUN_FIRST_FLAGS)
    {
      if (p + 4 > end)
        return FALSE;
      default_flags = tg_box_u32 (p);
      p += 4;
    }
  for (guint32 bit = TRUN_DURATION; bit <= TRUN_CTO; bit <<= 1)
    per_sample += flags & bit ? 4 : 0;
  if (p > end || (gsize) (end - p) / MAX (per_sample, 1) < count)
    return FALSE;
  for (guint32 i = 0; i < count; i++, p += per_sample)
    {
      out->duration
          += flags & TRUN_DURATION ? tg_box_u32 (p) : default_duration;
      if (i == 0 && out->samples == 0)
        {
          guint32 first = default_flags;

          if ((flags & TRUN_FLAGS) && !(flags & TRUN_FIRST_FLAGS))
            first = tg_box_u32 (p + (flags & TRUN_DURATION ? 4 : 0)
                                + (flags & TRUN_SIZE ? 4 : 0));
          out->independent = !(first & NON_SYNC);
        }
    }
  out->samples += count;
  return TRUE;
}

gboolean
tg_box_read_moof (const guint8 *moof, gsize length, const TgBoxTrack *track,
                  TgBoxFragment *out)
{
  static const guint32 traf_path[]
      = { TG_BOX ('m', 'o', 'o', 'f'), TG_BOX ('t', 'r', 'a', 'f'), 0 };
  gsize n = 0, m = 0;
  const guint8 *traf = find (moof, length, traf_path, &n);
  const guint8 *tfhd, *tfdt, *p;
  guint32 flags, duration = track->default_duration;
  guint32 sample_flags = track->default_flags;

  memset (out, 0, sizeof *out);
  if (traf == NULL)
    return FALSE;
  tfhd = child (traf, n, TG_BOX ('t', 'f', 'h', 'd'), &m);
  if (tfhd == NULL || m < 8)
    return FALSE;
  flags = tg_box_u32 (tfhd) & 0xffffff;
  p = tfhd + 8;
  p += flags & TFHD_BASE_OFFSET ? 8 : 0;
  p += flags & TFHD_DESCRIPTION ? 4 : 0;
  if (flags & TFHD_DURATION)
    {
      if (p + 4 > tfhd + m)
        return FALSE;
      duration = tg_box_u32 (p);
      p += 4;
    }
  p += flags & TFHD_SIZE ? 4 : 0;
  if (flags & TFHD_FLAGS)
    {
      if (p + 4 > tfhd + m)
        return FALSE;
      sample_flags = tg_box_u32 (p);
    }
  tfdt = child (traf, n, TG_BOX ('t', 'f', 'd', 't'), &m);
  if (tfdt == NULL || m < (tfdt[0] == 1 ? 12u : 8u))
    return FALSE;
  out->decode_time
      = tfdt[0] == 1 ? tg_box_u64 (tfdt + 4) : tg_box_u32 (tfdt + 4);
  /* every trun of the traf, in order */
  for (p = traf; p + 8 <= traf + n;)
    {
      guint32 type = 0;
      gssize size = tg_box_size (p, traf + n - p, &type);

      if (size < 8 || size > traf + n - p)
        return FALSE;
      if (type == TG_BOX ('t', 'r', 'u', 'n')
          && !read_trun (p + 8, size - 8, duration, sample_flags, out))
        return FALSE;
      p += size;
    }
  return out->samples > 0;
}

void
tg_box_put_u32 (guint8 *p, guint32 v)
{
  p[0] = v >> 24;
  p[1] = v >> 16;
  p[2] = v >> 8;
  p[3] = v;
}

gboolean
tg_box_shift_moof (guint8 *moof, gsize length, guint64 shift)
{
  static const guint32 path[]
      = { TG_BOX ('m', 'o', 'o', 'f'), TG_BOX ('t', 'r', 'a', 'f'),
          TG_BOX ('t', 'f', 'd', 't'), 0 };
  gsize n = 0;
  guint8 *tfdt = (guint8 *) find (moof, length, path, &n);
  guint64 time;

  if (tfdt == NULL || n < (tfdt[0] == 1 ? 12u : 8u))
    return FALSE;
  if (tfdt[0] == 1)
    {
      time = tg_box_u64 (tfdt + 4) + shift;
      tg_box_put_u32 (tfdt + 4, time >> 32);
      tg_box_put_u32 (tfdt + 8, (guint32) time);
      return TRUE;
    }
  time = tg_box_u32 (tfdt + 4) + shift;
  if (time > G_MAXUINT32)
    return FALSE;
  tg_box_put_u32 (tfdt + 4, (guint32) time);
  return TRUE;
}
