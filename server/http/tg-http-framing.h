/* How the bytes a client sends on an HTTP/1.x connection divide into
 * request heads, bodies and, after a 101 answer, an opaque pipe. A byte
 * becomes ready (libsoup may have it) only once the framing it belongs to
 * is checked: a head whole and acceptable (tg-http-head.h), a body as far
 * as its Content-Length or its chunks' framing says. Pure logic, no I/O:
 * tg-http-guard.c adds what it reads and takes what is ready. */
#pragma once

#include <glib.h>

typedef enum
{
  TG_HTTP_HEAD,           /* waiting for, or reading, a request head */
  TG_HTTP_UPGRADING,      /* a head asking for an upgrade was taken */
  TG_HTTP_BODY,           /* Content-Length bytes of a body */
  TG_HTTP_CHUNK_SIZE,     /* a chunked body's size line */
  TG_HTTP_CHUNK_DATA,     /* its data */
  TG_HTTP_CHUNK_DATA_END, /* the CRLF after the data */
  TG_HTTP_TRAILER,        /* trailer lines, up to an empty one */
  TG_HTTP_UPGRADED,       /* a plain pipe (WebSocket) */
} TgHttpPhase;

typedef struct
{
  TgHttpPhase phase;
  GByteArray *in;    /* added, not yet taken */
  gsize ready;       /* how many of those may be taken */
  gsize scanned;     /* chunked: how far the framing has been read */
  guint64 left;      /* BODY, CHUNK_DATA: bytes still to come */
  gsize line;        /* CHUNK_SIZE, TRAILER: the current line's length */
  gint64 head_since; /* when the head waited for began (0: not yet) */
  guint requests;    /* heads taken */
  char sniff[12];    /* the start of an answer to an upgrade */
  guint sniffed;
  guint status;       /* refused: the answer's status */
  const char *reason; /* and why (static) */
} TgHttpFraming;

/* A new connection, come at now (monotonic microseconds). */
void tg_http_framing_init (TgHttpFraming *framing, gint64 now);
void tg_http_framing_clear (TgHttpFraming *framing);

/* What was read from the client. */
void tg_http_framing_add (TgHttpFraming *framing, const guint8 *data,
                          gsize size);

/* Makes what is added ready as far as its framing allows. TRUE when that
 * made progress (more is ready, or a body ended); FALSE when it needs more
 * input, or when it refused (status set, for good). */
gboolean tg_http_framing_advance (TgHttpFraming *framing, gint64 now);

/* Takes up to count ready bytes. */
gsize tg_http_framing_take (TgHttpFraming *framing, guint8 *buffer,
                            gsize count);

/* The answer going out after a head asking for an upgrade: a 101 makes the
 * connection a pipe, anything else waits for the next head. */
void tg_http_framing_answer (TgHttpFraming *framing, const guint8 *data,
                             gsize size);

/* libsoup reads on before it answers an upgrade: it is not one. */
void tg_http_framing_no_upgrade (TgHttpFraming *framing);

/* Between requests: a new head is waited for and none of it was taken. */
gboolean tg_http_framing_between (const TgHttpFraming *framing);
