#include "tg-srt-receive.h"

/* Pushed in batches of up to this. */
#define BATCH_BYTES (64 * 1024)

void
tg_srt_receive_init (TgSrtReceive *receive, SRTSOCKET socket, TgStream *stream,
                     const char *who)
{
  gboolean no = FALSE;

  srt_setsockflag (socket, SRTO_RCVSYN, &no, sizeof no);
  *receive
      = (TgSrtReceive){ .socket = socket,
                        .stream = stream,
                        .who = who,
                        .batch = g_malloc (BATCH_BYTES + TG_SRT_PACKET_MAX),
                        .last_data = g_get_monotonic_time () };
}

void
tg_srt_receive_clear (TgSrtReceive *receive)
{
  g_clear_pointer (&receive->batch, g_free);
}

/* What reading the socket now would give: SRT_EPOLL_IN (a packet),
 * SRT_EPOLL_ERR (the connection is broken) or 0 (nothing yet). A read with
 * nothing to give fails by a C++ exception inside libsrt, which costs far
 * more than the read (its unwinding takes system calls per frame): a
 * stream ended every drain that way, a few times a second. */
static int
readable (SRTSOCKET socket)
{
  int32_t event = 0;
  int size = sizeof event;

  if (srt_getsockflag (socket, SRTO_EVENT, &event, &size) < 0)
    return SRT_EPOLL_ERR;
  return event & (SRT_EPOLL_IN | SRT_EPOLL_ERR);
}

gboolean
tg_srt_receive_drain (TgSrtReceive *receive, gint64 *idle_us)
{
  gsize fill = 0;

  for (;;)
    {
      /* a broken connection may still hold data: read until it fails */
      int event = readable (receive->socket);
      int n = event ? srt_recvmsg (receive->socket, receive->batch + fill,
                                   TG_SRT_PACKET_MAX)
                    : -1;
      int code = n >= 0  ? SRT_SUCCESS
                 : event ? srt_getlasterror (NULL)
                         : SRT_EASYNCRCV;

      if (n > 0)
        {
          receive->last_data = g_get_monotonic_time ();
          fill += n;
        }
      if (fill > 0 && (n <= 0 || fill >= BATCH_BYTES))
        {
          if (!tg_stream_push (receive->stream,
                               g_bytes_new (receive->batch, fill)))
            {
              g_info ("SRT %s: closing: the stream takes no more data",
                      receive->who);
              return FALSE;
            }
          fill = 0;
        }
      if (n > 0)
        continue;
      if (code == SRT_EASYNCRCV)
        {
          *idle_us = g_get_monotonic_time () - receive->last_data;
          return TRUE;
        }
      g_debug ("SRT %s: %s", receive->who, srt_getlasterror_str ());
      return FALSE;
    }
}
