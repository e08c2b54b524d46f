/* The framing rules of an HTTP/1.x request head (RFC 9112), checked before
 * libsoup sees it: a head that libsoup would misread (request smuggling
 * shapes) or that makes it leak is refused here with its status. */
#pragma once

#include <glib.h>

/* Longest request line and whole head; most header lines. */
#define TG_HTTP_MAX_REQUEST_LINE (8 * 1024)
#define TG_HTTP_MAX_HEAD (16 * 1024)
#define TG_HTTP_MAX_HEADERS 100

typedef enum
{
  TG_HTTP_BODY_NONE,
  TG_HTTP_BODY_LENGTH,  /* Content-Length bytes */
  TG_HTTP_BODY_CHUNKED, /* Transfer-Encoding: chunked */
} TgHttpBody;

typedef struct
{
  guint status;       /* 0: acceptable; else the answer (400, 414, ...) */
  const char *reason; /* why (static), for the answer and the log */
  TgHttpBody body;
  guint64 length;   /* with TG_HTTP_BODY_LENGTH */
  gboolean upgrade; /* it asks for a protocol upgrade (WebSocket) */
} TgHttpHead;

/* The length of the head at the start of data, through its blank line, or
 * 0 while it is incomplete. Empty lines before the request line count as
 * part of it (RFC 9112 2.2). */
gsize tg_http_head_length (const guint8 *data, gsize size);

/* Checks a complete head (as measured above). */
void tg_http_head_check (const guint8 *head, gsize size, TgHttpHead *out);

/* Checks the start of a head that is still incomplete: a refusal once it is
 * already too long (414, 431) or already malformed; else status 0. */
void tg_http_head_check_partial (const guint8 *data, gsize size,
                                 TgHttpHead *out);
