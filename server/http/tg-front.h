/* What every HTTP request meets before the routes of tg-rest.c: /{app} is
 * redirected to /{app}/, and CORS preflights (tg-cors.h) are answered for
 * the route they ask about. */
#pragma once

#include <libsoup/soup.h>

/* The SoupServerCallback of every worker; user_data is the TgServer. */
void tg_front_handle (SoupServer *soup, SoupServerMessage *msg,
                      const char *path, GHashTable *query, gpointer user_data);
