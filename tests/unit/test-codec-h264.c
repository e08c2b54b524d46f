/* The checks of publishers' H.264 configuration and frames
 * (tg-codec-check.h): real avcC records and access units from ffmpeg and
 * GStreamer (codec-records.h) are accepted, whole and cut at every length
 * without a read past their end; every refusal rule has a case, on a real
 * record changed or on a record built bit by bit (codec-h264-build.h). */
#include "codec-h264-build.h"
#include "codec-records.h"
#include "codec-test.h"

/* Records built from settings: those of good accepted, those of bad
 * refused with a reason holding theirs. */
typedef struct
{
  const char *settings;
  const char *reason;
} Built;

static void
check_built (Check check, GBytes *(*build) (const char *settings),
             const char *const *good, guint good_count, const Built *bad,
             guint bad_count)
{
  for (guint i = 0; i < good_count; i++)
    {
      g_autoptr (GBytes) bytes = build (good[i]);

      assert_accepted (check, bytes, good[i]);
    }
  for (guint i = 0; i < bad_count; i++)
    {
      g_autoptr (GBytes) bytes = build (bad[i].settings);

      assert_refused (check, bytes, bad[i].settings, bad[i].reason);
    }
}

/* --- H.264 SPS --- */

static const char *const good_sps[] = {
  "",
  "profile_idc=66 constraints=192",
  "profile_idc=77 level_idc=40",
  "profile_idc=88",
  "profile_idc=110 luma_minus8=2 chroma_minus8=2",
  "profile_idc=122 chroma_format_idc=2",
  "profile_idc=244 chroma_format_idc=3 luma_minus8=6 chroma_minus8=6",
  ("profile_idc=244 chroma_format_idc=3 separate_planes=1 crop=1 "
   "crop_left=1 crop_bottom=1"),
  "profile_idc=100 chroma_format_idc=0 crop=1 crop_right=15 crop_top=15",
  "profile_idc=44 chroma_format_idc=3",
  "profile_idc=83",
  "profile_idc=86",
  "profile_idc=118",
  "profile_idc=128",
  "profile_idc=138",
  "profile_idc=139",
  "profile_idc=134",
  "profile_idc=135",
  "id=31",
  "scaling_lists=8 scaling_delta=127",
  "scaling_lists=8 scaling_delta=-128",
  "scaling_lists=1 scaling_delta=-8",
  "chroma_format_idc=3 scaling_lists=12 scaling_delta=5",
  "log2_max_frame_num_minus4=12 log2_max_poc_lsb_minus4=12",
  "poc_type=1 poc_cycle=255",
  "poc_type=1 poc_cycle=0",
  "poc_type=2",
  "max_num_ref_frames=16",
  "max_num_ref_frames=0",
  "width_mbs_minus1=511 height_map_units_minus1=511",
  "width_mbs_minus1=0 height_map_units_minus1=0",
  /* 1920x1080: 1088 less 8 rows. */
  "width_mbs_minus1=119 height_map_units_minus1=67 crop=1 crop_bottom=4",
  /* 1920x1080 interlaced: 34 map units of 2 macroblock rows. */
  ("width_mbs_minus1=119 height_map_units_minus1=33 frame_mbs_only=0 "
   "crop=1 crop_bottom=2"),
  "frame_mbs_only=0 height_map_units_minus1=255",
  /* Cropped to 2x2 pixels. */
  "crop=1 crop_left=79 crop_right=80 crop_top=59 crop_bottom=60",
  "vui=1",
  "profile_idc=66 vui=1",
};

static const Built bad_sps[] = {
  { "profile_idc=0", "unknown profile_idc" },
  { "profile_idc=144", "unknown profile_idc" },
  { "profile_idc=255", "unknown profile_idc" },
  { "id=32", "seq_parameter_set_id above 31" },
  { "id=4294967294", "seq_parameter_set_id above 31" },
  { "chroma_format_idc=4", "chroma_format_idc above 3" },
  { "luma_minus8=7", "bit_depth_luma_minus8 above 6" },
  { "chroma_minus8=7", "bit_depth_chroma_minus8 above 6" },
  { "scaling_lists=1 scaling_delta=128", "delta_scale outside" },
  { "scaling_lists=1 scaling_delta=-129", "delta_scale outside" },
  { "chroma_format_idc=3 scaling_lists=12 scaling_delta=-200",
    "delta_scale outside" },
  { "log2_max_frame_num_minus4=13", "log2_max_frame_num_minus4 above 12" },
  { "poc_type=3", "pic_order_cnt_type above 2" },
  { "log2_max_poc_lsb_minus4=13", "log2_max_pic_order_cnt_lsb_minus4" },
  { "poc_type=1 poc_cycle=256", "num_ref_frames_in_pic_order_cnt_cycle" },
  { "max_num_ref_frames=17", "max_num_ref_frames above 16" },
  { "width_mbs_minus1=512", "wider or taller than 8192" },
  { "height_map_units_minus1=512", "wider or taller than 8192" },
  { "frame_mbs_only=0 height_map_units_minus1=256",
    "wider or taller than 8192" },
  { "width_mbs_minus1=4294967294", "wider or taller than 8192" },
  /* 320 pixels wide, 160 + 160 cropped (4:2:0: units of 2). */
  { "crop=1 crop_left=80 crop_right=80", "cropping leaves no picture" },
  { "crop=1 crop_top=60 crop_bottom=60", "cropping leaves no picture" },
  { "frame_mbs_only=0 crop=1 crop_top=120", "cropping leaves no picture" },
  { "crop=1 crop_left=4294967294 crop_right=4294967294",
    "cropping leaves no picture" },
  { "chroma_format_idc=3 crop=1 crop_left=320", "cropping leaves no picture" },
  { "bad_height=1", "truncated" },
  { "bad_height=2", "truncated" },
  { "poc_type=1 poc_cycle=255 bad_height=2", "truncated" },
  { "vui=2", "VUI parameters truncated or out of range" },
  { "vui=3", "VUI parameters truncated or out of range" },
  { "vui=4", "VUI parameters truncated or out of range" },
  { "vui=5", "VUI parameters truncated or out of range" },
};

static void
test_sps_built (void)
{
  check_built (tg_codec_check_h264_sps, sps_with, good_sps,
               G_N_ELEMENTS (good_sps), bad_sps, G_N_ELEMENTS (bad_sps));
}

static void
test_sps_header (void)
{
  assert_refused_hex (tg_codec_check_h264_sps, "", "SPS: empty");
  assert_refused_hex (tg_codec_check_h264_sps, "e742c00d", "forbidden_zero");
  assert_refused_hex (tg_codec_check_h264_sps, "6842c00dda", "type is not 7");
  assert_refused_hex (tg_codec_check_h264_sps, "6742c0", "shorter than 4");
  /* Baseline, level 1.3, then nothing: seq_parameter_set_id missing. */
  assert_refused_hex (tg_codec_check_h264_sps, "6742c00d", "truncated");
  assert_refused_hex (tg_codec_check_h264_sps, "6742c00d00000300", "truncated");
}

/* --- H.264 PPS --- */

static const char *const good_pps[] = {
  "",
  "pps_id=255 sps_id=31",
  "entropy=0 bottom_field=1 flags=7",
  "l0_minus1=31 l1_minus1=31",
  "weighted_pred=1 weighted_bipred_idc=2",
  "qp=25 qs=25 chroma_qp=12",
  "qp=-26 qs=-26 chroma_qp=-12",
  /* Alone, a PPS may be one of 14-bit video. */
  "qp=-62",
  "more=1 transform_8x8=1",
  "more=1 transform_8x8=1 second_chroma_qp=-12",
  "more=1 transform_8x8=1 scaling_lists=8 scaling_delta=-128",
  "more=1 transform_8x8=0 scaling_lists=6 scaling_delta=127",
  "more=1 transform_8x8=1 scaling_lists=12 chroma444=1",
  "more=1 transform_8x8=1 scaling_lists=11 chroma444=1",
};

static const Built bad_pps[] = {
  { "pps_id=256", "pic_parameter_set_id above 255" },
  { "sps_id=32", "seq_parameter_set_id above 31" },
  { "slice_groups_minus1=1", "slice groups (FMO" },
  { "slice_groups_minus1=7", "slice groups (FMO" },
  { "slice_groups_minus1=8", "slice groups (FMO" },
  { "l0_minus1=32", "num_ref_idx_l0_default_active_minus1 above 31" },
  { "l1_minus1=32", "num_ref_idx_l1_default_active_minus1 above 31" },
  { "weighted_bipred_idc=3", "weighted_bipred_idc 3" },
  { "qp=26", "pic_init_qp_minus26 out of range" },
  { "qp=-63", "pic_init_qp_minus26 out of range" },
  { "qs=26", "pic_init_qs_minus26" },
  { "qs=-27", "pic_init_qs_minus26" },
  { "chroma_qp=13", "chroma_qp_index_offset" },
  { "chroma_qp=-13", "chroma_qp_index_offset" },
  { "more=1 second_chroma_qp=13", "second_chroma_qp_index_offset" },
  { "more=1 second_chroma_qp=-13", "second_chroma_qp_index_offset" },
  { "more=1 scaling_lists=1 scaling_delta=128", "delta_scale outside" },
  { "more=1 transform_8x8=1 scaling_lists=7 scaling_delta=-129",
    "delta_scale outside" },
};

static void
test_pps_built (void)
{
  check_built (tg_codec_check_h264_pps, pps_with, good_pps,
               G_N_ELEMENTS (good_pps), bad_pps, G_N_ELEMENTS (bad_pps));
}

static void
test_pps_header (void)
{
  assert_refused_hex (tg_codec_check_h264_pps, "", "PPS: empty");
  assert_refused_hex (tg_codec_check_h264_pps, "e8ce3880", "forbidden_zero");
  assert_refused_hex (tg_codec_check_h264_pps, "67ce3880", "type is not 8");
  assert_refused_hex (tg_codec_check_h264_pps, "68", "shorter than 2");
  assert_refused_hex (tg_codec_check_h264_pps, "68ce", "truncated");
  /* The fields end with the last 1 bit: no rbsp_stop_one_bit (GStreamer
   * 1.22 reads on and drops the PPS). */
  assert_refused_hex (tg_codec_check_h264_pps, "68ceb1c8",
                      "no rbsp_stop_one_bit");
  assert_refused_hex (tg_codec_check_h264_pps, "68ce3c00",
                      "no rbsp_stop_one_bit");
}

/* --- avcC --- */

/* The offset of the end of the PPS list of a well-formed avcC. */
static gsize
avcc_pps_end (const guint8 *data)
{
  gsize pos = 6;
  guint count = data[5] & 0x1f;

  for (guint i = 0; i < count; i++)
    pos += 2 + (data[pos] << 8 | data[pos + 1]);
  count = data[pos++];
  for (guint i = 0; i < count; i++)
    pos += 2 + (data[pos] << 8 | data[pos + 1]);
  return pos;
}

static void
test_avcc_real (void)
{
  for (guint i = 0; i < G_N_ELEMENTS (real_avcc); i++)
    {
      g_autoptr (GBytes) bytes = unhex (real_avcc[i].hex);
      gsize size;
      const guint8 *data = g_bytes_get_data (bytes, &size);
      gsize pps_end = avcc_pps_end (data), accepted[2];
      guint count, pos = 6;

      assert_accepted (tg_codec_check_avcc, bytes, real_avcc[i].name);
      g_assert_cmpuint (data[4] & 3, ==, 3);
      /* Its SPS and PPS, alone. */
      for (guint list = 0; list < 2; list++)
        {
          guint n = list == 0 ? data[5] & 0x1f : data[pos++];

          for (guint k = 0; k < n; k++)
            {
              gsize nal_size = data[pos] << 8 | data[pos + 1];
              g_autoptr (GBytes) nal = g_bytes_new (data + pos + 2, nal_size);

              assert_accepted (list == 0 ? tg_codec_check_h264_sps
                                         : tg_codec_check_h264_pps,
                               nal, list == 0 ? "its SPS" : "its PPS");
              pos += 2 + nal_size;
            }
        }
      /* Shorter: refused, but where the High profile extension would start
       * (ffmpeg writes one, GStreamer does not). */
      g_test_message ("prefixes of %s", real_avcc[i].name);
      count = check_prefixes (tg_codec_check_avcc, bytes, accepted);
      g_assert_cmpuint (count, ==, pps_end < size ? 1 : 0);
      if (count)
        g_assert_cmpuint (accepted[0], ==, pps_end);
    }
}

/* avcC of 1-byte and 2-byte NAL lengths, levels 1b. */
static void
test_avcc_variants (void)
{
  g_autoptr (GBytes) base = unhex (real_avcc[0].hex);
  gsize size;
  const guint8 *data = g_bytes_get_data (base, &size);

  for (guint8 length = 0; length < 4; length++)
    {
      g_autofree guint8 *copy = g_memdup2 (data, size);
      const char *reason = NULL;
      gboolean ok;

      copy[4] = 0xfc | length;
      ok = tg_codec_check_avcc (copy, size, &reason);
      g_assert_cmpint (ok, ==, length != 2);
      if (!ok)
        g_assert_nonnull (strstr (reason, "lengthSizeMinusOne 2"));
      /* The reserved bits are not judged. */
      copy[4] = length;
      copy[5] &= 0x1f;
      g_assert_cmpint (tg_codec_check_avcc (copy, size, NULL), ==, length != 2);
    }
}

/* An avcC from its parts: profile bytes, then the NAL units (of type 7,
 * then 8), then extra bytes. */
static GBytes *
avcc_build (const guint8 head[4], GBytes *const *nals, guint count,
            const char *extra_hex)
{
  g_autoptr (GByteArray) avcc = g_byte_array_new ();
  g_autoptr (GBytes) extra = unhex (extra_hex);
  guint8 byte;
  guint sps = 0;

  g_byte_array_append (avcc, head, 4);
  byte = 0xff;
  g_byte_array_append (avcc, &byte, 1);
  while (sps < count
         && (((const guint8 *) g_bytes_get_data (nals[sps], NULL))[0] & 0x1f)
                == 7)
    sps++;
  for (guint list = 0; list < 2; list++)
    {
      guint from = list ? sps : 0, to = list ? count : sps;

      byte = list ? to - from : 0xe0 | (to - from);
      g_byte_array_append (avcc, &byte, 1);
      for (guint i = from; i < to; i++)
        {
          gsize nal_size;
          const guint8 *nal = g_bytes_get_data (nals[i], &nal_size);
          guint8 length[2] = { nal_size >> 8, nal_size };

          g_byte_array_append (avcc, length, 2);
          g_byte_array_append (avcc, nal, nal_size);
        }
    }
  g_byte_array_append (avcc, g_bytes_get_data (extra, NULL),
                       g_bytes_get_size (extra));
  return g_bytes_new (avcc->data, avcc->len);
}

static void
test_avcc_built (void)
{
  g_autoptr (GBytes) sps = sps_with ("");
  g_autoptr (GBytes) sps1 = sps_with ("id=1 luma_minus8=2 chroma_minus8=2");
  g_autoptr (GBytes) sps_base = sps_with ("profile_idc=66 constraints=224");
  g_autoptr (GBytes) pps = pps_with ("");
  g_autoptr (GBytes) pps1 = pps_with ("pps_id=1 sps_id=1 qp=-38");
  g_autoptr (GBytes) pps_deep = pps_with ("qp=-38");
  g_autoptr (GBytes) pps_fmo = pps_with ("slice_groups_minus1=1");
  g_autoptr (GBytes) pps_sps2 = pps_with ("sps_id=2");
  g_autoptr (GBytes) sps_bad = sps_with ("max_num_ref_frames=17");
  g_autoptr (GBytes) sps_short = unhex ("6764");
  g_autoptr (GBytes) sei = unhex ("0605ff");
  g_autoptr (GBytes) sps_ext = unhex ("6d80");
  GBytes *one[] = { sps, pps };
  GBytes *two[] = { sps, sps1, pps, pps1 };
  struct
  {
    guint8 head[4];
    GBytes *const *nals;
    guint count;
    const char *extra;
    const char *reason; /* NULL: accepted */
  } cases[] = {
    { { 1, 100, 0, 13 }, one, 2, "", NULL },
    { { 1, 100, 0, 13 }, two, 4, "", NULL },
    /* The extension: 4:2:0, 8 bits, no SPS extension; one; trailing. */
    { { 1, 100, 0, 13 }, one, 2, "fdf8f800", NULL },
    { { 1, 100, 0, 13 }, one, 2, "fdf8f80100026d80", NULL },
    { { 1, 100, 0, 13 }, one, 2, "fdf8f800ffff", NULL },
    { { 1, 100, 0, 14 }, one, 2, "", NULL },
    { { 1, 100, 0, 13 }, one, 2, "fd", "truncated chroma format" },
    { { 1, 100, 0, 13 }, one, 2, "fdf8f8", "truncated chroma format" },
    { { 1, 100, 0, 13 }, one, 2, "fef8f800", "chroma_format differs" },
    { { 1, 100, 0, 13 }, one, 2, "fdf9f800", "bit depths differ" },
    { { 1, 100, 0, 13 }, one, 2, "fdf8fe00", "bit depths differ" },
    { { 1, 100, 0, 13 }, one, 2, "fdf8f801", "parameter set length runs" },
    { { 1, 100, 0, 13 }, one, 2, "fdf8f8010003", "runs past the end" },
    { { 1, 100, 0, 13 }, one, 2, "fdf8f8010000", "an empty SPS extension" },
    { { 1, 100, 0, 13 }, one, 2, "fdf8f8010001e8", "forbidden_zero_bit" },
    { { 1, 100, 0, 13 }, one, 2, "fdf8f801000106", "type other than 13" },
    { { 0, 100, 0, 13 }, one, 2, "", "configurationVersion is not 1" },
    { { 2, 100, 0, 13 }, one, 2, "", "configurationVersion is not 1" },
    { { 1, 77, 0, 13 }, one, 2, "", "AVCProfileIndication is not" },
    { { 1, 100, 0x40, 13 }, one, 2, "", "profile_compatibility has flags" },
    { { 1, 100, 0, 12 }, one, 2, "", "AVCLevelIndication below" },
    /* Level 1b: 9, or 11 with constraint_set3_flag in Baseline. */
    { { 1, 100, 0, 9 }, one, 2, "", "AVCLevelIndication below" },
    { { 1, 100, 0, 13 }, (GBytes *[]){ pps }, 1, "", "no SPS" },
    { { 1, 100, 0, 13 }, (GBytes *[]){ sps }, 1, "", "no PPS" },
    { { 1, 100, 0, 13 },
      (GBytes *[]){ sps, pps_sps2 },
      2,
      "",
      "names no SPS of the record" },
    { { 1, 100, 0, 13 },
      (GBytes *[]){ sps, pps_fmo },
      2,
      "",
      "slice groups (FMO" },
    /* qp -38 needs 10-bit video: fine with sps1, not with sps. */
    { { 1, 100, 0, 13 },
      (GBytes *[]){ sps, pps_deep },
      2,
      "",
      "pic_init_qp_minus26 out of range" },
    { { 1, 100, 0, 13 },
      (GBytes *[]){ sps, sps_bad, pps },
      3,
      "",
      "max_num_ref_frames above 16" },
    { { 1, 100, 0, 13 },
      (GBytes *[]){ sps_short, pps },
      2,
      "",
      "an SPS shorter than 4 bytes" },
    { { 1, 100, 0, 13 },
      (GBytes *[]){ sps, sei },
      2,
      "",
      "NAL unit type is not 8" },
    { { 1, 100, 0, 13 },
      (GBytes *[]){ sps, sps_ext },
      2,
      "",
      "NAL unit type is not 8" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (GBytes) avcc = avcc_build (cases[i].head, cases[i].nals,
                                            cases[i].count, cases[i].extra);

      if (cases[i].reason == NULL)
        assert_accepted (tg_codec_check_avcc, avcc, "built");
      else
        assert_refused (tg_codec_check_avcc, avcc, cases[i].reason,
                        cases[i].reason);
    }

  /* Baseline level 1b written as 11 with constraint_set3_flag (0x10). */
  {
    g_autoptr (GBytes) sps_1b
        = sps_with ("profile_idc=66 constraints=240 level_idc=11");
    GBytes *nals[] = { sps_1b, pps };
    static const guint8 as_9[4] = { 1, 66, 0xf0, 9 };
    static const guint8 as_10[4] = { 1, 66, 0xf0, 10 };
    g_autoptr (GBytes) a = avcc_build (as_9, nals, 2, "");
    g_autoptr (GBytes) b = avcc_build (as_10, nals, 2, "");

    assert_accepted (tg_codec_check_avcc, a, "level 1b as 9");
    assert_refused (tg_codec_check_avcc, b, "level 1 for 1b",
                    "AVCLevelIndication below");
  }
  /* Baseline: bytes after the PPS are not an extension; ignored. */
  {
    GBytes *nals[] = { sps_base, pps };
    static const guint8 head[4] = { 1, 66, 0xe0, 13 };
    g_autoptr (GBytes) avcc = avcc_build (head, nals, 2, "fdf8f800");

    assert_accepted (tg_codec_check_avcc, avcc, "Baseline, bytes after");
  }
}

static void
test_avcc_refused (void)
{
  g_autoptr (GBytes) real = unhex (real_avcc[3].hex); /* High 1080 */
  gsize size;
  const guint8 *data = g_bytes_get_data (real, &size);

  assert_refused_hex (tg_codec_check_avcc, "", "avcC: empty");
  assert_refused_hex (tg_codec_check_avcc, "01640028ffe1", "shorter than 7");
  /* One SPS of 0x1b bytes, the record ending 2 bytes into it. */
  assert_refused_hex (tg_codec_check_avcc, "01640028ffe1001b6764",
                      "runs past the end of the record");
  assert_refused_hex (tg_codec_check_avcc, "01640028ffe100",
                      "parameter set length runs");
  /* The SPS whole, the PPS count missing. */
  {
    gsize end = 8 + (data[6] << 8 | data[7]);
    g_autoptr (GBytes) cut = g_bytes_new (data, end);

    assert_refused (tg_codec_check_avcc, cut, "no PPS count",
                    "truncated (no PPS count)");
  }
  /* Its SPS damaged: forbidden_zero_bit. */
  {
    g_autofree guint8 *copy = g_memdup2 (data, size);
    const char *reason = NULL;

    copy[8] |= 0x80;
    g_assert_false (tg_codec_check_avcc (copy, size, &reason));
    g_assert_cmpstr (reason, ==, "H.264 SPS: forbidden_zero_bit is 1");
  }
}

/* --- access units --- */

static gboolean
check_frame_4 (const guint8 *data, gsize size, const char **reason)
{
  return tg_codec_check_h264_frame (data, size, 4, reason);
}

static gboolean
check_frame_annex_b (const guint8 *data, gsize size, const char **reason)
{
  return tg_codec_check_h264_frame (data, size, 0, reason);
}

static void
test_frame_real (void)
{
  g_autoptr (GBytes) annex_b = unhex (tiny_annex_b);

  for (guint i = 0; i < G_N_ELEMENTS (tiny_frames); i++)
    {
      g_autoptr (GBytes) bytes = unhex (tiny_frames[i]);
      gsize size, accepted[8], boundaries[8];
      const guint8 *data = g_bytes_get_data (bytes, &size);
      guint nals = 0, count;
      g_autoptr (GByteArray) two = g_byte_array_new ();
      g_autoptr (GByteArray) starts = g_byte_array_new ();
      g_autoptr (GBytes) as_two = NULL, as_annex_b = NULL;

      assert_accepted (check_frame_4, bytes, "an x264 access unit");
      /* The same with 2-byte lengths and with start codes. */
      for (gsize pos = 0; pos < size;)
        {
          gsize length = (gsize) data[pos] << 24 | data[pos + 1] << 16
                         | data[pos + 2] << 8 | data[pos + 3];
          static const guint8 start[] = { 0, 0, 1 };

          g_assert_cmpuint (length, <, 65536);
          g_byte_array_append (two, data + pos + 2, 2 + length);
          g_byte_array_append (starts, start, 3);
          g_byte_array_append (starts, data + pos + 4, length);
          pos += 4 + length;
          boundaries[nals++] = pos;
        }
      as_two = g_bytes_new (two->data, two->len);
      g_assert_true (tg_codec_check_h264_frame (two->data, two->len, 2, NULL));
      g_assert_false (tg_codec_check_h264_frame (two->data, two->len, 4, NULL));
      as_annex_b = g_bytes_new (starts->data, starts->len);
      assert_accepted (check_frame_annex_b, as_annex_b, "3-byte start codes");
      /* Cut: refused but between NAL units. */
      count = check_prefixes (check_frame_4, bytes, accepted);
      g_assert_cmpuint (count, ==, nals - 1);
      for (guint k = 0; k < count; k++)
        g_assert_cmpuint (accepted[k], ==, boundaries[k]);
    }
  assert_accepted (check_frame_annex_b, annex_b, "ffmpeg -f h264");
  check_prefixes (check_frame_annex_b, annex_b, NULL);
}

static void
test_frame_refused (void)
{
  g_autoptr (GBytes) sps = sps_with ("");
  g_autoptr (GBytes) sps10 = sps_with ("luma_minus8=2 chroma_minus8=2");
  g_autoptr (GBytes) pps = pps_with ("");
  g_autoptr (GBytes) pps_deep = pps_with ("qp=-38");
  g_autoptr (GBytes) pps_fmo = pps_with ("slice_groups_minus1=1");
  g_autoptr (GBytes) sps_bad = sps_with ("vui=2");
  g_autoptr (GBytes) idr = unhex ("65888400ff");
  g_autoptr (GBytes) aud = unhex ("09f0");

  /* Lengths and start codes. */
  g_assert_false (tg_codec_check_h264_frame (NULL, 0, 3, NULL));
  for (guint size = 0; size <= 4; size++)
    {
      const char *reason = NULL;
      static const guint8 nal[] = { 0, 0, 0, 2, 0x09, 0xf0 };

      g_assert_false (tg_codec_check_h264_frame (NULL, 0, size, &reason));
      g_assert_nonnull (reason);
      if (size == 3)
        g_assert_nonnull (strstr (reason, "other than 1, 2 or 4"));
      else
        g_assert_nonnull (strstr (reason, "access unit: empty"));
      if (size == 1 || size == 2 || size == 4)
        g_assert_true (
            tg_codec_check_h264_frame (nal + 4 - size, size + 2, size, NULL));
    }
  assert_refused_hex (check_frame_4, "00000000", "empty NAL unit (length 0)");
  assert_refused_hex (check_frame_4, "0000000209f000000000",
                      "empty NAL unit (length 0)");
  assert_refused_hex (check_frame_4, "0000000309f0", "runs past the end");
  assert_refused_hex (check_frame_4, "ffffffff09f0", "runs past the end");
  assert_refused_hex (check_frame_4, "0000000209f0000000", "cut short");
  assert_refused_hex (check_frame_4, "0000000289f0", "forbidden_zero_bit");
  assert_refused_hex (check_frame_annex_b, "09f0", "no start code");
  assert_refused_hex (check_frame_annex_b, "0000020109f0", "no start code");
  assert_refused_hex (check_frame_annex_b, "010000000109f0",
                      "bytes before the first start code");
  assert_refused_hex (check_frame_annex_b, "00000109f0000001",
                      "empty NAL unit");
  assert_refused_hex (check_frame_annex_b, "00000109f000000100000109f0",
                      "empty NAL unit");
  assert_refused_hex (check_frame_annex_b, "00000189f0", "forbidden_zero_bit");
  /* Leading zero bytes and trailing ones are allowed. */
  {
    g_autoptr (GBytes) ok = unhex ("0000000000000109f00000000000000109f00000");

    assert_accepted (check_frame_annex_b, ok, "zero bytes around");
  }

  /* Parameter sets inside, the PPS judged against the SPS before it. */
  for (guint size = 0; size <= 4; size += size == 2 ? 2 : 1)
    {
      GBytes *good[] = { aud, sps, pps, idr };
      GBytes *good10[] = { aud, sps10, pps_deep, idr };
      GBytes *deep[] = { aud, sps, pps_deep, idr };
      GBytes *alone[] = { aud, pps_deep, idr };
      GBytes *fmo[] = { aud, sps, pps_fmo, idr };
      GBytes *vui_bad[] = { sps_bad, pps, idr };
      g_autoptr (GBytes) a = access_unit (size, good, 4);
      g_autoptr (GBytes) b = access_unit (size, good10, 4);
      g_autoptr (GBytes) c = access_unit (size, deep, 4);
      g_autoptr (GBytes) d = access_unit (size, alone, 3);
      g_autoptr (GBytes) e = access_unit (size, fmo, 4);
      g_autoptr (GBytes) f = access_unit (size, vui_bad, 3);
      const char *reason = NULL;

      g_test_message ("NAL length size %u", size);
      g_assert_true (tg_codec_check_h264_frame (
          g_bytes_get_data (a, NULL), g_bytes_get_size (a), size, &reason));
      g_assert_null (reason);
      g_assert_true (tg_codec_check_h264_frame (
          g_bytes_get_data (b, NULL), g_bytes_get_size (b), size, NULL));
      g_assert_false (tg_codec_check_h264_frame (
          g_bytes_get_data (c, NULL), g_bytes_get_size (c), size, &reason));
      g_assert_cmpstr (reason, ==,
                       "H.264 PPS: pic_init_qp_minus26 out of range");
      g_assert_true (tg_codec_check_h264_frame (
          g_bytes_get_data (d, NULL), g_bytes_get_size (d), size, NULL));
      g_assert_false (tg_codec_check_h264_frame (
          g_bytes_get_data (e, NULL), g_bytes_get_size (e), size, &reason));
      g_assert_nonnull (strstr (reason, "slice groups (FMO"));
      g_assert_false (tg_codec_check_h264_frame (
          g_bytes_get_data (f, NULL), g_bytes_get_size (f), size, &reason));
      g_assert_nonnull (strstr (reason, "VUI parameters truncated"));
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/codec-check/sps/built", test_sps_built);
  g_test_add_func ("/codec-check/sps/header", test_sps_header);
  g_test_add_func ("/codec-check/pps/built", test_pps_built);
  g_test_add_func ("/codec-check/pps/header", test_pps_header);
  g_test_add_func ("/codec-check/avcc/real", test_avcc_real);
  g_test_add_func ("/codec-check/avcc/variants", test_avcc_variants);
  g_test_add_func ("/codec-check/avcc/built", test_avcc_built);
  g_test_add_func ("/codec-check/avcc/refused", test_avcc_refused);
  g_test_add_func ("/codec-check/frame/real", test_frame_real);
  g_test_add_func ("/codec-check/frame/refused", test_frame_refused);
  return g_test_run ();
}
