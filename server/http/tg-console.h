/* The web console at /console/: a page of the server's apps, settings, live
 * streams, sessions, token decisions and a token form, built into the
 * binary from data/console/ (with uPlot, from npm), closed as /metrics is. */
#pragma once

#include <libsoup/soup.h>

#include "tg-server.h"

/* Answers /console (a redirect to /console/) and /console/{file}; rest are
 * the segments after "console". */
void tg_console_handle (TgServer *server, SoupServerMessage *msg, char **rest);
