/* What tg-codec-check.c (AAC, ADTS) and tg-codec-h264.c (H.264) share: a
 * bit reader that never reads past its end, and the verdict helpers. */
#pragma once

#include "tg-codec-check.h"

/* Reads big-endian bit fields and never past its end: a read that would
 * sets overrun and yields 0, as does every read after it. An exp-Golomb
 * code longer than 32 bits counts as an overrun too. */
typedef struct
{
  const guint8 *data;
  gsize size;  /* bytes */
  guint64 pos; /* bits */
  gboolean overrun;
} TgBits;

void tg_bits_init (TgBits *b, const guint8 *data, gsize size);
guint64 tg_bits_left (const TgBits *b);
/* n <= 32 bits. */
guint32 tg_bits_read (TgBits *b, guint n);
/* ue(v), H.264 9.1: at most 31 leading zeros, so up to 2^32 - 2. */
guint32 tg_bits_ue (TgBits *b);
/* se(v): -(2^31 - 1)..2^31 - 1. */
gint64 tg_bits_se (TgBits *b);

/* Sets *reason (which may be NULL) and returns FALSE; or clears it and
 * returns TRUE. */
gboolean tg_codec_refuse (const char **reason, const char *why);
gboolean tg_codec_accept (const char **reason);
