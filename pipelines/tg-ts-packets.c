#include "tg-ts-packets.h"

#include <string.h>

#define PAYLOAD (TG_TS_PACKET - 4)
#define PAT_PID 0x0000
#define PMT_PID 0x1000
#define PROGRAM 1
#define WRAP_33 ((G_GINT64_CONSTANT (1) << 33) - 1)

/* Only two small sections a key frame: bit by bit. */
guint32
tg_ts_crc32 (const guint8 *data, gsize size)
{
  guint32 crc = 0xffffffff;

  for (gsize i = 0; i < size; i++)
    {
      crc ^= (guint32) data[i] << 24;
      for (int bit = 0; bit < 8; bit++)
        crc = crc & 0x80000000 ? (crc << 1) ^ 0x04c11db7 : crc << 1;
    }
  return crc;
}

static void
write_header (guint8 *p, guint16 pid, gboolean start, gboolean adaptation,
              guint8 *cc)
{
  p[0] = 0x47;
  p[1] = (start ? 0x40 : 0) | (pid >> 8 & 0x1f);
  p[2] = pid & 0xff;
  p[3] = (adaptation ? 0x30 : 0x10) | (*cc & 0x0f);
  *cc = (*cc + 1) & 0x0f;
}

/* One PSI section (its body is section[3..size-4]) in a packet of its own:
 * the header, the pointer field, the section and its CRC, 0xff after. */
static void
write_section (guint8 *p, guint16 pid, guint8 *cc, guint8 *section, gsize size)
{
  guint32 crc;

  section[1] = 0xb0 | ((size - 3) >> 8 & 0x0f);
  section[2] = (size - 3) & 0xff;
  crc = tg_ts_crc32 (section, size - 4);
  section[size - 4] = crc >> 24;
  section[size - 3] = crc >> 16;
  section[size - 2] = crc >> 8;
  section[size - 1] = crc;
  write_header (p, pid, TRUE, FALSE, cc);
  p[4] = 0; /* pointer field */
  memcpy (p + 5, section, size);
  memset (p + 5 + size, 0xff, TG_TS_PACKET - 5 - size);
}

void
tg_ts_write_psi (TgTsProgram *program, guint8 *out)
{
  guint8 pat[16] = { 0x00,
                     0,
                     0,
                     0x00,
                     0x01,
                     0xc1,
                     0,
                     0,
                     PROGRAM >> 8,
                     PROGRAM & 0xff,
                     0xe0 | PMT_PID >> 8,
                     PMT_PID & 0xff };
  guint8 pmt[12 + 5 * TG_TS_TRACKS + 4] = {
    0x02,
    0,
    0,
    PROGRAM >> 8,
    PROGRAM & 0xff,
    0xc1,
    0,
    0,
    0xe0 | program->pcr_pid >> 8,
    program->pcr_pid & 0xff,
    0xf0,
    0x00,
  };
  gsize size = 12;

  for (guint i = 0; i < program->n_tracks && i < TG_TS_TRACKS; i++)
    {
      const TgTsTrack *track = &program->tracks[i];

      pmt[size++] = track->codec == TG_TS_H264 ? 0x1b : 0x0f;
      pmt[size++] = 0xe0 | track->pid >> 8;
      pmt[size++] = track->pid & 0xff;
      pmt[size++] = 0xf0;
      pmt[size++] = 0x00;
    }
  write_section (out, PAT_PID, &program->pat_cc, pat, sizeof pat);
  write_section (out + TG_TS_PACKET, PMT_PID, &program->pmt_cc, pmt, size + 4);
}

/* A 5-byte PES timestamp behind its 4-bit marker. */
static guint8 *
write_timestamp (guint8 *p, guint8 marker, gint64 ts)
{
  ts &= WRAP_33;
  p[0] = marker << 4 | (ts >> 29 & 0x0e) | 1;
  p[1] = ts >> 22;
  p[2] = (ts >> 14 & 0xfe) | 1;
  p[3] = ts >> 7;
  p[4] = (ts << 1 & 0xfe) | 1;
  return p + 5;
}

static gboolean
has_dts (const TgTsFrame *frame)
{
  return frame->dts != TG_TS_NONE && frame->pts != TG_TS_NONE
         && frame->dts != frame->pts;
}

static gsize
pes_header_size (const TgTsFrame *frame)
{
  return 9 + (frame->pts != TG_TS_NONE ? 5 : 0) + (has_dts (frame) ? 5 : 0);
}

/* The first packet's adaptation field, before stuffing: none, or its
 * length byte, flags and the PCR. */
static gsize
first_adaptation_size (const TgTsFrame *frame)
{
  if (frame->pcr != TG_TS_NONE)
    return 8;
  return frame->key ? 2 : 0;
}

gsize
tg_ts_pes_size (const TgTsTrack *track, const TgTsFrame *frame)
{
  gsize total = pes_header_size (frame) + frame->prefix_size + frame->size;
  gsize first = PAYLOAD - first_adaptation_size (frame);

  if (total <= first)
    return TG_TS_PACKET;
  return TG_TS_PACKET * (1 + (total - first + PAYLOAD - 1) / PAYLOAD);
}

static void
write_pes_header (guint8 *p, const TgTsTrack *track, const TgTsFrame *frame)
{
  gsize header = pes_header_size (frame);
  gsize length = header - 6 + frame->prefix_size + frame->size;

  /* Video may say 0: unbounded. */
  if (track->codec == TG_TS_H264 || length > G_MAXUINT16)
    length = 0;
  p[0] = 0;
  p[1] = 0;
  p[2] = 1;
  p[3] = track->codec == TG_TS_H264 ? 0xe0 : 0xc0;
  p[4] = length >> 8;
  p[5] = length & 0xff;
  p[6] = 0x84; /* data aligned */
  p[7] = frame->pts == TG_TS_NONE ? 0 : has_dts (frame) ? 0xc0 : 0x80;
  p[8] = header - 9;
  p += 9;
  if (frame->pts != TG_TS_NONE)
    p = write_timestamp (p, has_dts (frame) ? 3 : 2, frame->pts);
  if (has_dts (frame))
    write_timestamp (p, 1, frame->dts);
}

/* The adaptation field of a packet that has one, stuffed to size bytes
 * (length byte included). */
static void
write_adaptation (guint8 *p, gsize size, const TgTsFrame *first)
{
  gsize used = 2;

  p[0] = size - 1;
  if (size == 1)
    return;
  p[1] = 0;
  if (first && first->key)
    p[1] |= 0x40;
  if (first && first->pcr != TG_TS_NONE)
    {
      gint64 base = (first->pcr / 300) & WRAP_33;
      guint ext = first->pcr % 300;

      p[1] |= 0x10;
      p[2] = base >> 25;
      p[3] = base >> 17;
      p[4] = base >> 9;
      p[5] = base >> 1;
      p[6] = (base & 1) << 7 | 0x7e | ext >> 8;
      p[7] = ext & 0xff;
      used = 8;
    }
  memset (p + used, 0xff, size - used);
}

/* The PES is its header, the prefix and the data: the bytes from off
 * on, n of them, to p. */
static void
copy_pes (guint8 *p, const guint8 *header, gsize header_size,
          const TgTsFrame *frame, gsize off, gsize n)
{
  const guint8 *parts[] = { header, frame->prefix, frame->data };
  const gsize sizes[] = { header_size, frame->prefix_size, frame->size };

  for (guint i = 0; i < G_N_ELEMENTS (parts) && n > 0; i++)
    {
      gsize take;

      if (off >= sizes[i])
        {
          off -= sizes[i];
          continue;
        }
      take = MIN (n, sizes[i] - off);
      memcpy (p, parts[i] + off, take);
      p += take;
      n -= take;
      off = 0;
    }
}

void
tg_ts_write_pes (TgTsTrack *track, const TgTsFrame *frame, guint8 *out)
{
  guint8 header[19];
  gsize header_size = pes_header_size (frame);
  gsize total = header_size + frame->prefix_size + frame->size;
  gsize off = 0;

  write_pes_header (header, track, frame);
  for (gboolean first = TRUE; off < total; first = FALSE)
    {
      gsize adaptation = first ? first_adaptation_size (frame) : 0;
      gsize n = MIN (total - off, PAYLOAD - adaptation);

      /* a short last packet is filled up by its adaptation field */
      if (n < PAYLOAD - adaptation)
        adaptation = PAYLOAD - n;
      write_header (out, track->pid, first, adaptation > 0, &track->cc);
      if (adaptation > 0)
        write_adaptation (out + 4, adaptation, first ? frame : NULL);
      copy_pes (out + 4 + adaptation, header, header_size, frame, off, n);
      off += n;
      out += TG_TS_PACKET;
    }
}

gboolean
tg_ts_adts_header (const guint8 config[2], gsize size, guint8 header[7])
{
  guint object = config[0] >> 3;
  guint rate = (config[0] & 0x07) << 1 | config[1] >> 7;
  guint channels = config[1] >> 3 & 0x0f;
  gsize length = size + 7;

  /* HE-AAC signalled explicitly is carried as its AAC LC core */
  if (object == 5 || object == 29)
    object = 2;
  if (object < 1 || object > 4 || rate > 12 || channels > 7 || length > 0x1fff)
    return FALSE;
  header[0] = 0xff;
  header[1] = 0xf1; /* MPEG-4, no CRC */
  header[2] = (object - 1) << 6 | rate << 2 | channels >> 2;
  header[3] = (channels & 3) << 6 | length >> 11;
  header[4] = length >> 3 & 0xff;
  header[5] = (length & 7) << 5 | 0x1f;
  header[6] = 0xfc;
  return TRUE;
}
