/* H.264 records built bit by bit for test-codec-h264.c: a bit writer
 * (Exp-Golomb codes, NAL units with emulation prevention), SPS and PPS from
 * "name=value" settings over defaults, and access units of NAL units behind
 * lengths or start codes. Static inline, like codec-test.h. */
#pragma once

#include <glib.h>
#include <string.h>

/* A bit writer for records built here. */
typedef struct
{
  GByteArray *bytes;
  guint64 bits;
} Writer;

static inline Writer *
writer_new (void)
{
  Writer *w = g_new0 (Writer, 1);

  w->bytes = g_byte_array_new ();
  return w;
}

static inline void
writer_free (Writer *w)
{
  g_byte_array_unref (w->bytes);
  g_free (w);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Writer, writer_free)

static inline void
put (Writer *w, guint n, guint64 value)
{
  static const guint8 zero = 0;

  while (n-- > 0)
    {
      if (w->bits % 8 == 0)
        g_byte_array_append (w->bytes, &zero, 1);
      if ((value >> n) & 1)
        w->bytes->data[w->bytes->len - 1] |= 0x80 >> (w->bits % 8);
      w->bits++;
    }
}

static inline void
put_ue (Writer *w, guint64 value)
{
  guint n = g_bit_storage (value + 1);

  put (w, n - 1, 0);
  put (w, n, value + 1);
}

static inline void
put_se (Writer *w, gint64 value)
{
  put_ue (w, value > 0 ? (guint64) (2 * value - 1) : (guint64) (-2 * value));
}

/* A NAL unit: header, the bits written, rbsp_stop_one_bit and alignment,
 * with emulation prevention bytes put in. */
static inline GBytes *
writer_nal (Writer *w, guint8 header)
{
  g_autoptr (GByteArray) nal = g_byte_array_new ();
  guint zeros = 0;

  put (w, 1, 1);
  g_byte_array_append (nal, &header, 1);
  for (guint i = 0; i < w->bytes->len; i++)
    {
      static const guint8 three = 3;
      guint8 byte = w->bytes->data[i];

      if (zeros >= 2 && byte <= 3)
        {
          g_byte_array_append (nal, &three, 1);
          zeros = 0;
        }
      g_byte_array_append (nal, &byte, 1);
      zeros = byte == 0 ? zeros + 1 : 0;
    }
  return g_bytes_new (nal->data, nal->len);
}

/* An access unit of NAL units each behind a length of size bytes, or with
 * size 0 behind 4-byte start codes. */
static inline GBytes *
access_unit (guint size, GBytes *const *nals, guint count)
{
  g_autoptr (GByteArray) au = g_byte_array_new ();

  for (guint i = 0; i < count; i++)
    {
      gsize nal_size;
      const guint8 *nal = g_bytes_get_data (nals[i], &nal_size);
      guint8 prefix[4] = { 0, 0, 0, 1 };

      if (size)
        for (guint k = 0; k < size; k++)
          prefix[k] = nal_size >> (8 * (size - 1 - k));
      g_byte_array_append (au, prefix, size ? size : 4);
      g_byte_array_append (au, nal, nal_size);
    }
  return g_bytes_new (au->data, au->len);
}

/* --- H.264 SPS, built --- */

/* The fields of a built SPS; sps_fields has the defaults: High, 320x240,
 * no VUI. */
typedef struct
{
  gint64 profile_idc, constraints, level_idc, id;
  gint64 chroma_format_idc, separate_planes, luma_minus8, chroma_minus8;
  gint64 scaling_lists, scaling_delta; /* scaling_lists: how many present */
  gint64 log2_max_frame_num_minus4, poc_type, log2_max_poc_lsb_minus4;
  gint64 poc_cycle, max_num_ref_frames, width_mbs_minus1,
      height_map_units_minus1, frame_mbs_only;
  gint64 crop, crop_left, crop_right, crop_top, crop_bottom;
  /* 0: none; 1: full (timing, NAL HRD, restrictions); 2: cut in the SAR;
   * 3: chroma_sample_loc_type 6; 4: max_bits_per_mb_denom 17; 5: 33 CPB */
  gint64 vui;
  /* Instead of pic_height_in_map_units_minus1: 1 a code of 32 zero bits;
   * 2 a code cut by the end of the NAL. */
  gint64 bad_height;
} SpsFields;

static const SpsFields sps_fields = {
  .profile_idc = 100,
  .level_idc = 13,
  .chroma_format_idc = 1,
  .log2_max_poc_lsb_minus4 = 2,
  .max_num_ref_frames = 4,
  .width_mbs_minus1 = 19,
  .height_map_units_minus1 = 14,
  .frame_mbs_only = 1,
};

static inline gboolean
high_profile (gint64 profile_idc)
{
  return profile_idc != 66 && profile_idc != 77 && profile_idc != 88;
}

static inline void
put_scaling_list (Writer *w, guint size, gint64 first_delta)
{
  gint64 last = 8, next = 8;

  for (guint j = 0; j < size && next != 0; j++)
    {
      gint64 delta = j == 0 ? first_delta : 0;

      put_se (w, delta);
      next = ((last + delta) % 256 + 256) % 256;
      if (next != 0)
        last = next;
    }
}

static inline void
put_hrd (Writer *w, guint count)
{
  put_ue (w, count - 1);
  put (w, 8, 0x43);
  for (guint i = 0; i < count; i++)
    {
      put_ue (w, 1000 + i);
      put_ue (w, 2000 + i);
      put (w, 1, i & 1);
    }
  put (w, 20, 0xbdef7);
}

static inline void
put_vui (Writer *w, gint64 vui)
{
  put (w, 1, 1);
  put (w, 8, 255); /* aspect_ratio_idc: extended SAR */
  if (vui == 2)
    {
      put (w, 8, 1); /* the SAR cut */
      return;
    }
  put (w, 32, 0x00010001);
  put (w, 2, 3);  /* overscan */
  put (w, 1, 1);  /* video_signal_type_present_flag */
  put (w, 5, 11); /* video_format, full range, colour description */
  put (w, 24, 0x010101);
  put (w, 1, 1); /* chroma_loc_info_present_flag */
  put_ue (w, 1);
  put_ue (w, vui == 3 ? 6 : 1);
  put (w, 1, 1); /* timing */
  put (w, 32, 1001);
  put (w, 32, 60000);
  put (w, 1, 1);
  put (w, 1, 1); /* NAL HRD */
  put_hrd (w, vui == 5 ? 33 : 2);
  put (w, 1, 0); /* VCL HRD */
  put (w, 1, 0); /* low_delay_hrd_flag */
  put (w, 1, 1); /* pic_struct_present_flag */
  put (w, 1, 1); /* bitstream_restriction_flag */
  put (w, 1, 1);
  put_ue (w, 2);
  put_ue (w, vui == 4 ? 17 : 1);
  put_ue (w, 16);
  put_ue (w, 16);
  put_ue (w, 2);
  put_ue (w, 4);
}

static inline GBytes *
build_sps (const SpsFields *f)
{
  g_autoptr (Writer) w = writer_new ();

  put (w, 8, f->profile_idc);
  put (w, 8, f->constraints);
  put (w, 8, f->level_idc);
  put_ue (w, f->id);
  if (high_profile (f->profile_idc))
    {
      put_ue (w, f->chroma_format_idc);
      if (f->chroma_format_idc == 3)
        put (w, 1, f->separate_planes);
      put_ue (w, f->luma_minus8);
      put_ue (w, f->chroma_minus8);
      put (w, 1, 0);
      put (w, 1, f->scaling_lists > 0);
      if (f->scaling_lists > 0)
        for (guint i = 0; i < (f->chroma_format_idc != 3 ? 8u : 12u); i++)
          {
            put (w, 1, i < f->scaling_lists);
            if (i < f->scaling_lists)
              put_scaling_list (w, i < 6 ? 16 : 64,
                                i == 0 ? f->scaling_delta : 3);
          }
    }
  put_ue (w, f->log2_max_frame_num_minus4);
  put_ue (w, f->poc_type);
  if (f->poc_type == 0)
    put_ue (w, f->log2_max_poc_lsb_minus4);
  if (f->poc_type == 1)
    {
      put (w, 1, 0);
      put_se (w, -1);
      put_se (w, 2);
      put_ue (w, f->poc_cycle);
      for (gint64 i = 0; i < MIN (f->poc_cycle, 300); i++)
        put_se (w, i - 10);
    }
  put_ue (w, f->max_num_ref_frames);
  put (w, 1, 0);
  put_ue (w, f->width_mbs_minus1);
  if (f->bad_height == 1)
    put (w, 32, 0);
  if (f->bad_height == 2)
    {
      put (w, 12, 0);
      return writer_nal (w, 0x67);
    }
  if (f->bad_height == 0)
    put_ue (w, f->height_map_units_minus1);
  put (w, 1, f->frame_mbs_only);
  if (!f->frame_mbs_only)
    put (w, 1, 1);
  put (w, 1, 1);
  put (w, 1, f->crop);
  if (f->crop)
    {
      put_ue (w, f->crop_left);
      put_ue (w, f->crop_right);
      put_ue (w, f->crop_top);
      put_ue (w, f->crop_bottom);
    }
  put (w, 1, f->vui != 0);
  if (f->vui)
    put_vui (w, f->vui);
  return writer_nal (w, 0x67);
}

/* A field of SpsFields or PpsFields, by name. */
typedef struct
{
  const char *name;
  gsize offset;
} Field;

#define SPS_FIELD(name)                                                        \
  {                                                                            \
#name, G_STRUCT_OFFSET(SpsFields, name)                                    \
  }

static const Field sps_field_names[] = {
  SPS_FIELD (profile_idc),
  SPS_FIELD (constraints),
  SPS_FIELD (level_idc),
  SPS_FIELD (id),
  SPS_FIELD (chroma_format_idc),
  SPS_FIELD (separate_planes),
  SPS_FIELD (luma_minus8),
  SPS_FIELD (chroma_minus8),
  SPS_FIELD (scaling_lists),
  SPS_FIELD (scaling_delta),
  SPS_FIELD (log2_max_frame_num_minus4),
  SPS_FIELD (poc_type),
  SPS_FIELD (log2_max_poc_lsb_minus4),
  SPS_FIELD (poc_cycle),
  SPS_FIELD (max_num_ref_frames),
  SPS_FIELD (width_mbs_minus1),
  SPS_FIELD (height_map_units_minus1),
  SPS_FIELD (frame_mbs_only),
  SPS_FIELD (crop),
  SPS_FIELD (crop_left),
  SPS_FIELD (crop_right),
  SPS_FIELD (crop_top),
  SPS_FIELD (crop_bottom),
  SPS_FIELD (vui),
  SPS_FIELD (bad_height),
};

/* "name=value name=value" set on fields (of a struct of gint64). */
static inline void
set_fields (gpointer fields, const Field *names, guint count,
            const char *settings)
{
  g_auto (GStrv) items = g_strsplit (settings, " ", -1);

  for (guint i = 0; items[i]; i++)
    {
      g_auto (GStrv) kv = g_strsplit (items[i], "=", 2);
      guint k = 0;

      if (*items[i] == '\0')
        continue;
      while (k < count && strcmp (names[k].name, kv[0]) != 0)
        k++;
      g_assert_cmpuint (k, <, count);
      G_STRUCT_MEMBER (gint64, fields, names[k].offset)
          = g_ascii_strtoll (kv[1], NULL, 10);
    }
}

/* An SPS: sps_fields with settings ("name=value ...") applied. */
static inline GBytes *
sps_with (const char *settings)
{
  SpsFields f = sps_fields;

  set_fields (&f, sps_field_names, G_N_ELEMENTS (sps_field_names), settings);
  return build_sps (&f);
}

/* --- H.264 PPS, built --- */

typedef struct
{
  gint64 pps_id, sps_id, entropy, bottom_field, slice_groups_minus1;
  gint64 l0_minus1, l1_minus1, weighted_pred, weighted_bipred_idc;
  gint64 qp, qs, chroma_qp, flags;
  /* The optional part: transform_8x8, scaling lists present and the first
   * delta of the first, second_chroma_qp_index_offset. */
  gint64 more, transform_8x8, scaling_lists, scaling_delta, second_chroma_qp;
  gint64 chroma444; /* 12 lists with transform_8x8, not 8 */
} PpsFields;

#define PPS_FIELD(name)                                                        \
  {                                                                            \
#name, G_STRUCT_OFFSET(PpsFields, name)                                    \
  }

static const Field pps_field_names[] = {
  PPS_FIELD (pps_id),
  PPS_FIELD (sps_id),
  PPS_FIELD (entropy),
  PPS_FIELD (bottom_field),
  PPS_FIELD (slice_groups_minus1),
  PPS_FIELD (l0_minus1),
  PPS_FIELD (l1_minus1),
  PPS_FIELD (weighted_pred),
  PPS_FIELD (weighted_bipred_idc),
  PPS_FIELD (qp),
  PPS_FIELD (qs),
  PPS_FIELD (chroma_qp),
  PPS_FIELD (flags),
  PPS_FIELD (more),
  PPS_FIELD (transform_8x8),
  PPS_FIELD (scaling_lists),
  PPS_FIELD (scaling_delta),
  PPS_FIELD (second_chroma_qp),
  PPS_FIELD (chroma444),
};

/* A PPS: settings applied over the defaults it starts from. */
static inline GBytes *
pps_with (const char *settings)
{
  PpsFields f = { .entropy = 1, .l0_minus1 = 2, .flags = 4 };
  g_autoptr (Writer) w = writer_new ();

  set_fields (&f, pps_field_names, G_N_ELEMENTS (pps_field_names), settings);
  put_ue (w, f.pps_id);
  put_ue (w, f.sps_id);
  put (w, 1, f.entropy);
  put (w, 1, f.bottom_field);
  put_ue (w, f.slice_groups_minus1);
  if (f.slice_groups_minus1 > 0)
    {
      /* slice_group_map_type 6, pic_size_in_map_units_minus1 2^32 - 2:
       * GStreamer 1.22 allocates 4 GiB for the ids that follow. */
      put_ue (w, 6);
      put_ue (w, G_GUINT64_CONSTANT (4294967294));
    }
  put_ue (w, f.l0_minus1);
  put_ue (w, f.l1_minus1);
  put (w, 1, f.weighted_pred);
  put (w, 2, f.weighted_bipred_idc);
  put_se (w, f.qp);
  put_se (w, f.qs);
  put_se (w, f.chroma_qp);
  put (w, 3, f.flags);
  if (f.more)
    {
      put (w, 1, f.transform_8x8);
      put (w, 1, f.scaling_lists > 0);
      if (f.scaling_lists > 0)
        {
          guint count = 6 + (f.chroma444 ? 6 : 2) * f.transform_8x8;

          for (guint i = 0; i < count; i++)
            {
              put (w, 1, i < f.scaling_lists);
              if (i < f.scaling_lists)
                put_scaling_list (w, i < 6 ? 16 : 64,
                                  i == 0 ? f.scaling_delta : -2);
            }
        }
      put_se (w, f.second_chroma_qp);
    }
  return writer_nal (w, 0x68);
}
