/* Cross-origin requests (CORS), answered as Ant Media's CORS filter
 * (io.antmedia.filter.CorsHeaderFilter, on Tomcat's CorsFilter) answers
 * them, so that players and scripts on other sites reach Tollgate; but a
 * request's Origin is echoed, with credentials allowed, where Ant Media
 * sends "*", which browsers refuse for credentialed requests (its player
 * sends its playlist requests with credentials). */
#pragma once

#include <libsoup/soup.h>

/* The headers every answer carries, added once the request head is read:
 * Access-Control-Allow-Origin (the request's http(s) Origin with
 * Access-Control-Allow-Credentials, else "*"), Vary: Origin and
 * Access-Control-Expose-Headers. */
void tg_cors_add_headers (SoupServerMessage *msg);

/* Whether msg is a preflight: OPTIONS with Origin and
 * Access-Control-Request-Method. */
gboolean tg_cors_is_preflight (SoupServerMessage *msg);

/* Answers a preflight for a route that takes methods ("GET, HEAD"): 200
 * with the methods, the headers asked for and a max age, or 403 when the
 * method asked for is not among them. */
void tg_cors_answer_preflight (SoupServerMessage *msg, const char *methods);
