#include "tg-http-head.h"

#include <string.h>

/* RFC 9110 5.6.2: tchar. */
static gboolean
is_tchar (guint8 c)
{
  return g_ascii_isalnum (c) || (c && strchr ("!#$%&'*+-.^_`|~", c));
}

static gboolean
refuse (TgHttpHead *out, guint status, const char *reason)
{
  out->status = status;
  out->reason = reason;
  return FALSE;
}

gsize
tg_http_head_length (const guint8 *data, gsize size)
{
  gsize start = 0;

  /* Empty lines before the request line are skipped (RFC 9112 2.2). */
  while (start + 1 < size && data[start] == '\r' && data[start + 1] == '\n')
    start += 2;
  for (gsize i = start; i + 3 < size; i++)
    if (data[i] == '\r' && memcmp (data + i, "\r\n\r\n", 4) == 0)
      return i + 4;
  return 0;
}

/* One line: from *pos to its CRLF, which must be there. Its length without
 * the CRLF, or -1 for a bare CR or LF inside. */
static gssize
next_line (const guint8 *data, gsize size, gsize *pos)
{
  gsize start = *pos;

  for (gsize i = start; i < size; i++)
    {
      if (data[i] == '\n')
        return -1;
      if (data[i] == '\r')
        {
          if (i + 1 >= size || data[i + 1] != '\n')
            return -1;
          *pos = i + 2;
          return (gssize) (i - start);
        }
    }
  return -1;
}

static gboolean
has_prefix_ci (const guint8 *data, gsize length, const char *prefix)
{
  gsize n = strlen (prefix);

  return length >= n
         && g_ascii_strncasecmp ((const char *) data, prefix, n) == 0;
}

/* origin-form, absolute-form or "*" (RFC 9112 3.2). */
static gboolean
is_target (const guint8 *target, gsize length)
{
  return target[0] == '/' || (length == 1 && target[0] == '*')
         || has_prefix_ci (target, length, "http://")
         || has_prefix_ci (target, length, "https://");
}

static gboolean
check_request_line (const guint8 *line, gsize length, gboolean *http10,
                    TgHttpHead *out)
{
  gsize method = 0, target_start, target_end;
  const guint8 *version;

  if (length > TG_HTTP_MAX_REQUEST_LINE)
    return refuse (out, 414, "request line too long");
  while (method < length && is_tchar (line[method]))
    method++;
  if (method == 0 || method == length || line[method] != ' ')
    return refuse (out, 400, "malformed request line (method)");
  target_start = target_end = method + 1;
  while (target_end < length && line[target_end] > 0x20
         && line[target_end] < 0x7f)
    target_end++;
  if (target_end == target_start || target_end == length
      || line[target_end] != ' ')
    return refuse (out, 400, "malformed request line (target)");
  if (!is_target (line + target_start, target_end - target_start))
    return refuse (out, 400, "request target is not a path");
  version = line + target_end + 1;
  if (length - (target_end + 1) != 8 || memcmp (version, "HTTP/", 5) != 0
      || !g_ascii_isdigit (version[5]) || version[6] != '.'
      || !g_ascii_isdigit (version[7]))
    return refuse (out, 400, "malformed request line (version)");
  if (version[5] != '1' || (version[7] != '0' && version[7] != '1'))
    return refuse (out, 505, "HTTP version not supported");
  *http10 = version[7] == '0';
  return TRUE;
}

/* The value without its surrounding spaces and tabs. */
static void
trim (const guint8 **value, gsize *length)
{
  while (*length && ((*value)[0] == ' ' || (*value)[0] == '\t'))
    (*value)++, (*length)--;
  while (*length
         && ((*value)[*length - 1] == ' ' || (*value)[*length - 1] == '\t'))
    (*length)--;
}

static gboolean
is_name (const guint8 *name, gsize length, const char *wanted)
{
  return length == strlen (wanted)
         && g_ascii_strncasecmp ((const char *) name, wanted, length) == 0;
}

typedef struct
{
  guint content_length, transfer_encoding, host, upgrade, expect;
  gboolean chunked;
} Seen;

/* Reads the headers that decide the framing. */
static gboolean
check_header (const guint8 *name, gsize name_length, const guint8 *value,
              gsize value_length, Seen *seen, TgHttpHead *out)
{
  if (is_name (name, name_length, "Content-Length"))
    {
      guint64 length = 0;

      if (seen->content_length++)
        return refuse (out, 400, "more than one Content-Length");
      if (value_length == 0 || value_length > 18)
        return refuse (out, 400, "Content-Length is not a number");
      for (gsize i = 0; i < value_length; i++)
        {
          if (!g_ascii_isdigit (value[i]))
            return refuse (out, 400, "Content-Length is not a number");
          length = length * 10 + (value[i] - '0');
        }
      out->length = length;
    }
  else if (is_name (name, name_length, "Transfer-Encoding"))
    {
      if (seen->transfer_encoding++)
        return refuse (out, 400, "more than one Transfer-Encoding");
      if (!is_name (value, value_length, "chunked"))
        return refuse (out, 501, "Transfer-Encoding other than chunked");
      seen->chunked = TRUE;
    }
  else if (is_name (name, name_length, "Host"))
    {
      if (seen->host++)
        return refuse (out, 400, "more than one Host");
      if (value_length == 0 || memchr (value, '/', value_length))
        return refuse (out, 400, "malformed Host");
    }
  else if (is_name (name, name_length, "Upgrade"))
    seen->upgrade++;
  else if (is_name (name, name_length, "Expect"))
    seen->expect++;
  return TRUE;
}

static gboolean
check_field_line (const guint8 *line, gsize length, Seen *seen, TgHttpHead *out)
{
  gsize name = 0;
  const guint8 *value;
  gsize value_length;

  if (line[0] == ' ' || line[0] == '\t')
    return refuse (out, 400, "obsolete line folding");
  while (name < length && is_tchar (line[name]))
    name++;
  if (name == 0 || name == length || line[name] != ':')
    return refuse (out, 400, "malformed header name");
  value = line + name + 1;
  value_length = length - name - 1;
  for (gsize i = 0; i < value_length; i++)
    if ((value[i] < 0x20 && value[i] != '\t') || value[i] == 0x7f)
      return refuse (out, 400, "control character in a header");
  trim (&value, &value_length);
  return check_header (line, name, value, value_length, seen, out);
}

/* What the headers say of the body, once all are read. */
static gboolean
check_framing (const Seen *seen, gboolean http10, TgHttpHead *out)
{
  if (seen->content_length && seen->transfer_encoding)
    return refuse (out, 400, "both Content-Length and Transfer-Encoding");
  if (seen->transfer_encoding && http10)
    return refuse (out, 400, "Transfer-Encoding in HTTP/1.0");
  if (!http10 && seen->host != 1)
    return refuse (out, 400, "no Host");
  out->upgrade = seen->upgrade > 0;
  if (out->upgrade
      && (seen->chunked || out->length > 0 || seen->expect
          || seen->upgrade > 1))
    return refuse (out, 400, "an upgrade with a body");
  out->body = seen->chunked                             ? TG_HTTP_BODY_CHUNKED
              : seen->content_length && out->length > 0 ? TG_HTTP_BODY_LENGTH
                                                        : TG_HTTP_BODY_NONE;
  return TRUE;
}

void
tg_http_head_check (const guint8 *head, gsize size, TgHttpHead *out)
{
  Seen seen = { 0 };
  gsize pos = 0;
  gssize length;
  gboolean http10 = FALSE;
  guint lines = 0;

  memset (out, 0, sizeof *out);
  if (size > TG_HTTP_MAX_HEAD)
    {
      refuse (out, 431, "request head too large");
      return;
    }
  while (pos + 1 < size && head[pos] == '\r' && head[pos + 1] == '\n')
    pos += 2;
  length = next_line (head, size, &pos);
  if (length < 0)
    {
      refuse (out, 400, "line not ended by CRLF");
      return;
    }
  if (!check_request_line (head + pos - length - 2, length, &http10, out))
    return;
  while ((length = next_line (head, size, &pos)) > 0)
    {
      if (++lines > TG_HTTP_MAX_HEADERS)
        {
          refuse (out, 431, "too many headers");
          return;
        }
      if (!check_field_line (head + pos - length - 2, length, &seen, out))
        return;
    }
  if (length < 0 || pos != size)
    {
      refuse (out, 400, "line not ended by CRLF");
      return;
    }
  check_framing (&seen, http10, out);
}

void
tg_http_head_check_partial (const guint8 *data, gsize size, TgHttpHead *out)
{
  gsize start = 0, end;

  memset (out, 0, sizeof *out);
  while (start + 1 < size && data[start] == '\r' && data[start + 1] == '\n')
    start += 2;
  /* The request line so far: printable ASCII, then its CRLF. */
  for (end = start; end < size && data[end] >= 0x20 && data[end] < 0x7f; end++)
    ;
  if (end - start > TG_HTTP_MAX_REQUEST_LINE)
    refuse (out, 414, "request line too long");
  else if (end < size && data[end] != '\r')
    refuse (out, 400, "malformed request line");
  else if (size > TG_HTTP_MAX_HEAD)
    refuse (out, 431, "request head too large");
}
