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

gboolean
tg_srt_receive_drain (TgSrtReceive *receive, gint64 *idle_us)
{
  gsize fill = 0;

  for (;;)
    {
      int n = srt_recvmsg (receive->socket, receive->batch + fill,
                           TG_SRT_PACKET_MAX);
      int code = n < 0 ? srt_getlasterror (NULL) : SRT_SUCCESS;

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
