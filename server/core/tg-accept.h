/* Listening sockets and the loop that accepts on them, for the doors that
 * take TCP connections (HTTP, RTMP). */
#pragma once

#include <gio/gio.h>

/* A listening TCP socket on address:port (0: one the system picks). With
 * reuse_port, other sockets may listen on the same port (one per HTTP
 * worker). */
GSocket *tg_listen (const char *address, guint16 port, gboolean reuse_port,
                    GError **error);
guint16 tg_listen_port (GSocket *socket);

/* Takes an accepted connection's socket (non-blocking). */
typedef void (*TgAccepted) (GSocket *client, gpointer data);

typedef struct _TgAcceptor TgAcceptor;

/* Accepts on listening from context, every pending connection at each
 * wake-up. When the process is out of file descriptors (EMFILE, ENFILE)
 * accepting pauses for a moment rather than spinning, and resumes; both
 * are logged, naming door. */
TgAcceptor *tg_acceptor_new (const char *door, GSocket *listening,
                             GMainContext *context, TgAccepted accepted,
                             gpointer data);
void tg_acceptor_free (TgAcceptor *acceptor);
