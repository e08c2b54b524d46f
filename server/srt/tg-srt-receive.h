/* Receiving MPEG-TS over SRT into a stream, for a publisher the listener
 * accepted and for a stream an edge pulls from its origin (tg-srt-pull.h):
 * the socket is read without waiting every TG_SRT_BATCH_MS, and what came
 * is pushed in batches, so that a stream wakes a few times a second, not
 * per packet. libsrt's own wake-ups are per packet for a blocking read, and
 * its epoll wakes every waiter on any socket's event, so neither is
 * used. */
#pragma once

#include <srt/srt.h>

#include "tg-stream.h"

#define TG_SRT_BATCH_MS 300
/* Largest SRT payload. */
#define TG_SRT_PACKET_MAX 1500

typedef struct
{
  SRTSOCKET socket; /* non-blocking for reading (SRTO_RCVSYN false) */
  TgStream *stream;
  const char *who; /* for logs: the peer and stream */
  char *batch;     /* the batch buffer, from tg_srt_receive_init */
  gint64 last_data;
} TgSrtReceive;

void tg_srt_receive_init (TgSrtReceive *receive, SRTSOCKET socket,
                          TgStream *stream, const char *who);
void tg_srt_receive_clear (TgSrtReceive *receive);

/* Reads what has arrived, pushing it in batches. FALSE when it is over (the
 * peer left, or the stream takes no more data: said in the log); else
 * *idle_us is how long nothing has come. */
gboolean tg_srt_receive_drain (TgSrtReceive *receive, gint64 *idle_us);
