/* onMetaData as flvdemux reads it (tg-flv-script.h): the values it does
 * not survive are refused wherever it would read them, and nothing it
 * never reads is. The script tags are built here, AMF0 by hand. */
#include <math.h>
#include <string.h>

#include "tg-flv-script.h"

static void
put_string (GByteArray *out, const char *text, gsize length)
{
  guint8 size[2] = { (guint8) (length >> 8), (guint8) length };

  g_byte_array_append (out, size, 2);
  g_byte_array_append (out, (const guint8 *) text, (guint) length);
}

static void
put_name (GByteArray *out, const char *name)
{
  put_string (out, name, strlen (name));
}

static void
put_number (GByteArray *out, const char *name, double d)
{
  guint64 bits;
  guint8 b[9] = { 0 };

  memcpy (&bits, &d, sizeof bits);
  for (guint i = 0; i < 8; i++)
    b[1 + i] = (guint8) (bits >> (56 - 8 * i));
  put_name (out, name);
  g_byte_array_append (out, b, 9);
}

static void
put_end (GByteArray *out)
{
  g_byte_array_append (out, (const guint8 *) "\0\0\x09", 3);
}

/* "onMetaData", an ECMA array. */
static GByteArray *
start (void)
{
  GByteArray *out = g_byte_array_new ();

  g_byte_array_append (out, (const guint8 *) "\x02", 1);
  put_name (out, "onMetaData");
  g_byte_array_append (out, (const guint8 *) "\x08\0\0\0\x03", 5);
  return out;
}

static const char *
check (GByteArray *body)
{
  return tg_flv_script_check (body->data, body->len);
}

/* onMetaData { name: d } after what encoders send. */
static const char *
with_number (const char *name, double d)
{
  g_autoptr (GByteArray) body = start ();

  put_number (body, "duration", 0);
  put_number (body, "width", 1280);
  put_number (body, "height", 720);
  put_number (body, name, d);
  put_end (body);
  return check (body);
}

static void
test_numbers (void)
{
  const struct
  {
    const char *name;
    double good[3], bad[3];
    const char *refused;
  } cases[] = {
    { "framerate",
      { 0, 29.97, 1000 },
      { 1.7e-308, -30, 1e9 },
      "FLV onMetaData: a framerate that is neither 0 nor within 0.01-1000" },
    { "AspectRatioX",
      { 1, 4, 65535 },
      { 0, 0.5, 65536 },
      "FLV onMetaData: an aspect ratio that is not within 1-65535" },
    { "AspectRatioY",
      { 1, 3, 1.5 },
      { 0, -1, 1e300 },
      "FLV onMetaData: an aspect ratio that is not within 1-65535" },
    { "width",
      { 0, 1920, 8192 },
      { -1, 8193, 1e10 },
      "FLV onMetaData: a width or height not within 0-8192" },
    { "duration",
      { 0, 3600.5, 1e9 },
      { -1, 1e10, INFINITY },
      "FLV onMetaData: a duration not within 0-10^9 s" },
    { "videodatarate",
      { 0, 2500, 1e6 },
      { -1, 1e7, 5e9 },
      "FLV onMetaData: a data rate not within 0-10^6 kbit/s" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    for (guint j = 0; j < 3; j++)
      {
        g_assert_cmpstr (with_number (cases[i].name, cases[i].good[j]), ==,
                         NULL);
        g_assert_cmpstr (with_number (cases[i].name, cases[i].bad[j]), ==,
                         cases[i].refused);
      }
  g_assert_cmpstr (with_number ("framerate", NAN), !=, NULL);
  /* Names flvdemux does not read are not checked. */
  g_assert_cmpstr (with_number ("frameratex", -1), ==, NULL);
  g_assert_cmpstr (with_number ("audiosamplerate", -1), ==, NULL);
}

/* Where flvdemux reads a name, and where it never does. */
static void
test_where_read (void)
{
  g_autoptr (GByteArray) nested = start ();
  g_autoptr (GByteArray) after_broken = start ();
  g_autoptr (GByteArray) not_meta = g_byte_array_new ();
  g_autoptr (GByteArray) after_unknown = start ();

  /* Inside an object inside the array: it sets the framerate too. */
  put_name (nested, "keyframes");
  g_byte_array_append (nested, (const guint8 *) "\x03", 1);
  put_number (nested, "framerate", -5);
  put_end (nested);
  put_end (nested);
  g_assert_cmpstr (check (nested), !=, NULL);

  /* After a name that is not UTF-8 flvdemux stops reading. */
  put_string (after_broken, "\xff\xfe", 2);
  put_number (after_broken, "framerate", -5);
  g_assert_cmpstr (check (after_broken), ==, NULL);

  /* Another function than onMetaData is not read. */
  g_byte_array_append (not_meta, (const guint8 *) "\x02", 1);
  put_name (not_meta, "onCuePoint");
  g_byte_array_append (not_meta, (const guint8 *) "\x03", 1);
  put_number (not_meta, "framerate", -5);
  g_assert_cmpstr (check (not_meta), ==, NULL);

  /* An unknown marker takes one byte: reading goes on after it. */
  put_name (after_unknown, "x");
  g_byte_array_append (after_unknown, (const guint8 *) "\x05", 1);
  put_number (after_unknown, "framerate", 1e9);
  g_assert_cmpstr (check (after_unknown), !=, NULL);

  /* Cut anywhere: never read past the end. */
  for (guint cut = 0; cut < nested->len; cut++)
    tg_flv_script_check (nested->data, cut);
}

/* Objects in objects: 16 deep are read, 17 refused. */
static const char *
nested (guint depth)
{
  g_autoptr (GByteArray) body = g_byte_array_new ();

  g_byte_array_append (body, (const guint8 *) "\x02", 1);
  put_name (body, "onMetaData");
  g_byte_array_append (body, (const guint8 *) "\x03", 1);
  for (guint i = 1; i < depth; i++)
    {
      put_name (body, "o");
      g_byte_array_append (body, (const guint8 *) "\x03", 1);
    }
  for (guint i = 0; i < depth; i++)
    put_end (body);
  return check (body);
}

static void
test_depth (void)
{
  g_assert_cmpstr (nested (16), ==, NULL);
  g_assert_cmpstr (nested (17), ==,
                   "FLV onMetaData: objects nested deeper than 16");
  g_assert_cmpstr (nested (100000), ==,
                   "FLV onMetaData: objects nested deeper than 16");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/flv-script/numbers", test_numbers);
  g_test_add_func ("/flv-script/where-read", test_where_read);
  g_test_add_func ("/flv-script/depth", test_depth);
  return g_test_run ();
}
