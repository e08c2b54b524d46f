/* MPEG-TS packets for HLS segments (ISO/IEC 13818-1): the PAT and PMT of
 * one program, and one PES a frame, written straight into a buffer the
 * caller sized. H.264 (byte-stream access units) and AAC (ADTS frames)
 * only. Pure C and GLib: no GStreamer, so the unit tests and the fuzzers
 * take it as it is.
 *
 * Timestamps are 90 kHz ticks; they are written modulo 2^33. */
#pragma once

#include <glib.h>

#define TG_TS_PACKET 188
#define TG_TS_TRACKS 8
/* The PAT and the PMT: one packet each. */
#define TG_TS_PSI_SIZE (2 * TG_TS_PACKET)
/* No timestamp. */
#define TG_TS_NONE G_MININT64

typedef enum
{
  TG_TS_H264,
  TG_TS_AAC,
} TgTsCodec;

typedef struct
{
  guint16 pid;
  TgTsCodec codec;
  guint8 cc; /* continuity counter of the next packet */
} TgTsTrack;

typedef struct
{
  TgTsTrack tracks[TG_TS_TRACKS];
  guint n_tracks;
  guint16 pcr_pid; /* a track's, or 0x1fff: none */
  guint8 pat_cc;
  guint8 pmt_cc;
} TgTsProgram;

typedef struct
{
  const guint8 *prefix; /* written before data (an ADTS header), or NULL */
  gsize prefix_size;
  const guint8 *data;
  gsize size;
  gint64 pts;   /* or TG_TS_NONE */
  gint64 dts;   /* or TG_TS_NONE; only written when it differs from pts */
  gint64 pcr;   /* 27 MHz, or TG_TS_NONE: none in this PES */
  gboolean key; /* random access point */
} TgTsFrame;

/* CRC-32/MPEG-2, as PSI sections end with: over a whole section (its CRC
 * included) it is 0. */
guint32 tg_ts_crc32 (const guint8 *data, gsize size);

/* PAT and PMT into out, TG_TS_PSI_SIZE bytes. */
void tg_ts_write_psi (TgTsProgram *program, guint8 *out);

/* Bytes tg_ts_write_pes writes for frame: whole packets. */
gsize tg_ts_pes_size (const TgTsTrack *track, const TgTsFrame *frame);

/* frame as one PES of track, in tg_ts_pes_size bytes at out. */
void tg_ts_write_pes (TgTsTrack *track, const TgTsFrame *frame, guint8 *out);

/* The 7-byte ADTS header of an AAC frame of size bytes (at most 8184):
 * config is the AudioSpecificConfig's first two bytes. FALSE when the
 * frame or the config does not fit ADTS. */
gboolean tg_ts_adts_header (const guint8 config[2], gsize size,
                            guint8 header[7]);
