/* A recording's index reserve cut out in place (tg-mp4-compact.h), on a
 * hand-made MP4 laid out as mp4mux's reserved mode lays it out: ftyp,
 * free, moov (its chunk offsets in stco and co64), free, mdat. The chunks
 * the index points at must be the same bytes after. Needs a file system
 * that can cut ranges out of a file (ext4, XFS), as the recordings' does. */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#include "tg-mp4-compact.h"

static void
put32 (GByteArray *out, guint32 v)
{
  guint8 b[4] = { v >> 24, v >> 16, v >> 8, v };

  g_byte_array_append (out, b, 4);
}

/* A box around body. */
static GByteArray *
box (const char *type, const guint8 *body, gsize size)
{
  GByteArray *out = g_byte_array_new ();

  put32 (out, (guint32) (8 + size));
  g_byte_array_append (out, (const guint8 *) type, 4);
  g_byte_array_append (out, body, size);
  return out;
}

static GByteArray *
wrap (const char *type, GByteArray *inner)
{
  GByteArray *out = box (type, inner->data, inner->len);

  g_byte_array_unref (inner);
  return out;
}

/* ftyp, free (free1 bytes), moov with stco (4-byte) and co64 (8-byte)
 * offsets of the two payload chunks, free (free2), mdat. */
static GBytes *
make (gsize free1, gsize free2, gboolean moov_last)
{
  const char payload[] = "ABCDEFGH";
  GByteArray *ftyp = box ("ftyp", (const guint8 *) "isom\0\0\0\0", 8);
  g_autofree guint8 *pad1 = g_malloc0 (free1 - 8);
  g_autofree guint8 *pad2 = g_malloc0 (free2 - 8);
  GByteArray *f1 = box ("free", pad1, free1 - 8);
  GByteArray *f2 = box ("free", pad2, free2 - 8);
  gsize moov_size = 8 + 8 * 4 + (16 + 4) + (16 + 8);
  gsize mdat_at = moov_last ? ftyp->len + f1->len + f2->len
                            : ftyp->len + f1->len + moov_size + f2->len;
  GByteArray *mdat = box ("mdat", (const guint8 *) payload, 8);
  GByteArray *stco = g_byte_array_new (), *co64 = g_byte_array_new ();
  GByteArray *stbl, *file = g_byte_array_new ();

  put32 (stco, 0);
  put32 (stco, 1);
  put32 (stco, (guint32) (mdat_at + 8));
  put32 (co64, 0);
  put32 (co64, 1);
  put32 (co64, 0);
  put32 (co64, (guint32) (mdat_at + 12));
  stbl = wrap ("stco", stco);
  co64 = wrap ("co64", co64);
  g_byte_array_append (stbl, co64->data, co64->len);
  g_byte_array_unref (co64);
  stbl = wrap (
      "moov", wrap ("trak", wrap ("mdia", wrap ("minf", wrap ("stbl", stbl)))));
  g_assert_cmpuint (stbl->len, ==, moov_size);
  g_byte_array_append (file, ftyp->data, ftyp->len);
  g_byte_array_append (file, f1->data, f1->len);
  if (!moov_last)
    g_byte_array_append (file, stbl->data, stbl->len);
  g_byte_array_append (file, f2->data, f2->len);
  g_byte_array_append (file, mdat->data, mdat->len);
  if (moov_last)
    g_byte_array_append (file, stbl->data, stbl->len);
  g_byte_array_unref (ftyp);
  g_byte_array_unref (f1);
  g_byte_array_unref (f2);
  g_byte_array_unref (mdat);
  g_byte_array_unref (stbl);
  return g_byte_array_free_to_bytes (file);
}

static guint32
be32 (const guint8 *p)
{
  return (guint32) p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

/* The file's boxes, whose sizes must add up to it, and the two chunks
 * the index points at. */
static void
check_layout (const guint8 *data, gsize size, char chunks[2][5])
{
  gsize at = 0;

  while (at < size)
    {
      guint32 length = be32 (data + at);

      g_assert_cmpuint (length, >=, 8);
      if (memcmp (data + at + 4, "moov", 4) == 0)
        {
          /* moov trak mdia minf stbl: 5 headers, then stco, co64 */
          const guint8 *stco = data + at + 40, *co64 = stco + 20;

          g_assert_cmpmem (stco + 4, 4, "stco", 4);
          g_assert_cmpmem (co64 + 4, 4, "co64", 4);
          memcpy (chunks[0], data + be32 (stco + 16), 4);
          memcpy (chunks[1], data + be32 (co64 + 20), 4);
        }
      at += length;
    }
  g_assert_cmpuint (at, ==, size);
}

static char *
write_temp (GBytes *bytes)
{
  g_autoptr (GError) error = NULL;
  char *path = NULL;
  int fd = g_file_open_tmp ("tg-compact-XXXXXX.mp4", &path, &error);

  g_assert_no_error (error);
  close (fd);
  g_assert_true (g_file_set_contents (path, g_bytes_get_data (bytes, NULL),
                                      g_bytes_get_size (bytes), NULL));
  return path;
}

static void
test_reserve_cut (void)
{
  g_autoptr (GBytes) original = make (3 * 4096 + 100, 2 * 4096 + 50, FALSE);
  g_autofree char *path = write_temp (original);
  g_autoptr (GError) error = NULL;
  g_autofree char *data = NULL;
  char before[2][5] = { "", "" }, after[2][5] = { "", "" };
  guint64 saved = 0;
  gsize size = 0;

  check_layout (g_bytes_get_data (original, NULL), g_bytes_get_size (original),
                before);
  g_assert_cmpstr (before[0], ==, "ABCD");
  g_assert_cmpstr (before[1], ==, "EFGH");
  g_assert_true (tg_mp4_compact (path, &saved, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &data, &size, NULL));
  /* every whole block inside the two free boxes: 2 + 1 */
  g_assert_cmpuint (saved, ==, 3 * 4096);
  g_assert_cmpuint (size, ==, g_bytes_get_size (original) - saved);
  check_layout ((const guint8 *) data, size, after);
  g_assert_cmpstr (after[0], ==, "ABCD");
  g_assert_cmpstr (after[1], ==, "EFGH");
  /* again: nothing more to cut */
  g_assert_true (tg_mp4_compact (path, &saved, &error));
  g_assert_cmpuint (saved, ==, 0);
  g_unlink (path);
}

static void
refused_unchanged (GBytes *bytes, const char *why)
{
  g_autofree char *path = write_temp (bytes);
  g_autoptr (GError) error = NULL;
  g_autofree char *data = NULL;
  guint64 saved = 1;
  gsize size = 0;

  g_assert_false (tg_mp4_compact (path, &saved, &error));
  g_assert_nonnull (strstr (error->message, why));
  g_assert_cmpuint (saved, ==, 0);
  g_assert_true (g_file_get_contents (path, &data, &size, NULL));
  g_assert_cmpmem (data, size, g_bytes_get_data (bytes, NULL),
                   g_bytes_get_size (bytes));
  g_unlink (path);
}

static void
test_other_files_left_as_they_are (void)
{
  g_autoptr (GBytes) moov_last = make (2 * 4096, 2 * 4096, TRUE);
  g_autoptr (GBytes) text = g_bytes_new_static ("not an mp4 at all", 17);

  refused_unchanged (moov_last, "no index before the media");
  refused_unchanged (text, "not an MP4");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/mp4-compact/reserve-cut", test_reserve_cut);
  g_test_add_func ("/mp4-compact/other-files-left-as-they-are",
                   test_other_files_left_as_they_are);
  return g_test_run ();
}
