#include "tg-http-framing.h"

#include <string.h>

#include "tg-http-head.h"

/* Longest chunk-size line or trailer line of a chunked body. */
#define MAX_CHUNK_LINE 1024

void
tg_http_framing_init (TgHttpFraming *framing, gint64 now)
{
  memset (framing, 0, sizeof *framing);
  framing->in = g_byte_array_new ();
  framing->phase = TG_HTTP_HEAD;
  framing->head_since = now;
}

void
tg_http_framing_clear (TgHttpFraming *framing)
{
  g_clear_pointer (&framing->in, g_byte_array_unref);
}

void
tg_http_framing_add (TgHttpFraming *framing, const guint8 *data, gsize size)
{
  g_byte_array_append (framing->in, data, size);
}

static gboolean
refuse (TgHttpFraming *framing, guint status, const char *reason)
{
  framing->status = status;
  framing->reason = reason;
  return FALSE;
}

static void
next_head (TgHttpFraming *framing)
{
  framing->phase = TG_HTTP_HEAD;
  framing->head_since = 0;
}

/* A head is complete and acceptable: it may go. */
static void
take_head (TgHttpFraming *framing, gsize length, const TgHttpHead *head)
{
  framing->ready = framing->scanned = length;
  framing->requests++;
  framing->head_since = 0; /* the next head's clock starts at its first byte */
  framing->left = head->length;
  framing->sniffed = 0;
  framing->line = 0;
  if (head->upgrade)
    framing->phase = TG_HTTP_UPGRADING;
  else if (head->body == TG_HTTP_BODY_LENGTH)
    framing->phase = TG_HTTP_BODY;
  else if (head->body == TG_HTTP_BODY_CHUNKED)
    framing->phase = TG_HTTP_CHUNK_SIZE;
}

static gboolean
advance_head (TgHttpFraming *framing, gint64 now)
{
  const guint8 *data = framing->in->data;
  gsize length = tg_http_head_length (data, framing->in->len);
  TgHttpHead head;

  if (framing->in->len == 0)
    return FALSE;
  if (framing->head_since == 0)
    framing->head_since = now;
  if (length == 0)
    tg_http_head_check_partial (data, framing->in->len, &head);
  else
    tg_http_head_check (data, length, &head);
  if (head.status)
    return refuse (framing, head.status, head.reason);
  if (length)
    take_head (framing, length, &head);
  return length > 0;
}

/* A chunk-size line: 1*HEXDIG, then extensions that are passed on. */
static gboolean
chunk_size (TgHttpFraming *framing, const guint8 *line, gsize length)
{
  guint64 size = 0;
  gsize digits = 0;

  while (digits < length && g_ascii_isxdigit (line[digits]))
    {
      if (digits == 15)
        return FALSE;
      size = size * 16 + g_ascii_xdigit_value (line[digits++]);
    }
  if (digits == 0
      || (digits < length && line[digits] != ';' && line[digits] != ' '
          && line[digits] != '\t'))
    return FALSE;
  framing->left = size;
  framing->phase = size ? TG_HTTP_CHUNK_DATA : TG_HTTP_TRAILER;
  return TRUE;
}

/* A whole line of the chunked framing (without its CRLF). */
static gboolean
chunk_line (TgHttpFraming *framing, const guint8 *line, gsize length)
{
  if (memchr (line, '\r', length))
    return FALSE;
  switch (framing->phase)
    {
    case TG_HTTP_CHUNK_SIZE:
      return chunk_size (framing, line, length);
    case TG_HTTP_CHUNK_DATA_END:
      framing->phase = TG_HTTP_CHUNK_SIZE;
      return length == 0;
    default: /* TRAILER: the end of the body at an empty line */
      if (length == 0)
        next_head (framing);
      return TRUE;
    }
}

/* Reads the chunked framing from scanned on. */
static gboolean
scan_chunked (TgHttpFraming *framing)
{
  const guint8 *data = framing->in->data;
  gsize end = framing->in->len;

  while (framing->scanned < end && framing->phase != TG_HTTP_HEAD)
    {
      gsize at = framing->scanned;

      if (framing->phase == TG_HTTP_CHUNK_DATA)
        {
          gsize n = MIN (framing->left, end - at);

          framing->scanned += n;
          framing->left -= n;
          if (framing->left == 0)
            framing->phase = TG_HTTP_CHUNK_DATA_END;
          continue;
        }
      /* A line: CHUNK_SIZE, CHUNK_DATA_END (must be empty), TRAILER. */
      framing->scanned++;
      if (data[at] != '\n')
        {
          if (++framing->line > MAX_CHUNK_LINE)
            return FALSE;
          continue;
        }
      if (framing->line == 0 || data[at - 1] != '\r')
        return FALSE;
      if (!chunk_line (framing, data + at - framing->line, framing->line - 1))
        return FALSE;
      framing->line = 0;
    }
  return TRUE;
}

gboolean
tg_http_framing_advance (TgHttpFraming *framing, gint64 now)
{
  gsize before = framing->ready;

  if (framing->status)
    return FALSE;
  switch (framing->phase)
    {
    case TG_HTTP_HEAD:
      /* Only once what came before is taken: a refusal is answered
       * between requests, never in the middle of one. */
      return framing->ready == 0 && advance_head (framing, now);
    case TG_HTTP_UPGRADING: /* until the answer is seen */
      return FALSE;
    case TG_HTTP_BODY:
      framing->ready += MIN (framing->left, framing->in->len - framing->ready);
      framing->left -= framing->ready - before;
      if (framing->left == 0)
        next_head (framing);
      return framing->ready > before || framing->phase == TG_HTTP_HEAD;
    case TG_HTTP_UPGRADED:
      framing->ready = framing->in->len;
      return framing->ready > before;
    default: /* chunked */
      if (!scan_chunked (framing))
        return refuse (framing, 400, "malformed chunked body");
      /* A line is given only once it is whole. */
      framing->ready
          = framing->scanned
            - (framing->phase == TG_HTTP_CHUNK_DATA ? 0 : framing->line);
      return framing->ready > before || framing->phase == TG_HTTP_HEAD;
    }
}

gsize
tg_http_framing_take (TgHttpFraming *framing, guint8 *buffer, gsize count)
{
  gsize n = MIN (count, framing->ready);

  if (n == 0)
    return 0;
  memcpy (buffer, framing->in->data, n);
  g_byte_array_remove_range (framing->in, 0, n);
  framing->ready -= n;
  framing->scanned -= MIN (framing->scanned, n);
  return n;
}

void
tg_http_framing_answer (TgHttpFraming *framing, const guint8 *data, gsize size)
{
  gsize n;

  if (framing->phase != TG_HTTP_UPGRADING)
    return;
  n = MIN (size, sizeof framing->sniff - framing->sniffed);
  memcpy (framing->sniff + framing->sniffed, data, n);
  framing->sniffed += n;
  if (framing->sniffed < sizeof framing->sniff)
    return;
  if (memcmp (framing->sniff, "HTTP/1.", 7) == 0
      && memcmp (framing->sniff + 8, " 101", 4) == 0)
    {
      framing->phase = TG_HTTP_UPGRADED;
      framing->ready = framing->in->len;
    }
  else
    next_head (framing);
}

void
tg_http_framing_no_upgrade (TgHttpFraming *framing)
{
  if (framing->phase == TG_HTTP_UPGRADING)
    next_head (framing);
}

gboolean
tg_http_framing_between (const TgHttpFraming *framing)
{
  return framing->phase == TG_HTTP_HEAD && framing->ready == 0;
}
