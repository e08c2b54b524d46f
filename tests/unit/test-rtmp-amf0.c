/* AMF0: round trips of every type, and the decoder's refusals. */
#include "tg-amf0.h"
#include "tollgate.h"

#include <string.h>

static void
assert_equal (const TgAmf0Value *a, const TgAmf0Value *b)
{
  g_assert_cmpint (a->type, ==, b->type);
  switch (a->type)
    {
    case TG_AMF0_NUMBER:
    case TG_AMF0_DATE:
      g_assert_cmpmem (&a->number, sizeof a->number, &b->number,
                       sizeof b->number);
      g_assert_cmpint (a->timezone, ==, b->timezone);
      break;
    case TG_AMF0_BOOLEAN:
      g_assert_cmpint (a->boolean, ==, b->boolean);
      break;
    case TG_AMF0_STRING:
    case TG_AMF0_LONG_STRING:
      g_assert_cmpmem (a->string, a->length, b->string, b->length);
      break;
    case TG_AMF0_OBJECT:
    case TG_AMF0_ECMA_ARRAY:
    case TG_AMF0_STRICT_ARRAY:
      g_assert_cmpuint (a->values->len, ==, b->values->len);
      for (guint i = 0; i < a->values->len; i++)
        {
          if (a->names)
            g_assert_cmpstr (a->names->pdata[i], ==, b->names->pdata[i]);
          assert_equal (a->values->pdata[i], b->values->pdata[i]);
        }
      break;
    default:
      break;
    }
}

static void
round_trip (const TgAmf0Value *value)
{
  g_autoptr (GByteArray) out = g_byte_array_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (TgAmf0Value) back = NULL;
  gsize used = 0;

  tg_amf0_encode (out, value);
  back = tg_amf0_decode (out->data, out->len, &used, &error);
  g_assert_no_error (error);
  g_assert_nonnull (back);
  g_assert_cmpuint (used, ==, out->len);
  assert_equal (value, back);

  /* Every proper prefix is truncated (some, of long ones). */
  for (gsize i = 0; i < out->len; i += out->len < 4096 ? 1 : 997)
    {
      g_autoptr (GError) prefix_error = NULL;
      g_autoptr (TgAmf0Value) none
          = tg_amf0_decode (out->data, i, NULL, &prefix_error);

      g_assert_null (none);
      g_assert_error (prefix_error, TG_ERROR, TG_ERROR_INVALID);
    }
}

static void
test_round_trips (void)
{
  g_autoptr (TgAmf0Value) object = tg_amf0_object_new ();
  g_autoptr (TgAmf0Value) ecma = tg_amf0_ecma_array_new ();
  g_autoptr (TgAmf0Value) array = tg_amf0_strict_array_new ();
  g_autofree char *big = g_strnfill (70000, 'x');
  TgAmf0Value *scalars[] = {
    tg_amf0_number_new (0),
    tg_amf0_number_new (-1.5e300),
    tg_amf0_number_new (5000000),
    tg_amf0_boolean_new (TRUE),
    tg_amf0_boolean_new (FALSE),
    tg_amf0_string_new (""),
    tg_amf0_string_new ("NetStream.Publish.Start"),
    tg_amf0_string_new (big),
    tg_amf0_null_new (),
    tg_amf0_undefined_new (),
    tg_amf0_date_new (1700000000000.0, -60),
  };
  g_autoptr (TgAmf0Value) long_string = tg_amf0_string_new (big);

  g_assert_cmpint (long_string->type, ==, TG_AMF0_LONG_STRING);
  for (guint i = 0; i < G_N_ELEMENTS (scalars); i++)
    {
      round_trip (scalars[i]);
      tg_amf0_array_append (array, scalars[i]);
    }
  round_trip (array);

  tg_amf0_object_set (object, "app", tg_amf0_string_new ("LiveApp"));
  tg_amf0_object_set (object, "", tg_amf0_number_new (1));
  tg_amf0_object_set (object, "nested", tg_amf0_object_new ());
  tg_amf0_object_set (ecma, "duration", tg_amf0_number_new (3));
  tg_amf0_object_set (ecma, "stereo", tg_amf0_boolean_new (TRUE));
  tg_amf0_object_set (object, "ecma", g_steal_pointer (&ecma));
  round_trip (object);
  g_assert_cmpstr (tg_amf0_object_get_string (object, "app"), ==, "LiveApp");
  g_assert_null (tg_amf0_object_get_string (object, "nested"));
  g_assert_null (tg_amf0_object_get (object, "missing"));
  g_assert_null (tg_amf0_object_get (NULL, "app"));
}

/* Known bytes, as ffmpeg sends them. */
static void
test_encoding (void)
{
  static const guint8 expected[]
      = { 0x02, 0x00, 0x07, 'c',  'o',  'n',  'n',  'e',  'c',  't',  0x00,
          0x3f, 0xf0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x03,
          'a',  'p',  'p',  0x02, 0x00, 0x01, 'L',  0x00, 0x00, 0x09, 0x05 };
  g_autoptr (GByteArray) out = g_byte_array_new ();
  g_autoptr (TgAmf0Value) object = tg_amf0_object_new ();
  g_autoptr (GPtrArray) values = NULL;
  g_autoptr (GError) error = NULL;

  tg_amf0_write_string (out, "connect");
  tg_amf0_write_number (out, 1);
  tg_amf0_object_set (object, "app", tg_amf0_string_new ("L"));
  tg_amf0_encode (out, object);
  tg_amf0_write_null (out);
  g_assert_cmpmem (out->data, out->len, expected, sizeof expected);

  values = tg_amf0_decode_all (expected, sizeof expected, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (values->len, ==, 4);
  g_assert_cmpstr (tg_amf0_value_get_string (values->pdata[0]), ==, "connect");
  g_assert_cmpint (((TgAmf0Value *) values->pdata[3])->type, ==, TG_AMF0_NULL);
}

static GByteArray *
nested (guint8 marker, guint depth)
{
  GByteArray *out = g_byte_array_new ();
  static const guint8 end[] = { 0x00, 0x00, 0x09 };
  static const guint8 name[] = { 0x00, 0x01, 'a' };
  static const guint8 one[] = { 0x00, 0x00, 0x00, 0x01 };

  for (guint i = 0; i < depth; i++)
    {
      g_byte_array_append (out, &marker, 1);
      if (marker == TG_AMF0_STRICT_ARRAY || marker == TG_AMF0_ECMA_ARRAY)
        g_byte_array_append (out, one, sizeof one);
      if (marker != TG_AMF0_STRICT_ARRAY && i + 1 < depth)
        g_byte_array_append (out, name, sizeof name);
    }
  if (marker == TG_AMF0_STRICT_ARRAY)
    {
      /* The innermost array is empty. */
      out->data[out->len - 1] = 0;
      return out;
    }
  for (guint i = 0; i < depth; i++)
    g_byte_array_append (out, end, sizeof end);
  return out;
}

static void
test_nesting (void)
{
  const guint8 markers[]
      = { TG_AMF0_OBJECT, TG_AMF0_ECMA_ARRAY, TG_AMF0_STRICT_ARRAY };

  for (guint m = 0; m < G_N_ELEMENTS (markers); m++)
    {
      g_autoptr (GByteArray) ok = nested (markers[m], TG_AMF0_MAX_DEPTH);
      g_autoptr (GByteArray) deep = nested (markers[m], TG_AMF0_MAX_DEPTH + 1);
      g_autoptr (GByteArray) bomb = nested (markers[m], 100000);
      g_autoptr (GError) error = NULL;
      g_autoptr (TgAmf0Value) value = NULL;

      value = tg_amf0_decode (ok->data, ok->len, NULL, &error);
      g_assert_no_error (error);
      g_assert_nonnull (value);

      g_assert_null (tg_amf0_decode (deep->data, deep->len, NULL, &error));
      g_assert_error (error, TG_ERROR, TG_ERROR_INVALID);
      g_assert_nonnull (strstr (error->message, "nested deeper than 16"));
      g_clear_error (&error);

      g_assert_null (tg_amf0_decode (bomb->data, bomb->len, NULL, &error));
      g_assert_error (error, TG_ERROR, TG_ERROR_INVALID);
    }
}

static void
test_bad_input (void)
{
  const struct
  {
    const char *what;
    gsize size;
    const guint8 *data;
  } cases[] = {
#define CASE(what, ...)                                                        \
  {                                                                            \
    what, sizeof ((const guint8[]){ __VA_ARGS__ }), (const guint8[])           \
    {                                                                          \
      __VA_ARGS__                                                              \
    }                                                                          \
  }
    CASE ("reference", 0x07, 0x00, 0x01),
    CASE ("typed object", 0x10, 0x00, 0x01, 'a', 0x00, 0x00, 0x09),
    CASE ("AMF3 switch", 0x11, 0x01),
    CASE ("bare object end", 0x09),
    CASE ("string longer than the data", 0x02, 0xff, 0xff, 'a'),
    CASE ("long string longer than the data", 0x0c, 0xff, 0xff, 0xff, 0xff,
          'a'),
    CASE ("strict array of 4 billion", 0x0a, 0xff, 0xff, 0xff, 0xff, 0x05),
    CASE ("object without an end", 0x03, 0x00, 0x01, 'a', 0x05),
    CASE ("object end without its name length", 0x03, 0x09),
    CASE ("property without a value", 0x03, 0x00, 0x01, 'a'),
    CASE ("NUL in a property name", 0x03, 0x00, 0x03, 'a', 0x00, 'b', 0x05,
          0x00, 0x00, 0x09),
    CASE ("short date", 0x0b, 0, 0, 0, 0, 0, 0, 0, 0, 0x00),
    CASE ("short ECMA count", 0x08, 0x00, 0x00),
#undef CASE
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autoptr (GPtrArray) values
          = tg_amf0_decode_all (cases[i].data, cases[i].size, &error);

      g_test_message ("%s", cases[i].what);
      g_assert_null (values);
      g_assert_error (error, TG_ERROR, TG_ERROR_INVALID);
    }
}

/* A string holding a NUL decodes, but does not pass as text. */
static void
test_nul_in_string (void)
{
  static const guint8 data[] = { 0x02, 0x00, 0x03, 'a', 0x00, 'b' };
  g_autoptr (GError) error = NULL;
  g_autoptr (TgAmf0Value) value
      = tg_amf0_decode (data, sizeof data, NULL, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (value->length, ==, 3);
  g_assert_null (tg_amf0_value_get_string (value));
}

/* Random bytes never crash the decoder. */
static void
test_random (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (1);
  guint8 data[256];

  for (guint round = 0; round < 20000; round++)
    {
      gsize size = g_rand_int_range (rand, 0, sizeof data);
      g_autoptr (GError) error = NULL;
      g_autoptr (GPtrArray) values = NULL;

      for (gsize i = 0; i < size; i++)
        data[i] = g_rand_int_range (rand, 0, 14);
      values = tg_amf0_decode_all (data, size, &error);
      g_assert_true ((values == NULL) == (error != NULL));
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/rtmp-amf0/round-trips", test_round_trips);
  g_test_add_func ("/rtmp-amf0/encoding", test_encoding);
  g_test_add_func ("/rtmp-amf0/nesting", test_nesting);
  g_test_add_func ("/rtmp-amf0/bad-input", test_bad_input);
  g_test_add_func ("/rtmp-amf0/nul-in-string", test_nul_in_string);
  g_test_add_func ("/rtmp-amf0/random", test_random);
  return g_test_run ();
}
