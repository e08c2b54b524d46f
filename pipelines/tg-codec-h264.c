/* Checks of H.264 parameter sets, avcC records and access units from
 * publishers (tg-codec-check.h). */
#include "tg-codec-private.h"

#include <string.h>

#define AVCC "H.264 avcC: "
#define SPS "H.264 SPS: "
#define PPS "H.264 PPS: "
#define AU "H.264 access unit: "

/* Largest picture, in macroblocks each way: 8192 pixels. */
#define MAX_MBS 512

/* --- H.264 parameter sets --- */

/* What a PPS needs of its SPS, and what an avcC is checked against. */
typedef struct
{
  guint8 profile_idc, constraints, level_idc;
  guint id;
  guint chroma_format_idc;
  guint bit_depth_luma_minus8, bit_depth_chroma_minus8;
} Sps;

/* The SPS met so far, by id. */
typedef struct
{
  guint32 known;
  Sps sps[32];
} SpsSet;

static void
sps_set_add (SpsSet *set, const Sps *sps)
{
  set->sps[sps->id] = *sps;
  set->known |= 1u << sps->id;
}

static const Sps *
sps_set_get (const SpsSet *set, guint id)
{
  return set && id < 32 && (set->known & 1u << id) ? &set->sps[id] : NULL;
}

/* The RBSP of a NAL unit of size >= 1: the bytes after its header, less
 * the emulation prevention bytes (a 03 after two zero bytes). */
static guint8 *
nal_rbsp (const guint8 *nal, gsize size, gsize *rbsp_size)
{
  guint8 *rbsp = g_malloc (size);
  guint zeros = 0;
  gsize n = 0;

  for (gsize i = 1; i < size; i++)
    {
      if (zeros >= 2 && nal[i] == 3)
        {
          zeros = 0;
          continue;
        }
      zeros = nal[i] == 0 ? zeros + 1 : 0;
      rbsp[n++] = nal[i];
    }
  *rbsp_size = n;
  return rbsp;
}

/* Where the rbsp_stop_one_bit is: the last 1 bit; G_MAXUINT64 if there
 * is none. */
static guint64
rbsp_stop_bit (const TgBits *b)
{
  gsize last = b->size;

  while (last > 0 && b->data[last - 1] == 0)
    last--;
  if (last == 0)
    return G_MAXUINT64;
  return (guint64) (last - 1) * 8 + 7
         - (guint64) g_bit_nth_lsf (b->data[last - 1], -1);
}

/* The profiles of H.264 A.2 and its annexes (G: SVC, H: MVC, I: MVCD). */
static gboolean
known_profile (guint profile_idc)
{
  static const guint8 known[] = { 66, 77, 88,  100, 110, 122, 244, 44,
                                  83, 86, 118, 128, 138, 139, 134, 135 };

  return memchr (known, (int) profile_idc, sizeof known) != NULL;
}

/* Those whose SPS has chroma_format_idc and the rest (7.3.2.1.1). */
static gboolean
high_profile (guint profile_idc)
{
  return known_profile (profile_idc) && profile_idc != 66 && profile_idc != 77
         && profile_idc != 88;
}

/* scaling_list() count times behind its present flag, 7.3.2.1.1.1. */
static gboolean
scaling_lists (TgBits *b, guint count)
{
  for (guint i = 0; i < count; i++)
    {
      guint size = i < 6 ? 16 : 64;
      gint64 last = 8, next = 8;

      if (!tg_bits_read (b, 1))
        continue;
      for (guint j = 0; j < size && next != 0; j++)
        {
          gint64 delta = tg_bits_se (b);

          if (delta < -128 || delta > 127)
            return FALSE;
          next = (last + delta + 256) % 256;
          if (next != 0)
            last = next;
        }
    }
  return TRUE;
}

/* What a NAL unit of a kind must be before its RBSP is read. */
typedef struct
{
  guint type;
  gsize min_size;
  const char *empty, *forbidden, *wrong_type, *too_short;
} NalRule;

static const NalRule sps_rule = { 7,
                                  4,
                                  SPS "empty",
                                  SPS "forbidden_zero_bit is 1",
                                  SPS "NAL unit type is not 7",
                                  SPS "shorter than 4 bytes" };
static const NalRule pps_rule = { 8,
                                  2,
                                  PPS "empty",
                                  PPS "forbidden_zero_bit is 1",
                                  PPS "NAL unit type is not 8",
                                  PPS "shorter than 2 bytes" };
static const NalRule sps_extension_rule
    = { 13,
        1,
        AVCC "an empty SPS extension",
        AVCC "forbidden_zero_bit is 1 in an SPS extension",
        AVCC "an SPS extension of NAL unit type other than 13",
        NULL };

static gboolean
nal_header (const guint8 *nal, gsize size, const NalRule *rule,
            const char **reason)
{
  if (size == 0)
    return tg_codec_refuse (reason, rule->empty);
  if (nal[0] & 0x80)
    return tg_codec_refuse (reason, rule->forbidden);
  if ((nal[0] & 0x1f) != rule->type)
    return tg_codec_refuse (reason, rule->wrong_type);
  if (size < rule->min_size)
    return tg_codec_refuse (reason, rule->too_short);
  return TRUE;
}

/* hrd_parameters(), E.1.2. */
static gboolean
parse_hrd (TgBits *b)
{
  guint count = tg_bits_ue (b) + 1; /* cpb_cnt_minus1 */

  if (count > 32)
    return FALSE;
  tg_bits_read (b, 8); /* bit_rate_scale, cpb_size_scale */
  for (guint i = 0; i < count; i++)
    {
      tg_bits_ue (b); /* bit_rate_value_minus1 */
      tg_bits_ue (b); /* cpb_size_value_minus1 */
      tg_bits_read (b, 1);
    }
  tg_bits_read (b, 20); /* four delay and offset lengths */
  return TRUE;
}

/* vui_parameters(), E.1.1. Its values are not judged (streams with a wrong
 * frame rate in it are common), but what GStreamer 1.22's parser refuses
 * is: it then drops the SPS, and its PPS with it, so h264parse puts none
 * in the byte-stream it makes for HLS. */
static gboolean
parse_vui (TgBits *b)
{
  gboolean hrd;

  if (tg_bits_read (b, 1) && tg_bits_read (b, 8) == 255) /* aspect_ratio_idc */
    tg_bits_read (b, 32);                                /* sar_width, height */
  if (tg_bits_read (b, 1))                               /* overscan_info */
    tg_bits_read (b, 1);
  if (tg_bits_read (b, 1)) /* video_signal_type_present_flag */
    {
      tg_bits_read (b, 4); /* video_format, video_full_range_flag */
      if (tg_bits_read (b, 1))
        tg_bits_read (b, 24); /* colour description */
    }
  if (tg_bits_read (b, 1) && (tg_bits_ue (b) > 5 || tg_bits_ue (b) > 5))
    return FALSE;          /* chroma_sample_loc_type_top/bottom_field */
  if (tg_bits_read (b, 1)) /* timing_info_present_flag */
    {
      tg_bits_read (b, 32); /* num_units_in_tick */
      tg_bits_read (b, 32); /* time_scale */
      tg_bits_read (b, 1);  /* fixed_frame_rate_flag */
    }
  hrd = tg_bits_read (b, 1); /* nal_hrd_parameters_present_flag */
  if (hrd && !parse_hrd (b))
    return FALSE;
  if (tg_bits_read (b, 1)) /* vcl_hrd_parameters_present_flag */
    {
      if (!parse_hrd (b))
        return FALSE;
      hrd = TRUE;
    }
  if (hrd)
    tg_bits_read (b, 1);   /* low_delay_hrd_flag */
  tg_bits_read (b, 1);     /* pic_struct_present_flag */
  if (tg_bits_read (b, 1)) /* bitstream_restriction_flag */
    {
      tg_bits_read (b, 1);
      tg_bits_ue (b); /* max_bytes_per_pic_denom */
      if (tg_bits_ue (b) > 16 || tg_bits_ue (b) > 16 || tg_bits_ue (b) > 16)
        return FALSE; /* max_bits_per_mb_denom, log2_max_mv_length_* */
      tg_bits_ue (b); /* max_num_reorder_frames */
      tg_bits_ue (b); /* max_dec_frame_buffering */
    }
  return !b->overrun;
}

/* seq_parameter_set_data(). */
static gboolean
parse_sps (TgBits *b, Sps *sps, const char **reason)
{
  guint64 width_mbs, height_mbs, crop_x = 1, crop_y = 1, left = 0, right = 0,
                                 top = 0, bottom = 0;
  gboolean separate_planes = FALSE, frame_mbs_only, vui;
  guint poc_type;

  memset (sps, 0, sizeof *sps);
  sps->profile_idc = tg_bits_read (b, 8);
  sps->constraints = tg_bits_read (b, 8);
  sps->level_idc = tg_bits_read (b, 8);
  if (!known_profile (sps->profile_idc))
    return tg_codec_refuse (reason, SPS "unknown profile_idc");
  sps->id = tg_bits_ue (b);
  if (sps->id > 31)
    return tg_codec_refuse (reason, SPS "seq_parameter_set_id above 31");
  sps->chroma_format_idc = 1;
  if (high_profile (sps->profile_idc))
    {
      sps->chroma_format_idc = tg_bits_ue (b);
      if (sps->chroma_format_idc > 3)
        return tg_codec_refuse (reason, SPS "chroma_format_idc above 3");
      if (sps->chroma_format_idc == 3)
        separate_planes = tg_bits_read (b, 1);
      sps->bit_depth_luma_minus8 = tg_bits_ue (b);
      if (sps->bit_depth_luma_minus8 > 6)
        return tg_codec_refuse (reason, SPS "bit_depth_luma_minus8 above 6");
      sps->bit_depth_chroma_minus8 = tg_bits_ue (b);
      if (sps->bit_depth_chroma_minus8 > 6)
        return tg_codec_refuse (reason, SPS "bit_depth_chroma_minus8 above 6");
      tg_bits_read (b, 1); /* qpprime_y_zero_transform_bypass_flag */
      if (tg_bits_read (b, 1)
          && !scaling_lists (b, sps->chroma_format_idc != 3 ? 8 : 12))
        return tg_codec_refuse (reason, SPS "scaling list delta_scale outside "
                                            "-128..127");
    }
  if (tg_bits_ue (b) > 12)
    return tg_codec_refuse (reason, SPS "log2_max_frame_num_minus4 above 12");
  poc_type = tg_bits_ue (b);
  if (poc_type > 2)
    return tg_codec_refuse (reason, SPS "pic_order_cnt_type above 2");
  if (poc_type == 0 && tg_bits_ue (b) > 12)
    return tg_codec_refuse (reason,
                            SPS "log2_max_pic_order_cnt_lsb_minus4 above 12");
  if (poc_type == 1)
    {
      guint cycle;

      tg_bits_read (b, 1); /* delta_pic_order_always_zero_flag */
      tg_bits_se (b);      /* offset_for_non_ref_pic */
      tg_bits_se (b);      /* offset_for_top_to_bottom_field */
      cycle = tg_bits_ue (b);
      if (cycle > 255)
        return tg_codec_refuse (reason,
                                SPS "num_ref_frames_in_pic_order_cnt_cycle "
                                    "above 255");
      for (guint i = 0; i < cycle; i++)
        tg_bits_se (b);
    }
  if (tg_bits_ue (b) > 16)
    return tg_codec_refuse (reason, SPS "max_num_ref_frames above 16");
  tg_bits_read (b, 1); /* gaps_in_frame_num_value_allowed_flag */
  width_mbs = (guint64) tg_bits_ue (b) + 1;
  height_mbs = (guint64) tg_bits_ue (b) + 1; /* map units, for now */
  frame_mbs_only = tg_bits_read (b, 1);
  if (!frame_mbs_only)
    tg_bits_read (b, 1); /* mb_adaptive_frame_field_flag */
  tg_bits_read (b, 1);   /* direct_8x8_inference_flag */
  if (tg_bits_read (b, 1))
    {
      left = tg_bits_ue (b);
      right = tg_bits_ue (b);
      top = tg_bits_ue (b);
      bottom = tg_bits_ue (b);
    }
  vui = tg_bits_read (b, 1);
  if (b->overrun)
    return tg_codec_refuse (reason,
                            SPS "truncated (a field runs past its end)");

  height_mbs *= 2 - frame_mbs_only;
  if (width_mbs > MAX_MBS || height_mbs > MAX_MBS)
    return tg_codec_refuse (reason,
                            SPS "picture wider or taller than 8192 pixels");
  /* 7.4.2.1.1: CropUnitX and CropUnitY. */
  if (!separate_planes && sps->chroma_format_idc != 0)
    {
      crop_x = sps->chroma_format_idc == 3 ? 1 : 2;
      crop_y = sps->chroma_format_idc == 1 ? 2 : 1;
    }
  crop_y *= 2 - frame_mbs_only;
  if ((left + right) * crop_x >= width_mbs * 16
      || (top + bottom) * crop_y >= height_mbs * 16)
    return tg_codec_refuse (reason, SPS "frame cropping leaves no picture");
  if (vui && !parse_vui (b))
    return tg_codec_refuse (reason,
                            SPS "VUI parameters truncated or out of range");
  return TRUE;
}

static gboolean
check_sps (const guint8 *nal, gsize size, Sps *sps, const char **reason)
{
  g_autofree guint8 *rbsp = NULL;
  gsize rbsp_size;
  TgBits b;

  if (!nal_header (nal, size, &sps_rule, reason))
    return FALSE;
  rbsp = nal_rbsp (nal, size, &rbsp_size);
  tg_bits_init (&b, rbsp, rbsp_size);
  return parse_sps (&b, sps, reason);
}

/* pic_parameter_set_rbsp(), against its SPS in set. Without it there (and
 * need_sps FALSE), the widest QP range is allowed and the 8x8 scaling
 * lists are counted as for chroma_format_idc 1, or 3 if chroma444. */
static gboolean
parse_pps (TgBits *b, const SpsSet *set, gboolean need_sps, gboolean chroma444,
           gboolean *sps_known, const char **reason)
{
  gint64 qp_min = -(26 + 6 * 6), value;
  const Sps *sps;
  guint64 stop;
  guint sps_id;

  *sps_known = FALSE;
  if (tg_bits_ue (b) > 255)
    return tg_codec_refuse (reason, PPS "pic_parameter_set_id above 255");
  sps_id = tg_bits_ue (b);
  if (sps_id > 31)
    return tg_codec_refuse (reason, PPS "seq_parameter_set_id above 31");
  sps = sps_set_get (set, sps_id);
  *sps_known = sps != NULL;
  if (b->overrun)
    return tg_codec_refuse (reason,
                            PPS "truncated (a field runs past its end)");
  if (need_sps && sps == NULL)
    return tg_codec_refuse (reason,
                            PPS "seq_parameter_set_id names no SPS of the "
                                "record");
  if (sps)
    {
      qp_min = -(26 + 6 * (gint64) sps->bit_depth_luma_minus8);
      chroma444 = sps->chroma_format_idc == 3;
    }
  tg_bits_read (b, 2); /* entropy_coding_mode_flag, bottom_field_pic_order... */
  if (tg_bits_ue (b) != 0)
    return tg_codec_refuse (reason,
                            PPS "slice groups (FMO, num_slice_groups_minus1 "
                                "above 0) are not supported");
  if (tg_bits_ue (b) > 31)
    return tg_codec_refuse (reason,
                            PPS "num_ref_idx_l0_default_active_minus1 above "
                                "31");
  if (tg_bits_ue (b) > 31)
    return tg_codec_refuse (reason,
                            PPS "num_ref_idx_l1_default_active_minus1 above "
                                "31");
  tg_bits_read (b, 1); /* weighted_pred_flag */
  if (tg_bits_read (b, 2) == 3)
    return tg_codec_refuse (reason, PPS "weighted_bipred_idc 3 (reserved)");
  value = tg_bits_se (b);
  if (value < qp_min || value > 25)
    return tg_codec_refuse (reason, PPS "pic_init_qp_minus26 out of range");
  value = tg_bits_se (b);
  if (value < -26 || value > 25)
    return tg_codec_refuse (reason, PPS "pic_init_qs_minus26 outside -26..25");
  value = tg_bits_se (b);
  if (value < -12 || value > 12)
    return tg_codec_refuse (reason,
                            PPS "chroma_qp_index_offset outside -12..12");
  /* deblocking_filter_control_present_flag, constrained_intra_pred_flag,
   * redundant_pic_cnt_present_flag */
  tg_bits_read (b, 3);
  if (b->overrun)
    return tg_codec_refuse (reason,
                            PPS "truncated (a field runs past its end)");
  /* Without a stop bit after them, GStreamer reads on, and fails. */
  stop = rbsp_stop_bit (b);
  if (stop == G_MAXUINT64 || stop < b->pos)
    return tg_codec_refuse (reason,
                            PPS "no rbsp_stop_one_bit after its fields");
  if (b->pos < stop) /* more_rbsp_data() */
    {
      guint transform_8x8 = tg_bits_read (b, 1);

      if (tg_bits_read (b, 1)
          && !scaling_lists (b, 6 + (chroma444 ? 6 : 2) * transform_8x8))
        return tg_codec_refuse (reason, PPS "scaling list delta_scale outside "
                                            "-128..127");
      value = tg_bits_se (b);
      if (value < -12 || value > 12)
        return tg_codec_refuse (reason,
                                PPS "second_chroma_qp_index_offset outside "
                                    "-12..12");
      if (b->overrun)
        return tg_codec_refuse (reason,
                                PPS "truncated (a field runs past its end)");
    }
  return TRUE;
}

/* A PPS against the SPS in set (may be NULL). need_sps: its SPS must be
 * there. */
static gboolean
check_pps (const guint8 *nal, gsize size, const SpsSet *set, gboolean need_sps,
           const char **reason)
{
  g_autofree guint8 *rbsp = NULL;
  gboolean sps_known;
  const char *other;
  gsize rbsp_size;
  TgBits b;

  if (!nal_header (nal, size, &pps_rule, reason))
    return FALSE;
  rbsp = nal_rbsp (nal, size, &rbsp_size);
  tg_bits_init (&b, rbsp, rbsp_size);
  if (parse_pps (&b, set, need_sps, FALSE, &sps_known, reason))
    return TRUE;
  if (sps_known)
    return FALSE;
  /* Its SPS unknown, it may be one of 4:4:4 video. */
  tg_bits_init (&b, rbsp, rbsp_size);
  return parse_pps (&b, set, need_sps, TRUE, &sps_known, &other);
}

gboolean
tg_codec_check_h264_sps (const guint8 *nal, gsize size, const char **reason)
{
  const char *unused;
  Sps sps;

  if (reason == NULL)
    reason = &unused;
  return check_sps (nal, size, &sps, reason) && tg_codec_accept (reason);
}

gboolean
tg_codec_check_h264_pps (const guint8 *nal, gsize size, const char **reason)
{
  const char *unused;

  if (reason == NULL)
    reason = &unused;
  return check_pps (nal, size, NULL, FALSE, reason) && tg_codec_accept (reason);
}

/* --- avcC --- */

/* level_idc ordered, level 1b (9, or 11 with constraint_set3_flag in the
 * Baseline, Main and Extended profiles) between 1 and 1.1. */
static guint
level_rank (guint level_idc, const Sps *sps)
{
  if (level_idc == 9
      || (level_idc == 11 && sps && (sps->constraints & 0x10)
          && !high_profile (sps->profile_idc)))
    return 105;
  return level_idc * 10;
}

/* A list of parameter sets in an avcC: each a 16-bit length and a NAL unit
 * of at least min_size bytes. */
static gboolean
avcc_nal (const guint8 *data, gsize size, gsize *pos, gsize min_size,
          const char *too_short, const guint8 **nal, gsize *nal_size,
          const char **reason)
{
  if (size - *pos < 2)
    return tg_codec_refuse (reason,
                            AVCC "truncated (a parameter set length runs past "
                                 "its end)");
  *nal_size = (gsize) data[*pos] << 8 | data[*pos + 1];
  *pos += 2;
  if (*nal_size < min_size)
    return tg_codec_refuse (reason, too_short);
  if (*nal_size > size - *pos)
    return tg_codec_refuse (reason,
                            AVCC "a parameter set runs past the end of the "
                                 "record");
  *nal = data + *pos;
  *pos += *nal_size;
  return TRUE;
}

/* After the PPS, for the profiles whose SPS has a chroma_format_idc
 * (ISO 14496-15 5.2.4.1.1): chroma format, bit depths and SPS extensions,
 * absent, or well-formed and as in the first SPS. */
static gboolean
avcc_extension (const guint8 *data, gsize size, gsize pos, const Sps *first,
                const char **reason)
{
  guint count;

  if (pos == size || !high_profile (first->profile_idc))
    return TRUE;
  if (size - pos < 4)
    return tg_codec_refuse (reason,
                            AVCC "truncated chroma format and bit depth "
                                 "extension");
  if ((data[pos] & 3) != first->chroma_format_idc)
    return tg_codec_refuse (reason,
                            AVCC "chroma_format differs from the SPS's");
  if ((data[pos + 1] & 7) != first->bit_depth_luma_minus8
      || (data[pos + 2] & 7) != first->bit_depth_chroma_minus8)
    return tg_codec_refuse (reason, AVCC "bit depths differ from the SPS's");
  count = data[pos + 3];
  pos += 4;
  for (guint i = 0; i < count; i++)
    {
      const guint8 *nal;
      gsize nal_size;

      if (!avcc_nal (data, size, &pos, 1, AVCC "an empty SPS extension", &nal,
                     &nal_size, reason)
          || !nal_header (nal, nal_size, &sps_extension_rule, reason))
        return FALSE;
    }
  return TRUE;
}

gboolean
tg_codec_check_avcc (const guint8 *data, gsize size, const char **reason)
{
  const char *unused;
  SpsSet set = { 0 };
  Sps first = { 0 };
  guint count;
  gsize pos;

  if (reason == NULL)
    reason = &unused;
  if (size == 0)
    return tg_codec_refuse (reason, AVCC "empty");
  if (size < 7)
    return tg_codec_refuse (reason, AVCC "shorter than 7 bytes");
  if (data[0] != 1)
    return tg_codec_refuse (reason, AVCC "configurationVersion is not 1");
  if ((data[4] & 3) == 2)
    return tg_codec_refuse (reason,
                            AVCC "lengthSizeMinusOne 2 (3-byte NAL lengths) is "
                                 "not supported");
  count = data[5] & 0x1f;
  if (count == 0)
    return tg_codec_refuse (reason, AVCC "no SPS");
  pos = 6;
  for (guint i = 0; i < count; i++)
    {
      const guint8 *nal;
      gsize nal_size;
      Sps sps;

      if (!avcc_nal (data, size, &pos, 4, AVCC "an SPS shorter than 4 bytes",
                     &nal, &nal_size, reason)
          || !check_sps (nal, nal_size, &sps, reason))
        return FALSE;
      if (i == 0)
        first = sps;
      sps_set_add (&set, &sps);
    }
  if (pos == size)
    return tg_codec_refuse (reason, AVCC "truncated (no PPS count)");
  count = data[pos++];
  if (count == 0)
    return tg_codec_refuse (reason, AVCC "no PPS");
  for (guint i = 0; i < count; i++)
    {
      const guint8 *nal;
      gsize nal_size;

      if (!avcc_nal (data, size, &pos, 2, AVCC "a PPS shorter than 2 bytes",
                     &nal, &nal_size, reason)
          || !check_pps (nal, nal_size, &set, TRUE, reason))
        return FALSE;
    }
  if (data[1] != first.profile_idc)
    return tg_codec_refuse (reason,
                            AVCC "AVCProfileIndication is not the SPS's "
                                 "profile_idc");
  if (data[2] & ~first.constraints)
    return tg_codec_refuse (reason,
                            AVCC "profile_compatibility has flags the SPS has "
                                 "not");
  if (level_rank (data[3], &first) < level_rank (first.level_idc, &first))
    return tg_codec_refuse (reason, AVCC "AVCLevelIndication below the SPS's "
                                         "level_idc");
  if (!avcc_extension (data, size, pos, &first, reason))
    return FALSE;
  return tg_codec_accept (reason);
}

/* --- access units --- */

static gboolean
check_nal (const guint8 *nal, gsize size, SpsSet *set, const char **reason)
{
  Sps sps;

  if (nal[0] & 0x80)
    return tg_codec_refuse (reason, AU "forbidden_zero_bit is 1");
  switch (nal[0] & 0x1f)
    {
    case 7:
      if (!check_sps (nal, size, &sps, reason))
        return FALSE;
      sps_set_add (set, &sps);
      return TRUE;
    case 8:
      return check_pps (nal, size, set, FALSE, reason);
    default:
      return TRUE;
    }
}

/* Where the next start code (00 00 01) begins at or after from; size if
 * there is none. */
static gsize
next_start_code (const guint8 *data, gsize size, gsize from)
{
  while (size >= 3 && from <= size - 3)
    {
      const guint8 *one = memchr (data + from + 2, 1, size - from - 2);
      gsize at;

      if (one == NULL)
        break;
      at = one - data;
      if (data[at - 1] == 0 && data[at - 2] == 0)
        return at - 2;
      from = at - 1;
    }
  return size;
}

static gboolean
check_annex_b (const guint8 *data, gsize size, SpsSet *set, const char **reason)
{
  gsize start = next_start_code (data, size, 0);

  if (start == size)
    return tg_codec_refuse (reason, AU "no start code (00 00 01)");
  for (gsize i = 0; i < start; i++)
    if (data[i] != 0)
      return tg_codec_refuse (reason, AU "bytes before the first start code");
  for (gsize pos = start + 3;;)
    {
      gsize next = next_start_code (data, size, pos), end = next;

      /* Zero bytes at the end are trailing_zero_8bits, or the first byte of
       * a 4-byte start code. */
      while (end > pos && data[end - 1] == 0)
        end--;
      if (end == pos)
        return tg_codec_refuse (reason, AU "an empty NAL unit");
      if (!check_nal (data + pos, end - pos, set, reason))
        return FALSE;
      if (next == size)
        return TRUE;
      pos = next + 3;
    }
}

gboolean
tg_codec_check_h264_frame (const guint8 *data, gsize size,
                           guint nal_length_size, const char **reason)
{
  const char *unused;
  SpsSet set = { 0 };
  gsize pos = 0;

  if (reason == NULL)
    reason = &unused;
  if (nal_length_size != 0 && nal_length_size != 1 && nal_length_size != 2
      && nal_length_size != 4)
    return tg_codec_refuse (reason, AU "NAL length size other than 1, 2 or 4");
  if (size == 0)
    return tg_codec_refuse (reason, AU "empty");
  if (nal_length_size == 0)
    return check_annex_b (data, size, &set, reason) && tg_codec_accept (reason);
  while (pos < size)
    {
      gsize length = 0;

      if (size - pos < nal_length_size)
        return tg_codec_refuse (reason, AU "a NAL length cut short at the end");
      for (guint i = 0; i < nal_length_size; i++)
        length = length << 8 | data[pos++];
      if (length == 0)
        return tg_codec_refuse (reason, AU "an empty NAL unit (length 0)");
      if (length > size - pos)
        return tg_codec_refuse (reason,
                                AU "a NAL length runs past the end of the "
                                   "access unit");
      if (!check_nal (data + pos, length, &set, reason))
        return FALSE;
      pos += length;
    }
  return tg_codec_accept (reason);
}
