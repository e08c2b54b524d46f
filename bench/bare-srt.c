/* The SRT reference for bench/fanout: the least a libsrt server can do to
 * send one live MPEG-TS stream to many viewers. It reads the stream from
 * standard input, 1316 bytes (7 TS packets) a message, and sends each
 * message to every caller as it comes (non-blocking: a caller whose send
 * buffer is full or whose connection is gone is closed). Its listener has
 * the options Tollgate's has (TSBPD off), and it takes any caller. It
 * prints "port=N" once listening on 127.0.0.1 and runs until its input
 * ends or it is killed. */
#include <arpa/inet.h>
#include <glib.h>
#include <srt/srt.h>
#include <stdio.h>

#define MESSAGE (7 * 188)

static GMutex lock;
static GArray *callers; /* SRTSOCKET */

static gpointer
accept_callers (gpointer data)
{
  SRTSOCKET listener = GPOINTER_TO_INT (data);

  for (;;)
    {
      struct sockaddr_storage peer;
      int size = sizeof peer, no = 0;
      SRTSOCKET caller
          = srt_accept (listener, (struct sockaddr *) &peer, &size);

      if (caller == SRT_INVALID_SOCK)
        return NULL;
      srt_setsockflag (caller, SRTO_SNDSYN, &no, sizeof no);
      g_mutex_lock (&lock);
      g_array_append_val (callers, caller);
      g_mutex_unlock (&lock);
    }
}

static void
send_to_all (const char *message, int size)
{
  g_mutex_lock (&lock);
  for (guint i = 0; i < callers->len;)
    {
      SRTSOCKET caller = g_array_index (callers, SRTSOCKET, i);

      if (srt_sendmsg2 (caller, message, size, NULL) == SRT_ERROR)
        {
          srt_close (caller);
          g_array_remove_index_fast (callers, i);
          continue;
        }
      i++;
    }
  g_mutex_unlock (&lock);
}

int
main (void)
{
  struct sockaddr_in address = { .sin_family = AF_INET };
  int size = sizeof address, yes = 1, no = 0;
  char message[MESSAGE];
  SRTSOCKET listener;
  size_t got;

  srt_startup ();
  callers = g_array_new (FALSE, FALSE, sizeof (SRTSOCKET));
  address.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  listener = srt_create_socket ();
  srt_setsockflag (listener, SRTO_REUSEADDR, &yes, sizeof yes);
  srt_setsockflag (listener, SRTO_TSBPDMODE, &no, sizeof no);
  if (srt_bind (listener, (struct sockaddr *) &address, sizeof address)
          == SRT_ERROR
      || srt_listen (listener, 64) == SRT_ERROR
      || srt_getsockname (listener, (struct sockaddr *) &address, &size)
             == SRT_ERROR)
    {
      g_printerr ("bare-srt: %s\n", srt_getlasterror_str ());
      return 1;
    }
  g_print ("port=%d\n", ntohs (address.sin_port));
  fflush (stdout);
  g_thread_unref (
      g_thread_new ("accept", accept_callers, GINT_TO_POINTER (listener)));
  while ((got = fread (message, 1, sizeof message, stdin)) > 0)
    send_to_all (message, (int) got);
  return 0;
}
