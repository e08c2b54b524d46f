#define _GNU_SOURCE
#include "tg-mp4-compact.h"

#include "tg-cmaf-box.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Top-level boxes read before mdat, at most. */
#define MAX_BOXES 64
/* The largest index read into memory. */
#define MAX_MOOV (64 * 1024 * 1024)

typedef struct
{
  char type[5];
  guint64 offset, size;
  guint header; /* 8, or 16 with a 64-bit size */
  guint64 cut;  /* bytes cut out of it (a free box) */
} Box;

static gboolean
fail (GError **error, const char *path, const char *why)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: %s", path, why);
  return FALSE;
}

static void
put64 (guint8 *p, guint64 v)
{
  tg_box_put_u32 (p, v >> 32);
  tg_box_put_u32 (p + 4, (guint32) v);
}

/* The top-level boxes up to and with mdat (the last one read). */
static guint
read_boxes (int fd, guint64 file_size, Box *boxes)
{
  guint64 at = 0;
  guint n = 0;

  while (n < MAX_BOXES && at + 8 <= file_size)
    {
      guint8 head[16];
      Box *box = &boxes[n++];

      if (pread (fd, head, sizeof head, (off_t) at) < 8)
        return 0;
      memcpy (box->type, head + 4, 4);
      box->type[4] = '\0';
      box->offset = at;
      box->size = tg_box_u32 (head);
      box->header = 8;
      if (box->size == 1)
        {
          box->size = tg_box_u64 (head + 8);
          box->header = 16;
        }
      else if (box->size == 0)
        box->size = file_size - at;
      if (box->size < box->header || box->size > file_size - at)
        return 0;
      if (g_str_equal (box->type, "mdat"))
        return n;
      at += box->size;
    }
  return 0;
}

/* Lowers every chunk offset of the index (stco, co64) by cut; FALSE if
 * the index cannot be read. */
static gboolean
patch_offsets (guint8 *data, gsize size, guint64 cut)
{
  gsize at = 0;

  while (at + 8 <= size)
    {
      guint64 box = tg_box_u32 (data + at);
      const guint8 *type = data + at + 4;
      guint8 *body = data + at + 8;

      if (box < 8 || box > size - at)
        return FALSE;
      if (memcmp (type, "trak", 4) == 0 || memcmp (type, "mdia", 4) == 0
          || memcmp (type, "minf", 4) == 0 || memcmp (type, "stbl", 4) == 0)
        {
          if (!patch_offsets (body, box - 8, cut))
            return FALSE;
        }
      else if (memcmp (type, "stco", 4) == 0 || memcmp (type, "co64", 4) == 0)
        {
          guint width = type[1] == 't' ? 4 : 8;
          guint32 count = box >= 16 ? tg_box_u32 (body + 4) : 0;

          if (box < 16 || count > (box - 16) / width)
            return FALSE;
          for (guint32 i = 0; i < count; i++)
            {
              guint8 *p = body + 8 + (gsize) i * width;
              guint64 v = width == 4 ? tg_box_u32 (p) : tg_box_u64 (p);

              if (v < cut)
                return FALSE;
              if (width == 4)
                tg_box_put_u32 (p, (guint32) (v - cut));
              else
                put64 (p, v - cut);
            }
        }
      at += box;
    }
  return at == size;
}

gboolean
tg_mp4_compact (const char *path, guint64 *saved, GError **error)
{
  Box boxes[MAX_BOXES] = { 0 };
  int fd = open (path, O_RDWR | O_CLOEXEC);
  struct stat st;
  guint n, moov = G_MAXUINT;
  guint64 block, total = 0, shift = 0;
  g_autofree guint8 *index = NULL;
  gboolean ok = FALSE;

  *saved = 0;
  if (fd < 0)
    return fail (error, path, g_strerror (errno));
  if (fstat (fd, &st) != 0 || (n = read_boxes (fd, st.st_size, boxes)) == 0)
    {
      close (fd);
      return fail (error, path, "not an MP4 with an mdat");
    }
  block = st.st_blksize > 0 ? (guint64) st.st_blksize : 4096;
  for (guint i = 0; i < n; i++)
    {
      Box *box = &boxes[i];

      if (g_str_equal (box->type, "moov") && moov == G_MAXUINT)
        moov = i;
      if ((g_str_equal (box->type, "free") || g_str_equal (box->type, "skip"))
          && box->header == 8)
        {
          guint64 start = (box->offset + 8 + block - 1) / block * block;
          guint64 end = (box->offset + box->size) / block * block;

          box->cut = end > start ? end - start : 0;
          total += box->cut;
        }
    }
  if (moov == G_MAXUINT || boxes[moov].size > MAX_MOOV)
    {
      close (fd);
      return fail (error, path, "no index before the media");
    }
  if (total == 0)
    {
      close (fd);
      return TRUE;
    }
  index = g_malloc (boxes[moov].size);
  if (pread (fd, index, boxes[moov].size, (off_t) boxes[moov].offset)
          != (gssize) boxes[moov].size
      || !patch_offsets (index + boxes[moov].header,
                         boxes[moov].size - boxes[moov].header, total))
    {
      close (fd);
      return fail (error, path, "an index it cannot read");
    }
  /* Cut from the last free box back, so that the ones before keep their
   * places; then rewrite them where they now are. */
  for (guint i = n; i-- > 0;)
    if (boxes[i].cut
        && fallocate (
               fd, FALLOC_FL_COLLAPSE_RANGE,
               (off_t) ((boxes[i].offset + 8 + block - 1) / block * block),
               (off_t) boxes[i].cut)
               != 0)
      {
        int saved_errno = errno;

        close (fd);
        /* the first cut fails where the file system cannot: nothing is
         * cut then */
        return fail (error, path,
                     saved_errno == EOPNOTSUPP
                         ? "the file system cannot cut ranges out of a file"
                         : g_strerror (saved_errno));
      }
  ok = TRUE;
  for (guint i = 0; i < n && ok; i++)
    {
      guint64 at = boxes[i].offset - shift;

      if (boxes[i].cut)
        {
          guint8 head[4];

          tg_box_put_u32 (head, (guint32) (boxes[i].size - boxes[i].cut));
          ok = pwrite (fd, head, 4, (off_t) at) == 4;
        }
      else if (i == moov)
        ok = pwrite (fd, index, boxes[i].size, (off_t) at)
             == (gssize) boxes[i].size;
      shift += boxes[i].cut;
    }
  ok = ok && fsync (fd) == 0;
  close (fd);
  if (!ok)
    return fail (error, path, g_strerror (errno));
  *saved = total;
  return TRUE;
}
