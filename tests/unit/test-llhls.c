/* LL-HLS: what a blocking reload asks for, and whether a playlist has it
 * (tg-llhls.h); the fragments the CMAF packager reads (tg-cmaf-box.h). */
#include "tg-cmaf-box.h"
#include "tg-llhls.h"

#include <string.h>

static const char playlist[]
    = "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:7\n"
      "#EXT-X-MAP:URI=\"init.m4s\"\n"
      "#EXT-X-PART:DURATION=0.5,URI=\"p7-0.m4s\",INDEPENDENT=YES\n"
      "#EXTINF:2.0,\nc7.m4s\n"
      "#EXTINF:2.0,\nc8.m4s\n"
      "#EXT-X-PART:DURATION=0.5,URI=\"p9-0.m4s\",INDEPENDENT=YES\n"
      "#EXT-X-PART:DURATION=0.5,URI=\"p9-1.m4s\"\n"
      "#EXT-X-PRELOAD-HINT:TYPE=PART,URI=\"p9-2.m4s\"\n";

static void
test_has (void)
{
  g_assert_true (tg_llhls_has (playlist, 3, -1)); /* long gone */
  g_assert_true (tg_llhls_has (playlist, 8, -1));
  g_assert_true (tg_llhls_has (playlist, 8, 5)); /* complete: every part */
  g_assert_true (tg_llhls_has (playlist, 9, 0));
  g_assert_true (tg_llhls_has (playlist, 9, 1));
  g_assert_false (tg_llhls_has (playlist, 9, 2));
  g_assert_false (tg_llhls_has (playlist, 9, -1)); /* not complete */
  g_assert_false (tg_llhls_has (playlist, 10, 0));
  g_assert_true (tg_llhls_has ("#EXTM3U\n#EXT-X-ENDLIST\n", 100, 0));
  g_assert_false (tg_llhls_has ("", 0, 0));
}

static void
test_wanted (void)
{
  const struct
  {
    const char *msn, *part;
    int result;
    gint64 want_msn, want_part;
  } cases[] = {
    { NULL, NULL, 0, -1, -1 },  { "12", NULL, 1, 12, -1 },
    { "12", "3", 1, 12, 3 },    { NULL, "3", -1, -1, -1 },
    { "x", NULL, -1, -1, -1 },  { "-1", NULL, -1, -1, -1 },
    { "12", "3x", -1, 12, -1 }, { "99999999999", NULL, -1, -1, -1 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GHashTable) query = g_hash_table_new (g_str_hash, g_str_equal);
      gint64 msn = 0, part = 0;

      if (cases[i].msn)
        g_hash_table_insert (query, "_HLS_msn", (char *) cases[i].msn);
      if (cases[i].part)
        g_hash_table_insert (query, "_HLS_part", (char *) cases[i].part);
      g_assert_cmpint (tg_llhls_wanted (query, &msn, &part), ==,
                       cases[i].result);
      if (cases[i].result == 1)
        {
          g_assert_cmpint (msn, ==, cases[i].want_msn);
          g_assert_cmpint (part, ==, cases[i].want_part);
        }
    }
}

/* A moof as mp4mux writes one: tfhd, tfdt (version 0), trun with a
 * duration, size, flags and offset per sample. */
static GByteArray *
moof (guint32 decode_time, gboolean first_sync)
{
  static const guint8 head[]
      = {
          0,    0,    0, 0,  'm', 'o', 'o', 'f', /* size patched */
          0,    0,    0, 16, 'm', 'f', 'h', 'd', 0,   0,   0,   0,   0, 0,
          0,    1,    0, 0,  0,   0,   't', 'r', 'a', 'f', /* size patched */
          0,    0,    0, 16, 't', 'f', 'h', 'd', 0,   0,   0,   0,   0, 0,
          0,    1,    0, 0,  0,   16,  't', 'f', 'd', 't', 0,   0,   0, 0,
          0,    0,    0, 0,  0,   0,   0,   52,  't', 'r', 'u', 'n', 0, 0,
          0x0f, 0x01, 0, 0,  0,   2,   0,   0,   0,   0, /* data offset */
        };
  GByteArray *out = g_byte_array_new ();
  guint32 samples[2][4] = { { 100, 5000, first_sync ? 0 : 0x10000, 0 },
                            { 100, 700, 0x10000, 200 } };

  g_byte_array_append (out, head, sizeof head);
  for (guint s = 0; s < 2; s++)
    for (guint f = 0; f < 4; f++)
      {
        guint8 be[4] = { samples[s][f] >> 24, samples[s][f] >> 16,
                         samples[s][f] >> 8, samples[s][f] };

        g_byte_array_append (out, be, 4);
      }
  out->data[3] = out->len;
  out->data[27] = out->len - 24;
  out->data[60] = decode_time >> 24;
  out->data[61] = decode_time >> 16;
  out->data[62] = decode_time >> 8;
  out->data[63] = decode_time;
  return out;
}

static void
test_moof (void)
{
  TgBoxTrack track = { .timescale = 3000 };
  TgBoxFragment fragment;
  g_autoptr (GByteArray) sync = moof (1500, TRUE);
  g_autoptr (GByteArray) delta = moof (1700, FALSE);
  guint32 type = 0;

  g_assert_cmpint (tg_box_size (sync->data, sync->len, &type), ==, sync->len);
  g_assert_cmpuint (type, ==, TG_BOX ('m', 'o', 'o', 'f'));
  g_assert_cmpint (tg_box_size (sync->data, 7, &type), ==, 0);
  g_assert_true (tg_box_read_moof (sync->data, sync->len, &track, &fragment));
  g_assert_cmpuint (fragment.decode_time, ==, 1500);
  g_assert_cmpuint (fragment.duration, ==, 200);
  g_assert_cmpuint (fragment.samples, ==, 2);
  g_assert_true (fragment.independent);
  g_assert_true (tg_box_read_moof (delta->data, delta->len, &track, &fragment));
  g_assert_false (fragment.independent);
  g_assert_true (tg_box_shift_moof (delta->data, delta->len, 300));
  g_assert_true (tg_box_read_moof (delta->data, delta->len, &track, &fragment));
  g_assert_cmpuint (fragment.decode_time, ==, 2000);
  /* 32 bits hold no more */
  g_assert_false (tg_box_shift_moof (delta->data, delta->len, G_MAXUINT32));
  /* cut short: refused, not read past its end */
  for (guint n = 0; n < delta->len; n++)
    {
      g_autofree guint8 *copy = g_memdup2 (delta->data, n);

      tg_box_read_moof (copy, n, &track, &fragment);
    }
  /* sizes that lie */
  delta->data[3] = 4;
  g_assert_cmpint (tg_box_size (delta->data, delta->len, &type), ==, -1);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/llhls/has", test_has);
  g_test_add_func ("/llhls/wanted", test_wanted);
  g_test_add_func ("/cmaf-box/moof", test_moof);
  return g_test_run ();
}
